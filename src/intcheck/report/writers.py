"""Write a report in every format at once, each file atomically, each on its own.

This is the one door to the report files: the report is scrubbed here (every string redacted
and made printable) before any format sees it, and one format that fails does not cost the
others: the caller learns which failed and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from intcheck.report import document, html, junit, markdown

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from intcheck.model import Report
    from intcheck.redact import Redactor

REPORT_JSON = "report.json"


@dataclass(frozen=True, slots=True, kw_only=True)
class Written:
    """What ``write_reports`` left behind: the files written and the formats that failed."""

    paths: tuple[Path, ...]
    failures: tuple[tuple[str, BaseException], ...] = ()  # (file name, what it raised)

    @property
    def record_lost(self) -> bool:
        """Whether ``report.json``, the file that records the verdict, is missing."""
        return any(name == REPORT_JSON for name, _ in self.failures)


def _formats() -> tuple[tuple[str, Callable[[Report], str]], ...]:
    # Looked up at call time, so a test can make one renderer fail.
    return (
        (REPORT_JSON, document.render_json),
        ("junit.xml", junit.render_junit),
        ("report.md", markdown.render_markdown),
        ("report.html", html.render_html),
    )


def write_reports(report: Report, report_dir: Path, *, redactor: Redactor) -> Written:
    """``report.json``, ``junit.xml``, ``report.md`` and ``report.html`` in ``report_dir``.

    ``redactor`` holds the plan's secrets; nothing reaches a file without passing it.
    """
    clean = redactor.scrub(report)
    paths: list[Path] = []
    failures: list[tuple[str, BaseException]] = []
    for name, render in _formats():
        path = report_dir / name
        try:
            document.write_atomic(path, render(clean))
        except Exception as exc:  # one broken format must not cost the others
            failures.append((name, exc))
        else:
            paths.append(path)
    return Written(paths=tuple(paths), failures=tuple(failures))
