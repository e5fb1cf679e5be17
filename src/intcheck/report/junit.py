"""JUnit XML for CI servers: one testsuite per integration, one testcase per case.

A case's outcome is its worst check's (``summary.worst``): a failed case holds a
``<failure>`` per failed check, an errored case an ``<error>`` per errored check, a skipped
case one ``<skipped>``; checks of a lesser status on the same case are listed in
``<system-err>``. So each testcase has one outcome, and ``tests``, ``failures``, ``errors`` and
``skipped`` are the case counts every other rendering shows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from xml.etree import ElementTree as ET

from intcheck.model import Status
from intcheck.report.summary import by_case, summarize

if TYPE_CHECKING:
    from intcheck.model import Report, Result

_TAG = {Status.FAILED: "failure", Status.ERRORED: "error"}


def render_junit(report: Report) -> str:
    """``report`` as a JUnit XML document (``<testsuites>``)."""
    summary = summarize(report)
    suites: dict[str, dict[str, list[Result]]] = {}
    for case_id, results in by_case(report.results).items():
        suites.setdefault(results[0].integration, {})[case_id] = results
    root = ET.Element("testsuites", name=f"intcheck {report.kind}: {report.plan_name}")
    seconds_total = 0.0
    for integration in sorted(suites):
        suite = ET.SubElement(root, "testsuite", name=integration, timestamp=report.started_at)
        seconds = 0.0
        for case_id, results in suites[integration].items():
            case = ET.SubElement(
                suite, "testcase", classname=integration, name=_name(case_id, integration)
            )
            elapsed = max((r.evidence.elapsed_ms or 0.0) if r.evidence else 0.0 for r in results)
            case.set("time", f"{elapsed / 1000:.3f}")
            seconds += elapsed / 1000
            _outcome(case, summary.case_status[case_id], results)
            curl = next((r.evidence.curl for r in results if r.evidence and r.evidence.curl), "")
            if curl:
                ET.SubElement(case, "system-out").text = _printable(f"rerun: {curl}")
        cases = summary.integrations[integration][0]
        _set_counts(suite, cases.total, cases.failed, cases.errored, cases.skipped)
        suite.set("time", f"{seconds:.3f}")
        seconds_total += seconds
    counts = summary.cases
    _set_counts(root, counts.total, counts.failed, counts.errored, counts.skipped)
    root.set("time", f"{seconds_total:.3f}")
    if not report.complete:
        root.set("incomplete", "true")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _set_counts(element: ET.Element, tests: int, failures: int, errors: int, skipped: int) -> None:
    for key, value in (
        ("tests", tests),
        ("failures", failures),
        ("errors", errors),
        ("skipped", skipped),
    ):
        element.set(key, str(value))


def _outcome(case: ET.Element, status: Status, results: list[Result]) -> None:
    """The one outcome element(s) of a case, and its lesser findings in ``<system-err>``."""
    if status is Status.SKIPPED:
        reason = next((r.message for r in results if r.status is Status.SKIPPED), "")
        ET.SubElement(case, "skipped", message=_printable(reason[:500]))
    elif status in _TAG:
        for result in results:
            if result.status is status:
                _detail(case, _TAG[status], result)
    others = [
        f"{r.status.value.upper()} {r.check}: {r.message}"
        for r in results
        if r.status is not status and r.status is not Status.PASSED
    ]
    if others:
        ET.SubElement(case, "system-err").text = _printable("\n".join(others))


def _name(case_id: str, integration: str) -> str:
    return case_id.removeprefix(integration + ":")


def _detail(case: ET.Element, tag: str, result: Result) -> None:
    element = ET.SubElement(
        case, tag, message=_printable(f"{result.check}: {result.message}"[:500])
    )
    element.set("type", result.check)
    lines = [f"{result.check} ({result.severity.value}): {result.message}"]
    if result.source is not None:
        lines.append(f"expectation set at {result.source}")
    evidence = result.evidence
    if evidence is not None:
        if evidence.schema_error:
            lines.append(f"schema error: {dict(evidence.schema_error)}")
        status = evidence.status if evidence.status is not None else "no answer"
        lines.append(f"status: {status} after {evidence.elapsed_ms} ms")
        if evidence.body:
            lines.append(f"body: {evidence.body[:500]}")
    element.text = "\n".join(_printable(line) for line in lines)


def _printable(text: str) -> str:
    # XML 1.0 cannot carry most control characters, which hostile bodies are full of.
    return "".join(c if c in "\t\n\r" or ord(c) >= 0x20 else "\ufffd" for c in text)
