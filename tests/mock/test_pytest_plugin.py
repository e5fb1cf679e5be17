"""The pytest plugin: ``intcheck_mock`` serves the plan inside someone else's test suite."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import aiohttp
import pytest

from intcheck.mock import MockServer


@pytest.fixture(scope="session")
def intcheck_plan_path(example_plan_path: Path) -> Path:
    """What a user's conftest does (or passes with --intcheck-plan)."""
    return example_plan_path


def test_sync_test_reaches_the_mock(intcheck_mock: MockServer) -> None:
    request = urllib.request.Request(
        intcheck_mock.url + "/customer-master/customers/C000001",
        headers={"Authorization": "Bearer t"},
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        assert resp.status == 200
    assert intcheck_mock.journal.read()[0] == 1


async def test_async_test_reaches_the_mock(intcheck_mock: MockServer) -> None:
    timeout = aiohttp.ClientTimeout(total=10)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.get(intcheck_mock.url + "/__intcheck/") as resp,
    ):
        assert resp.status == 200
        assert any(c["name"] == "customer-master" for c in (await resp.json())["contracts"])
