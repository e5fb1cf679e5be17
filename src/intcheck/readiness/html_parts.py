"""Pieces of the readiness HTML page: style, pills, an issue with its evidence, tables.

The style is written for the screen and for print alike: colours are kept when printing,
rows and figures do not split across pages, and a heading stays with what follows it.
"""

from __future__ import annotations

import base64
import json
import os
from html import escape
from typing import TYPE_CHECKING

from intcheck.model import display_path

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from pathlib import Path

    from intcheck.model import ManualItem
    from intcheck.readiness.changes import Changes, IssueRef
    from intcheck.readiness.findings import Issue
    from intcheck.readiness.gates import Screenshot
    from intcheck.readiness.verdict import WaiverUse

MAX_EMBEDDED_BYTES = 3 * 1024 * 1024  # bigger screenshots are linked, not embedded
MAX_BODY_CHARS = 1500
MAX_CASES_SHOWN = 6
_PNG = b"\x89PNG\r\n\x1a\n"

CSS = """
*{box-sizing:border-box}
html{-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;padding:1.5rem;
color:#1d1d1f;max-width:72rem}
h1{font-size:1.45rem;margin:.1rem 0 .3rem}h2{font-size:1.2rem;margin:1.8rem 0 .6rem;
border-bottom:2px solid #e4e4ea;padding-bottom:.2rem}h3{font-size:1rem;margin:1.2rem 0 .4rem}
h2,h3{break-after:avoid;page-break-after:avoid}
a{color:#1f4fbf}code{font:12.5px/1.4 ui-monospace,"SFMono-Regular",Menlo,monospace}
table{border-collapse:collapse;width:100%;margin:.4rem 0}
th,td{border:1px solid #d0d0d5;padding:.3rem .45rem;text-align:left;vertical-align:top}
th{background:#f1f1f5;font-weight:600}th.num{text-align:right}thead{display:table-header-group}
tr,li.issue,figure,.load-run{break-inside:avoid;page-break-inside:avoid}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.sub{color:#5b5b66;font-size:.85em}.meta{color:#3a3a44;margin:.2rem 0 .6rem}
.verdict{display:flex;gap:1.2rem;align-items:center;border-radius:10px;padding:1rem 1.3rem;
border:2px solid}
.verdict .label{font-size:1.9rem;font-weight:800;letter-spacing:.02em;white-space:nowrap}
.verdict p{margin:0;color:#3a3a44}
.verdict.go{background:#e7f6ee;border-color:#13795b}.verdict.go .label{color:#0d5c45}
.verdict.risk{background:#fff4e0;border-color:#c77700}.verdict.risk .label{color:#8a4d00}
.verdict.nogo{background:#fdeceb;border-color:#b42318}.verdict.nogo .label{color:#8f1b13}
td.go{background:#e7f6ee;color:#0d5c45}td.risk{background:#fff4e0;color:#7a4300}
td.nogo{background:#fdeceb;color:#8f1b13}td.untested{background:repeating-linear-gradient(
135deg,#fdeceb,#fdeceb 6px,#f8d7d4 6px,#f8d7d4 12px);color:#8f1b13;font-weight:700}
td.none{color:#9a9aa5;text-align:center}td a{color:inherit}
.matrix td:first-child{white-space:nowrap}.matrix td:nth-child(2){min-width:7rem}
td.date,.waivers td:nth-child(4),.manual td:nth-child(5){white-space:nowrap}
.head,.keep{break-inside:avoid;page-break-inside:avoid}
.charts{display:flex;flex-wrap:wrap;gap:0 1.5rem}
.charts figure{flex:0 1 calc(50% - .75rem);min-width:16rem}
.crit-critical{font-weight:700;color:#8f1b13}.crit-high{font-weight:600;color:#8a4d00}
.pill{display:inline-block;border-radius:999px;padding:.05rem .55rem;font-size:.78rem;
font-weight:700;vertical-align:middle;border:1px solid;white-space:nowrap}
.pill.go{background:#e7f6ee;color:#0d5c45}.pill.risk{background:#fff4e0;color:#7a4300}
.pill.nogo,.pill.blocking{background:#fdeceb;color:#8f1b13}.pill.waived{background:#eef1fb;
color:#243a8f}.pill.note{background:#f1f1f5;color:#4a4a55}.pill.untested{background:#fdeceb;
color:#8f1b13}
ul.reasons li{margin:.2rem 0}ol.issues{padding-left:1.4rem}
li.issue{margin:.5rem 0 .9rem;padding:.45rem .6rem;border-left:4px solid #d0d0d5;
background:#fafafc}
li.issue.blocking{border-left-color:#b42318}li.issue.risk{border-left-color:#c77700}
li.issue.waived{border-left-color:#3b5bdb}
.why{margin:.25rem 0;color:#3a3a44}
dl.evidence{display:grid;grid-template-columns:9rem 1fr;gap:.15rem .6rem;margin:.35rem 0}
dl.evidence dt{color:#5b5b66}dl.evidence dd{margin:0;overflow-wrap:anywhere}
pre{background:#f3f4f7;border:1px solid #e2e3e8;padding:.4rem .5rem;margin:.2rem 0;
white-space:pre-wrap;overflow-wrap:anywhere;font-size:12px;max-height:24rem;overflow:auto}
figure{margin:.6rem 0}figure.chart-box svg{width:100%;max-width:44rem;height:auto;display:block}
.shots{display:flex;flex-wrap:wrap;gap:.8rem}.shots figure{width:min(100%,22rem)}
.shots img,li.issue img{max-width:100%;border:1px solid #d0d0d5}
figcaption{font-size:.85em;color:#4a4a55}
.legend{font-size:.85em;color:#5b5b66}footer{margin-top:2rem;color:#7a7a85;font-size:.85em}
@page{size:A4;margin:14mm 12mm}
@media print{body{font-size:10pt;padding:0;max-width:none}
.verdict{break-inside:avoid}
pre{max-height:none;overflow:visible}a{text-decoration:none}
.matrix{font-size:.9em}.matrix th,.matrix td{padding:.25rem .35rem}}
"""

