"""From results to issues: waivers applied, thresholds weighed, alike results told once.

A FAILED result is grouped with the others of its operation and check; ERRORED results are
grouped by their message, so an unreachable target is one line with its reason rather than
one row per case. Every issue has a stable id, which ``--previous`` compares across runs.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, replace
from enum import Enum
from typing import TYPE_CHECKING

from intcheck.model import Evidence, Severity, Status

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from datetime import date
    from pathlib import Path

    from intcheck.model import Result, SourceRef, Thresholds, Waiver
    from intcheck.redact import Redactor

SLO_PREFIX = "slo_"


class Disposition(Enum):
    """What an issue does to the verdict."""

    BLOCKING = "blocking"  # NO-GO until fixed or waived
    RISK = "risk"  # GO WITH RISKS
    WAIVED = "waived"  # accepted by someone, until a date: GO WITH RISKS
    NOTE = "note"  # said for completeness (cases skipped, say); no effect on the verdict


@dataclass(frozen=True, slots=True, kw_only=True)
class Issue:
    """One reason a gate is not plainly met, with what proves it."""

    id: str  # stable across runs: integration/gate/what
    gate: str
    disposition: Disposition
    title: str  # one line for a table or a checklist
    detail: str = ""  # why it weighs as it does
    status: Status | None = None  # FAILED or ERRORED for findings from a report
    severity: Severity | None = None
    check: str = ""  # empty when the issue spans several checks
    operation: str = ""  # empty when the issue spans several operations
    operations: tuple[str, ...] = ()
    cases: tuple[str, ...] = ()
    results: int = 0  # how many results the issue stands for
    evidence: Evidence | None = None  # of the first case, redacted
    source: SourceRef | None = None  # the contract line that set the expectation
    report: Path | None = None  # the report.json it comes from
    waiver: Waiver | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Weighing:
    """How to weigh one gate's findings."""

    integration: str
    gate: str
    thresholds: Thresholds
    waivers: Sequence[Waiver]
    today: date
    required: bool  # False: evidence that is not a gate of the integration only adds risks
    redactor: Redactor
    report: Path


def waiver_matches(waiver: Waiver, result: Result) -> bool:
    """Whether ``waiver`` names ``result`` (every pattern it gives must match)."""
    return (
        _id_matches(waiver.operation, result.operation)
        and _id_matches(waiver.case, result.case)
        and (not waiver.check or fnmatch.fnmatchcase(result.check, waiver.check))
    )


def _id_matches(pattern: str, full_id: str) -> bool:
    if not pattern:
        return True
    short = full_id.split(":", 1)[-1]  # "GET /customers/{id}" as well as "crm:GET /customers/{id}"
    return any(fnmatch.fnmatchcase(text, pattern) for text in (full_id, short))


def weigh_findings(results: Iterable[Result], weighing: Weighing) -> list[Issue]:
    """The issues of one gate's FAILED and ERRORED results, worst first."""
    results = list(results)
    findings = [r for r in results if r.status in (Status.FAILED, Status.ERRORED)]
    waived = {id(r): _waiver_of(r, weighing) for r in findings}
    # ERRORED weighs per gate: the count of unjudged cases against thresholds.max_errored
    errored = {
        r.case
        for r in findings
        if r.status is Status.ERRORED and not _active(waived[id(r)], weighing)
    }
    groups: dict[tuple[str, ...], list[tuple[Result, Disposition, str, Waiver | None]]] = {}
    for result in findings:
        waiver = waived[id(result)]
        if waiver is not None and _active(waiver, weighing):
            disposition = Disposition.WAIVED
            detail = f"waived until {waiver.until} by {waiver.accepted_by}: {waiver.reason}"
        else:
            disposition, detail = _weigh(result, weighing, len(errored))
            if waiver is not None:
                detail = f"the waiver by {waiver.accepted_by} expired on {waiver.until}; {detail}"
        if not weighing.required and disposition is Disposition.BLOCKING:
            disposition = Disposition.RISK
            detail = f"{weighing.gate} is not a gate of this integration, so only a risk; {detail}"
        key = _group_key(result, disposition)
        groups.setdefault(key, []).append((result, disposition, detail, waiver))
    judged = sum(1 for r in results if r.status is not Status.SKIPPED)
    issues = [_issue(members, weighing, judged) for members in groups.values()]
    order = list(Disposition)
    return sorted(issues, key=lambda i: (order.index(i.disposition), _rank(i.severity), i.id))


def _waiver_of(result: Result, weighing: Weighing) -> Waiver | None:
    return next((w for w in weighing.waivers if waiver_matches(w, result)), None)


def _active(waiver: Waiver | None, weighing: Weighing) -> bool:
    return waiver is not None and waiver.until >= weighing.today


