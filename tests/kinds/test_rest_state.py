"""The REST mock's state under load: every operation costs the same however many records are
held, and what grows with traffic stays inside the store's bound.

Costs are counts, never times: the store's own count of records visited and index entries
written, and the Python bytecode instructions intcheck's own code runs for a request.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from types import FrameType
from typing import Any

import aiohttp
import pytest

import intcheck
from intcheck.contracts import load_plan
from intcheck.mock import MockServer
from intcheck.model import Latency

AUTH = {"Authorization": "Bearer test-token"}
SOURCE = str(Path(intcheck.__file__).parent)
BULK = 100_000


@pytest.fixture
async def mock(example_plan_path: Path) -> AsyncIterator[MockServer]:
    async with asyncio.timeout(120), MockServer(load_plan(example_plan_path)) as server:
        server.behaviours.update("customer-master", "", {"latency": Latency()})
        yield server


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as client:
        yield client


async def _instructions(call: Callable[[], Awaitable[Any]]) -> tuple[int, Any]:
    """Bytecode instructions run in intcheck's own modules while ``call`` runs."""
    count = 0

    def local(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal count
        if event == "opcode":
            count += 1
        return local

    def choose(frame: FrameType, event: str, arg: Any) -> Any:
        if not frame.f_code.co_filename.startswith(SOURCE):
            return None
        frame.f_trace_opcodes = True
        return local

    sys.settrace(choose)
    try:
        result = await call()
    finally:
        sys.settrace(None)
    return count, result


class Costs:
    """One round of every operation on a fresh customer, each with what it cost."""

    def __init__(self, mock: MockServer, session: aiohttp.ClientSession) -> None:
        self.mock = mock
        self.session = session
        self.base = mock.url + "/customer-master"

    async def _call(self, method: str, path: str, **kw: Any) -> Any:
        async with self.session.request(method, self.base + path, headers=AUTH, **kw) as resp:
            assert resp.status < 300, (method, path, resp.status, await resp.text())
            return await resp.json() if resp.status != 204 else None

    async def round(self, number: int) -> dict[str, tuple[int, int]]:
        phone = f"+491510{number:07d}"
        new = {
            "first_name": "Cost",
            "last_name": f"N{number}",
            "phones": [{"type": "mobile", "number": phone}],
            "email": f"cost{number}@example.com",
        }
        steps: list[tuple[str, str, str, dict[str, Any]]] = [
            ("create", "POST", "/customers", {"json": new}),
            ("read", "GET", "/customers/{id}", {}),
            ("update", "PATCH", "/customers/{id}", {"json": {"tier": "gold"}}),
            ("by phone", "GET", "/customers", {"params": {"phone": "0" + phone[3:]}}),
            ("by email", "GET", "/customers", {"params": {"email": new["email"].upper()}}),
            ("orders", "GET", "/customers/{id}/orders", {}),
            ("delete", "DELETE", "/customers/{id}", {}),
        ]
        costs, made = {}, ""
        for name, method, path, kw in steps:
            work = self.mock.store.work
            before = work.visited + work.indexed
            call = self._call(method, path.format(id=made), **kw)
            instructions, answer = await _instructions(lambda call=call: call)  # type: ignore[misc]
            costs[name] = (work.visited + work.indexed - before, instructions)
            if name == "create":
                made = answer["id"]
            if name.startswith("by "):
                assert [c["id"] for c in answer["items"]] == [made], (name, answer)
        return costs


async def test_create_cost_is_independent_of_record_count(
    mock: MockServer, session: aiohttp.ClientSession
) -> None:
    store, costs = mock.store, Costs(mock, session)
    store.max_created = 2 * BULK
    for number in range(3):  # the first rounds build indexes, shapes and validators
        await costs.round(number)
    few = await costs.round(10)
    for number in range(BULK):  # as many customers as a long load test leaves behind
        store.add(
            "customers",
            {
                "id": f"X{number}",
                "first_name": "B",
                "last_name": "K",
                "phones": [],
                "email": f"b{number}@example.com",
                "status": "active",
                "created_at": "2026-01-01T00:00:00Z",
            },
        )
    assert store.count("customers") > BULK
    await costs.round(20)
    many = await costs.round(BULK)
    for name, (work, instructions) in few.items():
        # the store's own count is exact; the instruction count may differ by a cache miss
        assert many[name][0] == work, (name, few, many)
        assert many[name][1] <= instructions * 1.05 + 100, (name, few, many)


async def test_taken_ids_are_bounded(mock: MockServer, session: aiohttp.ClientSession) -> None:
    store = mock.store
    store.max_created = 40
    held = store.count("customers")
    made = []
    new = {
        "first_name": "Ida",
        "last_name": "Nowak",
        "phones": [{"type": "mobile", "number": "+4915199999999"}],
    }
    url = mock.url + "/customer-master/customers"
    for _ in range(400):
        async with session.post(url, json=new, headers=AUTH) as resp:
            assert resp.status == 201
            made.append((await resp.json())["id"])
    async with session.get(
        url, params={"phone": "+4915199999999", "limit": 100}, headers=AUTH
    ) as resp:
        assert (await resp.json())["total"] == 40  # the newest 40 only
    assert store.count("customers") == held + 40
    records = {id(r) for r in store.records("customers")}
    for index in store.collections["customers"]._indexes.values():
        # no index keeps a dropped record (or its id) alive
        assert {id(r) for r in index.held()} <= records
        if index.field == "id":
            assert len(index.buckets) == held + 40
    assert len(set(made)) == 400 and made[-1] == "C000412"  # numbers go on, never reused
    for gone, kept in ((made[359], 404), (made[360], 200)):
        async with session.get(f"{url}/{gone}", headers=AUTH) as resp:
            assert resp.status == kept


@pytest.mark.corpus
async def test_records_in_an_envelope_are_read_back(corpus: Path, tmp_path: Path) -> None:
    # crm.yml answers {"status_code": …, "data": {…}}: the record is what "data" holds, so a
    # created contact is stored as a contact and read back, changed and deleted by its id
    from intcheck.kinds.rest.spec import Spec

    spec_path = corpus / "openapi" / "crm.yml"
    (tmp_path / "crm.yaml").write_text(f"kind: rest\nname: crm\nspec: {spec_path}\n")
    (tmp_path / "plan.yaml").write_text("name: p\nintegrations:\n  - contract: crm.yaml\n")
    plan = load_plan(tmp_path)
    compiled = Spec(plan.contracts[0].document.data, "crm", 1)
    op = next(o for o in compiled.ops if o.name == "POST /crm/contacts")
    assert op.body is not None
    validator, schema = op.body.media["application/json"]
    assert validator is not None
    new = next(
        v
        for v in (compiled.request_generator.generate(schema) for _ in range(50))
        if validator.is_valid(v)
    )
    headers = {**AUTH, "x-apideck-consumer-id": "c1", "x-apideck-app-id": "a1"}
    async with (
        asyncio.timeout(60),
        MockServer(plan) as server,
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as session,
    ):
        server.behaviours.update("crm", "", {"latency": Latency()})
        url = server.url + "/crm/crm/contacts"
        async with session.post(url, json=new, headers=headers) as resp:
            assert resp.status == 201
            made = (await resp.json())["data"]["id"]
        async with session.get(f"{url}/{made}", headers=headers) as resp:
            contact = (await resp.json())["data"]
            assert resp.status == 200 and contact["id"] == made
            assert contact["first_name"] == new["first_name"]
        async with session.patch(
            f"{url}/{made}", json={"first_name": "Ida"}, headers=headers
        ) as resp:
            assert resp.status == 200 and (await resp.json())["data"]["id"] == made
        async with session.get(f"{url}/{made}", headers=headers) as resp:
            assert (await resp.json())["data"]["first_name"] == "Ida"
        async with session.delete(f"{url}/{made}", headers=headers) as resp:
            assert resp.status == 200
        async with session.get(f"{url}/{made}", headers=headers) as resp:
            assert resp.status == 404


async def test_a_list_is_a_page_and_its_total_counts_every_match(
    mock: MockServer, session: aiohttp.ClientSession
) -> None:
    # GET /customers declares limit: {default: 20}; the answer is that page, never the store
    url = mock.url + "/customer-master/customers"
    new = {"first_name": "P", "last_name": "Q", "phones": [{"type": "home", "number": "+49301"}]}
    held = mock.store.count("customers")
    for _ in range(30 - held):
        async with session.post(url, json=new, headers=AUTH) as resp:
            assert resp.status == 201
    for params, page in (({}, 20), ({"limit": "5"}, 5), ({"limit": "100"}, 30)):
        async with session.get(url, params=params, headers=AUTH) as resp:
            body = await resp.json()
            assert len(body["items"]) == page and body["total"] == 30, params
            assert resp.headers["X-Total-Count"] == "30"


SOAP_AUTH = {
    "Content-Type": "text/xml; charset=utf-8",
    "Authorization": "Basic Y3JtOmRlbW8tcGFzc3dvcmQ=",  # crm:demo-password
}


async def _soap(session: aiohttp.ClientSession, url: str, operation: str, inner: str) -> str:
    body = (
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        f'<o:{operation} xmlns:o="urn:example:orders:v1">{inner}</o:{operation}>'
        "</soap:Body></soap:Envelope>"
    )
    headers = {**SOAP_AUTH, "SOAPAction": f'"urn:example:orders:v1/{operation}"'}
    async with session.post(url, data=body, headers=headers) as resp:
        text = await resp.text()
        assert resp.status == 200, text
        return text


async def test_soap_create_and_lookup_cost_is_independent_of_record_count(
    mock: MockServer, session: aiohttp.ClientSession
) -> None:
    """The SOAP mock looks records up in the store's indexes and numbers new orders from the
    highest once: a PlaceOrder and a GetOrder cost the same after 100,000 orders as after 10."""
    store, url = mock.store, mock.url + "/order-service"
    store.max_created = 2 * BULK
    place = (
        "<o:CustomerId>C000001</o:CustomerId>"
        "<o:Line><o:Sku>KIT-1001</o:Sku><o:Quantity>1</o:Quantity></o:Line>"
    )

    async def round_costs() -> dict[str, tuple[int, int]]:
        costs = {}
        for name, operation, inner in (
            ("place", "PlaceOrder", place),
            ("get", "GetOrder", "<o:OrderId>O20260003</o:OrderId>"),
        ):
            before = store.work.visited + store.work.indexed
            call = _soap(session, url, operation, inner)
            instructions, _ = await _instructions(lambda call=call: call)  # type: ignore[misc]
            costs[name] = (store.work.visited + store.work.indexed - before, instructions)
        return costs

    for _ in range(3):  # the first rounds read the highest id and build the indexes
        await round_costs()
    few = await round_costs()
    for number in range(BULK):
        store.add("orders", {"order_id": f"Q{number}", "customer_id": "C000001"})
    assert store.count("orders") > BULK
    await round_costs()
    many = await round_costs()
    for name, (work, instructions) in few.items():
        assert many[name][0] == work, (name, few, many)
        assert many[name][1] <= instructions * 1.05 + 100, (name, few, many)
