"""``intcheck demo`` end to end on the bundled plan: a verdict a newcomer can read, and a NO-GO
when the mocks are broken. Each run is bounded (a short load) and writes below tmp_path."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow


def _demo(tmp_path: Path, *extra: str) -> tuple[int, str, Path]:
    """The demo in a real process, from a copy of the repository's plan, scenarios and load."""
    for folder in ("contracts", "mocks", "scenarios", "load"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    done = subprocess.run(
        [sys.executable, "-m", "intcheck", "--no-color", "demo", "--load-seconds", "8", *extra],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    return done.returncode, done.stderr, tmp_path / "demo-reports"


def test_the_demo_runs_every_verb_and_gives_a_verdict(tmp_path: Path) -> None:
    code, stderr, out = _demo(tmp_path)
    assert "Traceback" not in stderr
    for phase in ("probe", "simulate", "scenarios", "load"):
        document = json.loads((out / phase / "report.json").read_text("utf-8"))
        assert document["results"], f"{phase} judged something"
    readiness = json.loads((out / "readiness" / "readiness.json").read_text("utf-8"))
    assert readiness["verdict"] in ("GO", "GO WITH RISKS"), stderr
    assert code == 0
    # every integration was tested by what the plan asks of it: none NOT TESTED
    assert "NOT TESTED" not in stderr
    assert f"verdict: {readiness['verdict']} (exit 0)" in stderr
    assert (out / "readiness" / "readiness.html").stat().st_size > 10_000
    # beside reports/, never in it: `readiness --reports reports/` weighs the user's own runs
    assert not (tmp_path / "reports").exists()


def test_the_broken_demo_ends_in_no_go(tmp_path: Path) -> None:
    code, stderr, out = _demo(tmp_path, "--break")
    readiness = json.loads((out / "readiness" / "readiness.json").read_text("utf-8"))
    assert readiness["verdict"] == "NO-GO"
    assert code == 1
    assert "--break: faults switched on" in stderr
    assert "customer-master (critical) is NO-GO" in stderr
    scenarios = json.loads((out / "scenarios" / "report.json").read_text("utf-8"))
    told = {s["name"]: s["verdict"] for s in scenarios["environment"]["scenarios"]}
    assert told["known-customer-calls"] == "failed", "the slow screen pop fails the call story"