_CLASSES = {
    "GO": "go",
    "GO WITH RISKS": "risk",
    "NO-GO": "nogo",
    "met": "go",
    "met with risks": "risk",
    "not met": "nogo",
    "not tested": "untested",
    "not required": "none",
}


def cell_class(value: str) -> str:
    """The CSS class of a verdict or gate status."""
    return _CLASSES.get(value, "none")


def pill(text: str, css: str = "") -> str:
    return f'<span class="pill {css or cell_class(text)}">{escape(text)}</span>'


def issue_item(issue: Issue, anchor: str, shots: Mapping[str, str], *, full: bool = True) -> str:
    """One issue: what, why it weighs so, and (``full``) the evidence of its first case.

    ``shots`` maps a screenshot's path, as its report wrote it, to the anchor of its figure.
    """
    css = issue.disposition.value
    head = (
        f'<li class="issue {css}" id="{escape(anchor)}"><div>{pill(css, css)} '
        f"<strong>{escape(issue.title)}</strong> "
        f'<span class="sub">[{escape(issue.gate)}]</span></div>'
    )
    if not full:
        return head + "</li>"
    parts = [head]
    if issue.detail:
        parts.append(f'<p class="why">{escape(issue.detail)}</p>')
    facts: list[tuple[str, str]] = []
    if issue.operation:
        facts.append(("operation", f"<code>{escape(issue.operation)}</code>"))
    elif len(issue.operations) > 1:
        names = ", ".join(f"<code>{escape(o)}</code>" for o in issue.operations[:MAX_CASES_SHOWN])
        more = len(issue.operations) - MAX_CASES_SHOWN
        facts.append(("operations", names + (f" and {more} more" if more > 0 else "")))
    if issue.check:
        severity = f" ({escape(issue.severity.value)})" if issue.severity else ""
        facts.append(("check", f"<code>{escape(issue.check)}</code>{severity}"))
    if issue.cases:
        shown = ", ".join(f"<code>{escape(c)}</code>" for c in issue.cases[:MAX_CASES_SHOWN])
        more = len(issue.cases) - MAX_CASES_SHOWN
        facts.append(("cases", shown + (f" and {more} more" if more > 0 else "")))
    if issue.source is not None:
        label = "expectation" if issue.status is not None else "written at"
        facts.append((label, f"<code>{escape(str(issue.source))}</code>"))
    if issue.waiver is not None and issue.waiver.source is not None:
        facts.append(("waiver", f"<code>{escape(str(issue.waiver.source))}</code>"))
    evidence = issue.evidence
    if evidence is not None:
        request = evidence.request
        if request.get("url"):
            line = f"{request.get('method', '')} {request['url']}".strip()
            facts.append(("request", f"<code>{escape(line)}</code>"))
        answer = "no answer" if evidence.status is None else f"status {evidence.status}"
        if evidence.elapsed_ms is not None:
            answer += f" after {evidence.elapsed_ms:.0f} ms"
        facts.append(("actual", escape(answer)))
        if evidence.schema_error:
            error = evidence.schema_error
            facts.append(
                (
                    "schema",
                    f"<code>{escape(error.get('instance_pointer', ''))}</code> breaks "
                    f"<code>{escape(error.get('schema_location', ''))}</code>: "
                    f"{escape(error.get('message', ''))}",
                )
            )
    for attachment in evidence.attachments if evidence is not None else ():
        target = shots.get(attachment.path)
        name = escape(attachment.title or attachment.path)
        facts.append(
            (attachment.kind, f'<a href="#{escape(target)}">{name}</a>' if target else name)
        )
    if issue.report is not None:
        facts.append(("report", f"<code>{escape(display_path(issue.report))}</code>"))
    if facts:
        parts.append('<dl class="evidence">')
        parts += [f"<dt>{escape(k)}</dt><dd>{v}</dd>" for k, v in facts]
        parts.append("</dl>")
    if evidence is not None and evidence.body:
        body = evidence.body[:MAX_BODY_CHARS]
        cut = " (cut)" if len(evidence.body) > MAX_BODY_CHARS else ""
        parts.append(f'<div class="sub">body{cut}</div><pre>{escape(body)}</pre>')
    if evidence is not None and evidence.details:
        told = json.dumps(evidence.details, indent=1, ensure_ascii=False, default=str)
        parts.append(f'<div class="sub">observed</div><pre>{escape(told[:MAX_BODY_CHARS])}</pre>')
    if evidence is not None and evidence.curl:
        parts.append(f'<div class="sub">rerun</div><pre>{escape(evidence.curl)}</pre>')
    parts.append("</li>")
    return "".join(parts)


