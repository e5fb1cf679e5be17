"""readiness.json: the go/no-go as versioned JSON, its shipped schema, and reading it back.

Version ``1.x`` only adds optional fields. ``--previous`` reads an earlier file back to say
what changed; a file that breaks the schema is a ``UsageError`` naming it.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from jsonschema import Draft202012Validator

from intcheck import __version__
from intcheck.errors import UsageError
from intcheck.model import display_path

if TYPE_CHECKING:
    from pathlib import Path

    from intcheck.model import Integration, ManualItem, SourceRef
    from intcheck.readiness.findings import Issue
    from intcheck.readiness.gates import GateOutcome
    from intcheck.readiness.verdict import IntegrationVerdict, Readiness, WaiverUse

MAX_CASES_LISTED = 20  # an issue standing for 300 cases names the first ones and the count


def schema_text() -> str:
    """The readiness.json JSON Schema shipped in the package."""
    return (
        resources.files("intcheck.readiness").joinpath("readiness.schema.json").read_text("utf-8")
    )


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads(schema_text()))


def validation_errors(document: Any) -> list[str]:
    """Every way ``document`` breaks the readiness schema, as ``pointer: message`` lines."""
    return [
        "/" + "/".join(str(p) for p in e.absolute_path) + f": {e.message}"
        for e in _validator().iter_errors(document)
    ]


def read_readiness(path: Path) -> dict[str, Any]:
    """An earlier readiness.json, schema-checked."""
    try:
        document = json.loads(path.read_text("utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise UsageError(f"{path}: not a readable readiness.json: {exc}") from None
    errors = validation_errors(document)
    if errors:
        raise UsageError(f"{path}: not a valid readiness.json:\n  " + "\n  ".join(errors[:10]))
    result: dict[str, Any] = document
    return result


def to_document(readiness: Readiness) -> dict[str, Any]:
    """The JSON-ready mapping of ``readiness``."""
    changes = readiness.changes
    return {
        "schema_version": "1.0",
        "tool": {"name": "intcheck", "version": __version__},
        "plan": {"name": readiness.plan_name, "path": display_path(readiness.plan_path)},
        "generated_at": readiness.generated_at,
        "max_age_s": int(readiness.max_age.total_seconds()),
        "verdict": readiness.verdict.value,
        "exit_code": int(readiness.exit_code),
        "reasons": list(readiness.reasons),
        "risks": list(readiness.risks),
        "gates": list(readiness.gate_names),
        "integrations": [_integration(v) for v in readiness.integrations],
        "rollout": {
            "status": readiness.rollout.status.value,
            "summary": readiness.rollout.summary,
            "manual": [_manual(m) for m in readiness.rollout_manual],
            "issues": [_issue(i) for i in readiness.rollout.issues],
        },
        "reports": [
            {
                "path": display_path(f.path),
                "kind": f.report.kind,
                "finished_at": f.report.finished_at,
                "complete": f.report.complete,
            }
            for f in readiness.reports
        ],
        "unused_reports": [
            {"path": display_path(u.path), "reason": u.reason} for u in readiness.unused
        ],
        "unknown_integrations": list(readiness.unknown),
        "changes": None
        if changes is None
        else {
            "previous": display_path(changes.previous),
            "previous_generated_at": changes.previous_generated_at,
            "previous_verdict": changes.previous_verdict,
            "fixed": [asdict(r) for r in changes.fixed],
            "new": [asdict(r) for r in changes.new],
            "still_open": [asdict(r) for r in changes.still_open],
            "verdicts": [asdict(v) for v in changes.verdicts],
        },
    }


def _integration(verdict: IntegrationVerdict) -> dict[str, Any]:
    integration: Integration = verdict.integration
    contract = integration.contract
    return {
        "name": contract.name,
        "kind": contract.kind,
        "owner": integration.owner,
        "criticality": integration.criticality,
        "verdict": verdict.verdict.value,
        "reasons": list(verdict.reasons),
        "gates": [_gate(g) for g in verdict.gates],
        "issues": [_issue(i) for i in verdict.issues],
        "manual": [_manual(m) for m in integration.manual],
        "waivers": [_waiver(w) for w in verdict.waivers],
    }


def _gate(outcome: GateOutcome) -> dict[str, Any]:
    return {
        "gate": outcome.gate,
        "required": outcome.required,
        "status": outcome.status.value,
        "summary": outcome.summary,
        "report": display_path(outcome.report.path) if outcome.report else None,
        "cases": dict(outcome.cases),
    }


def _issue(issue: Issue) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": issue.id,
        "gate": issue.gate,
        "disposition": issue.disposition.value,
        "title": issue.title,
        "detail": issue.detail,
    }
    if issue.status is not None:
        out["status"] = issue.status.value
    if issue.severity is not None:
        out["severity"] = issue.severity.value
    if issue.check:
        out["check"] = issue.check
    if issue.operation:
        out["operation"] = issue.operation
    if issue.cases:
        out["cases"] = list(issue.cases[:MAX_CASES_LISTED])
        out["case_count"] = len(issue.cases)
    if issue.results:
        out["results"] = issue.results
    if issue.source is not None:
        out["source"] = _source(issue.source)
    if issue.report is not None:
        out["report"] = display_path(issue.report)
    if issue.evidence is not None:
        out["evidence"] = {
            k: v for k, v in asdict(issue.evidence).items() if v not in (None, "", {}, ())
        }
    return out


def _manual(item: ManualItem) -> dict[str, Any]:
    out: dict[str, Any] = {
        "item": item.item,
        "owner": item.owner,
        "status": item.status.value,
        "blocking": item.blocking,
    }
    if item.due is not None:
        out["due"] = item.due.isoformat()
    if item.note:
        out["note"] = item.note
    if item.source is not None:
        out["source"] = _source(item.source)
    return out


def _waiver(use: WaiverUse) -> dict[str, Any]:
    waiver = use.waiver
    out: dict[str, Any] = {
        key: value
        for key, value in (
            ("operation", waiver.operation),
            ("case", waiver.case),
            ("check", waiver.check),
        )
        if value
    }
    out.update(
        reason=waiver.reason,
        accepted_by=waiver.accepted_by,
        until=waiver.until.isoformat(),
        state=use.state,
        matched=use.matched,
    )
    if waiver.source is not None:
        out["source"] = _source(waiver.source)
    return out


def _source(source: SourceRef) -> dict[str, Any]:
    return {"path": display_path(source.path), "line": source.line, "col": source.col}
