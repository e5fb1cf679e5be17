"""Gates: each turns an integration's evidence, or its checklist, into a ``GateOutcome``.

A gate is called once per integration of the plan and returns the outcome with every issue
that kept it from being plainly met. An evidence gate (conformance, simulation, load) takes
the newest report of its kind that covers the integration; with none, a required gate is NOT
TESTED, which blocks: never green without evidence. The manual gate weighs checklist items.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Protocol

from intcheck.model import ManualStatus, Status
from intcheck.readiness.evidence import EVIDENCE_KINDS
from intcheck.readiness.findings import (
    SLO_PREFIX,
    Disposition,
    Issue,
    Weighing,
    skipped_note,
    weigh_findings,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from datetime import date, datetime, timedelta
    from pathlib import Path

    from intcheck.model import Integration, ManualItem, Result
    from intcheck.readiness.evidence import Coverage, EvidenceIndex, ReportFile
    from intcheck.redact import Redactor


class GateStatus(Enum):
    """Where one gate of one integration stands."""

    MET = "met"
    RISK = "met with risks"
    NOT_MET = "not met"
    NOT_TESTED = "not tested"
    NOT_REQUIRED = "not required"


@dataclass(frozen=True, slots=True, kw_only=True)
class Screenshot:
    """A screenshot a report keeps as evidence; ``file`` is None when it cannot be shown."""

    file: Path | None  # resolved, and inside the folder of the report that names it
    written: str  # the path as the report wrote it
    title: str
    case: str
    status: Status


@dataclass(frozen=True, slots=True, kw_only=True)
class GateOutcome:
    """One gate's verdict for one integration, the issues behind it, and its evidence."""

    gate: str
    required: bool
    status: GateStatus
    summary: str
    issues: tuple[Issue, ...] = ()
    report: ReportFile | None = None
    cases: Mapping[str, int] = field(default_factory=dict)  # cases by worst status
    latencies_ms: tuple[float, ...] = ()  # one per answered case, for the histogram
    screenshots: tuple[Screenshot, ...] = ()
    load_operations: Mapping[str, Mapping[str, float]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class GateContext:
    """What every gate of one readiness run shares."""

    evidence: EvidenceIndex
    now: datetime
    max_age: timedelta
    digests: Mapping[str, str]  # contract name -> digest of the files on disk now
    redactor: Redactor

    @property
    def today(self) -> date:
        return self.now.date()


class Gate(Protocol):
    """A gate of the readiness verdict; ``evaluate`` is called once per integration."""

    @property
    def name(self) -> str:
        """The gate's name: a column of the matrix, a testcase of the JUnit suite."""
        ...

    def evaluate(self, integration: Integration, context: GateContext) -> GateOutcome:
        """The outcome for ``integration``, NOT_REQUIRED when the plan does not ask for it."""
        ...


@dataclass(frozen=True, slots=True)
class EvidenceGate:
    """A gate decided by the reports of one kind (``EVIDENCE_KINDS[name]``)."""

    name: str

    def evaluate(self, integration: Integration, context: GateContext) -> GateOutcome:
        """Weigh the newest report covering ``integration``; see the module docstring."""
        required = self.name in integration.gates
        contract = integration.contract.name
        selection = context.evidence.select(contract, self.name)
        coverage = selection.coverage
        if coverage is None:
            if not required:
                return GateOutcome(
                    gate=self.name, required=False, status=GateStatus.NOT_REQUIRED, summary=""
                )
            kind = EVIDENCE_KINDS[self.name]
            why = (
                selection.not_covered[0] if selection.not_covered else f"no {kind} report covers it"
            )
            return _not_tested(self.name, contract, why, kind)
        issues = _freshness(coverage, integration, context, self.name, required)
        if not coverage.judged and not coverage.load_operations:
            skipped = skipped_note(coverage.results, contract, self.name, context.redactor)
            why = skipped.title if skipped else "no case was sent"
            if required:
                return _not_tested(self.name, contract, why, coverage.source.report.kind, coverage)
        weighing = Weighing(
            integration=contract,
            gate=self.name,
            thresholds=integration.thresholds,
            waivers=integration.waivers,
            today=context.today,
            required=required,
            redactor=context.redactor,
            report=coverage.source.path,
        )
        issues += weigh_findings(coverage.results, weighing)
        if coverage.load_operations and not any(
            r.check.startswith(SLO_PREFIX) for r in coverage.judged
        ):
            issues.append(
                Issue(
                    id=f"{contract}/{self.name}/no-slo",
                    gate=self.name,
                    disposition=Disposition.RISK,
                    title="load ran, but no SLO judged this integration",
                    detail="give the load scenario SLOs for its operations (p95, error rate)",
                    report=coverage.source.path,
                )
            )
        note = skipped_note(coverage.results, contract, self.name, context.redactor)
        if note is not None:
            issues.append(note)
        return GateOutcome(
            gate=self.name,
            required=required,
            status=_status(issues),
            summary=_summary(coverage, context.now),
            issues=tuple(issues),
            report=coverage.source,
            cases=_cases(coverage.results),
            latencies_ms=_latencies(coverage.results),
            screenshots=_screenshots(coverage.results, coverage.source.folder, context),
            load_operations=coverage.load_operations,
        )


@dataclass(frozen=True, slots=True)
class ManualGate:
    """The integration's manual checklist: open blocking items block, others are risks."""

    name: str = "manual"

    def evaluate(self, integration: Integration, context: GateContext) -> GateOutcome:
        return manual_outcome(integration.manual, integration.contract.name, context.today)


DEFAULT_GATES: tuple[Gate, ...] = (
    *(EvidenceGate(name) for name in EVIDENCE_KINDS),
    ManualGate(),
)


def manual_outcome(items: Iterable[ManualItem], scope: str, today: date) -> GateOutcome:
    """The manual gate over ``items``; ``scope`` is the integration's name or "rollout"."""
    items = tuple(items)
    if not items:
        return GateOutcome(
            gate="manual", required=False, status=GateStatus.NOT_REQUIRED, summary=""
        )
    issues = []
    for item in items:
        if item.status is ManualStatus.DONE:
            continue
        facts = [f"owner {item.owner}" if item.owner else "no owner named"]
        if item.due is not None:
            facts.append(f"due {item.due}" + (" (overdue)" if item.due < today else ""))
        if item.note:
            facts.append(item.note)
        state = item.status.value.replace("_", " ")
        issues.append(
            Issue(
                id=f"{scope}/manual/{_slug(item.item)}",
                gate="manual",
                disposition=Disposition.BLOCKING if item.blocking else Disposition.RISK,
                title=f"{state}: {item.item}",
                detail="; ".join(facts) + ("" if item.blocking else "; not blocking"),
                source=item.source,
            )
        )
    done = sum(1 for i in items if i.status is ManualStatus.DONE)
    return GateOutcome(
        gate="manual",
        required=True,
        status=_status(issues),
        summary=f"{done} of {len(items)} done",
        issues=tuple(issues),
    )


def _not_tested(
    gate: str, contract: str, why: str, kind: str, coverage: Coverage | None = None
) -> GateOutcome:
    verb = {"probe": "probe", "simulate": "simulate", "load": "load SCENARIO"}.get(kind, kind)
    issue = Issue(
        id=f"{contract}/{gate}/not-tested",
        gate=gate,
        disposition=Disposition.BLOCKING,
        title=f"not tested: {why}",
        detail=f"the plan asks for {gate} evidence: run `intcheck {verb}` and pass its report",
        report=coverage.source.path if coverage else None,
    )
    return GateOutcome(
        gate=gate,
        required=True,
        status=GateStatus.NOT_TESTED,
        summary=why,
        issues=(issue,),
        report=coverage.source if coverage else None,
        cases=_cases(coverage.results) if coverage else {},
    )


def _freshness(
    coverage: Coverage, integration: Integration, context: GateContext, gate: str, required: bool
) -> list[Issue]:
    """Stale (too old, or made against other contract files) or incomplete evidence."""
    source = coverage.source
    contract = integration.contract.name
    blocking = Disposition.BLOCKING if required else Disposition.RISK
    issues = []
    age = context.now - source.finished
    if age > context.max_age:
        issues.append(
            Issue(
                id=f"{contract}/{gate}/stale-age",
                gate=gate,
                disposition=blocking,
                title=f"stale: the {source.report.kind} report is {_age(age)} old "
                f"(readiness accepts {_age(context.max_age)}, --max-age)",
                detail="run it again against the current targets",
                report=source.path,
            )
        )
    recorded = source.report.environment.get("contracts", {}).get(contract)
    if recorded is None:
        issues.append(
            Issue(
                id=f"{contract}/{gate}/version-unknown",
                gate=gate,
                disposition=Disposition.RISK,
                title=f"the {source.report.kind} report does not say which version of the "
                "contract it was made against",
                detail="reports of schema 1.1 and later record it (environment.contracts)",
                report=source.path,
            )
        )
    elif recorded != context.digests.get(contract):
        issues.append(
            Issue(
                id=f"{contract}/{gate}/stale-contract",
                gate=gate,
                disposition=blocking,
                title=f"stale: the {source.report.kind} report was made against another version "
                f"of {integration.contract.source.path.name} or its documents",
                detail="the contract changed since the run: run it again",
                report=source.path,
            )
        )
    if not source.report.complete:
        issues.append(
            Issue(
                id=f"{contract}/{gate}/incomplete",
                gate=gate,
                disposition=blocking,
                title=f"incomplete: the {source.report.kind} run was interrupted, "
                "its results are partial",
                detail="run it to the end",
                report=source.path,
            )
        )
    return issues


def _status(issues: Iterable[Issue]) -> GateStatus:
    dispositions = {i.disposition for i in issues}
    if Disposition.BLOCKING in dispositions:
        return GateStatus.NOT_MET
    if dispositions & {Disposition.RISK, Disposition.WAIVED}:
        return GateStatus.RISK
    return GateStatus.MET


_WORST_FIRST = (Status.ERRORED, Status.FAILED, Status.PASSED, Status.SKIPPED)


def _cases(results: Iterable[Result]) -> dict[str, int]:
    """Cases counted once each, by their worst check (ERRORED, FAILED, PASSED, SKIPPED)."""
    worst: dict[str, Status] = {}
    for result in results:
        held = worst.get(result.case)
        if held is None or _WORST_FIRST.index(result.status) < _WORST_FIRST.index(held):
            worst[result.case] = result.status
    return {s.value: sum(1 for v in worst.values() if v is s) for s in _WORST_FIRST}


def _summary(coverage: Coverage, now: datetime) -> str:
    source = coverage.source
    cases = _cases(coverage.results)
    told = ", ".join(f"{n} {status}" for status, n in cases.items() if n)
    total = sum(cases.values())
    head = f"{source.report.kind} run finished {_age(now - source.finished)} ago"
    if source.report.kind == "load":
        slos = [r for r in coverage.judged if r.check.startswith(SLO_PREFIX)]
        held = sum(1 for r in slos if r.status is Status.PASSED)
        under = f"{len(coverage.load_operations)} operations under load"
        return f"{head}: {under}, {held} of {len(slos)} SLO checks held"
    return f"{head}: {total} case{'s' * (total != 1)} ({told})"


def _latencies(results: Iterable[Result]) -> tuple[float, ...]:
    seen: dict[str, float] = {}
    for result in results:
        evidence = result.evidence
        if (
            result.status in (Status.PASSED, Status.FAILED)
            and evidence is not None
            and evidence.status is not None  # an aggregate (the p95 result) has no answer
            and evidence.elapsed_ms is not None
        ):
            seen.setdefault(result.case, evidence.elapsed_ms)
    return tuple(seen.values())


def _screenshots(
    results: Iterable[Result], folder: Path, context: GateContext
) -> tuple[Screenshot, ...]:
    shots: dict[str, Screenshot] = {}
    root = folder.resolve()
    for result in results:
        if result.evidence is None:
            continue
        for attachment in result.evidence.attachments:
            if attachment.kind != "screenshot" or attachment.path in shots:
                continue
            candidate = (root / attachment.path).resolve()
            # A report may only show files from its own folder, never /etc/... or ../..
            inside = candidate.is_relative_to(root) and candidate.is_file()
            shots[attachment.path] = Screenshot(
                file=candidate if inside else None,
                written=context.redactor.text(attachment.path),
                title=context.redactor.text(attachment.title or result.case),
                case=result.case,
                status=result.status,
            )
    return tuple(shots.values())


def _age(delta: timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    for unit, size in (("day", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' * (unit == 'day' and count != 1)}"
    return f"{seconds} s"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]
