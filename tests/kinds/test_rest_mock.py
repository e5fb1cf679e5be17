"""The REST mock of the example plan, driven by a real HTTP client over loopback."""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import jsonschema_rs
import pytest
from multidict import CIMultiDict

from intcheck.contracts import load_plan
from intcheck.mock import MockServer
from intcheck.model import Latency

AUTH = {"Authorization": "Bearer test-token"}


@pytest.fixture
async def mock(example_plan_path: Path) -> AsyncIterator[MockServer]:
    async with asyncio.timeout(30), MockServer(load_plan(example_plan_path)) as server:
        # latency off: these tests are about answers, not timing
        server.behaviours.update("customer-master", "", {"latency": Latency()})
        yield server


@pytest.fixture
async def client(mock: MockServer) -> AsyncIterator[Client]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        yield Client(session, mock.url + "/customer-master")


class Client:
    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        self.session = session
        self.base = base

    async def call(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, **kw: Any
    ) -> tuple[int, CIMultiDict[str], Any]:
        sent = {**AUTH, **(headers or {})}
        async with self.session.request(method, self.base + path, headers=sent, **kw) as resp:
            text = await resp.text()
            ctype = resp.headers.get("Content-Type", "")
            body = await resp.json(content_type=None) if "json" in ctype and text else text
            return resp.status, CIMultiDict(resp.headers), body


def _validator(mock: MockServer, name: str) -> Any:
    document = mock.plan.contract("customer-master").document.data
    schema = {**document["components"]["schemas"][name], "components": document["components"]}
    return jsonschema_rs.validator_for(schema)


async def test_lookups_by_phone_id_and_email_return_the_same_record(client: Client) -> None:
    found = []
    for phone in ("+4915112345678", "015112345678", "004915112345678"):
        status, headers, body = await client.call("GET", "/customers", params={"phone": phone})
        assert status == 200
        assert headers["X-Total-Count"] == "1"
        found.append(body["items"][0])
    status, _, by_email = await client.call(
        "GET", "/customers", params={"email": "anna.schmidt@example.com"}
    )
    status, headers, by_id = await client.call("GET", "/customers/C000001")
    assert status == 200 and "ETag" in headers
    assert all(record == by_id for record in [*found, by_email["items"][0]])
    assert by_id["first_name"] == "Anna" and "caller_ids" not in by_id


async def test_unknown_id_and_phone(client: Client) -> None:
    status, headers, body = await client.call("GET", "/customers/C999999")
    assert status == 404
    assert headers["Content-Type"].startswith("application/problem+json")
    assert body["status"] == 404 and "C999999" in body["detail"]
    status, _, body = await client.call("GET", "/customers", params={"phone": "+4930999999999"})
    assert status == 200 and body == {"items": [], "total": 0}


async def test_orders_and_delivery(client: Client, mock: MockServer) -> None:
    status, _, orders = await client.call("GET", "/customers/C000002/orders")
    assert status == 200
    assert [o["order_id"] for o in orders] == ["O20260002", "O20260003"]
    order_schema = _validator(mock, "Order")
    assert all(order_schema.is_valid(o) for o in orders)
    assert (await client.call("GET", "/customers/C999999/orders"))[0] == 404
    status, _, delivery = await client.call("GET", "/orders/O20260003/delivery")
    assert status == 200 and delivery["carrier"] == "DHL"
    assert (await client.call("GET", "/orders/O20260001/delivery"))[0] == 404


async def test_create_read_update_delete(client: Client, mock: MockServer) -> None:
    new = {
        "first_name": "Ida",
        "last_name": "Nowak",
        "phones": [{"type": "mobile", "number": "+4915199999999"}],
    }
    before = datetime.now(UTC).replace(microsecond=0)
    status, headers, created = await client.call("POST", "/customers", json=new)
    assert status == 201
    assert _validator(mock, "Customer").is_valid(created)
    # the server stamps its read-only created_at with the time of creation, as a real one would
    stamped = datetime.fromisoformat(created["created_at"].replace("Z", "+00:00"))
    assert before <= stamped <= datetime.now(UTC)
    assert headers["Location"].endswith(f"/customer-master/customers/{created['id']}")
    assert (await client.call("GET", f"/customers/{created['id']}"))[2] == created
    found = await client.call("GET", "/customers", params={"phone": "015199999999"})
    assert found[2]["items"] == [created]
    status, _, patched = await client.call(
        "PATCH", f"/customers/{created['id']}", json={"tier": "gold"}
    )
    assert status == 200 and patched["tier"] == "gold"
    assert (await client.call("GET", f"/customers/{created['id']}"))[2]["tier"] == "gold"
    assert (await client.call("DELETE", f"/customers/{created['id']}"))[0] == 204
    assert (await client.call("GET", f"/customers/{created['id']}"))[0] == 404
    async with client.session.post(mock.url + "/__intcheck/reset") as resp:
        assert resp.status == 200
    assert (await client.call("GET", "/customers/C000003"))[0] == 200


async def test_created_ids_keep_to_the_id_pattern_when_the_numbers_run_out(
    client: Client, mock: MockServer
) -> None:
    # ids are numbered on (C000013); after C999999 the next number breaks ^C[0-9]{6}$, so
    # the mock draws free ids from the pattern instead
    mock.store.add("customers", dict(mock.store.records("customers")[0], id="C999999"))
    new = {
        "first_name": "Eva",
        "last_name": "Lang",
        "phones": [{"type": "home", "number": "+49301"}],
    }
    made = []
    for _ in range(3):
        status, headers, created = await client.call("POST", "/customers", json=new)
        assert status == 201 and re.fullmatch(r"C[0-9]{6}", created["id"]), created
        assert headers["Location"].endswith("/customers/" + created["id"])
        made.append(created["id"])
    assert len(set(made)) == 3 and "C999999" not in made


