"""MockServer: binding, mounting, admin API, behaviour controls, faults and the journal."""

from __future__ import annotations

import asyncio
import gc
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from intcheck import eventloop
from intcheck.contracts import load_plan
from intcheck.mock import JournalQuery, MockServer
from intcheck.redact import MASK

AUTH = {"Authorization": "Bearer super-secret-token"}
NO_LATENCY = {"latency": {"fixed_ms": 0, "median_ms": 0, "p99_ms": 0}}


@pytest.fixture
async def mock(example_plan_path: Path) -> AsyncIterator[MockServer]:
    plan = load_plan(example_plan_path, environ={"CUSTOMER_API_TOKEN": "super-secret-token"})
    async with asyncio.timeout(60), MockServer(plan) as server:
        yield server


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as client:
        yield client


async def _admin(
    session: aiohttp.ClientSession, mock: MockServer, method: str, path: str, body: Any = None
) -> Any:
    async with session.request(method, mock.url + "/__intcheck" + path, json=body) as resp:
        return resp.status, (await resp.json() if resp.content_type.endswith("json") else None)


async def test_journal_keeps_soap_request_bodies(
    mock: MockServer, session: aiohttp.ClientSession
) -> None:
    # the SOAP kind reads the body itself: the journal must still see it, credentials masked
    await _admin(session, mock, "PUT", "/behaviour/order-service", NO_LATENCY)
    envelope = (
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        '<GetOrder xmlns="urn:example:orders:v1"><OrderId>O20260001</OrderId></GetOrder>'
        "</soap:Body></soap:Envelope>"
    )
    headers = {
        "Content-Type": "text/xml; charset=utf-8",
        "SOAPAction": '"urn:example:orders:v1/GetOrder"',
        "Authorization": "Basic Y3JtOmRlbW8tcGFzc3dvcmQ=",
    }
    async with session.post(mock.url + "/order-service", data=envelope, headers=headers) as resp:
        assert resp.status == 200
    _, journal = await _admin(session, mock, "GET", "/journal?contract=order-service")
    (entry,) = journal["entries"]
    assert entry["operation"] == "GetOrder" and entry["validation"] == "ok"
    assert entry["body"] == envelope and entry["headers"]["Authorization"] == MASK


async def test_binds_loopback_and_mounts_every_contract(
    mock: MockServer, session: aiohttp.ClientSession
) -> None:
    assert mock.url.startswith("http://127.0.0.1:")
    status, index = await _admin(session, mock, "GET", "/")
    assert status == 200
    names = {c["name"]: c["url"] for c in index["contracts"]}
    assert names["customer-master"] == mock.url + "/customer-master"
    assert {"rest"} <= {c["kind"] for c in index["contracts"]}


async def test_a_library_server_leaves_the_callers_heap_alone(example_plan_path: Path) -> None:
    # gc.freeze() pins every object of the process: only `intcheck mock`'s own processes may
    plan = load_plan(example_plan_path)
    frozen = gc.get_freeze_count()
    async with asyncio.timeout(60), MockServer(plan):
        assert gc.get_freeze_count() == frozen


async def test_journal_records_redacts_and_filters(
    mock: MockServer, session: aiohttp.ClientSession
) -> None:
    await _admin(session, mock, "PUT", "/behaviour/customer-master", NO_LATENCY)
    base = mock.url + "/customer-master"
    async with session.get(base + "/customers/C000001", headers=AUTH) as resp:
        assert resp.status == 200
    async with session.post(
        base + "/customers", json={"first_name": "x", "token": "super-secret-token"}, headers=AUTH
    ) as resp:
        assert resp.status == 422
    async with session.get(mock.url + "/nowhere") as resp:
        # a path no contract serves says what is mounted instead
        assert resp.status == 404 and resp.content_type == "application/problem+json"
        detail = (await resp.json())["detail"]
        assert "/nowhere" in detail and "/customer-master" in detail and "/order-service" in detail
    status, journal = await _admin(session, mock, "GET", "/journal")
    assert status == 200 and journal["total"] == 3
    first, second, third = journal["entries"]
    assert first["operation_id"] == "customer-master:GET /customers/{id}"
    assert first["headers"]["Authorization"] == MASK and first["status"] == 200
    assert first["validation"] == "ok" and first["duration_ms"] >= 0
    assert "super-secret-token" not in second["body"] and second["validation"] == "required"
    assert third["contract"] == "" and third["status"] == 404
    assert third["validation"] == "no-contract" and third["path"] == "/nowhere"
    status, filtered = await _admin(
        session, mock, "GET", "/journal?contract=customer-master&status=422"
    )
    assert filtered["total"] == 1 and filtered["entries"][0]["method"] == "POST"
    assert (await _admin(session, mock, "GET", "/journal?limit=1"))[1]["entries"] == [third]
    since = third["ts"] + 1
    assert (await _admin(session, mock, "GET", f"/journal?since={since}"))[1]["total"] == 0
    assert mock.journal.read(JournalQuery(operation="GET /customers/{id}"))[0] == 1
    assert (await _admin(session, mock, "DELETE", "/journal"))[0] == 204
    assert (await _admin(session, mock, "GET", "/journal"))[1]["total"] == 0


