"""The go/no-go: one verdict per integration and one for the rollout, and the exit code.

An integration is NO-GO when a gate it needs is not met or not tested, GO WITH RISKS when
its gates hold only through waivers, findings below its thresholds or open non-blocking
checklist items, and GO otherwise. The rollout is NO-GO when an integration of criticality
above ``low`` is, or a blocking item of the rollout's own checklist is open.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import TYPE_CHECKING

from intcheck.contracts.digest import contract_digests
from intcheck.errors import ExitCode
from intcheck.model import Status
from intcheck.readiness.changes import Changes, compare_with
from intcheck.readiness.evidence import EVIDENCE_KINDS, EvidenceIndex, find_reports, read_reports
from intcheck.readiness.findings import Disposition, Issue, waiver_matches
from intcheck.readiness.gates import DEFAULT_GATES, GateContext, GateStatus, manual_outcome
from intcheck.redact import Redactor

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from pathlib import Path

    from intcheck.model import Integration, LoadSummary, ManualItem, Plan, Waiver
    from intcheck.readiness.evidence import ReportFile, Unused
    from intcheck.readiness.gates import Gate, GateOutcome

READINESS_SCHEMA_VERSION = "1.0"
DEFAULT_MAX_AGE = timedelta(days=7)


class Verdict(Enum):
    """The answer of the go/no-go meeting."""

    GO = "GO"
    GO_WITH_RISKS = "GO WITH RISKS"
    NO_GO = "NO-GO"

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.FINDINGS if self is Verdict.NO_GO else ExitCode.OK


@dataclass(frozen=True, slots=True, kw_only=True)
class WaiverUse:
    """A waiver of the plan and what it did in this run."""

    waiver: Waiver
    state: str  # active | expired
    matched: int  # results it names in the evidence weighed


@dataclass(frozen=True, slots=True, kw_only=True)
class IntegrationVerdict:
    """One integration's verdict, its gates, and who owns it."""

    integration: Integration
    verdict: Verdict
    gates: tuple[GateOutcome, ...]
    waivers: tuple[WaiverUse, ...] = ()
    reasons: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.integration.contract.name

    @property
    def issues(self) -> tuple[Issue, ...]:
        return tuple(i for g in self.gates for i in g.issues)

    def gate(self, name: str) -> GateOutcome | None:
        return next((g for g in self.gates if g.gate == name), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadRun:
    """One load summary and the report it comes from, for the charts."""

    report: Path
    finished_at: str
    summary: LoadSummary


@dataclass(frozen=True, slots=True, kw_only=True)
class Readiness:
    """Everything the go/no-go outputs show, already redacted."""

    plan_name: str
    plan_path: Path
    generated_at: str
    max_age: timedelta
    verdict: Verdict
    reasons: tuple[str, ...]  # why NO-GO (the blockers), or the risks of a GO WITH RISKS
    risks: tuple[str, ...]  # every risk the go-live carries, whatever the verdict
    integrations: tuple[IntegrationVerdict, ...]
    rollout: GateOutcome  # the plan's own checklist, weighed
    rollout_manual: tuple[ManualItem, ...]  # the plan's own checklist, as written
    reports: tuple[ReportFile, ...]  # the evidence used, oldest first
    unused: tuple[Unused, ...] = ()
    unknown: tuple[str, ...] = ()  # integrations named by reports but not by the plan
    load_runs: tuple[LoadRun, ...] = ()
    changes: Changes | None = None
    gate_names: tuple[str, ...] = field(default=tuple(g.name for g in DEFAULT_GATES))

    @property
    def exit_code(self) -> ExitCode:
        return self.verdict.exit_code

    @property
    def issues(self) -> tuple[Issue, ...]:
        return (*self.rollout.issues, *(i for v in self.integrations for i in v.issues))


def evaluate_readiness(
    plan: Plan,
    report_locations: Sequence[Path],
    *,
    max_age: timedelta = DEFAULT_MAX_AGE,
    now: datetime | None = None,
    previous: Path | None = None,
    gates: Sequence[Gate] = DEFAULT_GATES,
) -> Readiness:
    """Weigh every report.json at or below ``report_locations`` against ``plan``'s gates.

    ``previous`` is an earlier readiness.json to compare with. A report that breaks the report
    schema is a ``UsageError`` naming its file.

    >>> plan = load_plan("contracts/")                          # doctest: +SKIP
    >>> evaluate_readiness(plan, [Path("reports")]).verdict      # doctest: +SKIP
    <Verdict.GO_WITH_RISKS: 'GO WITH RISKS'>
    """
    now = now or datetime.now(UTC)
    files = read_reports(find_reports(report_locations))
    evidence = EvidenceIndex(plan, files)
    context = GateContext(
        evidence=evidence,
        now=now,
        max_age=max_age,
        digests=contract_digests(plan),
        redactor=Redactor(plan.secrets),
    )
    verdicts = tuple(_integration_verdict(i, gates, context) for i in plan.integrations)
    rollout = manual_outcome(plan.manual, "rollout", context.today)
    verdict, reasons, risks = _overall(verdicts, rollout)
    used = evidence.used()
    readiness = Readiness(
        plan_name=plan.name,
        plan_path=plan.source.path,
        generated_at=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        max_age=max_age,
        verdict=verdict,
        reasons=reasons,
        risks=risks,
        integrations=verdicts,
        rollout=rollout,
        rollout_manual=plan.manual,
        reports=tuple(used),
        unused=tuple(evidence.unused),
        unknown=tuple(sorted(set().union(*evidence.unknown.values()))),
        load_runs=tuple(
            LoadRun(report=f.path, finished_at=f.report.finished_at, summary=s)
            for f in used
            if f.report.kind == "load"
            for s in f.report.load
        ),
        gate_names=tuple(g.name for g in gates),
    )
    if previous is None:
        return readiness
    return replace(readiness, changes=compare_with(readiness, previous))


def _integration_verdict(
    integration: Integration, gates: Iterable[Gate], context: GateContext
) -> IntegrationVerdict:
    outcomes = tuple(gate.evaluate(integration, context) for gate in gates)
    blocking = [i for o in outcomes for i in o.issues if i.disposition is Disposition.BLOCKING]
    risky = [
        i
        for o in outcomes
        for i in o.issues
        if i.disposition in (Disposition.RISK, Disposition.WAIVED)
    ]
    deciding = [o for o in outcomes if o.status is not GateStatus.NOT_REQUIRED]
    if blocking:
        verdict = Verdict.NO_GO
        reasons = tuple(f"{i.gate}: {i.title}" for i in blocking)
    elif risky or not deciding:
        verdict = Verdict.GO_WITH_RISKS
        reasons = tuple(f"{i.gate}: {i.title}" for i in risky) or (
            "no gate decides this integration: give it gates or checklist items in the plan",
        )
    else:
        verdict, reasons = Verdict.GO, ()
    return IntegrationVerdict(
        integration=integration,
        verdict=verdict,
        gates=outcomes,
        waivers=_waiver_uses(integration, context),
        reasons=reasons,
    )


def _waiver_uses(integration: Integration, context: GateContext) -> tuple[WaiverUse, ...]:
    results = [
        r
        for gate in EVIDENCE_KINDS
        if (c := context.evidence.select(integration.contract.name, gate).coverage) is not None
        for r in c.judged
    ]
    return tuple(
        WaiverUse(
            waiver=w,
            state="active" if w.until >= context.today else "expired",
            matched=sum(
                1 for r in results if r.status is not Status.PASSED and waiver_matches(w, r)
            ),
        )
        for w in integration.waivers
    )


def _overall(
    verdicts: Sequence[IntegrationVerdict], rollout: GateOutcome
) -> tuple[Verdict, tuple[str, ...], tuple[str, ...]]:
    """The rollout's verdict, its reasons, and every risk it carries."""
    blocking: list[str] = []
    risks: list[str] = []
    for item in rollout.issues:
        target = blocking if item.disposition is Disposition.BLOCKING else risks
        target.append(f"rollout checklist: {item.title}")
    for v in verdicts:
        criticality = v.integration.criticality
        first = v.reasons[0] if v.reasons else ""
        more = f" (and {len(v.reasons) - 1} more)" if len(v.reasons) > 1 else ""
        if v.verdict is Verdict.NO_GO and criticality != "low":
            blocking.append(f"{v.name} ({criticality}) is NO-GO: {first}{more}")
        elif v.verdict is Verdict.NO_GO:
            risks.append(
                f"{v.name} is NO-GO, but its criticality is low, so it does not hold up the "
                f"go-live: {first}{more}"
            )
        elif v.verdict is Verdict.GO_WITH_RISKS:
            risks.append(f"{v.name}: {first}{more}")
    if blocking:
        return Verdict.NO_GO, tuple(blocking), tuple(risks)
    if risks:
        return Verdict.GO_WITH_RISKS, tuple(risks), tuple(risks)
    return Verdict.GO, (), ()