async def test_prefer_selects_example_and_status(client: Client) -> None:
    status, _, body = await client.call(
        "GET", "/customers/C000002", headers={"Prefer": "example=vip"}
    )
    assert status == 200 and body["id"] == "C000001" and body["tier"] == "gold"
    status, headers, body = await client.call(
        "GET", "/customers/C000002", headers={"Prefer": "code=404"}
    )
    assert status == 404 and headers["Content-Type"].startswith("application/problem+json")
    assert set(body) >= {"title", "status"}


@pytest.mark.parametrize(
    ("method", "path", "kw", "status", "rule"),
    [
        ("GET", "/customers/X1", {}, 400, "pattern"),
        ("GET", "/customers", {"params": {"limit": "many"}}, 400, "type"),
        ("GET", "/customers", {"params": {"limit": "0"}}, 400, "minimum"),
        ("GET", "/customers/C000001/orders", {"params": {"status": "lost"}}, 400, "enum"),
        ("POST", "/customers", {"json": {"first_name": "A"}}, 422, "required"),
        (
            "POST",
            "/customers",
            {"json": {"first_name": 1, "last_name": "B", "phones": []}},
            422,
            "type",
        ),
        (
            "POST",
            "/customers",
            {"data": b"{oops", "headers": {"Content-Type": "application/json"}},
            400,
            "malformed",
        ),
        (
            "POST",
            "/customers",
            {"data": b"a=b", "headers": {"Content-Type": "text/plain"}},
            415,
            "content-type",
        ),
        ("POST", "/customers", {}, 400, "required"),
        (
            "POST",
            "/customers",
            {
                "data": io.BytesIO(b"x" * (2 * 1024 * 1024)),
                "headers": {"Content-Type": "application/json"},
            },
            400,
            "max-size",
        ),
        ("PATCH", "/customers/C000001", {"json": {}}, 400, "minProperties"),
        ("GET", "/customers/C000001", {"headers": {"Authorization": ""}}, 401, "security"),
    ],
)
async def test_bad_requests_get_a_documented_4xx_problem(
    client: Client,
    mock: MockServer,
    method: str,
    path: str,
    kw: dict[str, Any],
    status: int,
    rule: str,
) -> None:
    got, headers, body = await client.call(method, path, **kw)
    assert got == status, body
    assert headers["Content-Type"].startswith("application/problem+json")
    assert body["type"].endswith(rule)
    if got != 401:
        assert body.get("errors") or body["detail"]
    # and the mock keeps serving
    assert (await client.call("GET", "/customers/C000001"))[0] == 200
    _, entries = mock.journal.read()
    assert entries[-2]["validation"] == rule


async def test_problem_names_the_json_pointer(client: Client) -> None:
    bad = {"first_name": "A", "last_name": "B", "phones": [{"type": "mobile", "number": "12"}]}
    status, _, body = await client.call("POST", "/customers", json=bad)
    assert status == 422
    assert body["errors"][0]["pointer"] == "body/phones/0/number"
    assert body["errors"][0]["rule"] == "pattern"


async def test_unknown_path_and_method(client: Client) -> None:
    assert (await client.call("GET", "/nowhere"))[0] == 404
    assert (await client.call("PUT", "/customers/C000001", json={}))[0] == 405


async def test_resources_from_the_contract(example_plan_path: Path) -> None:
    """``mock.resources`` as the contract declares it (the loader passes it in MockSettings)."""
    import dataclasses

    import yaml

    plan = load_plan(example_plan_path)
    contract = plan.contract("customer-master")
    declared = yaml.safe_load(contract.source.path.read_text())["mock"]["resources"]
    # a lookup by the customer's email under another query name proves the table is used
    declared[0]["lookups"] = {"phone": "phones", "email": "email"}
    mock_settings = dataclasses.replace(contract.mock, resources=tuple(declared))
    integrations = tuple(
        dataclasses.replace(i, contract=dataclasses.replace(i.contract, mock=mock_settings))
        if i.contract.name == "customer-master"
        else i
        for i in plan.integrations
    )
    plan = dataclasses.replace(plan, integrations=integrations)
    async with asyncio.timeout(30), MockServer(plan) as server:
        server.behaviours.update("customer-master", "", {"latency": Latency()})
        timeout = aiohttp.ClientTimeout(total=10)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            client = Client(session, server.url + "/customer-master")
            status, _, body = await client.call(
                "GET", "/customers", params={"phone": "0033612345678"}
            )
            assert status == 200 and [c["id"] for c in body["items"]] == ["C000003"]
            status, _, orders = await client.call("GET", "/customers/C000003/orders")
            assert [o["order_id"] for o in orders] == ["O20260004", "O20260005", "O20260006"]
            assert (await client.call("GET", "/orders/O20260005/delivery"))[2][
                "status"
            ] == "delivered"


async def test_etag_follows_the_representation(client: Client) -> None:
    first = (await client.call("GET", "/customers/C000004"))[1]["ETag"]
    assert (await client.call("GET", "/customers/C000004"))[1]["ETag"] == first
    assert (await client.call("PATCH", "/customers/C000004", json={"tier": "silver"}))[0] == 200
    assert (await client.call("GET", "/customers/C000004"))[1]["ETag"] != first
