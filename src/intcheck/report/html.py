"""A self-contained HTML report: inline CSS, no scripts, no external assets.

Everything that came from a plan or an endpoint is escaped with ``html.escape``; the page
works offline and can be attached to a ticket as one file.
"""

from __future__ import annotations

from collections import defaultdict
from html import escape
from typing import TYPE_CHECKING

from intcheck.model import Status

if TYPE_CHECKING:
    from intcheck.model import Report, Result

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1d1d1f;max-width:80rem}
h1{font-size:1.4rem}h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border:1px solid #d0d0d5;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f6}.passed{color:#13795b}.failed{color:#b42318}.errored{color:#8e24aa}
.skipped{color:#667085}.banner{background:#fff4e5;border:1px solid #f5a524;padding:.5rem 1rem}
pre{background:#f6f8fa;padding:.5rem;overflow-x:auto;white-space:pre-wrap;word-break:break-all}
details{margin:.3rem 0}code{font-size:.92em}
"""


def render_html(report: Report) -> str:
    """``report`` as one HTML page."""
    title = f"intcheck {report.kind}: {report.plan_name}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        # No external fetches, no scripts: safe to open from a ticket attachment.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'\">",
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
    ]
    if not report.complete:
        parts.append('<p class="banner"><strong>Incomplete:</strong> the run was interrupted.</p>')
    counts = " · ".join(
        f'<span class="{s.value}">{report.count(s)} {s.value}</span>' for s in Status
    )
    parts.append(
        f"<p>{counts}<br>Started {escape(report.started_at)}, "
        f"finished {escape(report.finished_at)}</p>"
    )
    by_integration: dict[str, dict[str, list[Result]]] = defaultdict(lambda: defaultdict(list))
    for result in report.results:
        by_integration[result.integration][result.case].append(result)
    for integration in sorted(by_integration):
        cases = by_integration[integration]
        parts.append(f"<h2>{escape(integration)}</h2>")
        parts.append("<table><tr><th>case</th><th>verdict</th><th>checks</th></tr>")
        for case_id, results in cases.items():
            verdict = _verdict(results)
            parts.append(
                f'<tr><td><code>{escape(case_id)}</code></td><td class="{verdict.value}">'
                f"{verdict.value}</td><td>{_checks(results)}</td></tr>"
            )
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _verdict(results: list[Result]) -> Status:
    statuses = {r.status for r in results}
    for status in (Status.ERRORED, Status.FAILED, Status.PASSED):
        if status in statuses:
            return status
    return Status.SKIPPED


def _checks(results: list[Result]) -> str:
    items = []
    for result in results:
        label = f'<span class="{result.status.value}">{escape(result.check)}</span>'
        if result.status not in (Status.FAILED, Status.ERRORED):
            items.append(label)
            continue
        body = [f"<p>{escape(result.message)}</p>"]
        if result.source is not None:
            body.append(f"<p>expectation: <code>{escape(str(result.source))}</code></p>")
        evidence = result.evidence
        if evidence is not None:
            status = evidence.status if evidence.status is not None else "no answer"
            body.append(
                f"<p>actual: {escape(str(status))} after {escape(str(evidence.elapsed_ms))} ms</p>"
            )
            if evidence.schema_error:
                body.append(f"<pre>{escape(repr(dict(evidence.schema_error)))}</pre>")
            if evidence.body:
                body.append(f"<pre>{escape(evidence.body[:2000])}</pre>")
            if evidence.curl:
                body.append(f"<pre>{escape(evidence.curl)}</pre>")
        items.append(f"<details><summary>{label}</summary>{''.join(body)}</details>")
    return " ".join(items)
