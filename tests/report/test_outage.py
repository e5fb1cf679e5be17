"""An unreachable target is said once, at the top, not once per check.

Probing the example plan against a port where nothing listens gave one ERRORED result per
check (hundreds) and a Markdown report of 1,500 lines. Now each integration that got no answer
is one line ("order-service: target unreachable: …"), in the console, Markdown and HTML.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import socket
import sys
from pathlib import Path

import pytest
from rich.console import Console

from intcheck.console import Output
from intcheck.errors import ExitCode
from intcheck.model import Report, Result, Severity, Status
from intcheck.report.markdown import render_markdown
from intcheck.report.summary import summarize

ROOT = Path(__file__).resolve().parents[2]
MARKDOWN_LINES = 40  # counts, two outage lines, a table: far below one line per check


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again when the block ends


@pytest.mark.slow
async def test_unreachable_target_is_one_line_at_the_top(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "intcheck",
        "probe",
        str(ROOT / "contracts"),
        "--target",
        f"customer-master={url}/customer-master",
        "--target",
        f"order-service={url}/order-service",
        "--only",
        "customer-master",
        "--only",
        "order-service",
        "--report-dir",
        str(tmp_path),
        "--timeout",
        "5",
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "NO_COLOR": "1"},
    )
    _, raw = await asyncio.wait_for(process.communicate(), 120)
    stderr = raw.decode("utf-8", "replace")
    assert process.returncode == ExitCode.FINDINGS, stderr
    document = json.loads((tmp_path / "report.json").read_text("utf-8"))
    unreachable = [r for r in document["results"] if r["check"] == "target_is_reachable"]
    assert sorted(r["integration"] for r in unreachable) == ["customer-master", "order-service"]
    assert all(r["status"] == "errored" and "not sent" in r["message"] for r in unreachable)

    markdown = (tmp_path / "report.md").read_text("utf-8").splitlines()
    assert len(markdown) <= MARKDOWN_LINES, "\n".join(markdown)
    for name in ("customer-master", "order-service"):
        said = [line for line in markdown if f"{name}: target unreachable:" in line]
        assert len(said) == 1, markdown
        assert "not evaluated" in said[0]
        assert markdown.index(said[0]) < markdown.index(
            next(m for m in markdown if "| ---" in m or "|---" in m)
        )
        # once in the console's live lines, once in its summary
        assert stderr.count(f"{name}: target unreachable:") == 1, stderr
        assert sum(f"ERRORED  {name}:" in line for line in stderr.splitlines()) == 1, stderr
    assert "## Findings" not in markdown  # nothing else went wrong

    page = (tmp_path / "report.html").read_text("utf-8")
    assert page.count("target unreachable:") == 2
    assert page.count("<tr>") < 12, "no row per unreachable case"


def test_one_reachability_result_per_contract_is_said_the_same_way() -> None:
    """The runner may report an unreachable target as one result, the rest skipped."""
    results = [
        Result(
            integration="order-service",
            operation="order-service:*",
            case="order-service:*#reachable",
            check="target_is_reachable",
            status=Status.ERRORED,
            severity=Severity.CRITICAL,
            message="connection failed: [Errno 111] Connect call failed ('127.0.0.1', 9)",
        )
    ]
    results += [
        Result(
            integration="order-service",
            operation=f"order-service:Op{n}",
            case=f"order-service:Op{n}#valid",
            check="target_is_reachable",
            status=Status.SKIPPED,
            message="not sent: the target is unreachable",
        )
        for n in range(150)
    ]
    report = Report(
        kind="probe",
        plan_name="p",
        plan_path="p",
        started_at="2026-11-22T10:00:00Z",
        finished_at="2026-11-22T10:00:01Z",
        results=tuple(results),
    )
    (outage,) = summarize(report).outages
    assert outage.every_case
    assert outage.line().startswith("order-service: target unreachable: connection failed")
    markdown = render_markdown(report).splitlines()
    assert len(markdown) <= MARKDOWN_LINES
    assert sum("target unreachable" in line for line in markdown) == 1
    output = Output(color=False)
    output.err = Console(file=io.StringIO(), no_color=True, width=200)
    from intcheck.report.writers import Written

    output.report_summary(report, Written(paths=()))
    said = output.err.file.getvalue()  # type: ignore[attr-defined]
    assert said.splitlines()[0] == outage.line()
    assert "151 cases: 0 passed, 0 failed, 1 errored, 150 skipped" in said