async def test_forced_answers(mock: MockServer, session: aiohttp.ClientSession) -> None:
    url = mock.url + "/customer-master/customers/C000001"
    op = "/behaviour/customer-master/GET%20%2Fcustomers%2F%7Bid%7D"
    assert (await _admin(session, mock, "PUT", op, {**NO_LATENCY, "force": {"status": 404}}))[
        0
    ] == 200
    async with session.get(url, headers=AUTH) as resp:
        assert resp.status == 404 and resp.content_type == "application/problem+json"
    await _admin(session, mock, "PUT", op, {"force": {"example": "vip"}})
    async with session.get(mock.url + "/customer-master/customers/C000002", headers=AUTH) as resp:
        assert (await resp.json())["id"] == "C000001"
    await _admin(session, mock, "PUT", op, {"force": {"status": 200, "body": {"hello": "world"}}})
    async with session.get(url, headers=AUTH) as resp:
        assert await resp.json() == {"hello": "world"}
    _status, effective = await _admin(session, mock, "GET", op)
    assert effective["force"] == {"status": 200, "body": {"hello": "world"}}
    # other operations are untouched
    async with session.get(mock.url + "/customer-master/customers", headers=AUTH) as resp:
        assert resp.status == 200
    assert (await _admin(session, mock, "DELETE", "/behaviour"))[0] == 204
    async with session.get(url, headers=AUTH) as resp:
        assert (await resp.json())["first_name"] == "Anna"


FAULTS = ["http_500", "http_503", "malformed", "slow_body", "reset", "timeout"]


@pytest.mark.parametrize("fault", FAULTS)
async def test_faults(mock: MockServer, session: aiohttp.ClientSession, fault: str) -> None:
    await _check_fault(mock, session, fault)


def test_faults_on_the_loop_the_cli_runs(example_plan_path: Path) -> None:
    # `intcheck mock` and its workers run on uvloop (eventloop.py), whose transports hand out
    # pseudo-sockets: the reset's SO_LINGER, the timeout and the dribble must hold there too
    async def every_fault() -> str:
        plan = load_plan(example_plan_path, environ={"CUSTOMER_API_TOKEN": "super-secret-token"})
        timeout = aiohttp.ClientTimeout(total=10)
        async with (
            asyncio.timeout(60),
            MockServer(plan) as server,
            aiohttp.ClientSession(timeout=timeout) as client,
        ):
            for fault in FAULTS:
                await _check_fault(server, client, fault)
        return type(asyncio.get_running_loop()).__module__

    assert eventloop.run(every_fault()).startswith("uvloop")


async def _check_fault(mock: MockServer, session: aiohttp.ClientSession, fault: str) -> None:
    body = {**NO_LATENCY, "faults": {"rate": 1.0, "kinds": [fault]}, "timeout_ms": 300}
    assert (await _admin(session, mock, "PUT", "/behaviour/customer-master", body))[0] == 200
    url = mock.url + "/customer-master/customers/C000001"
    started = time.perf_counter()
    if fault in ("reset", "timeout"):
        with pytest.raises(aiohttp.ClientError):
            async with session.get(url, headers=AUTH) as resp:
                await resp.read()
    else:
        async with session.get(url, headers=AUTH) as resp:
            raw = await resp.read()
        if fault.startswith("http_"):
            assert resp.status == int(fault[-3:])
        elif fault == "malformed":
            assert resp.status == 200
            with pytest.raises(ValueError):
                json.loads(raw)
        else:
            assert (
                resp.status == 200 and raw.startswith(b"{") and time.perf_counter() - started > 0.2
            )
    await _admin(session, mock, "PUT", "/behaviour/customer-master", {"faults": {"rate": 0}})
    entries = mock.journal.read()[1]
    assert entries[-1]["fault"] == fault
    async with session.get(url, headers=AUTH) as resp:
        assert resp.status == 200


