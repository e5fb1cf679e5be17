"""JUnit XML for CI servers: one testsuite per integration, one testcase per case.

A case passes when all its checks pass; its failed checks become ``<failure>`` elements and
its errored checks ``<error>`` elements, so CI dashboards keep FAILED and ERRORED apart too.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING
from xml.etree import ElementTree as ET

from intcheck.model import Status

if TYPE_CHECKING:
    from intcheck.model import Report, Result


def render_junit(report: Report) -> str:
    """``report`` as a JUnit XML document (``<testsuites>``)."""
    suites: dict[str, dict[str, list[Result]]] = defaultdict(lambda: defaultdict(list))
    for result in report.results:
        suites[result.integration][result.case].append(result)
    root = ET.Element("testsuites", name=f"intcheck {report.kind}: {report.plan_name}")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for integration in sorted(suites):
        cases = suites[integration]
        suite = ET.SubElement(root, "testsuite", name=integration, timestamp=report.started_at)
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        seconds = 0.0
        for case_id, results in cases.items():
            case = ET.SubElement(
                suite, "testcase", classname=integration, name=_name(case_id, integration)
            )
            elapsed = max((r.evidence.elapsed_ms or 0.0) if r.evidence else 0.0 for r in results)
            case.set("time", f"{elapsed / 1000:.3f}")
            seconds += elapsed / 1000
            counts["tests"] += 1
            statuses = {r.status for r in results}
            for result in results:
                if result.status is Status.FAILED:
                    _detail(case, "failure", result)
                elif result.status is Status.ERRORED:
                    _detail(case, "error", result)
            if Status.ERRORED in statuses:
                counts["errors"] += 1
            elif Status.FAILED in statuses:
                counts["failures"] += 1
            elif statuses == {Status.SKIPPED}:
                counts["skipped"] += 1
                ET.SubElement(case, "skipped", message=_printable(results[0].message))
            curl = next((r.evidence.curl for r in results if r.evidence and r.evidence.curl), "")
            if curl:
                ET.SubElement(case, "system-out").text = _printable(f"rerun: {curl}")
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("time", f"{seconds:.3f}")
    for key, value in totals.items():
        root.set(key, str(value))
    if not report.complete:
        root.set("incomplete", "true")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


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
