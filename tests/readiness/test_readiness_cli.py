"""``intcheck readiness``: exit codes, the verdict table on stderr, the files written."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from intcheck.cli import main
from intcheck.contracts import load_plan
from tests.conftest import REPO
from tests.readiness.samples import write_sample_reports

if TYPE_CHECKING:
    from pathlib import Path

    from tests.readiness.conftest import Rollout


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A copy of the example plan with the sample reports of a run made just now."""
    shutil.copytree(REPO / "contracts", tmp_path / "contracts")
    shutil.copytree(REPO / "mocks", tmp_path / "mocks")
    plan = load_plan(tmp_path / "contracts", environ={})
    write_sample_reports(plan, tmp_path / "reports", datetime.now(UTC))
    return tmp_path


def test_no_go_exits_1_with_the_verdict_table(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = example / "out"
    code = main(
        [
            "--no-color",
            "readiness",
            str(example / "contracts"),
            "--reports",
            str(example / "reports" / "probe"),
            "--reports",
            str(example / "reports" / "simulate"),
            "--reports",
            str(example / "reports" / "load" / "report.json"),
            "--out",
            str(out),
        ]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "Example contact-centre rollout: NO-GO" in err
    assert "NOT TESTED" in err
    assert "order-service (high) is NO-GO: conformance: unreachable or unusable" in err
    assert err.rstrip().endswith("verdict: NO-GO (exit 1)")
    assert json.loads((out / "readiness.json").read_text())["verdict"] == "NO-GO"
    assert (out / "readiness.html").is_file()


def test_go_exits_0(rollout: Rollout, capsys: pytest.CaptureFixture[str]) -> None:
    rollout.green()
    # the hand-made reports are dated 2026-05-20; a long --max-age keeps them fresh
    code = main(
        [
            "--no-color",
            "readiness",
            str(rollout.plan_dir),
            "--reports",
            str(rollout.reports),
            "--out",
            str(rollout.root / "out"),
            "--max-age",
            "5200w",
        ]
    )
    assert code == 0
    assert "verdict: GO (exit 0)" in capsys.readouterr().err


def test_previous_run_is_compared(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--no-color", "readiness", str(example / "contracts"), "--reports"]
    args += [str(example / "reports"), "--out", str(example / "out")]
    assert main(args) == 1
    assert main([*args, "--previous", str(example / "out" / "readiness.json")]) == 1
    err = capsys.readouterr().err
    assert "0 fixed, 0 new, 9 still open" in err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--max-age", "7x"], "--max-age '7x': expected a number and a unit"),
        (["--reports", "nowhere"], "--reports nowhere: no such file or folder"),
    ],
)
def test_bad_options_exit_2(
    example: Path, extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--no-color", "readiness", str(example / "contracts"), *extra])
    assert code == 2
    assert message in capsys.readouterr().err


def test_a_broken_report_exits_2_naming_it(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = example / "reports" / "probe" / "report.json"
    broken.write_text("{not json")
    code = main(["--no-color", "readiness", str(example / "contracts"), "--reports"])
    # --reports needs a value: click's own usage error
    assert code == 2
    code = main(
        [
            "--no-color",
            "readiness",
            str(example / "contracts"),
            "--reports",
            str(example / "reports"),
        ]
    )
    assert code == 2
    assert f"{broken}: not a readable intcheck report" in capsys.readouterr().err


def test_schema_readiness_prints_the_shipped_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "readiness"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "intcheck readiness"
