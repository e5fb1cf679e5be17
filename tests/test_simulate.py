"""``run_simulation``: kinds play the other side through the one hardened client, and the
contracts whose kind cannot be simulated are reported as not tested."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from intcheck.contracts import load_plan
from intcheck.contracts.source import ContractParts
from intcheck.errors import UsageError
from intcheck.kinds.probing import Check, Finding, ProbeCase, ProbeRequest
from intcheck.kinds.simulating import SimulationContext, SimulationOptions
from intcheck.mock.server import MockServer
from intcheck.model import Operation, Plan, Result, Status
from intcheck.plugins import COVERAGE_CHECK, Kind, Registry
from intcheck.simulate import run_simulation

if TYPE_CHECKING:
    from pathlib import Path

    from intcheck.contracts.source import ContractSource
    from intcheck.kinds.probing import Exchange


def _read(source: ContractSource) -> ContractParts:
    return ContractParts(operations=(Operation(contract=source.name, name="ping"),))


def _answered_pong(case: ProbeCase, exchange: Exchange) -> Finding | None:
    return None if exchange.body == b"pong" else Finding(f"expected pong, got {exchange.body!r}")


class _Pinger:
    """Sends ``flows`` pings, each judged by the probe's checks plus its own."""

    async def simulate(self, ctx: SimulationContext) -> AsyncIterator[Result]:
        operation = ctx.contract.operations[0]
        for number in range(ctx.options.flows):
            case = ProbeCase(
                id=f"{operation.id}#ping-{number}",
                operation=operation,
                kind="simulated",
                request=ProbeRequest(
                    method="POST",
                    url=f"{ctx.target}/ping",
                    headers={"Authorization": "Bearer sim-secret-token"},
                ),
                checks=(Check(name="answered_pong", function=_answered_pong),),
                expect_status=("200",),
            )
            exchange = await ctx.send(case.request)
            for result in ctx.judge(case, exchange):
                yield result


def _plan(tmp_path: Path, registry: Registry, target: str) -> Plan:
    (tmp_path / "plan.yaml").write_text(
        "name: sim\nintegrations:\n  - contract: ping.yaml\n  - contract: rest.yaml\n"
    )
    (tmp_path / "ping.yaml").write_text(f"kind: ping\nname: pinger\ntarget: {target}\n")
    (tmp_path / "api.yaml").write_text(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n"
    )
    (tmp_path / "rest.yaml").write_text("kind: rest\nname: master\nspec: api.yaml\n")
    return load_plan(tmp_path / "plan.yaml", environ={}, registry=registry)


@pytest.fixture
def registry() -> Registry:
    ping = Kind(
        name="ping",
        summary="test kind",
        vocabulary={"type": "object", "properties": {}},
        read=_read,
        simulate=_Pinger(),
    )
    return Registry.default().with_kind(ping)


async def test_simulation_sends_through_the_client_and_judges(
    tmp_path: Path, registry: Registry
) -> None:
    seen: list[str] = []

    async def pong(request: web.Request) -> web.Response:
        seen.append(request.headers["Authorization"])
        return web.Response(text="pong" if len(seen) != 2 else "ping")

    app = web.Application()
    app.router.add_post("/ping", pong)
    async with TestServer(app, host="127.0.0.1") as server:
        plan = _plan(tmp_path, registry, str(server.make_url("")).rstrip("/"))
        options = SimulationOptions(flows=3)
        results = [r async for r in run_simulation(plan, options, registry=registry)]
    assert len(seen) == 3
    judged = [r for r in results if r.integration == "pinger"]
    failed = [r for r in judged if r.status is Status.FAILED]
    assert [(r.case, r.check) for r in failed] == [("pinger:ping#ping-1", "answered_pong")]
    passed_status = [r for r in judged if r.check == "status_is_as_expected"]
    assert len(passed_status) == 3 and all(r.status is Status.PASSED for r in passed_status)
    # the rest contract has no other side to simulate: said, not skipped silently
    (uncovered,) = [r for r in results if r.check == COVERAGE_CHECK]
    assert uncovered.integration == "master" and uncovered.status is Status.SKIPPED


async def test_simulation_errors_become_errored_results(tmp_path: Path, registry: Registry) -> None:
    plan = _plan(tmp_path, registry, "http://127.0.0.1:9")  # discard port: refused
    results = [
        r
        async for r in run_simulation(
            plan,
            SimulationOptions(flows=1, timeout_s=2),
            only=("pinger",),
            registry=registry,
        )
    ]
    assert results and all(r.status is Status.ERRORED for r in results)
    assert "connection failed" in results[0].message


async def test_unknown_contract_is_a_usage_error(tmp_path: Path, registry: Registry) -> None:
    plan = _plan(tmp_path, registry, "http://127.0.0.1:9")
    with pytest.raises(UsageError, match="no contract of the plan is named pingr"):
        async for _ in run_simulation(
            plan, SimulationOptions(), only=("pingr",), registry=registry
        ):
            pass


async def test_a_second_simulation_against_one_crm_is_new_traffic_not_a_replay(
    example_plan_path: Path,
) -> None:
    """Message ids and Mailgun tokens came from the seeded generator: run twice against one
    CRM, every mail of the second run was refused as a replayed token and every SMS looked
    resent. The seed shapes the traffic; the identities are new each run."""
    plan = load_plan(example_plan_path, environ={})
    only = ("email-channel", "sms-gateway")
    async with asyncio.timeout(120), MockServer(plan) as mock:
        targets = {name: f"{mock.url}/{name}" for name in only}
        options = SimulationOptions(flows=6, concurrency=3, pace=0, timeout_s=5)
        runs = [
            [r async for r in run_simulation(plan, options, only=only, targets=targets)]
            for _ in range(2)
        ]
    for results in runs:
        assert {r.integration for r in results} == set(only)
        assert [
            f"{r.case} [{r.check}] {r.message}" for r in results if r.status is Status.FAILED
        ] == []
