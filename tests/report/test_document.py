"""The report document: schema-valid, round-trips, written atomically."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from intcheck.model import Evidence, LoadSummary, Report, Result, Severity, SourceRef, Status
from intcheck.report import document


def _report(complete: bool = True) -> Report:
    return Report(
        kind="probe",
        plan_name="Example",
        plan_path="contracts/plan.yaml",
        started_at="2026-11-22T10:00:00Z",
        finished_at="2026-11-22T10:00:05Z",
        complete=complete,
        environment={"hostname": "ci", "targets": {"customer-master": "https://mdm.test"}},
        results=(
            Result(
                integration="customer-master",
                operation="customer-master:GET /customers/{id}",
                case="customer-master:GET /customers/{id}#example:vip",
                check="status_is_documented",
                status=Status.FAILED,
                severity=Severity.HIGH,
                message="Expected status 200 or 404, actual 503",
                duration_ms=12.5,
                source=SourceRef(
                    path=Path("contracts/specs/x.yaml"), line=3, col=5, pointer="/paths"
                ),
                evidence=Evidence(
                    status=503, body="{}", elapsed_ms=12.5, curl="curl https://mdm.test"
                ),
            ),
        ),
        load=(
            LoadSummary(
                users=10,
                duration_s=5.0,
                requests=100,
                failures=1,
                rps=20.0,
                p50_ms=5.0,
                p95_ms=9.0,
                p99_ms=12.0,
            ),
        ),
    )


def test_document_matches_the_shipped_schema() -> None:
    data = document.to_document(_report())
    assert document.validation_errors(data) == []
    assert data["summary"] == {"passed": 0, "failed": 1, "errored": 0, "skipped": 0}


def test_schema_rejects_a_wrong_status() -> None:
    data = document.to_document(_report())
    data["results"][0]["status"] = "broken"
    assert document.validation_errors(data)


def test_round_trip_through_a_file(tmp_path: Path) -> None:
    path = document.write_report(_report(complete=False), tmp_path / "out" / "report.json")
    again = document.read_report(path)
    assert again.complete is False
    assert again.results[0].status is Status.FAILED
    assert again.results[0].evidence is not None and again.results[0].evidence.status == 503
    assert again.load[0].requests == 100
    assert [p.name for p in path.parent.iterdir()] == ["report.json"], "no temporary file left"


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text('{"old": true}')

    with pytest.raises(TypeError):
        document.write_atomic(target, 123)  # type: ignore[arg-type]
    assert json.loads(target.read_text()) == {"old": True}
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_reading_a_broken_report_names_the_file(tmp_path: Path) -> None:
    from intcheck.errors import UsageError

    bad = tmp_path / "report.json"
    bad.write_text('{"schema_version": "1.0"}')
    with pytest.raises(UsageError, match="not a valid intcheck report"):
        document.read_report(bad)
