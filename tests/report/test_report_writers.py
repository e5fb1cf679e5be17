"""The four report files: JSON against the shipped schema, JUnit counts, escaping for people."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

from intcheck.model import Evidence, Report, Result, Severity, SourceRef, Status
from intcheck.redact import Redactor
from intcheck.report.document import validation_errors
from intcheck.report.html import render_html
from intcheck.report.markdown import render_markdown
from intcheck.report.writers import write_reports

HOSTILE = "<script>alert(1)</script> | `rm -rf` [link](http://evil) \x00\x1b[31m"


def _result(case: str, check: str, status: Status, integration: str = "crm") -> Result:
    return Result(
        integration=integration,
        operation=case.split("#")[0],
        case=case,
        check=check,
        status=status,
        severity=Severity.HIGH if status is Status.FAILED else Severity.INFO,
        message=HOSTILE if status is not Status.PASSED else "",
        duration_ms=0.5,
        source=SourceRef(path=Path("contracts/crm.yaml"), line=3, col=1),
        evidence=Evidence(
            request={"method": "GET", "url": "http://h/x", "headers": {"Authorization": "***"}},
            status=500 if status is Status.FAILED else None,
            body=HOSTILE,
            elapsed_ms=12.5,
            schema_error={"message": "m", "instance_pointer": "/a", "schema_location": "#/b"},
            curl="curl -sS http://h/x",
        ),
    )


def _report(complete: bool = True) -> Report:
    results = (
        _result("crm:GET /x#positive", "status_is_documented", Status.PASSED),
        _result("crm:GET /x#positive", "body_matches_schema", Status.FAILED),
        _result("crm:GET /y#positive", "status_is_documented", Status.ERRORED),
        _result("crm:GET /z#positive", "status_is_documented", Status.PASSED),
        _result("erp:Get#soap11:valid", "body_matches_xsd", Status.SKIPPED, "erp"),
    )
    return Report(
        kind="probe",
        plan_name="Plan <b>",
        plan_path="contracts/plan.yaml",
        started_at="2026-11-22T10:00:00Z",
        finished_at="2026-11-22T10:00:01Z",
        complete=complete,
        environment={
            "hostname": "h",
            "python": "3.11",
            "platform": "x",
            "targets": {"crm": "http://h"},
        },
        results=results,
    )


def test_all_four_files_are_written(tmp_path: Path) -> None:
    written = write_reports(_report(), tmp_path / "out", redactor=Redactor())
    assert not written.failures
    assert sorted(p.name for p in written.paths) == [
        "junit.xml",
        "report.html",
        "report.json",
        "report.md",
    ]
    assert not list((tmp_path / "out").glob(".*.tmp"))  # atomic writes leave no temporaries


def test_json_report_validates_against_the_shipped_schema(tmp_path: Path) -> None:
    write_reports(_report(complete=False), tmp_path, redactor=Redactor())
    document = json.loads((tmp_path / "report.json").read_text("utf-8"))
    assert validation_errors(document) == []
    assert document["complete"] is False
    assert document["summary"] == {"passed": 2, "failed": 1, "errored": 1, "skipped": 1}


def test_junit_has_a_suite_per_integration_and_a_testcase_per_case(tmp_path: Path) -> None:
    write_reports(_report(), tmp_path, redactor=Redactor())
    root = ET.parse(tmp_path / "junit.xml").getroot()
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert set(suites) == {"crm", "erp"}
    crm = suites["crm"]
    assert [c.get("name") for c in crm.iter("testcase")] == [
        "GET /x#positive",
        "GET /y#positive",
        "GET /z#positive",
    ]
    assert (crm.get("tests"), crm.get("failures"), crm.get("errors")) == ("3", "1", "1")
    assert suites["erp"].get("skipped") == "1"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("4", "1", "1")
    failure = next(crm.iter("failure"))
    assert failure.get("type") == "body_matches_schema"


def test_html_is_self_contained_and_escaped() -> None:
    page = render_html(_report(complete=False))
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    assert "Plan &lt;b&gt;" in page
    assert "http://" not in page.split("<body>")[0]  # no external assets in the head
    assert "Incomplete" in page


def test_markdown_escapes_endpoint_text() -> None:
    text = render_markdown(_report())
    assert "<script>" not in text
    assert "\\| " in text  # a pipe cannot break the table
    assert "```sh\ncurl -sS http://h/x\n```" in text
    assert "crm:GET /x#positive" in text
