"""``intcheck load`` end to end: real Locust processes against the example plan's mocks.

Each run is a few seconds long and bounded (the verb has its own deadline; the subprocesses
here have timeouts). What is asserted is what the report and the exit code say, never a speed.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner

from intcheck.cli import cli
from intcheck.contracts import load_plan
from intcheck.errors import ExitCode
from intcheck.load.processes import free_port
from intcheck.plugins import Registry, untested_but_required
from intcheck.report.document import from_document, validation_errors
from tests.load.conftest import ROOT, SCENARIOS, Mock

pytestmark = pytest.mark.slow
SCENARIO = SCENARIOS / "lookups.yaml"
INTCHECK = [sys.executable, "-m", "intcheck", "--no-color"]


def run(
    mock: Mock, report_dir: Path, *extra: str, scenario: Path = SCENARIO
) -> tuple[int, str, dict[str, object]]:
    """``intcheck load`` in this process; (exit code, stderr, report.json)."""
    args = ["--no-color", "load", str(scenario), *mock.targets(), "--report-dir", str(report_dir)]
    result = CliRunner().invoke(cli, [*args, *extra], standalone_mode=False)
    assert result.exception is None, result.output
    report = json.loads((report_dir / "report.json").read_text())
    assert validation_errors(report) == []
    return int(result.return_value), result.output, report


def verdicts(report: dict[str, object]) -> dict[str, dict[str, object]]:
    results = report["results"]
    assert isinstance(results, list)
    return {r["case"]: r for r in results}


@pytest.fixture
def behaviour(mock: Mock) -> Iterator[Mock]:
    """The mock, with every latency and fault switched back to the plan's after the test."""
    yield mock
    mock.admin("DELETE", "/behaviour")


def test_slos_that_hold_pass_and_every_figure_is_in_the_report(mock: Mock, tmp_path: Path) -> None:
    code, output, report = run(mock, tmp_path)
    assert code == ExitCode.OK, output
    assert report["kind"] == "load" and report["complete"] is True
    found = verdicts(report)
    assert sorted(found) == [
        "customer-master:GET /customers#slo:p95_ms",
        "load:lookups:*#slo:error_rate",
        "load:lookups:*#slo:p95_ms",
        "order-service:GetOrder#slo:error_rate",
    ]
    assert {r["status"] for r in found.values()} == {"passed"}
    assert {r["check"] for r in found.values()} == {"slo_p95_ms", "slo_error_rate"}
    p95 = found["customer-master:GET /customers#slo:p95_ms"]
    assert p95["evidence"]["details"]["limit"] == 300.0
    assert p95["evidence"]["details"]["value"] <= 300.0
    (summary,) = report["load"]
    assert summary["scenario"] == "lookups" and summary["users"] == 4
    operations = summary["operations"]
    assert set(operations) == {
        "customer-master:GET /customers",
        "customer-master:GET /customers/{id}/orders",
        "order-service:GetOrder",
        "Aggregated",
    }
    # the lookup and the orders of a flow run go together: one each per customer flow
    lookups = operations["customer-master:GET /customers"]["requests"]
    assert abs(lookups - operations["customer-master:GET /customers/{id}/orders"]["requests"]) <= 4
    assert summary["requests"] == sum(
        figures["requests"] for name, figures in operations.items() if name != "Aggregated"
    )
    for figures in operations.values():
        assert figures["p50_ms"] <= figures["p90_ms"] <= figures["p95_ms"] <= figures["p99_ms"]
    assert summary["series"] and summary["series"][-1]["t_s"] >= 3
    assert sum(b["count"] for b in summary["histogram"]) == summary["requests"]
    junit = ET.parse(tmp_path / "junit.xml").getroot()
    assert junit.get("tests") == "4" and junit.get("failures") == "0"
    assert (tmp_path / "locust.log").is_file()
    # Locust ran in its own process: nothing of gevent reached this one
    assert "gevent" not in sys.modules and "locust" not in sys.modules


def test_latency_above_the_slo_fails_naming_the_operation_and_the_figure(
    behaviour: Mock, tmp_path: Path
) -> None:
    behaviour.admin(
        "PUT", "/behaviour/customer-master/searchCustomers", {"latency": {"fixed_ms": 400}}
    )
    code, output, report = run(behaviour, tmp_path)
    assert code == ExitCode.FINDINGS
    assert "FAILED   customer-master:GET /customers#slo:p95_ms [slo_p95_ms]" in output
    breached = verdicts(report)["customer-master:GET /customers#slo:p95_ms"]
    assert breached["status"] == "failed"
    assert breached["evidence"]["details"]["value"] >= 400
    assert "p95 of customer-master:GET /customers was 4" in breached["message"]
    assert "allows at most 300 ms: it breaks" in breached["message"]
    # the other operations were not slowed down and keep their verdicts
    assert verdicts(report)["order-service:GetOrder#slo:error_rate"]["status"] == "passed"


