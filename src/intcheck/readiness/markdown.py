"""The go/no-go as a Markdown checklist, to paste into a ticket or a chat.

Verdict and reasons first, the matrix of integrations by gate, then every blocker and risk as
a task-list line with its owner, the waivers, the manual checklist and what changed since the
previous run. Text from plans and reports is escaped so it cannot break a table or add links.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from intcheck import __version__
from intcheck.model import ManualStatus, display_path
from intcheck.readiness.findings import Disposition
from intcheck.readiness.gates import GateStatus

if TYPE_CHECKING:
    from intcheck.model import ManualItem
    from intcheck.readiness.changes import Changes
    from intcheck.readiness.findings import Issue
    from intcheck.readiness.verdict import IntegrationVerdict, Readiness

_ICON = {
    "GO": "✅",
    "GO WITH RISKS": "⚠️",
    "NO-GO": "❌",
    GateStatus.MET: "✅ met",
    GateStatus.RISK: "⚠️ risks",
    GateStatus.NOT_MET: "❌ not met",
    GateStatus.NOT_TESTED: "🚫 NOT TESTED",
    GateStatus.NOT_REQUIRED: "—",
}
MAX_LINES = 60  # per list: a checklist is read in a meeting, report.json keeps the rest


def render_markdown(readiness: Readiness) -> str:
    """``readiness`` as a Markdown document."""
    verdict = readiness.verdict.value
    lines = [
        f"# {_ICON[verdict]} {verdict}: {_cell(readiness.plan_name)}",
        "",
        f"Go/no-go generated {readiness.generated_at} by intcheck {__version__} from "
        f"{len(readiness.reports)} report(s); exit code {int(readiness.exit_code)}.",
        "",
    ]
    lines += [f"- {_cell(reason)}" for reason in readiness.reasons[:MAX_LINES]]
    if readiness.verdict.value == "NO-GO" and readiness.risks:
        lines += ["", "Risks besides:", ""]
        lines += [f"- {_cell(risk)}" for risk in readiness.risks[:MAX_LINES]]
    gates = readiness.gate_names
    lines += [
        "",
        "| integration | owner | criticality | verdict | " + " | ".join(gates) + " |",
        "|---|---|---|---|" + "---|" * len(gates),
    ]
    for v in readiness.integrations:
        cells = [_gate_cell(v, g) for g in gates]
        lines.append(
            f"| {_cell(v.name)} | {_cell(v.integration.owner or '—')} | "
            f"{v.integration.criticality} | {_ICON[v.verdict.value]} {v.verdict.value} | "
            + " | ".join(cells)
            + " |"
        )
    for title, dispositions in (
        ("Blocking", {Disposition.BLOCKING}),
        ("Risks", {Disposition.RISK}),
        ("Accepted by waiver", {Disposition.WAIVED}),
    ):
        found = [
            (scope, owner, issue)
            for scope, owner, issue in _issues(readiness)
            if issue.disposition in dispositions
        ]
        if not found:
            continue
        lines += ["", f"## {title} ({len(found)})", ""]
        for scope, owner, issue in found[:MAX_LINES]:
            mark = "x" if issue.disposition is Disposition.WAIVED else " "
            who = f" — owner: {_cell(owner)}" if owner else ""
            lines.append(f"- [{mark}] **{_cell(scope)}** · {issue.gate}: {_cell(issue.title)}{who}")
            if issue.detail:
                lines.append(f"  <br>_{_cell(issue.detail)}_")
        if len(found) > MAX_LINES:
            lines.append(f"- …and {len(found) - MAX_LINES} more in readiness.json")
    checklist = [("rollout", item) for item in readiness.rollout_manual] + [
        (v.name, item) for v in readiness.integrations for item in v.integration.manual
    ]
    if checklist:
        lines += ["", "## Manual checklist", ""]
        lines += [_manual_line(scope, item) for scope, item in checklist]
    waivers = [(v.name, use) for v in readiness.integrations for use in v.waivers]
    if waivers:
        lines += [
            "",
            "## Waivers",
            "",
            "| integration | finding | why accepted | accepted by | until | state |",
            "|---|---|---|---|---|---|",
        ]
        for name, use in waivers:
            w = use.waiver
            finding = ", ".join(
                f"{k} `{_code(v)}`"
                for k, v in (("operation", w.operation), ("case", w.case), ("check", w.check))
                if v
            )
            lines.append(
                f"| {_cell(name)} | {finding} | {_cell(w.reason)} | {_cell(w.accepted_by)} | "
                f"{w.until} | {use.state}, {use.matched} match(es) |"
            )
    if readiness.changes is not None:
        lines += _changes(readiness.changes)
    lines += ["", "## Evidence", ""]
    lines += [
        f"- `{_code(display_path(f.path))}` ({f.report.kind}, finished {f.report.finished_at})"
        for f in readiness.reports
    ] or ["- no report was found: nothing was tested"]
    lines += [
        f"- not used: `{_code(display_path(u.path))}`: {_cell(u.reason)}" for u in readiness.unused
    ]
    return "\n".join(lines).rstrip() + "\n"


def _gate_cell(verdict: IntegrationVerdict, gate: str) -> str:
    outcome = verdict.gate(gate)
    if outcome is None:
        return "—"
    text = _ICON[outcome.status]
    if not outcome.required and outcome.status is not GateStatus.NOT_REQUIRED:
        text += " (advisory)"
    return text


def _issues(readiness: Readiness) -> list[tuple[str, str, Issue]]:
    found: list[tuple[str, str, Issue]] = [
        ("rollout", "", issue) for issue in readiness.rollout.issues
    ]
    for v in readiness.integrations:
        found += [(v.name, v.integration.owner, issue) for issue in v.issues]
    return found


def _manual_line(scope: str, item: ManualItem) -> str:
    done = item.status is ManualStatus.DONE
    facts = [item.owner or "no owner named", item.status.value.replace("_", " ")]
    if not done:
        facts.append("blocking" if item.blocking else "not blocking")
    if item.due is not None:
        facts.append(f"due {item.due}")
    told = _cell(", ".join(facts))
    return f"- [{'x' if done else ' '}] **{_cell(scope)}**: {_cell(item.item)} ({told})"


def _changes(changes: Changes) -> list[str]:
    lines = [
        "",
        f"## Since {_cell(display_path(changes.previous))} ({changes.previous_generated_at}, "
        f"then {changes.previous_verdict})",
        "",
    ]
    lines += [f"- {_cell(v.name)}: {v.before} → {v.after}" for v in changes.verdicts]
    for title, refs in (
        ("Fixed", changes.fixed),
        ("New", changes.new),
        ("Still open", changes.still_open),
    ):
        lines += ["", f"**{title}** ({len(refs)})", ""]
        lines += [
            f"- {_cell(r.scope)}: {_cell(r.title)} ({r.disposition})" for r in refs[:MAX_LINES]
        ]
    return lines


def _cell(text: str) -> str:
    """Text safe in a table cell or a list line: no pipes, newlines, HTML or links."""
    text = " ".join(text.split())
    for char in "\\|<>[]*_`":
        text = text.replace(char, "\\" + char)
    return text[:400]


def _code(text: str) -> str:
    return " ".join(text.replace("`", "'").split())[:300]
