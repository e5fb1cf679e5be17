"""Write a report in every format at once, each file atomically."""

from __future__ import annotations

from typing import TYPE_CHECKING

from intcheck.report.document import write_atomic, write_report
from intcheck.report.html import render_html
from intcheck.report.junit import render_junit
from intcheck.report.markdown import render_markdown

if TYPE_CHECKING:
    from pathlib import Path

    from intcheck.model import Report


def write_reports(report: Report, report_dir: Path) -> list[Path]:
    """``report.json``, ``junit.xml``, ``report.md`` and ``report.html`` in ``report_dir``."""
    written = [write_report(report, report_dir / "report.json")]
    for name, render in (
        ("junit.xml", render_junit),
        ("report.md", render_markdown),
        ("report.html", render_html),
    ):
        path = report_dir / name
        write_atomic(path, render(report))
        written.append(path)
    return written
