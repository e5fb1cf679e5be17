"""The mock's front door: whole mounts skip aiohttp's router, everything else routes as before."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from intcheck.contracts import load_plan
from intcheck.mock import MockServer
from intcheck.mock.front import CATCH_ALL, whole_mount_handler
from intcheck.model import Latency

AUTH = {"Authorization": "Bearer front-door-token"}
SOAP_HEADERS = {
    "Content-Type": "text/xml; charset=utf-8",
    "SOAPAction": '"urn:example:orders:v1/GetOrder"',
    "Authorization": "Basic Y3JtOmRlbW8tcGFzc3dvcmQ=",
}
GET_ORDER = (
    '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
    '<GetOrder xmlns="urn:example:orders:v1"><OrderId>O20260001</OrderId></GetOrder>'
    "</soap:Body></soap:Envelope>"
)


async def _handler(request: web.BaseRequest) -> web.Response:
    return web.Response()


async def _other(request: web.BaseRequest) -> web.Response:
    return web.Response()


def test_a_rest_mount_is_taken_whole_with_every_path_below() -> None:
    routes = [web.route("*", CATCH_ALL, _handler), web.route("*", "", _handler)]
    assert whole_mount_handler(routes) == (_handler, True)


def test_a_soap_mount_is_taken_at_its_point_only() -> None:
    routes = [web.route("*", path, _handler) for path in ("", "/")]
    assert whole_mount_handler(routes) == (_handler, False)


@pytest.mark.parametrize(
    "routes",
    [
        [web.route("*", "", _handler), web.route("*", "/", _other)],  # two handlers
        [web.get("", _handler)],  # one method only
        [web.route("*", "/calls/{id}", _handler)],  # the router tells paths apart
        [],
    ],
    ids=["two-handlers", "one-method", "path-variables", "no-routes"],
)
def test_routes_the_router_must_tell_apart_stay_with_it(routes: list[web.RouteDef]) -> None:
    assert whole_mount_handler(routes) is None


@pytest.fixture
async def mock(example_plan_path: Path) -> AsyncIterator[MockServer]:
    plan = load_plan(example_plan_path, environ={"CUSTOMER_API_TOKEN": "front-door-token"})
    async with asyncio.timeout(60), MockServer(plan) as server:
        for name in ("customer-master", "order-service"):
            server.behaviours.update(name, "", {"latency": Latency()})
        yield server


@pytest.fixture
def resolved(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The paths aiohttp's router was asked to resolve."""
    seen: list[str] = []
    original = web.UrlDispatcher.resolve

    async def resolve(self: web.UrlDispatcher, request: web.Request) -> web.UrlMappingMatchInfo:
        seen.append(request.raw_path)
        return await original(self, request)  # type: ignore[return-value]

    monkeypatch.setattr(web.UrlDispatcher, "resolve", resolve)
    yield seen


async def test_rest_and_soap_requests_skip_the_router_and_are_journaled(
    mock: MockServer, resolved: list[str]
) -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        async with session.get(
            mock.url + "/customer-master/customers/C000001", headers=AUTH
        ) as resp:
            assert resp.status == 200
        async with session.post(
            mock.url + "/order-service", data=GET_ORDER, headers=SOAP_HEADERS
        ) as resp:
            assert resp.status == 200
            assert b"O20260001" in await resp.read()
        async with session.get(mock.url + "/__intcheck/journal") as resp:
            entries = (await resp.json())["entries"]
    assert resolved == ["/__intcheck/journal"]  # the admin API still goes through the router
    assert {(e["contract"], e["status"]) for e in entries} == {
        ("customer-master", 200),
        ("order-service", 200),
    }


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/customer%2Dmaster/customers/C000001", None),  # the router decodes it
        ("/customer-master-extra/customers", 404),  # another mount point: none is mounted
        ("/customer-master/../__intcheck/", None),  # dot segments: the router's to read
    ],
    ids=["escaped", "longer-name", "dot-segments"],
)
async def test_paths_the_router_reads_differently_go_through_it(
    mock: MockServer, resolved: list[str], path: str, status: int | None
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", mock.port)
    try:
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: {AUTH['Authorization']}\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        head = await asyncio.wait_for(reader.readline(), 10)
    finally:
        writer.close()
    assert head.startswith(b"HTTP/1.1 ")
    if status is not None:
        assert head.split()[1] == str(status).encode()
    assert resolved == [path]


async def test_expect_continue_is_answered_before_the_body_is_sent(mock: MockServer) -> None:
    # curl sends "Expect: 100-continue" with bodies over 1 KiB and waits for the interim answer
    body = (
        b'{"first_name": "Ada", "last_name": "Lovelace",'
        b' "phones": [{"type": "mobile", "number": "+4915100000001"}]}'
    )
    reader, writer = await asyncio.open_connection("127.0.0.1", mock.port)
    try:
        writer.write(
            b"POST /customer-master/customers HTTP/1.1\r\nHost: x\r\n"
            b"Authorization: Bearer t\r\nContent-Type: application/json\r\n"
            b"Expect: 100-continue\r\nConnection: close\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
        )
        interim = await asyncio.wait_for(reader.readline(), 10)
        assert interim.startswith(b"HTTP/1.1 100")
        writer.write(body)
        await asyncio.wait_for(reader.readline(), 10)  # the blank line after the interim
        final = await asyncio.wait_for(reader.readline(), 10)
    finally:
        writer.close()
    assert final.split()[1] == b"201"
