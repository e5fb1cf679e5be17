"""Report <-> versioned JSON, the interchange format; atomic write; read back for readiness."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from intcheck import __version__
from intcheck.model import (
    Attachment,
    Evidence,
    LatencyBucket,
    LoadSample,
    LoadSummary,
    Report,
    Result,
    Severity,
    SourceRef,
    Status,
)
from intcheck.report.summary import summarize


def schema_text() -> str:
    """The report JSON Schema shipped in the package (``intcheck schema report``)."""
    return resources.files("intcheck.report").joinpath("report.schema.json").read_text("utf-8")


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads(schema_text()))


def validation_errors(document: Any) -> list[str]:
    """Every way ``document`` breaks the report schema, as ``pointer: message`` lines."""
    return [
        "/" + "/".join(str(p) for p in e.absolute_path) + f": {e.message}"
        for e in _validator().iter_errors(document)
    ]


def to_document(report: Report) -> dict[str, Any]:
    """The JSON-ready mapping of ``report``; ``summary`` counts results, ``cases`` cases."""
    summary = summarize(report)
    return {
        "schema_version": report.schema_version,
        "tool": {"name": "intcheck", "version": __version__},
        "kind": report.kind,
        "plan": {"name": report.plan_name, "path": report.plan_path},
        "started_at": report.started_at,
        "finished_at": report.finished_at,
        "complete": report.complete,
        "environment": dict(report.environment),
        "summary": summary.results.as_dict(),
        "cases": summary.cases.as_dict(),
        "results": [_result(r) for r in report.results],
        "load": [_load(s) for s in report.load],
    }


def _load(summary: LoadSummary) -> dict[str, Any]:
    # the optional 1.1 fields are left out when empty, and tuples become JSON arrays
    return {
        k: list(v) if isinstance(v, tuple) else v
        for k, v in asdict(summary).items()
        if k not in ("scenario", "series", "histogram") or v
    }


def _result(result: Result) -> dict[str, Any]:
    out: dict[str, Any] = {
        "integration": result.integration,
        "operation": result.operation,
        "case": result.case,
        "check": result.check,
        "status": result.status.value,
        "severity": result.severity.value,
        "message": result.message,
        "duration_ms": round(result.duration_ms, 3),
    }
    if result.source is not None:
        out["source"] = {
            "path": str(result.source.path),
            "line": result.source.line,
            "col": result.source.col,
            "pointer": result.source.pointer,
        }
    if result.evidence is not None:
        out["evidence"] = {
            k: list(v) if isinstance(v, tuple) else v
            for k, v in asdict(result.evidence).items()
            if v not in (None, "", {}, ())
        }
    return out


def from_document(document: dict[str, Any]) -> Report:
    """Read a report back (for readiness); the document must already be schema-valid."""
    results = []
    for item in document["results"]:
        source = item.get("source")
        evidence = item.get("evidence")
        results.append(
            Result(
                integration=item["integration"],
                operation=item["operation"],
                case=item["case"],
                check=item["check"],
                status=Status(item["status"]),
                severity=Severity(item["severity"]),
                message=item.get("message", ""),
                duration_ms=item.get("duration_ms", 0.0),
                source=SourceRef(
                    path=Path(source["path"]),
                    line=source["line"],
                    col=source.get("col", 0),
                    pointer=source.get("pointer", ""),
                )
                if source
                else None,
                evidence=_evidence(evidence) if evidence else None,
            )
        )
    return Report(
        kind=document["kind"],
        plan_name=document["plan"]["name"],
        plan_path=document["plan"]["path"],
        started_at=document["started_at"],
        finished_at=document["finished_at"],
        complete=document["complete"],
        environment=document["environment"],
        results=tuple(results),
        load=tuple(_load_summary(s) for s in document["load"]),
        schema_version=document["schema_version"],
    )


def _evidence(data: dict[str, Any]) -> Evidence:
    attachments = tuple(Attachment(**a) for a in data.get("attachments", ()))
    return Evidence(**{**data, "attachments": attachments})


def _load_summary(data: dict[str, Any]) -> LoadSummary:
    return LoadSummary(
        **{
            **data,
            "series": tuple(LoadSample(**p) for p in data.get("series", ())),
            "histogram": tuple(LatencyBucket(**b) for b in data.get("histogram", ())),
        }
    )


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def render_json(report: Report) -> str:
    """``report`` as the text of ``report.json``."""
    return json.dumps(to_document(report), indent=2, ensure_ascii=False) + "\n"


def write_report(report: Report, path: Path) -> Path:
    """Write ``report`` as JSON at ``path`` atomically and return the path.

    The report is written as it is: ``writers.write_reports`` is the door that redacts.
    """
    write_atomic(path, render_json(report))
    return path


def read_report(path: Path) -> Report:
    """Load and schema-check a report written by any intcheck verb."""
    from intcheck.errors import UsageError

    try:
        document = json.loads(path.read_text("utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise UsageError(f"{path}: not a readable intcheck report: {exc}") from None
    errors = validation_errors(document)
    if errors:
        raise UsageError(f"{path}: not a valid intcheck report:\n  " + "\n  ".join(errors[:10]))
    return from_document(document)