def test_a_fault_rate_above_the_allowed_error_rate_fails(behaviour: Mock, tmp_path: Path) -> None:
    behaviour.admin(
        "PUT", "/behaviour/order-service", {"faults": {"rate": 0.3, "kinds": ["http_503"]}}
    )
    code, output, report = run(behaviour, tmp_path)
    assert code == ExitCode.FINDINGS
    breached = verdicts(report)["order-service:GetOrder#slo:error_rate"]
    assert breached["status"] == "failed"
    details = breached["evidence"]["details"]
    assert details["value"] > 0.02
    assert set(details["failures_by_kind"]) == {"status 503"}
    assert "status 503 x" in breached["message"]
    figures = report["load"][0]["operations"]["order-service:GetOrder"]
    assert figures["failures.status 503"] == figures["failures"] > 0
    assert "[slo_error_rate]" in output


def test_two_workers_send_requests_that_add_up_to_the_total(mock: Mock, tmp_path: Path) -> None:
    code, output, report = run(mock, tmp_path, "--workers", "2")
    assert code == ExitCode.OK, output
    locust = report["environment"]["locust"]
    assert locust["mode"] == "workers" and locust["workers"] == 2
    per_worker = locust["requests_per_worker"]
    assert len(per_worker) == 2 and all(n > 0 for n in per_worker.values())
    assert sum(per_worker.values()) == report["load"][0]["requests"]


def test_a_master_and_a_separately_started_worker_speak_locusts_protocol(
    mock: Mock, tmp_path: Path
) -> None:
    port = str(free_port())
    common = ["load", str(SCENARIO), *mock.targets()]
    master = subprocess.Popen(
        [
            *INTCHECK,
            *common,
            *("--master", "--expect-workers", "1", "--master-host", "127.0.0.1"),
            *("--master-port", port, "--report-dir", str(tmp_path)),
        ],
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    worker = subprocess.Popen(
        [*INTCHECK, *common, "--worker", "--master-host", "127.0.0.1", "--master-port", port],
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    try:
        _, worker_err = worker.communicate(timeout=90)
        _, master_err = master.communicate(timeout=90)
    finally:
        for process in (master, worker):
            if process.poll() is None:
                process.kill()
                process.wait(10)
    assert master.returncode == ExitCode.OK, master_err.decode()
    assert worker.returncode == ExitCode.OK, worker_err.decode()
    report = json.loads((tmp_path / "report.json").read_text())
    locust = report["environment"]["locust"]
    assert locust["mode"] == "master" and locust["workers"] == 1
    assert list(locust["requests_per_worker"].values()) == [report["load"][0]["requests"]]
    assert report["load"][0]["requests"] > 0


def test_ctrl_c_leaves_a_partial_report_marked_incomplete(mock: Mock, tmp_path: Path) -> None:
    process = subprocess.Popen(
        [
            *INTCHECK,
            "load",
            str(SCENARIO),
            *mock.targets(),
            *("--duration", "60s"),
            "--report-dir",
            str(tmp_path),
        ],
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    assert process.stderr is not None
    try:
        seen = b""
        while b"users" not in seen:  # the first live line: Locust is sending
            line = process.stderr.readline()
            assert line, "intcheck load ended before its first progress line"
            seen += line
        process.send_signal(signal.SIGINT)
        _, rest = process.communicate(timeout=30)
        err = seen + rest
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
    assert process.returncode == ExitCode.INTERRUPTED, err.decode()
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["complete"] is False
    assert report["environment"]["locust"]["stopped_early"] == "interrupted"
    assert report["load"][0]["requests"] > 0  # what was done before Ctrl-C is kept
    assert b"INCOMPLETE" in err


def test_the_bundled_peak_hour_holds_its_slos_against_the_mock(mock: Mock, tmp_path: Path) -> None:
    every = ("pbx-screen-pop", "sms-gateway")
    targets = [arg for name in every for arg in ("--target", f"{name}={mock.url}/{name}")]
    scenario = ROOT / "load" / "peak-hour.yaml"
    code, output, report = run(mock, tmp_path, *targets, "--duration", "10s", scenario=scenario)
    found = verdicts(report)
    assert {r["status"] for r in found.values()} <= {"passed", "skipped"}, output
    registry = Registry.default()
    plan = load_plan(ROOT / "contracts")
    for result in found.values():
        contract = result["integration"]
        if result["status"] == "skipped":  # a kind without load yet: said, never judged
            assert not registry.covers(plan.contract(contract), "load")
            assert result["message"].startswith("not tested: intcheck load does not cover")
    assert found["load:peak-hour:*#slo:min_rps"]["status"] == "passed"
    needed = untested_but_required(plan, from_document(report).results, "load")
    assert code == (ExitCode.FINDINGS if needed else ExitCode.OK), output
