"""The run as a whole: the SLA on its percentile, --only, an unreachable target, and a correct
independent service that must come out with no finding at all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aiohttp import web
from click.testing import CliRunner

from intcheck.cli import cli
from intcheck.contracts import load_plan
from intcheck.errors import ExitCode, UsageError
from intcheck.kinds.probing import Exchange, ProbeCase, ProbeRequest
from intcheck.model import Operation, Status
from intcheck.probe import ProbeOptions, plan_cases
from intcheck.probe.checks import run_checks
from intcheck.probe.outcomes import MIN_SAMPLES, p95_results
from intcheck.redact import Redactor
from tests.servers.independent_rest import NordlysAccounts
from tests.servers.probe_helpers import in_thread, probe, serve_app

ROOT = Path(__file__).resolve().parents[2]
INDEPENDENT = ROOT / "tests/data/independent"


def test_sla_is_judged_on_the_percentile() -> None:
    example = load_plan(ROOT / "contracts")  # customer-master: sla.p95_ms 300
    # one answer in twenty above the SLA is what a p95 allows
    (ok,) = p95_results(example, {"customer-master": [20.0] * 19 + [900.0]})
    assert ok.status is Status.PASSED and "over 20 answers" in ok.message
    (slow,) = p95_results(example, {"customer-master": [20.0] * 18 + [900.0, 950.0]})
    assert slow.status is Status.FAILED and "p95 over 20 answers is 900 ms" in slow.message
    # too few answers to tell a p95 from the slowest one: said, not judged
    (few,) = p95_results(example, {"customer-master": [900.0] * (MIN_SAMPLES - 1)})
    assert few.status is Status.SKIPPED and f"only {MIN_SAMPLES - 1} answers" in few.message


def test_single_answer_is_judged_only_against_a_limit_the_user_wrote() -> None:
    operation = Operation(contract="crm", name="GET /x", method="GET", path="/x")
    request = ProbeRequest(method="GET", url="http://127.0.0.1:1/x")
    case = ProbeCase(
        id="crm:GET /x#positive",
        operation=operation,
        kind="positive",
        request=request,
        checks=(),
        sla_ms=10.0,
    )
    slow = Exchange(request=request, status=200, elapsed_ms=2500.0)
    results = run_checks(case, slow, Redactor())
    assert {r.check for r in results} == {"status_is_as_expected"}
    assert {r.status for r in results} == {Status.PASSED}


def test_only_matches_the_operation_name_alone() -> None:
    plan = load_plan(ROOT / "contracts")
    soap = plan_cases(plan, ProbeOptions(only=("GetOrder",)))
    assert soap and {c.operation.id for c in soap} == {"order-service:GetOrder"}
    rest = plan_cases(plan, ProbeOptions(only=("GET /customers",)))
    assert {c.operation.id for c in rest} == {"customer-master:GET /customers"}


def test_only_without_a_match_lists_the_operation_ids() -> None:
    plan = load_plan(ROOT / "contracts")
    with pytest.raises(UsageError) as raised:
        plan_cases(plan, ProbeOptions(only=("GetOrders",)))
    message = str(raised.value)
    assert "--only matches no case: GetOrders" in message
    assert "order-service:GetOrder" in message
    assert "customer-master:GET /customers/{id}" in message


async def test_unreachable_target_is_said_once() -> None:
    plan = load_plan(INDEPENDENT)
    async with serve_app(web.Application()) as gone:
        pass  # the port is closed again: connections are refused
    results = await probe(plan, targets={"nordlys-accounts": gone + "/v2"}, timeout_s=5)
    errored = [r for r in results if r.status is Status.ERRORED]
    assert len(errored) == 1
    (only,) = errored
    assert only.check == "target_is_reachable"
    assert "connection failed" in only.message
    sendable = [c for c in plan_cases(plan, ProbeOptions()) if not c.skip]
    assert f"{len(sendable) - 1} more cases of nordlys-accounts not sent" in only.message
    assert not [r for r in results if r.status is Status.FAILED]


async def test_correct_independent_service_gives_no_finding() -> None:
    plan = load_plan(INDEPENDENT)
    async with NordlysAccounts() as service:
        results = await probe(plan, targets={"nordlys-accounts": service.url}, timeout_s=5)
    bad = [f"{r.case} {r.check}: {r.message}" for r in results if r.status is Status.FAILED]
    assert bad == []
    assert not [r for r in results if r.status is Status.ERRORED]
    verdicts = {r.operation: r for r in results if r.check == "record_exists"}
    assert verdicts and all(v.status is Status.PASSED for v in verdicts.values())
    assert {r.check for r in results if r.status is Status.SKIPPED} <= {"link_is_followed"}


def test_probe_of_the_independent_service_exits_0(tmp_path: Path) -> None:
    with in_thread(NordlysAccounts) as service:
        outcome = CliRunner().invoke(
            cli,
            [
                "probe",
                str(INDEPENDENT),
                "--target",
                f"nordlys-accounts={service.url}",
                "--report-dir",
                str(tmp_path),
                "--timeout",
                "5",
            ],
            standalone_mode=False,
        )
    assert outcome.exception is None, outcome.output
    assert outcome.return_value == ExitCode.OK
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["summary"]["failed"] == 0 and report["summary"]["errored"] == 0