def _weigh(result: Result, weighing: Weighing, errored_cases: int) -> tuple[Disposition, str]:
    thresholds = weighing.thresholds
    if result.status is Status.ERRORED:
        limit = thresholds.max_errored
        told = (
            f"{errored_cases} case{'s' * (errored_cases != 1)} could not be judged; the gate "
            f"tolerates {limit} (thresholds.max_errored)"
        )
        return (Disposition.BLOCKING if errored_cases > limit else Disposition.RISK), told
    if result.check.startswith(SLO_PREFIX):
        if thresholds.slo_breach_blocks:
            return Disposition.BLOCKING, "a breached SLO blocks (thresholds.slo_breach: blocks)"
        return Disposition.RISK, "a breached SLO is a risk here (thresholds.slo_breach: risk)"
    fail_on = thresholds.fail_on
    if result.severity.rank >= fail_on.rank:
        return (
            Disposition.BLOCKING,
            f"severity {result.severity.value} is at or above fail_on {fail_on.value}",
        )
    return (
        Disposition.RISK,
        f"severity {result.severity.value} is below fail_on {fail_on.value}: a risk, not a blocker",
    )


def _group_key(result: Result, disposition: Disposition) -> tuple[str, ...]:
    if result.status is Status.ERRORED:
        return ("errored", disposition.value, _shape(result.message))
    return ("failed", disposition.value, result.operation, result.check)


def _shape(message: str) -> str:
    """A message with its numbers blanked: ports and counts differ, the cause does not."""
    return re.sub(r"\d+", "#", " ".join(message.split()))[:200]


def _issue(
    members: list[tuple[Result, Disposition, str, Waiver | None]], weighing: Weighing, judged: int
) -> Issue:
    first, disposition, detail, waiver = members[0]
    results = [m[0] for m in members]
    cases = tuple(dict.fromkeys(r.case for r in results))
    redact = weighing.redactor.text
    message = redact(first.message)
    severity = max((r.severity for r in results), key=lambda s: s.rank)
    plural = "s" * (len(cases) != 1)
    operations = tuple(dict.fromkeys(r.operation for r in results))
    checks = {r.check for r in results}
    if first.status is Status.ERRORED:
        if len(results) == judged and len(results) > 1:
            what = f"unreachable or unusable: {message}"
        else:
            what = f"could not be judged: {message}"
        title = (
            f"{what} ({len(results)} check{'s' * (len(results) != 1)} on {len(cases)} "
            f"case{plural}, {len(operations)} operation{'s' * (len(operations) != 1)})"
        )
        what_id = "errored/" + _shape(first.message)
    else:
        short = first.operation.split(":", 1)[-1]
        title = f"{first.check} failed on {short} ({severity.value}): {message}"
        if len(cases) > 1:
            title += f" ({len(cases)} cases)"
        what_id = f"failed/{short}/{first.check}"
    suffix = "/waived" if disposition is Disposition.WAIVED else ""
    return Issue(
        id=f"{weighing.integration}/{weighing.gate}/{what_id}{suffix}",
        gate=weighing.gate,
        disposition=disposition,
        title=redact(title),
        detail=redact(detail),
        status=first.status,
        severity=severity,
        check=first.check if len(checks) == 1 else "",
        operation=first.operation if len(operations) == 1 else "",
        operations=operations,
        cases=cases,
        results=len(results),
        evidence=redact_evidence(first.evidence, weighing.redactor),
        source=first.source,
        report=weighing.report,
        waiver=waiver,
    )


def redact_evidence(evidence: Evidence | None, redactor: Redactor) -> Evidence | None:
    """``evidence`` with every text passed through the plan's redactor once more."""
    if evidence is None:
        return None
    return replace(
        evidence,
        request=redactor.value(dict(evidence.request)),
        headers=redactor.headers(evidence.headers),
        body=redactor.text(evidence.body),
        schema_error=redactor.value(dict(evidence.schema_error)) if evidence.schema_error else None,
        curl=redactor.text(evidence.curl),
        details=redactor.value(dict(evidence.details)),
    )


def skipped_note(
    results: Iterable[Result], integration: str, gate: str, redactor: Redactor
) -> Issue | None:
    """One NOTE naming how many cases were skipped and the commonest reasons."""
    reasons: dict[str, set[str]] = {}
    for result in results:
        if result.status is Status.SKIPPED:
            reasons.setdefault(" ".join(result.message.split()) or result.check, set()).add(
                result.case
            )
    if not reasons:
        return None
    cases = set().union(*reasons.values())
    common = sorted(reasons.items(), key=lambda kv: -len(kv[1]))[:3]
    told = "; ".join(f"{text} ({len(ids)})" for text, ids in common)
    more = f"; and {len(reasons) - 3} other reasons" if len(reasons) > 3 else ""
    return Issue(
        id=f"{integration}/{gate}/skipped",
        gate=gate,
        disposition=Disposition.NOTE,
        title=redactor.text(f"{len(cases)} case{'s' * (len(cases) != 1)} not sent: {told}{more}"),
        status=Status.SKIPPED,
    )


def _rank(severity: Severity | None) -> int:
    return -(severity.rank if severity is not None else 0)
