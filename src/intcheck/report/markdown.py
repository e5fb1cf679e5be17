"""The report for people, in Markdown: a ticket, a pull request or a chat message.

Counts first, then one table per integration, then each finding with what was expected, what
came back and a curl line to rerun it. Text from the endpoint is escaped so a hostile body
cannot break the table or inject links.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from intcheck.model import Status

if TYPE_CHECKING:
    from intcheck.model import Report, Result

_ICON = {Status.PASSED: "✅", Status.FAILED: "❌", Status.ERRORED: "⚠️", Status.SKIPPED: "⏭️"}
MAX_FINDINGS = 200


def render_markdown(report: Report) -> str:
    """``report`` as a Markdown document."""
    lines = [f"# intcheck {report.kind}: {_cell(report.plan_name)}", ""]
    if not report.complete:
        lines += ["> **Incomplete**: the run was interrupted; these are the results so far.", ""]
    counts = " · ".join(f"{_ICON[s]} {report.count(s)} {s.value}" for s in Status)
    lines += [f"{counts}  ", f"Started {report.started_at}, finished {report.finished_at}.", ""]
    by_integration: dict[str, list[Result]] = defaultdict(list)
    for result in report.results:
        by_integration[result.integration].append(result)
    lines += [
        "| integration | cases | passed | failed | errored | skipped |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name in sorted(by_integration):
        results = by_integration[name]
        cases = len({r.case for r in results})
        row = [str(sum(1 for r in results if r.status is s)) for s in Status]
        lines.append(f"| {_cell(name)} | {cases} | " + " | ".join(row) + " |")
    findings = [r for r in report.results if r.status in (Status.FAILED, Status.ERRORED)]
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
