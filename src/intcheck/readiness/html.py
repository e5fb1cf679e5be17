"""The go/no-go as one self-contained HTML page, for the meeting and for print.

Verdict first, then why, then the matrix of integrations by gate, then one section per
integration with each issue drilled down to its evidence, charts and screenshots. No script,
no external asset: CSS and SVG are inline and screenshots are embedded, so the file opens
offline and prints to PDF as shown. Every text that came from a plan or a report is escaped.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from intcheck import __version__
from intcheck.model import display_path
from intcheck.readiness.charts import (
    buckets_of,
    histogram_svg,
    latency_buckets,
    timeline_svg,
)
from intcheck.readiness.findings import Disposition
from intcheck.readiness.gates import GateStatus
from intcheck.readiness.html_parts import (
    CSS,
    cell_class,
    changes_section,
    issue_item,
    manual_table,
    pill,
    screenshot_figure,
    waiver_table,
)

if TYPE_CHECKING:
    from pathlib import Path

    from intcheck.readiness.verdict import IntegrationVerdict, LoadRun, Readiness

MAX_ISSUES_IN_FULL = 40  # per integration; the rest are listed one line each
MAX_SCREENSHOTS = 8  # per integration


def render_html(readiness: Readiness, out_dir: Path) -> str:
    """``readiness`` as one HTML page; ``out_dir`` is where the page will be written."""
    title = f"Go/no-go: {readiness.plan_name}"
    verdict = readiness.verdict
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        # Nothing is fetched and nothing runs: safe to open from a ticket attachment.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data: 'self'\">",
        f"<title>{escape(title)} — {escape(verdict.value)}</title>",
        f"<style>{CSS}</style></head><body>",
        f'<header class="verdict {cell_class(verdict.value)}">',
        f'<div class="label">{escape(verdict.value)}</div><div>',
        f"<h1>{escape(title)}</h1>",
        f"<p>Generated {escape(_when(readiness.generated_at))} by intcheck "
        f"{escape(__version__)} from "
        f"{len(readiness.reports)} report{'s' * (len(readiness.reports) != 1)}; reports older "
        f"than {escape(_days(readiness))} count as stale. Exit code "
        f"{int(readiness.exit_code)}.</p></div></header>",
    ]
    if readiness.reasons:
        head = "Why NO-GO" if verdict.value == "NO-GO" else "Risks the go-live carries"
        parts.append(f'<section id="why"><h2>{head}</h2><ul class="reasons">')
        parts += [f"<li>{escape(r)}</li>" for r in readiness.reasons]
        parts.append("</ul>")
        if readiness.verdict.value == "NO-GO" and readiness.risks:
            parts.append('<h3>Risks besides</h3><ul class="reasons">')
            parts += [f"<li>{escape(r)}</li>" for r in readiness.risks]
            parts.append("</ul>")
        parts.append("</section>")
    if readiness.changes is not None:
        parts.append(changes_section(readiness.changes))
    parts.append(_matrix(readiness))
    if readiness.rollout_manual:
        parts.append('<section id="rollout"><h2>Rollout checklist</h2>')
        parts.append(manual_table(readiness.rollout_manual))
        parts.append("</section>")
    for index, integration in enumerate(readiness.integrations):
        parts.append(_integration(integration, index, out_dir))
    if readiness.load_runs:
        parts.append('<section id="load"><h2>Load runs</h2>')
        parts += [_load_run(run) for run in readiness.load_runs]
        parts.append("</section>")
    parts.append(_evidence(readiness))
    parts.append(
        f"<footer>intcheck {escape(__version__)} · plan "
        f"<code>{escape(display_path(readiness.plan_path))}</code></footer></body></html>"
    )
    return "\n".join(parts) + "\n"


def _matrix(readiness: Readiness) -> str:
    gates = readiness.gate_names
    head = "".join(f"<th>{escape(g)}</th>" for g in gates)
    rows = []
    for verdict in readiness.integrations:
        integration = verdict.integration
        cells = "".join(_gate_cell(verdict, g) for g in gates)
        rows.append(
            f'<tr><td><a href="#{_anchor(verdict.name)}">{escape(verdict.name)}</a>'
            f'<div class="sub">{escape(integration.contract.kind)}</div></td>'
            f"<td>{escape(integration.owner or '—')}</td>"
            f'<td class="crit-{escape(integration.criticality)}">'
            f"{escape(integration.criticality)}</td>"
            f'<td class="{cell_class(verdict.verdict.value)}"><strong>'
            f"{escape(verdict.verdict.value)}</strong></td>{cells}</tr>"
        )
    if readiness.rollout.status is not GateStatus.NOT_REQUIRED:
        status = readiness.rollout.status
        rows.append(
            '<tr><td><a href="#rollout">rollout checklist</a></td><td>—</td><td>—</td>'
            f'<td class="{cell_class(status.value)}">{escape(readiness.rollout.summary)}</td>'
            + "<td></td>" * len(gates)
            + "</tr>"
        )
    return (
        '<section id="matrix"><h2>Integrations by gate</h2><table class="matrix">'
        f"<thead><tr><th>integration</th><th>owner</th><th>criticality</th><th>verdict</th>"
        f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        '<p class="legend">A gate is <em>not tested</em> when no report covers the integration: '
        "it blocks like a failure. <em>—</em>: not a gate of this integration.</p></section>"
    )


def _gate_cell(verdict: IntegrationVerdict, gate: str) -> str:
    outcome = verdict.gate(gate)
    if outcome is None or outcome.status is GateStatus.NOT_REQUIRED:
        return '<td class="none">—</td>'
    counted = [i for i in outcome.issues if i.disposition is not Disposition.NOTE]
    extra = f'<div class="sub">{len(counted)} issue{"s" * (len(counted) != 1)}</div>'
    advisory = "" if outcome.required else '<div class="sub">advisory</div>'
    return (
        f'<td class="{cell_class(outcome.status.value)}">'
        f'<a href="#{_anchor(verdict.name)}-{escape(gate)}">{escape(outcome.status.value)}</a>'
        f"{extra if counted else ''}{advisory}</td>"
    )


def _integration(verdict: IntegrationVerdict, index: int, out_dir: Path) -> str:
    integration = verdict.integration
    contract = integration.contract
    anchor = _anchor(verdict.name)
    parts = [
        f'<section class="integration" id="{anchor}"><div class="head">',
        f"<h2>{escape(verdict.name)} {pill(verdict.verdict.value)}</h2>",
        f'<p class="meta">{escape(contract.kind)} · owner '
        f"<strong>{escape(integration.owner or 'not named')}</strong> · criticality "
        f"<strong>{escape(integration.criticality)}</strong> · gates "
        f"{escape(', '.join(integration.gates) or 'none')} · fail on "
        f"{escape(integration.thresholds.fail_on.value)} and worse</p>",
        '<table class="gates"><thead><tr><th>gate</th><th>status</th><th>evidence</th>'
        "</tr></thead><tbody>",
    ]
    for outcome in verdict.gates:
        if outcome.status is GateStatus.NOT_REQUIRED:
            continue
        where = (
            f'<div class="sub"><code>{escape(display_path(outcome.report.path))}</code></div>'
            if outcome.report
            else ""
        )
        parts.append(
            f'<tr id="{anchor}-{escape(outcome.gate)}"><td>{escape(outcome.gate)}'
            f"{'' if outcome.required else ' (advisory)'}</td>"
            f'<td class="{cell_class(outcome.status.value)}">{escape(outcome.status.value)}</td>'
            f"<td>{escape(outcome.summary)}{where}</td></tr>"
        )
    parts.append("</tbody></table></div>")
    shots = [s for g in verdict.gates for s in g.screenshots][:MAX_SCREENSHOTS]
    shot_anchors = {s.written: f"{anchor}-shot-{n}" for n, s in enumerate(shots)}
    issues = verdict.issues
    if issues:
        parts.append('<h3>Issues</h3><ol class="issues">')
        for number, issue in enumerate(issues):
            full = number < MAX_ISSUES_IN_FULL
            parts.append(issue_item(issue, f"{anchor}-issue-{number}", shot_anchors, full=full))
        parts.append("</ol>")
    charts = _charts(verdict)
    if charts:
        parts += ['<div class="charts">', *charts, "</div>"]
    parts += _load_operations(verdict)
    if shots:
        parts.append('<div class="keep"><h3>Screenshots</h3><div class="shots">')
        parts += [screenshot_figure(s, shot_anchors[s.written], out_dir) for s in shots]
        parts.append("</div></div>")
    if verdict.waivers:
        parts.append("<h3>Waivers</h3>" + waiver_table(verdict.waivers))
    if integration.manual:
        parts.append("<h3>Manual checklist</h3>" + manual_table(integration.manual))
    parts.append("</section>")
    return "\n".join(parts)


def _charts(verdict: IntegrationVerdict) -> list[str]:
    parts = []
    sla = verdict.integration.contract.sla.p95_ms
    for outcome in verdict.gates:
        if outcome.latencies_ms and outcome.gate != "load":
            title = (
                f"{verdict.name}: {outcome.gate} answers by latency "
                f"({len(outcome.latencies_ms)} cases)"
            )
            parts.append(
                '<figure class="chart-box">'
                + histogram_svg(
                    latency_buckets(outcome.latencies_ms, include_ms=sla),
                    title=title,
                    mark_ms=sla,
                    mark_label=f"SLA p95 {sla:g} ms" if sla is not None else "",
                )
                + "</figure>"
            )
    return parts


_FIGURES_FIRST = ("requests", "failures", "rps", "p50_ms", "p90_ms", "p95_ms", "p99_ms", "max_ms")


def _load_operations(verdict: IntegrationVerdict) -> list[str]:
    operations = {op: figures for g in verdict.gates for op, figures in g.load_operations.items()}
    if not operations:
        return []
    found = {k for figures in operations.values() for k in figures}
    keys = [k for k in _FIGURES_FIRST if k in found] + sorted(found - set(_FIGURES_FIRST))
    head = "".join(f'<th class="num">{escape(k)}</th>' for k in keys)
    rows = "".join(
        f"<tr><td><code>{escape(op.split(':', 1)[-1])}</code></td>"
        + "".join(f'<td class="num">{_figure(figures.get(k))}</td>' for k in keys)
        + "</tr>"
        for op, figures in sorted(operations.items())
    )
    return [
        '<h3>Under load</h3><table class="figures"><thead><tr><th>operation</th>'
        f"{head}</tr></thead><tbody>{rows}</tbody></table>"
    ]


def _load_run(run: LoadRun) -> str:
    s = run.summary
    name = s.scenario or display_path(run.report)
    facts = (
        f"{s.users} users for {s.duration_s:.0f} s: {s.requests} requests, {s.failures} failed, "
        f"{s.rps:.1f} req/s; p50 {s.p50_ms:.0f} ms, p95 {s.p95_ms:.0f} ms, p99 {s.p99_ms:.0f} ms"
    )
    parts = [f'<div class="load-run"><h3>{escape(name)}</h3><p>{escape(facts)}</p>']
    if s.series:
        parts.append(
            '<figure class="chart-box">'
            + timeline_svg(s.series, title=f"{name}: load over time")
            + "</figure>"
        )
    if s.histogram:
        parts.append(
            '<div class="charts"><figure class="chart-box">'
            + histogram_svg(buckets_of(s.histogram), title=f"{name}: latency of every request")
            + "</figure></div>"
        )
    if not s.series and not s.histogram:
        parts.append('<p class="sub">The report carries no series or histogram to chart.</p>')
    parts.append("</div>")
    return "".join(parts)


def _evidence(readiness: Readiness) -> str:
    rows = "".join(
        f"<tr><td><code>{escape(display_path(f.path))}</code></td><td>{escape(f.report.kind)}</td>"
        f"<td>{escape(f.report.finished_at)}</td>"
        f"<td>{'complete' if f.report.complete else 'INTERRUPTED'}</td></tr>"
        for f in readiness.reports
    )
    parts = [
        '<section id="evidence"><h2>Evidence weighed</h2>',
        '<table class="reports"><thead><tr><th>report</th><th>kind</th><th>finished</th>'
        f"<th>run</th></tr></thead><tbody>{rows}</tbody></table>",
    ]
    if not readiness.reports:
        parts.append("<p><strong>No report was found:</strong> nothing was tested.</p>")
    if readiness.unused:
        parts.append("<h3>Reports not used</h3><ul>")
        parts += [
            f"<li><code>{escape(display_path(u.path))}</code>: {escape(u.reason)}</li>"
            for u in readiness.unused
        ]
        parts.append("</ul>")
    if readiness.unknown:
        names = ", ".join(readiness.unknown)
        parts.append(f"<p>Reports name integrations the plan does not have: {escape(names)}.</p>")
    parts.append("</section>")
    return "\n".join(parts)


def _when(stamp: str) -> str:
    """``2026-05-20T09:00:00Z`` as ``2026-05-20 09:00 UTC``."""
    return stamp[:16].replace("T", " ") + " UTC" if stamp.endswith("Z") else stamp


def _anchor(name: str) -> str:
    return "int-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in name)


def _days(readiness: Readiness) -> str:
    seconds = readiness.max_age.total_seconds()
    if seconds % 86400 == 0:
        days = int(seconds // 86400)
        return f"{days} day{'s' * (days != 1)}"
    return f"{seconds / 3600:g} h"


def _figure(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:,.0f}" if value >= 100 else f"{value:g}"