async def test_latency_distribution(mock: MockServer, session: aiohttp.ClientSession) -> None:
    await _admin(
        session,
        mock,
        "PUT",
        "/behaviour/customer-master",
        {"latency": {"median_ms": 20, "p99_ms": 60}},
    )
    behaviour = mock.behaviours.get("customer-master", "GET /customers/{id}")
    draws = sorted(mock.behaviours.delay(behaviour) * 1000 for _ in range(4000))
    assert 17 < draws[2000] < 23 and 45 < draws[3960] < 80
    await _admin(session, mock, "PUT", "/behaviour/customer-master", {"latency": {"fixed_ms": 80}})
    started = time.perf_counter()
    async with session.get(mock.url + "/customer-master/customers/C000001", headers=AUTH) as resp:
        assert resp.status == 200
    assert time.perf_counter() - started >= 0.08


async def test_bad_admin_requests(mock: MockServer, session: aiohttp.ClientSession) -> None:
    assert (await _admin(session, mock, "PUT", "/behaviour/nope", {}))[0] == 404
    status, problem = await _admin(
        session, mock, "PUT", "/behaviour/customer-master", {"faults": {"rate": 2}}
    )
    assert status == 400 and "rate" in problem["detail"]
    status, problem = await _admin(
        session, mock, "PUT", "/behaviour/customer-master", {"faults": {"kinds": ["boom"]}}
    )
    assert status == 400 and "boom" in problem["detail"]
    assert (await _admin(session, mock, "GET", "/journal?limit=x"))[0] == 400


SMALL_SPEC = """
openapi: 3.1.0
info: {title: small, version: "1"}
paths:
  /things/{id}:
    get:
      parameters:
        - {name: id, in: path, required: true, schema: {type: string, pattern: "^t[0-9]+$"}}
      responses:
        "200":
          description: a thing
          content:
            application/json:
              schema:
                type: object
                required: [id, label]
                properties:
                  id: {type: string}
                  label: {type: [string, "null"], maxLength: 20}
        "404": {description: none}
"""


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_contract_on_its_own_port_and_serve(tmp_path: Path) -> None:
    from intcheck.mock.serving import Endpoint, serve

    port = _free_port()
    (tmp_path / "small.yaml").write_text(SMALL_SPEC)
    (tmp_path / "small-contract.yaml").write_text(
        f"kind: rest\nname: small\nspec: small.yaml\nmock: {{port: {port}}}\n"
    )
    (tmp_path / "plan.yaml").write_text(
        "name: small\nintegrations:\n  - contract: small-contract.yaml\n"
    )
    plan = load_plan(tmp_path)
    ready: asyncio.Future[list[Endpoint]] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(serve(plan, port=0, on_ready=ready.set_result))
    try:
        async with asyncio.timeout(30):
            endpoints = await ready
            urls = [url for name, kind, url in endpoints if name == "small" and kind == "rest"]
            assert len(urls) == 2 and f"http://127.0.0.1:{port}" in urls
            timeout = aiohttp.ClientTimeout(total=10)
            async with aiohttp.ClientSession(timeout=timeout) as session:
                for url in urls:
                    async with session.get(url + "/things/t1") as resp:
                        thing = await resp.json()
                        assert resp.status == 200 and set(thing) >= {"id", "label"}
                async with session.get(urls[0].rsplit("/", 1)[0] + "/__intcheck/journal") as resp:
                    assert (await resp.json())["total"] == 2
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_a_busy_port_is_a_usage_error_not_a_crash(mock: MockServer) -> None:
    from intcheck.errors import UsageError

    port = int(mock.url.rsplit(":", 1)[1])
    second = MockServer(mock.plan, port=port)
    with pytest.raises(UsageError, match="already in use"):
        async with asyncio.timeout(30), second:
            pass
