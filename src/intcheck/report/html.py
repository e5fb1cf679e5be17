"""A self-contained HTML report: inline CSS, no scripts, no external assets.

Everything that came from a plan or an endpoint is escaped with ``html.escape``; the page
works offline and can be attached to a ticket as one file.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from intcheck.model import Status
from intcheck.report.summary import by_case, summarize, told_by_outage

if TYPE_CHECKING:
    from intcheck.model import Report, Result
    from intcheck.report.summary import Counts, Summary

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
    summary = summarize(report)
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
    parts.append(
        f"<p>{_counts(summary.cases, 'case')}<br>{_counts(summary.results, 'result')}<br>"
        f"Started {escape(report.started_at)}, finished {escape(report.finished_at)}</p>"
    )
    for outage in summary.outages:
        parts.append(f'<p class="banner errored">{escape(outage.line())}</p>')
    parts.append(
        "<table><tr><th>integration</th><th>cases</th>"
        + "".join(f"<th>{s.value}</th>" for s in Status)
        + "<th>results</th></tr>"
    )
    for name, (case_counts, check_counts) in summary.integrations.items():
        parts.append(
            f"<tr><td>{escape(name)}</td><td>{case_counts.total}</td>"
            + "".join(f'<td class="{s.value}">{case_counts.get(s)}</td>' for s in Status)
            + f"<td>{check_counts.total}</td></tr>"
        )
    parts.append("</table>")
    by_integration: dict[str, dict[str, list[Result]]] = {}
    for case_id, results in by_case(report.results).items():
        by_integration.setdefault(results[0].integration, {})[case_id] = results
    for integration in sorted(by_integration):
        parts += _integration(integration, by_integration[integration], summary)
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _counts(counts: Counts, noun: str) -> str:
    """``<strong>12 cases</strong>: 8 passed · …``, each figure tagged for its status."""
    plural = noun if counts.total == 1 else noun + "s"
    figures = " · ".join(
        f'<span class="{s.value}" data-{noun}s="{s.value}">{counts.get(s)} {s.value}</span>'
        for s in Status
    )
    return f'<strong data-{noun}s="total">{counts.total} {plural}</strong>: {figures}'


def _integration(name: str, cases: dict[str, list[Result]], summary: Summary) -> list[str]:
    """The case table of one integration; cases an outage line tells are one row together."""
    parts = [f"<h2>{escape(name)}</h2>"]
    parts.append("<table><tr><th>case</th><th>verdict</th><th>checks</th></tr>")
    untold = 0
    for case_id, results in cases.items():
        if told_by_outage(results):
            untold += 1
            continue
        verdict = summary.case_status[case_id]
        parts.append(
            f'<tr><td><code>{escape(case_id)}</code></td><td class="{verdict.value}">'
            f"{verdict.value}</td><td>{_checks(results)}{_attachments(results)}</td></tr>"
        )
    if untold:
        parts.append(
            f'<tr><td>{untold} case{"s" * (untold != 1)}</td><td class="errored">errored</td>'
            "<td>no answer: see the line at the top</td></tr>"
        )
    parts.append("</table>")
    return parts


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


def _attachments(results: list[Result]) -> str:
    """Links to the files a case saved beside the report (a browser's screenshot)."""
    links: dict[str, str] = {}
    for result in results:
        for attachment in result.evidence.attachments if result.evidence is not None else ():
            path = attachment.path
            # only files beside the report: never an absolute path or one that climbs out
            if path.startswith(("/", "\\")) or ".." in path.replace("\\", "/").split("/"):
                continue
            name = escape(attachment.title or path)
            links[path] = f'<a href="{escape(path)}">{escape(attachment.kind)}: {name}</a>'
    return f"<p>{' · '.join(links.values())}</p>" if links else ""
