"""The report for people, in Markdown: a ticket, a pull request or a chat message.

Counts first (cases by their worst check, then checks), then one line per outage (a target
that did not answer is said once, not once per check), one table row per integration, then
each finding with what was expected, what came back and a curl line to rerun it. Text from the
endpoint is escaped so a hostile body cannot break the table or inject links.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from intcheck.model import Status
from intcheck.report.summary import no_answer, summarize

if TYPE_CHECKING:
    from intcheck.model import Report, Result
    from intcheck.report.summary import Counts

_ICON = {Status.PASSED: "✅", Status.FAILED: "❌", Status.ERRORED: "⚠️", Status.SKIPPED: "⏭️"}
MAX_FINDINGS = 200


def counts_line(counts: Counts, noun: str) -> str:
    """``**12 cases**: ✅ 8 passed · ❌ 2 failed · …``, the same words in every rendering."""
    plural = noun if counts.total == 1 else noun + "s"
    figures = " · ".join(f"{_ICON[s]} {counts.get(s)} {s.value}" for s in Status)
    return f"**{counts.total} {plural}**: {figures}"


def render_markdown(report: Report) -> str:
    """``report`` as a Markdown document."""
    summary = summarize(report)
    lines = [f"# intcheck {report.kind}: {_cell(report.plan_name)}", ""]
    if not report.complete:
        lines += ["> **Incomplete**: the run was interrupted; these are the results so far.", ""]
    lines += [
        counts_line(summary.cases, "case") + "  ",
        counts_line(summary.results, "result") + "  ",
        f"Started {report.started_at}, finished {report.finished_at}.",
        "",
    ]
    if summary.outages:
        lines += ["## Not evaluated", ""]
        lines += [f"- {_ICON[Status.ERRORED]} {_cell(o.line())}" for o in summary.outages]
        lines.append("")
    lines += [
        "| integration | cases | passed | failed | errored | skipped | results |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, (cases, results) in summary.integrations.items():
        row = [str(cases.get(s)) for s in Status]
        lines.append(
            f"| {_cell(name)} | {cases.total} | " + " | ".join(row) + f" | {results.total} |"
        )
    # Checks that got no answer are told by their outage line above, not one by one.
    findings = [
        r
        for r in report.results
        if r.status in (Status.FAILED, Status.ERRORED) and not no_answer(r)
    ]
    if findings:
        lines += ["", "## Findings", ""]
        for result in findings[:MAX_FINDINGS]:
            lines += _finding(result)
        if len(findings) > MAX_FINDINGS:
            lines.append(f"_…and {len(findings) - MAX_FINDINGS} more in report.json._")
    return "\n".join(lines).rstrip() + "\n"


def _finding(result: Result) -> list[str]:
    out = [
        f"### {_ICON[result.status]} `{_code(result.case)}`",
        "",
        f"- **{result.status.value.upper()}** `{_code(result.check)}` "
        f"({result.severity.value}): {_cell(result.message)}",
    ]
    if result.source is not None:
        out.append(f"- expectation: `{_code(str(result.source))}`")
    evidence = result.evidence
    if evidence is not None:
        status = evidence.status if evidence.status is not None else "no answer"
        out.append(f"- actual: {status} after {evidence.elapsed_ms} ms")
        if evidence.schema_error:
            error = evidence.schema_error
            out.append(
                f"- schema: `{_code(error.get('instance_pointer', ''))}` breaks "
                f"`{_code(error.get('schema_location', ''))}`"
            )
        if evidence.curl:
            out += ["", "```sh", evidence.curl.replace("```", "` ` `"), "```"]
    out.append("")
    return out


def _cell(text: str) -> str:
    """Text safe inside a table cell or a paragraph: no pipes, newlines, HTML or links."""
    text = " ".join(text.split())
    for char in "\\|<>[]*_`":
        text = text.replace(char, "\\" + char)
    return text[:300]


def _code(text: str) -> str:
    return " ".join(text.replace("`", "'").split())[:300]
