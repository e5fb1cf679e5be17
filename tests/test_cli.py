"""The command line: exit codes, stderr, stdout data, and one real console-script run."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from intcheck.cli import cli, main
from intcheck.errors import ExitCode
from tests.conftest import EXAMPLE_PLAN, REPO


def test_validate_example_plan_prints_a_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--no-color", "validate", str(EXAMPLE_PLAN.parent)]) == ExitCode.OK
    err = capsys.readouterr().err
    for name in ("customer-master", "order-service", "pbx-screen-pop", "erp-order-page"):
        assert name in err


def test_missing_plan_is_invalid_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--no-color", "validate", str(tmp_path)]) == ExitCode.INVALID_INPUT
    assert "folder has no plan.yaml" in capsys.readouterr().err


def test_unknown_option_is_invalid_input() -> None:
    assert main(["validate", "--no-such-option"]) == ExitCode.INVALID_INPUT


def test_schema_report_is_json_on_stdout() -> None:
    result = CliRunner().invoke(cli, ["schema", "report"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["title"] == "intcheck report"


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("intcheck") or str(Path(sys.executable).parent / "intcheck")
    return subprocess.run(
        [exe, "--no-color", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_console_script_runs_in_a_real_process() -> None:
    done = _run(REPO, "validate", "contracts/")
    assert done.returncode == 0, done.stderr
    assert "Example contact-centre rollout" in done.stderr
    done = _run(
        REPO / "tests" / "data" / "contracts" / "invalid" / "misspelt-kind", "validate", "."
    )
    assert done.returncode == 2
    assert done.stderr.startswith("contract.yaml:1:7: kind:")


def test_mock_with_two_workers_serves_until_interrupted() -> None:
    # the verb end to end: endpoints printed, the shared-data caveat said, answers, clean Ctrl-C
    exe = shutil.which("intcheck") or str(Path(sys.executable).parent / "intcheck")
    command = [exe, "--no-color", "mock", "contracts/", "--port", "0", "--workers", "2"]
    with subprocess.Popen(command, cwd=REPO, stderr=subprocess.PIPE, text=True) as proc:
        assert proc.stderr is not None
        try:
            lines: list[str] = []
            deadline = time.monotonic() + 60
            while not any(line.startswith("customer-master ") for line in lines):
                assert time.monotonic() < deadline and proc.poll() is None, "".join(lines)
                lines.append(proc.stderr.readline())
            assert any("each keeps its own copy of the data" in line for line in lines)
            url = next(line.split()[-1] for line in lines if line.startswith("customer-master "))
            request = urllib.request.Request(
                url + "/customers/C000001", headers={"Authorization": "Bearer t"}
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                assert json.loads(response.read())["id"] == "C000001"
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=30) == 0
            assert "mock stopped" in proc.stderr.read()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
