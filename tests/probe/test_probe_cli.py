"""``intcheck probe`` from the command line: exit codes, the files produced, Ctrl-C."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner

from intcheck.cli import cli, main
from intcheck.errors import ExitCode, UsageError
from intcheck.report.document import validation_errors
from tests.servers.example_services import Defect, ExampleServices
from tests.servers.hostile import HostileServer
from tests.servers.probe_helpers import in_thread

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def services_in_thread(defect: Defect = Defect.NONE) -> Iterator[str]:
    """The service on its own loop in a thread: the CLI runs its own event loop."""
    with in_thread(lambda: ExampleServices(defect)) as service:
        yield str(service.url)


def _args(url: str, report_dir: Path, *extra: str) -> list[str]:
    return [
        "probe",
        str(ROOT / "contracts"),
        "--target",
        f"customer-master={url}/customer-master",
        "--target",
        f"order-service={url}",
        "--report-dir",
        str(report_dir),
        "--timeout",
        "5",
        *extra,
    ]


def test_probe_passes_and_writes_every_report(tmp_path: Path) -> None:
    with services_in_thread() as url:
        result = CliRunner().invoke(
            cli,
            _args(url, tmp_path, "--only", "customer-master", "--only", "order-service"),
            standalone_mode=False,
        )
    assert result.exception is None, result.output
    assert result.return_value == ExitCode.OK
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "junit.xml",
        "report.html",
        "report.json",
        "report.md",
    ]
    document = json.loads((tmp_path / "report.json").read_text("utf-8"))
    assert validation_errors(document) == []
    assert document["complete"] is True
    assert document["summary"]["failed"] == document["summary"]["errored"] == 0
    junit = ET.parse(tmp_path / "junit.xml").getroot()
    cases = {r["case"] for r in document["results"]}
    assert int(junit.get("tests", "0")) == len(cases)
    assert int(junit.get("failures", "0")) == 0
    assert "results:" in result.output


def test_integration_the_plan_needs_but_a_verb_cannot_test_is_a_finding(tmp_path: Path) -> None:
    """Never green by omission: a required integration a verb cannot test fails the run.

    Every built-in kind can be probed, so the case is made with simulate: a REST service has no
    other side to play, and a plan that asks for its simulation evidence cannot get it.
    """
    folder = tmp_path / "plan"
    folder.mkdir()
    (folder / "plan.yaml").write_text(
        "name: needs what cannot be had\n"
        "integrations:\n"
        f"  - contract: {ROOT / 'contracts' / 'customer-master.yaml'}\n"
        "    gates: [simulation]\n"
    )
    reports = tmp_path / "reports"
    result = CliRunner().invoke(
        cli, ["simulate", str(folder), "--report-dir", str(reports)], standalone_mode=False
    )
    assert result.return_value == ExitCode.FINDINGS, result.output
    (uncovered,) = json.loads((reports / "report.json").read_text("utf-8"))["results"]
    assert uncovered["check"] == "integration_is_covered"
    assert uncovered["status"] == "skipped"
    assert "NOT TESTED: the plan needs simulation evidence of customer-master" in result.output


def test_findings_exit_1_and_are_in_the_reports(tmp_path: Path) -> None:
    with services_in_thread(Defect.AUTH_NOT_ENFORCED) as url:
        result = CliRunner().invoke(
            cli, _args(url, tmp_path, "--only", "customer-master"), standalone_mode=False
        )
    assert result.return_value == ExitCode.FINDINGS
    assert "auth_is_enforced" in result.output
    document = json.loads((tmp_path / "report.json").read_text("utf-8"))
    failed = [r for r in document["results"] if r["status"] == "failed"]
    assert {r["check"] for r in failed} == {"auth_is_enforced"}
    junit = ET.parse(tmp_path / "junit.xml").getroot()
    assert int(junit.get("failures", "0")) == len({r["case"] for r in failed})
    assert "demo-token" not in (tmp_path / "report.md").read_text("utf-8")


@pytest.mark.parametrize(
    "extra",
    [
        ("--target", "nosuch=http://127.0.0.1:1"),
        ("--only", "nosuch"),
        ("--target", "no-equals-sign"),
    ],
)
def test_invalid_input_is_exit_2(tmp_path: Path, extra: tuple[str, ...]) -> None:
    args = [
        "probe",
        str(ROOT / "contracts"),
        "--report-dir",
        str(tmp_path),
        *extra,
    ]
    result = CliRunner().invoke(cli, args, standalone_mode=False)
    assert isinstance(result.exception, UsageError)
    assert result.exception.exit_code == ExitCode.INVALID_INPUT
    assert main(args) == ExitCode.INVALID_INPUT
    assert not (tmp_path / "report.json").exists()


async def test_ctrl_c_writes_a_partial_report(tmp_path: Path) -> None:
    """A real process, interrupted while an endpoint hangs: exit 130, report marked incomplete."""
    async with HostileServer("hang") as server:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "intcheck",
            "probe",
            str(ROOT / "contracts"),
            "--target",
            f"customer-master={server.url}",
            "--only",
            "customer-master",
            "--report-dir",
            str(tmp_path),
            "--timeout",
            "30",
            stderr=asyncio.subprocess.PIPE,
            cwd=tmp_path,
        )
        assert process.stderr is not None
        line = await asyncio.wait_for(process.stderr.readline(), 20)
        assert b"probing" in line
        await asyncio.sleep(0.5)
        process.send_signal(signal.SIGINT)
        code = await asyncio.wait_for(process.wait(), 20)
    assert code == ExitCode.INTERRUPTED
    document = json.loads((tmp_path / "report.json").read_text("utf-8"))
    assert document["complete"] is False
    assert validation_errors(document) == []
