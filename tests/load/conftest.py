"""The example plan's mocks on loopback, on their own loop in a thread (the load verb blocks)."""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from intcheck.contracts import load_plan
from intcheck.mock import MockServer

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "tests" / "data" / "load"


class Mock:
    """A running mock: its URL, and the admin API to switch latency and faults."""

    def __init__(self, url: str) -> None:
        self.url = url

    def targets(self) -> list[str]:
        """``--target`` options that point the example plan's REST and SOAP at this mock."""
        names = ("customer-master", "order-service")
        return [arg for name in names for arg in ("--target", f"{name}={self.url}/{name}")]

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + "/__intcheck" + path, data=data, method=method)
        with urllib.request.urlopen(request, timeout=10) as answer:
            text = answer.read()
        return json.loads(text) if text else None


@pytest.fixture(scope="module")
def mock() -> Iterator[Mock]:
    """The example plan's mocks; behaviour switches are cleared after each test that sets them."""
    plan = load_plan(ROOT / "contracts")
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    url: list[str] = []

    async def serve() -> None:
        async with MockServer(plan) as server:
            url.append(server.url)
            ready.set()
            await stop.wait()

    stop = asyncio.Event()
    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    assert ready.wait(30)
    try:
        yield Mock(url[0])
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(15)
        loop.close()