def screenshot_figure(shot: Screenshot, anchor: str, out_dir: Path) -> str:
    """A screenshot embedded as data (or linked when large), with its case as caption."""
    caption = f"<figcaption>{escape(shot.title)} ({escape(shot.status.value)})</figcaption>"
    if shot.file is None:
        return (
            f"<figure><p>Screenshot <code>{escape(shot.written)}</code> is missing or lies "
            f"outside its report's folder.</p>{caption}</figure>"
        )
    try:
        data = shot.file.read_bytes()
    except OSError as exc:
        return f"<figure><p>{escape(shot.written)}: {escape(exc.strerror or str(exc))}</p></figure>"
    if not data.startswith(_PNG):
        return f"<figure><p>{escape(shot.written)} is not a PNG image.</p>{caption}</figure>"
    if len(data) <= MAX_EMBEDDED_BYTES:
        source = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
    else:
        source = os.path.relpath(shot.file, out_dir)
    return (
        f'<figure id="{escape(anchor)}"><img src="{escape(source)}" alt="{escape(shot.title)}">'
        f"{caption}</figure>"
    )


def manual_table(items: Iterable[ManualItem]) -> str:
    rows = []
    for item in items:
        state = item.status.value.replace("_", " ")
        css = "go" if state == "done" else ("nogo" if item.blocking else "risk")
        due = item.due.isoformat() if item.due else ""
        where = f'<div class="sub">{escape(str(item.source))}</div>' if item.source else ""
        rows.append(
            f"<tr><td>{escape(item.item)}{where}</td><td>{escape(item.owner or '—')}</td>"
            f'<td class="{css}">{escape(state)}</td>'
            f"<td>{'blocking' if item.blocking else 'not blocking'}</td><td>{escape(due)}</td>"
            f"<td>{escape(item.note)}</td></tr>"
        )
    return (
        '<table class="manual"><thead><tr><th>item</th><th>owner</th><th>status</th>'
        "<th>weight</th><th>due</th><th>note</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )


def waiver_table(uses: Iterable[WaiverUse]) -> str:
    rows = []
    for use in uses:
        w = use.waiver
        names = " ".join(
            f"{k} <code>{escape(v)}</code>"
            for k, v in (("operation", w.operation), ("case", w.case), ("check", w.check))
            if v
        )
        css = "risk" if use.state == "active" else "nogo"
        matched = f"{use.matched} finding{'s' * (use.matched != 1)}"
        rows.append(
            f"<tr><td>{names}</td><td>{escape(w.reason)}</td><td>{escape(w.accepted_by)}</td>"
            f'<td>{w.until.isoformat()}</td><td class="{css}">{escape(use.state)}</td>'
            f"<td>{matched}</td></tr>"
        )
    return (
        '<table class="waivers"><thead><tr><th>finding</th><th>why accepted</th>'
        "<th>accepted by</th><th>until</th><th>state</th><th>matches</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )


def changes_section(changes: Changes) -> str:
    moved = "".join(
        f"<li>{escape(v.name)}: {pill(v.before)} → {pill(v.after)}</li>" for v in changes.verdicts
    )
    parts = [
        '<section id="changes"><h2>Since the previous readiness run</h2>',
        f"<p>Compared with <code>{escape(display_path(changes.previous))}</code> of "
        f"{escape(changes.previous_generated_at)} (then {pill(changes.previous_verdict)}).</p>",
        f"<ul>{moved}</ul>" if moved else "<p>No verdict changed.</p>",
    ]
    for title, refs in (
        ("Fixed", changes.fixed),
        ("New", changes.new),
        ("Still open", changes.still_open),
    ):
        parts.append(f"<h3>{title} ({len(refs)})</h3>")
        if refs:
            parts.append("<ul>" + "".join(_ref(r) for r in refs) + "</ul>")
    parts.append("</section>")
    return "\n".join(parts)


def _ref(ref: IssueRef) -> str:
    return (
        f"<li>{pill(ref.disposition, ref.disposition)} <strong>{escape(ref.scope)}</strong>: "
        f"{escape(ref.title)}</li>"
    )
