"""Results about a whole operation or integration, judged once over the run.

* ``record_exists``: per operation whose generated cases can meet "no such record"
  (``ProbeCase.not_found``). PASSED when a case reached a record (the message says whether with
  real data: harvested from the target's answers, or the contract's ``probe.data``); FAILED
  when real data was answered "not found" (the target denies a record it named itself, or one
  the user wrote down); SKIPPED when only generated values were sent and none reached a record.
* ``p95_latency_within_sla``: per integration with ``sla.p95_ms``, the p95 over every answer
  of the run, judged only from ``MIN_SAMPLES`` answers on.
* ``target_is_reachable``: once per integration whose target cannot be reached at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from intcheck.model import Evidence, Result, Severity, Status
from intcheck.probe.checks import build_evidence, percentile

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from intcheck.kinds.probing import Exchange, ProbeCase
    from intcheck.model import Plan
    from intcheck.redact import Redactor

RECORD_CHECK = "record_exists"
P95_CHECK = "p95_latency_within_sla"
REACH_CHECK = "target_is_reachable"
MIN_SAMPLES = 20  # a p95 lets one answer in twenty be slower: fewer cannot show it
DATA_HINT = (
    "name known test data on the target in the contract, e.g. "
    "probe: {data: {customerId: [CUST-004217]}}"
)


@dataclass(frozen=True, slots=True)
class _Answer:
    case: ProbeCase
    status: int
    not_found: bool
    evidence: Evidence | None  # kept only for the answer that can become a finding


@dataclass(slots=True)
class RecordTally:
    """The answers to each operation's generated cases, as they come in."""

    redactor: Redactor
    answers: dict[str, list[_Answer]] = field(default_factory=dict)

    def add(self, case: ProbeCase, exchange: Exchange) -> None:
        if case.not_found is None or exchange.error or exchange.status is None:
            return
        missing = bool(case.not_found(exchange))
        known = missing and case.record_is_known
        evidence = build_evidence(exchange, self.redactor) if known else None
        entry = _Answer(case, exchange.status, missing, evidence)
        self.answers.setdefault(case.operation.id, []).append(entry)

    def results(self) -> Iterable[Result]:
        for operation in sorted(self.answers):
            result = _record_result(self.answers[operation])
            yield replace(result, message=self.redactor.text(result.message))


def _record_result(answers: list[_Answer]) -> Result:
    denied = next((a for a in answers if a.not_found and a.case.record_is_known), None)
    if denied is not None:
        request = denied.case.request
        message = (
            f"{request.method} {request.url} answered {denied.status} (no such record), "
            f"though the record comes from real data: {denied.case.data_origin}"
        )
        return _result(denied.case, Status.FAILED, Severity.HIGH, message, denied.evidence)
    reached = sorted(
        (a for a in answers if 200 <= a.status < 400), key=lambda a: not a.case.data_origin
    )
    if reached:
        best = reached[0].case
        how = best.data_origin or "values from the dataset, the examples or the schema"
        return _result(best, Status.PASSED, Severity.INFO, f"reached a record with {how}")
    statuses = ", ".join(sorted({str(a.status) for a in answers}))
    shown = answers[0].case.request
    origins = sorted({a.case.data_origin for a in answers if a.case.data_origin})
    values = " and ".join(["generated values", *origins])
    if all(a.not_found for a in answers):
        message = (
            f"the target has no record for the values sent ({values}): every positive case "
            f"got {statuses} (e.g. {shown.method} {shown.url}); {DATA_HINT}"
        )
    else:
        message = f"no positive case reached a record (answers: {statuses}); {DATA_HINT}"
    return _result(answers[0].case, Status.SKIPPED, Severity.LOW, message)


def _result(
    case: ProbeCase,
    status: Status,
    severity: Severity,
    message: str,
    evidence: Evidence | None = None,
) -> Result:
    return Result(
        integration=case.integration,
        operation=case.operation.id,
        case=case.id,
        check=RECORD_CHECK,
        status=status,
        severity=severity,
        message=message,
        evidence=evidence,
        source=case.source,
    )


def p95_results(plan: Plan, latencies: Mapping[str, list[float]]) -> Iterable[Result]:
    """The SLA judged on the p95 of each integration's answers, with the sample count."""
    for name, values in sorted(latencies.items()):
        sla = plan.contract(name).sla.p95_ms
        if sla is None or not values:
            continue
        p95 = percentile(values, 0.95)
        if len(values) < MIN_SAMPLES:
            status, severity = Status.SKIPPED, Severity.LOW
            message = (
                f"only {len(values)} answers: a p95 needs at least {MIN_SAMPLES} to be judged "
                f"(p95 of these {p95:.0f} ms, SLA {sla:g} ms)"
            )
        else:
            passed = p95 <= sla
            status = Status.PASSED if passed else Status.FAILED
            severity = Severity.INFO if passed else Severity.MEDIUM
            message = f"p95 over {len(values)} answers is {p95:.0f} ms, SLA p95 {sla:g} ms"
        yield Result(
            integration=name,
            operation=f"{name}:*",
            case=f"{name}:*#p95",
            check=P95_CHECK,
            status=status,
            severity=severity,
            message=message,
            evidence=Evidence(elapsed_ms=round(p95, 3)),
            source=plan.contract(name).source,
        )


def unreachable_result(
    case: ProbeCase, exchange: Exchange, not_sent: int, redactor: Redactor
) -> Result:
    """One ERRORED result for an integration whose target cannot be reached at all."""
    evidence = build_evidence(exchange, redactor)
    where = str(evidence.request.get("url", ""))
    message = (
        f"cannot reach the target ({where}): {redactor.text(exchange.error)}; "
        f"{not_sent} more case{'s' if not_sent != 1 else ''} of {case.integration} not sent"
    )
    return Result(
        integration=case.integration,
        operation=f"{case.integration}:*",
        case=f"{case.integration}:*#target",
        check=REACH_CHECK,
        status=Status.ERRORED,
        severity=Severity.CRITICAL,
        message=message,
        evidence=evidence,
        source=case.source,
    )
