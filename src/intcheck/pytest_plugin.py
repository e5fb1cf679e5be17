"""pytest plugin: start a plan's mocks inside an integration engineer's own test suite.

Point it at a plan with ``--intcheck-plan PATH`` or the ini value ``intcheck_plan`` (or override
the ``intcheck_plan_path`` fixture), then use the ``intcheck_mock`` fixture::

    def test_screen_pop(intcheck_mock):
        url = intcheck_mock.url + "/customer-master/customers/C000001"
        ...

The server runs on its own event loop in a background thread, so it serves sync tests and
async tests (whatever their loop) alike; it binds 127.0.0.1 on a free port and starts with
the datasets as loaded and an empty journal for every test.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from intcheck import eventloop
from intcheck.contracts import load_plan
from intcheck.mock.server import MockServer

T = TypeVar("T")
START_TIMEOUT_S = 60.0


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("intcheck")
    group.addoption(
        "--intcheck-plan", default=None, help="Integration Plan served by intcheck_mock"
    )
    parser.addini(
        "intcheck_plan", "Integration Plan served by the intcheck_mock fixture", default=""
    )


class BackgroundMock:
    """A ``MockServer`` running on a private event loop in a daemon thread."""

    def __init__(self, server: MockServer) -> None:
        self.server = server
        self._loop = eventloop.new_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="intcheck-mock", daemon=True
        )

    def start(self) -> MockServer:
        self._thread.start()
        self._run(self.server.start())
        return self.server

    def stop(self) -> None:
        try:
            self._run(self.server.close())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(START_TIMEOUT_S)
            self._loop.close()

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(START_TIMEOUT_S)


@pytest.fixture(scope="session")
def intcheck_plan_path(pytestconfig: pytest.Config) -> Path:
    """The plan to mock: ``--intcheck-plan``, else the ``intcheck_plan`` ini value."""
    value = pytestconfig.getoption("intcheck_plan") or pytestconfig.getini("intcheck_plan")
    if not value:
        raise pytest.UsageError(
            "intcheck_mock needs a plan: pass --intcheck-plan PATH or set intcheck_plan"
        )
    path = Path(str(value))
    return path if path.is_absolute() else pytestconfig.rootpath / path


@pytest.fixture
def intcheck_mock(intcheck_plan_path: Path) -> Iterator[MockServer]:
    """The plan's mocks, started for one test; ``.url``, ``.journal`` and ``.store`` are live."""
    background = BackgroundMock(MockServer(load_plan(intcheck_plan_path)))
    server = background.start()
    try:
        yield server
    finally:
        background.stop()
