"""The command line: exit codes, stderr, stdout data, and one real console-script run."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
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
