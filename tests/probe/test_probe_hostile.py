"""Hostile endpoints never hang or crash the probe: each ends ERRORED, within the timeout."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

from intcheck.model import Status
from tests.servers.hostile import HostileServer, TlsServer
from tests.servers.probe_helpers import probe

if TYPE_CHECKING:
    from pathlib import Path

    from intcheck.model import Plan

REST_CASE = "customer-master:GET /customers/{id}#positive"
SOAP_CASE = "order-service:GetOrder#soap11:valid"
TIMEOUT = 1.0


@pytest.mark.parametrize(
    ("behaviour", "reason"),
    [
        ("slowloris", "no complete answer within"),
        ("endless_body", "body larger than"),
        ("huge_headers", "malformed HTTP answer"),
        ("gzip_bomb", "decompresses to more than"),
        ("reset", ""),
        ("hang", "no complete answer within"),
        ("redirect_loop", "redirects"),
        ("garbage", ""),
    ],
)
async def test_hostile_http_ends_errored(plan: Plan, behaviour: str, reason: str) -> None:
    async with HostileServer(behaviour) as server:
        # a hostile target must not hold the probe past its deadline: a hang fails the test
        async with asyncio.timeout(TIMEOUT * 10):
            results = await probe(
                plan, only=(REST_CASE,), targets={"customer-master": server.url}, timeout_s=TIMEOUT
            )
    assert results
    assert {r.status for r in results} == {Status.ERRORED}
    assert reason in results[0].message
    assert results[0].evidence is not None
    assert results[0].evidence.request["url"].startswith(server.url)


async def test_xml_bomb_is_refused_not_expanded(plan: Plan) -> None:
    async with HostileServer("xml_bomb") as server:
        async with asyncio.timeout(TIMEOUT * 10):
            results = await probe(
                plan, only=(SOAP_CASE,), targets={"order-service": server.url}, timeout_s=TIMEOUT
            )
    by_check = {r.check: r for r in results}
    assert by_check["envelope_matches_binding_version"].status is Status.ERRORED
    assert "DOCTYPE" in by_check["body_matches_xsd"].message
    assert not [r for r in results if r.status is Status.FAILED]


async def test_self_signed_tls_is_errored_unless_insecure(plan: Plan, tmp_path: Path) -> None:
    async with TlsServer(tmp_path) as server:
        target = {"customer-master": server.url}
        strict = await probe(plan, only=(REST_CASE,), targets=target, timeout_s=5)
        lenient = await probe(plan, only=(REST_CASE,), targets=target, timeout_s=5, insecure=True)
    assert {r.status for r in strict} == {Status.ERRORED}
    assert "TLS" in strict[0].message
    assert Status.ERRORED not in {r.status for r in lenient}


async def test_refused_connection_is_errored(plan: Plan) -> None:
    async with HostileServer("hang") as server:
        url = server.url  # closed when the block ends: nothing listens there any more
    results = await probe(plan, only=(REST_CASE,), targets={"customer-master": url}, timeout_s=2)
    assert {r.status for r in results} == {Status.ERRORED}
    assert "connection failed" in results[0].message
