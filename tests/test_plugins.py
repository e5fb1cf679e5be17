"""The kind interface: a new kind is one Kind and one registry entry, and every verb sees it.

A "webhook" kind made here, outside ``intcheck/kinds``, proves the seams: its vocabulary is
validated with file:line errors, its operations are read, the mock mounts its routes, starts
its own service and journals what that service handles, and the verbs that it cannot serve
say so instead of skipping it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import aiohttp
import pytest
from aiohttp import web

from intcheck.contracts import load_plan
from intcheck.contracts.source import ContractParts
from intcheck.errors import ContractError
from intcheck.kinds.base import OPERATION, VALIDATION, MockContext, MockParts
from intcheck.mock.server import MockServer
from intcheck.model import Operation, Status
from intcheck.plugins import BUILTIN_KINDS, COVERAGE_CHECK, Kind, Registry
from intcheck.probe import ProbeOptions, run_probe

if TYPE_CHECKING:
    from pathlib import Path

    from intcheck.contracts.source import ContractSource

VOCABULARY = {
    "type": "object",
    "required": ["events"],
    "properties": {"events": {"type": "array", "items": {"type": "string"}, "minItems": 1}},
}


def _read(source: ContractSource) -> ContractParts:
    return ContractParts(
        operations=tuple(
            Operation(contract=source.name, name=event, method="POST", path=f"/{event}")
            for event in source.data["events"]
        )
    )


@dataclass
class _Ticker:
    """A service of the kind's own: journals one exchange when started, counts its lifecycle."""

    ctx: MockContext
    calls: list[str] = field(default_factory=list)

    async def start(self) -> None:
        self.calls.append("start")
        self.ctx.journal("tick", protocol="tick", method="TICK", path="now", status=250)

    async def close(self) -> None:
        self.calls.append("close")

    @property
    def endpoints(self) -> list[tuple[str, str]]:
        return [("tick", "tick://nowhere")]


@dataclass
class _WebhookMock:
    services: list[_Ticker] = field(default_factory=list)

    def build_mock(self, ctx: MockContext) -> MockParts:
        async def receive(request: web.Request) -> web.Response:
            request[OPERATION] = request.match_info["event"]
            request[VALIDATION] = "ok"
            return web.json_response({"received": request.match_info["event"]})

        async def inbox(request: web.Request) -> web.Response:
            return web.json_response({"contract": ctx.contract.name})

        ticker = _Ticker(ctx)
        self.services.append(ticker)
        return MockParts(
            routes=[web.post("/{event}", receive)],
            services=[ticker],
            admin=[web.get("/inbox", inbox)],
        )


def _registry(mock: _WebhookMock | None = None) -> Registry:
    webhook = Kind(
        name="webhook", summary="test kind", vocabulary=VOCABULARY, read=_read, mock=mock
    )
    return Registry.default().with_kind(webhook)


def _plan_files(folder: Path, contract: str) -> Path:
    (folder / "plan.yaml").write_text("name: hooks\nintegrations:\n  - contract: hook.yaml\n")
    (folder / "hook.yaml").write_text(contract)
    return folder / "plan.yaml"


def test_every_builtin_kind_is_one_registry_line() -> None:
    registry = Registry.default()
    assert registry.names() == BUILTIN_KINDS
    for name in BUILTIN_KINDS:
        kind = registry.get(name)
        assert kind.name == name
        assert "properties" in kind.vocabulary


def test_a_new_kind_validates_its_vocabulary_with_file_and_line(tmp_path: Path) -> None:
    path = _plan_files(tmp_path, "kind: webhook\nname: hooks\nevnts: [a]\n")
    with pytest.raises(ContractError) as caught:
        load_plan(path, environ={}, registry=_registry())
    rendered = [d.render() for d in caught.value.diagnostics]
    assert any("hook.yaml:3:1: evnts: unknown key 'evnts'" in r for r in rendered), rendered
    assert any("events: missing required field" in r for r in rendered), rendered


def test_an_unknown_kind_names_the_registered_ones(tmp_path: Path) -> None:
    path = _plan_files(tmp_path, "kind: webhok\nname: hooks\nevents: [a]\n")
    with pytest.raises(ContractError) as caught:
        load_plan(path, environ={}, registry=_registry())
    (diagnostic,) = caught.value.diagnostics
    assert "expected one of rest, soap, cti, sms, email, iframe, webhook" in diagnostic.message
    assert diagnostic.hint == "did you mean 'webhook'?"


async def test_a_new_kind_is_mocked_with_its_routes_services_and_admin(tmp_path: Path) -> None:
    mocker = _WebhookMock()
    registry = _registry(mocker)
    plan = load_plan(
        _plan_files(tmp_path, "kind: webhook\nname: hooks\nevents: [a, b]\n"), registry=registry
    )
    assert [op.id for op in plan.contract("hooks").operations] == ["hooks:a", "hooks:b"]
    async with MockServer(plan, registry=registry) as mock:
        (ticker,) = mocker.services
        assert ticker.calls == ["start"]
        assert ("hooks", "webhook tick", "tick://nowhere") in mock.endpoints
        async with aiohttp.ClientSession() as client:
            async with client.post(f"{mock.url}/hooks/b") as response:
                assert response.status == 200
                assert await response.json() == {"received": "b"}
            async with client.get(f"{mock.url}/__intcheck/contracts/hooks/inbox") as response:
                assert await response.json() == {"contract": "hooks"}
        await asyncio.sleep(0)
        total, entries = mock.journal.read()
    assert ticker.calls == ["start", "close"]
    by_protocol = {e["protocol"]: e for e in entries}
    assert by_protocol["tick"]["method"] == "TICK" and by_protocol["tick"]["status"] == 250
    assert by_protocol["http"]["operation_id"] == "hooks:b"
    assert total == 2


async def test_verbs_report_a_kind_they_cannot_cover(tmp_path: Path) -> None:
    registry = _registry()  # no mock, no probe, no simulate
    plan = load_plan(
        _plan_files(tmp_path, "kind: webhook\nname: hooks\nevents: [a]\n"), registry=registry
    )
    async with MockServer(plan, registry=registry) as mock:
        assert [c.name for c in mock.uncovered] == ["hooks"]
        assert mock.endpoints == []
    results = [r async for r in run_probe(plan, ProbeOptions(registry=registry))]
    (result,) = results
    assert result.check == COVERAGE_CHECK and result.status is Status.SKIPPED
    assert result.integration == "hooks"
    assert "intcheck probe does not cover webhook contracts" in result.message
