"""The report fields readiness reads (schema 1.1): they validate and survive a round trip."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from intcheck.errors import UsageError
from intcheck.model import (
    Attachment,
    Evidence,
    LatencyBucket,
    LoadSample,
    LoadSummary,
    Report,
    Result,
    Severity,
    Status,
)
from intcheck.report.document import read_report, to_document, validation_errors, write_report

if TYPE_CHECKING:
    from pathlib import Path


def _report() -> Report:
    shot = Attachment(kind="screenshot", path="shots/page.png", title="Order page")
    return Report(
        kind="load",
        plan_name="x",
        plan_path="contracts/plan.yaml",
        started_at="2026-05-20T09:00:00Z",
        finished_at="2026-05-20T09:05:00Z",
        environment={"contracts": {"crm": "sha256:" + "ab" * 32}},
        results=(
            Result(
                integration="crm",
                operation="crm:embed /page",
                case="crm:embed /page#embed",
                check="embeddable_by_crm_origin",
                status=Status.FAILED,
                severity=Severity.HIGH,
                evidence=Evidence(status=200, attachments=(shot,)),
            ),
        ),
        load=(
            LoadSummary(
                users=10,
                duration_s=60.0,
                requests=600,
                failures=1,
                rps=10.0,
                p50_ms=20.0,
                p95_ms=80.0,
                p99_ms=120.0,
                scenario="peak-hour",
                series=(
                    LoadSample(t_s=0.0, users=0, rps=0.0, failures_per_s=0.0, p50_ms=0, p95_ms=0),
                    LoadSample(
                        t_s=5.0, users=10, rps=9.5, failures_per_s=0.2, p50_ms=21, p95_ms=79
                    ),
                ),
                histogram=(
                    LatencyBucket(from_ms=0, to_ms=50, count=500),
                    LatencyBucket(from_ms=50, to_ms=200, count=100),
                ),
            ),
        ),
    )


def test_new_fields_validate_and_round_trip(tmp_path: Path) -> None:
    report = _report()
    assert validation_errors(to_document(report)) == []
    assert read_report(write_report(report, tmp_path / "report.json")) == report


def test_an_old_report_without_the_new_fields_still_reads(tmp_path: Path) -> None:
    document = to_document(_report())
    document["schema_version"] = "1.0"
    del document["environment"]["contracts"]
    for key in ("scenario", "series", "histogram"):
        del document["load"][0][key]
    del document["results"][0]["evidence"]["attachments"]
    path = tmp_path / "report.json"
    path.write_text(json.dumps(document))
    report = read_report(path)
    assert report.load[0].series == ()
    assert report.results[0].evidence is not None
    assert report.results[0].evidence.attachments == ()


@pytest.mark.parametrize("where", ["../secrets.png", "/etc/passwd", "shots/../../x.png"])
def test_an_attachment_outside_the_report_folder_is_refused(tmp_path: Path, where: str) -> None:
    document = to_document(_report())
    document["results"][0]["evidence"]["attachments"][0]["path"] = where
    path = tmp_path / "report.json"
    path.write_text(json.dumps(document))
    with pytest.raises(UsageError, match="attachments/0/path"):
        read_report(path)
