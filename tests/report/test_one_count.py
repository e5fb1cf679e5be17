"""One count: console, JUnit, Markdown, HTML and JSON show the same numbers for one report.

A case's status is its worst check's: failed, then errored, then skipped, then passed. The
expected figures below are worked out by hand from the results, not by the code under test;
then each rendering is parsed the way its reader would and compared.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from xml.etree import ElementTree as ET

from rich.console import Console

from intcheck.console import Output
from intcheck.model import Evidence, Report, Result, Severity, Status
from intcheck.report.document import to_document, validation_errors
from intcheck.report.html import render_html
from intcheck.report.junit import render_junit
from intcheck.report.markdown import render_markdown
from intcheck.report.writers import Written

P, F, E, S = Status.PASSED, Status.FAILED, Status.ERRORED, Status.SKIPPED
ANSWERED = Evidence(status=200, elapsed_ms=3.0, body="{}")

# integration -> case -> statuses of its checks
PLAN: dict[str, dict[str, tuple[Status, ...]]] = {
    "crm": {
        "all-pass": (P, P, P),
        "one-fail": (P, F, P),
        "fail-and-error": (E, F),  # failed wins over errored
        "pass-and-skip": (P, S),  # a skipped check keeps the case from passing
        "all-skip": (S,),
        "error-only": (P, E),
    },
    "erp": {
        "ok": (P, P),
        "broken": (F, F, F),
        "skip-then-error": (S, E),
    },
}
# worked out by hand: passed, failed, errored, skipped
CASES = {"crm": (1, 2, 1, 2), "erp": (1, 1, 1, 0)}
RESULTS = {"crm": (7, 2, 2, 2), "erp": (2, 3, 1, 1)}
TOTAL_CASES = (2, 3, 2, 2)
TOTAL_RESULTS = (9, 5, 3, 3)
ORDER = ("passed", "failed", "errored", "skipped")


def _report() -> Report:
    results = [
        Result(
            integration=integration,
            operation=f"{integration}:op",
            case=f"{integration}:op#{case}",
            check=f"check_{n}",
            status=status,
            severity=Severity.HIGH,
            message=f"{status.value} {n}",
            evidence=ANSWERED if status is not S else None,
        )
        for integration, cases in PLAN.items()
        for case, statuses in cases.items()
        for n, status in enumerate(statuses)
    ]
    return Report(
        kind="probe",
        plan_name="Counts",
        plan_path="plan.yaml",
        started_at="2026-11-22T10:00:00Z",
        finished_at="2026-11-22T10:00:01Z",
        results=tuple(results),
    )


def _figures(text: str) -> tuple[int, ...]:
    """``a passed … b failed … c errored … d skipped`` in any rendering, as a tuple."""
    found = dict(
        (word, int(n)) for n, word in re.findall(r"(\d+) (passed|failed|errored|skipped)", text)
    )
    return tuple(found[word] for word in ORDER)


def test_every_rendering_shows_the_same_counts() -> None:
    report = _report()

    document = to_document(report)
    assert validation_errors(document) == []
    assert tuple(document["cases"][w] for w in ORDER) == TOTAL_CASES
    assert tuple(document["summary"][w] for w in ORDER) == TOTAL_RESULTS

    root = ET.fromstring(render_junit(report))
    junit_totals = tuple(int(root.get(k, "-1")) for k in ("tests", "failures", "errors", "skipped"))
    assert junit_totals == (sum(TOTAL_CASES), *TOTAL_CASES[1:])
    for suite in root.iter("testsuite"):
        name = suite.get("name", "")
        outcome = {"failure": 0, "error": 0, "skipped": 0}
        for case in suite.iter("testcase"):
            tags = {child.tag for child in case} & set(outcome)
            assert len(tags) <= 1, "one outcome per testcase"
            for tag in tags:
                outcome[tag] += 1
        testcases = len(list(suite.iter("testcase")))
        passed = testcases - sum(outcome.values())
        assert (passed, outcome["failure"], outcome["error"], outcome["skipped"]) == CASES[name]
        assert int(suite.get("tests", "0")) == testcases == sum(CASES[name])

    markdown = render_markdown(report)
    cases_line = next(line for line in markdown.splitlines() if " cases**" in line)
    results_line = next(line for line in markdown.splitlines() if " results**" in line)
    assert f"**{sum(TOTAL_CASES)} cases**" in cases_line and _figures(cases_line) == TOTAL_CASES
    assert f"**{sum(TOTAL_RESULTS)} results**" in results_line
    assert _figures(results_line) == TOTAL_RESULTS
    for name in PLAN:
        row = next(line for line in markdown.splitlines() if line.startswith(f"| {name} |"))
        cells = [int(c) for c in row.strip("|").split("|")[1:]]
        assert cells == [sum(CASES[name]), *CASES[name], sum(RESULTS[name])]

    page = render_html(report)
    for noun, expected in (("cases", TOTAL_CASES), ("results", TOTAL_RESULTS)):
        spans = re.findall(rf'data-{noun}="(\w+)">(\d+)', page)
        assert tuple(int(n) for word, n in spans if word != "total") == expected
        assert dict(spans)["total"] == str(sum(expected))

    output = Output(color=False)
    output.err = Console(file=io.StringIO(), no_color=True, width=200)
    output.report_summary(report, Written(paths=()))
    said = output.err.file.getvalue()  # type: ignore[attr-defined]
    cases_said = next(line for line in said.splitlines() if " cases:" in line)
    results_said = next(line for line in said.splitlines() if " results:" in line)
    assert cases_said.startswith(f"{sum(TOTAL_CASES)} cases:")
    assert _figures(cases_said) == TOTAL_CASES
    assert results_said.startswith(f"{sum(TOTAL_RESULTS)} results:")
    assert _figures(results_said) == TOTAL_RESULTS


def test_report_json_cases_come_back_from_a_file(tmp_path: Path) -> None:
    from intcheck.report.document import read_report, write_report

    path = write_report(_report(), tmp_path / "report.json")
    again = to_document(read_report(path))
    assert again["cases"] == json.loads(path.read_text("utf-8"))["cases"]
    assert again["schema_version"] == "1.1"
