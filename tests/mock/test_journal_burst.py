"""Nothing is lost under load: the journal counts exactly the requests served, one or N workers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from intcheck.contracts import load_plan
from intcheck.mock import MockServer
from intcheck.mock.serving import Endpoint, serve
from intcheck.model import Latency

REQUESTS = 2000
CONCURRENCY = 64
AUTH = {"Authorization": "Bearer burst"}


async def _burst(base: str, requests: int = REQUESTS) -> int:
    """Fire ``requests`` mixed GETs and POSTs, ``CONCURRENCY`` at a time; count answers."""
    gate = asyncio.Semaphore(CONCURRENCY)
    answered = 0
    connector = aiohttp.TCPConnector(limit=CONCURRENCY, force_close=False)

    async def one(session: aiohttp.ClientSession, index: int) -> None:
        nonlocal answered
        async with gate:
            if index % 5 == 0:
                request = session.post(
                    base + "/customers",
                    json={
                        "first_name": "B",
                        "last_name": str(index),
                        "phones": [{"type": "work", "number": "+4930123456"}],
                    },
                    headers=AUTH,
                )
            else:
                request = session.get(f"{base}/customers/C{(index % 12) + 1:06d}", headers=AUTH)
            async with request as resp:
                await resp.read()
                assert resp.status in (200, 201)
                answered += 1

    async with (
        aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=30)
        ) as session,
        asyncio.TaskGroup() as group,
    ):
        for index in range(requests):
            group.create_task(one(session, index))
    return answered


@pytest.mark.slow
async def test_journal_is_complete_under_a_burst(example_plan_path: Path) -> None:
    async with asyncio.timeout(90), MockServer(load_plan(example_plan_path)) as mock:
        mock.behaviours.update("customer-master", "", {"latency": Latency()})
        served = await _burst(mock.url + "/customer-master")
        assert served == REQUESTS
        total, _ = mock.journal.read()
        assert total == REQUESTS == mock.journal.count()


@contextlib.asynccontextmanager
async def _two_workers(plan_path: Path, journal: Path) -> AsyncIterator[str]:
    """``serve`` with two worker processes on one port; yields the customer-master URL."""
    ready: asyncio.Future[list[Endpoint]] = asyncio.get_running_loop().create_future()
    plan = load_plan(plan_path)
    server = asyncio.create_task(
        serve(plan, port=0, workers=2, journal_path=journal, on_ready=ready.set_result)
    )
    try:
        async with asyncio.timeout(60):
            endpoints = await ready
        yield next(u for name, _, u in endpoints if name == "customer-master")
    finally:
        server.cancel()
        with pytest.raises(asyncio.CancelledError):
            await server


@pytest.mark.slow
async def test_journal_is_complete_with_two_workers(
    example_plan_path: Path, tmp_path: Path
) -> None:
    async with _two_workers(example_plan_path, tmp_path) as url, asyncio.timeout(120):
        assert url.startswith("http://127.0.0.1:")
        served = await _burst(url)
        assert served == REQUESTS
        admin = url.rsplit("/", 1)[0] + "/__intcheck/journal?limit=5"
        timeout = aiohttp.ClientTimeout(total=30)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(admin) as resp,
        ):
            journal = await resp.json()
        assert journal["total"] == REQUESTS
        files = await asyncio.to_thread(lambda: list(tmp_path.glob("journal-*.jsonl")))
        workers = {p.name for p in files if p.stat().st_size}
        assert len(workers) == 2  # both processes answered and wrote their own file


@pytest.mark.slow
async def test_a_behaviour_change_applies_in_every_worker_before_the_admin_call_returns(
    example_plan_path: Path, tmp_path: Path
) -> None:
    async with _two_workers(example_plan_path, tmp_path) as url, asyncio.timeout(120):
        admin = url.rsplit("/", 1)[0] + "/__intcheck/behaviour/customer-master"
        # a new connection per request, so the kernel spreads them over both workers
        connector = aiohttp.TCPConnector(force_close=True)
        async with aiohttp.ClientSession(connector=connector) as session:

            async def statuses() -> list[int]:
                found = []
                for _ in range(30):
                    async with session.get(
                        url + "/customers/C000001", headers={"Authorization": "Bearer t"}
                    ) as resp:
                        found.append(resp.status)
                return found

            for status in (503, 200):
                body = {"force": {"status": 503}} if status == 503 else {"force": None}
                async with session.put(admin, json=body) as resp:
                    assert resp.status == 200, await resp.text()
                assert set(await statuses()) == {status}
            journal = url.rsplit("/", 1)[0] + "/__intcheck/journal?limit=60"
            async with session.get(journal) as resp:
                entries = (await resp.json())["entries"]
        assert len({e["worker"] for e in entries}) == 2, "both workers answered during the check"
