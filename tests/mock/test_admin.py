"""The admin API reads numbers the way the mocks do: JSON numbers or ASCII digits, in range."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from intcheck.contracts import load_plan
from intcheck.mock import MockServer

AUTH = {"Authorization": "Bearer test-token"}


@pytest.fixture
async def mock(example_plan_path: Path) -> AsyncIterator[MockServer]:
    async with asyncio.timeout(60), MockServer(load_plan(example_plan_path)) as server:
        yield server


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"latency": {"fixed_ms": "١٢"}}, "latency.fixed_ms"),
        ({"latency": {"fixed_ms": "nan"}}, "latency.fixed_ms"),
        ({"latency": {"median_ms": None}}, "latency.median_ms"),
        ({"latency": {"p99_ms": 1e12}}, "latency.p99_ms"),
        ({"latency": {"fixed_ms": -1}}, "latency.fixed_ms"),
        ({"faults": "often"}, "faults"),
        ({"faults": {"rate": "１"}}, "faults.rate"),
        ({"faults": {"rate": 0.5, "kinds": "http_503"}}, "faults.kinds"),
        ({"force": {"status": "abc"}}, "force.status"),
        ({"force": {"status": 42}}, "force.status"),
        ({"force": {"status": 200.5}}, "force.status"),
        ({"timeout_ms": "inf"}, "timeout_ms"),
        ({"timeout_ms": True}, "timeout_ms"),
    ],
)
async def test_behaviour_numbers_that_are_no_numbers_are_refused(
    mock: MockServer, body: dict[str, Any], field: str
) -> None:
    url = mock.url + "/__intcheck/behaviour/customer-master"
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        async with session.put(url, json=body) as resp:
            problem = await resp.json(content_type=None)
            assert resp.status == 400 and problem["detail"].startswith(field), problem
        # nothing was taken over: the mock answers as before
        got = mock.url + "/customer-master/customers/C000001"
        async with session.get(got, headers=AUTH) as resp:
            assert resp.status == 200


@pytest.mark.parametrize("raw", [b"[" * 5000, b'{"latency":{}, "latency":{}}', b"{oops"])
async def test_behaviour_bodies_that_are_no_json_are_refused(mock: MockServer, raw: bytes) -> None:
    url = mock.url + "/__intcheck/behaviour/customer-master"
    timeout = aiohttp.ClientTimeout(total=10)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.put(url, data=raw) as resp,
    ):
        assert resp.status == 400, await resp.text()


async def test_forced_status_as_ascii_text_is_read(mock: MockServer) -> None:
    url = mock.url + "/__intcheck/behaviour/customer-master"
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        body = {"force": {"status": "503"}, "latency": {"fixed_ms": "0"}}
        async with session.put(url, json=body) as resp:
            assert resp.status == 200
        got = mock.url + "/customer-master/customers/C000001"
        async with session.get(got, headers=AUTH) as resp:
            assert resp.status == 503


@pytest.mark.parametrize(
    "query", ["limit=١٢", "status=２００", "since=nan", "limit=-1", "limit=1.5"]
)
async def test_journal_filters_take_ascii_numbers_only(mock: MockServer, query: str) -> None:
    url = mock.url + "/__intcheck/journal?" + query
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url) as resp:
        assert resp.status == 400, await resp.text()
        assert query.split("=")[0] in (await resp.json())["detail"]


async def test_a_forced_error_body_says_the_status_it_is_sent_with(mock: MockServer) -> None:
    """A forced 404 answered ``"status": 947`` in its generated problem+json body."""
    url = mock.url + "/__intcheck/behaviour/customer-master"
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        async with session.put(url, json={"force": {"status": 404}}) as resp:
            assert resp.status == 200
        got = mock.url + "/customer-master/customers/C000001"
        for _ in range(5):  # generated afresh for each answer
            async with session.get(got, headers=AUTH) as resp:
                assert resp.status == 404
                assert resp.content_type == "application/problem+json"
                assert (await resp.json())["status"] == 404
