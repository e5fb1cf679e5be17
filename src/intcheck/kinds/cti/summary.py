"""What a simulated run adds up to: known callers popped per number form, screen-pop latency
against the SLA, the share of callbacks that failed, and the chaos the contract cannot show.

These are Results without one exchange of their own: each names the figures in its message
and puts the table in ``evidence.details``, where the report shows it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from intcheck.model import Evidence, Result, Severity, Status

if TYPE_CHECKING:
    from intcheck.kinds.cti.contract import CtiContract
    from intcheck.model import SourceRef

EVERY_FORM = "caller_is_popped_in_every_form"
SCREEN_POP_P95 = "screen_pop_p95_within_sla"
ERROR_RATE = "error_rate_within_sla"


@dataclass(frozen=True, slots=True, kw_only=True)
class PopOutcome:
    """Whether one known caller's pop event popped them: True, False, or None (no verdict)."""

    form: str
    popped: bool | None
    case: str
    caller: str
    customer: str


def nearest_rank(values: Iterable[float], fraction: float) -> float:
    """The value below which ``fraction`` of ``values`` fall (nearest rank, as the probe's)."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


def pops_by_form(
    settings: CtiContract, operation: str, outcomes: list[PopOutcome], *, judged: bool
) -> list[Result]:
    """One result per number form: was every known caller popped when the number came so?

    ``judged`` False: the contract says nothing a pop must hold, so nothing can tell.
    """
    forms: dict[str, list[PopOutcome]] = {}
    for outcome in outcomes:
        forms.setdefault(outcome.form, []).append(outcome)
    table = {
        form: {
            "calls": len(rows),
            "popped": sum(1 for r in rows if r.popped),
            "not_popped": sum(1 for r in rows if r.popped is False),
            "example": rows[0].caller,
        }
        for form, rows in sorted(forms.items())
    }
    results = []
    for form, rows in sorted(forms.items()):
        missed = [r for r in rows if r.popped is False]
        judged_rows = [r for r in rows if r.popped is not None]
        declared = form in settings.declared_forms or settings.primary_form == "as-is"
        status, message = Status.PASSED, ""
        if not judged:
            status = Status.SKIPPED
            message = "the contract does not say what a pop holds (expect.fields): nothing to tell"
        elif missed:
            status = Status.FAILED
            first = missed[0]
            message = (
                f"{len(missed)} of {len(rows)} known callers were not popped when the number came "
                f"as {form} (e.g. {first.caller} is {first.customer}, see {first.case})"
            )
            if not declared:
                message += "; the contract does not declare this form (caller_id.forms)"
        elif not judged_rows:
            status = Status.ERRORED
            message = f"no answer to judge for the {len(rows)} calls in {form} form"
        severity = Severity.CRITICAL if declared else Severity.MEDIUM
        results.append(
            Result(
                integration=settings.name,
                operation=operation,
                case=f"{operation}#form:{form}",
                check=EVERY_FORM,
                status=status,
                severity=Severity.INFO if status is Status.PASSED else severity,
                message=message,
                evidence=Evidence(details={"form": form, "declared": declared, "forms": table}),
                source=settings.sources.caller_id,
            )
        )
    return results


def latency(settings: CtiContract, operation: str, elapsed_ms: list[float]) -> Result:
    """Screen-pop latency (p50/p95/p99) of the pop events against ``sla.p95_ms``."""
    p50, p95, p99 = (nearest_rank(elapsed_ms, f) for f in (0.5, 0.95, 0.99))
    sla = settings.p95_ms
    details: dict[str, Any] = {
        "pops": len(elapsed_ms),
        "p50_ms": round(p50, 3),
        "p95_ms": round(p95, 3),
        "p99_ms": round(p99, 3),
        "sla_p95_ms": sla,
    }
    figures = (
        f"screen pop p50 {p50:.0f} ms, p95 {p95:.0f} ms, p99 {p99:.0f} ms "
        f"over {len(elapsed_ms)} pops"
    )
    if not elapsed_ms:
        status, message = Status.SKIPPED, "no pop event was answered"
    elif sla is None:
        status, message = Status.SKIPPED, f"{figures}; the contract sets no sla.p95_ms"
    elif p95 <= sla:
        status, message = Status.PASSED, f"{figures}; SLA p95 {sla:g} ms"
    else:
        status, message = Status.FAILED, f"{figures}; SLA p95 is {sla:g} ms"
    return Result(
        integration=settings.name,
        operation=operation,
        case=f"{operation}#latency",
        check=SCREEN_POP_P95,
        status=status,
        severity=Severity.INFO if status is not Status.FAILED else Severity.HIGH,
        message=message,
        evidence=Evidence(elapsed_ms=round(p95, 3), details=details),
        source=settings.sources.sla,
    )


def error_rate(
    settings: CtiContract, failures: int, total: int, rate: float | None
) -> Result | None:
    """The share of callbacks that got a 5xx or no answer, against ``sla.error_rate``."""
    if rate is None or total == 0:
        return None
    share = failures / total
    passed = share <= rate
    return Result(
        integration=settings.name,
        operation=f"{settings.name}:*",
        case=f"{settings.name}:*#error-rate",
        check=ERROR_RATE,
        status=Status.PASSED if passed else Status.FAILED,
        severity=Severity.INFO if passed else Severity.HIGH,
        message=f"{failures} of {total} callbacks got a 5xx or no answer ({share:.2%}); "
        f"SLA {rate:.2%}",
        evidence=Evidence(details={"callbacks": total, "failed": failures, "sla_error_rate": rate}),
        source=settings.sources.sla,
    )


def not_applicable(
    settings: CtiContract, operation: str, check: str, twist: str, reason: str, source: SourceRef
) -> Result:
    """A chaos claim the contract gives no way to show, reported rather than left out."""
    return Result(
        integration=settings.name,
        operation=operation,
        case=f"{operation}#chaos-{twist}",
        check=check,
        status=Status.SKIPPED,
        severity=Severity.LOW,
        message=f"not tested: {reason}",
        source=source,
    )


def no_known_callers(settings: CtiContract, operation: str) -> Result:
    """Said when no known customer called, so no form could be shown to pop."""
    return Result(
        integration=settings.name,
        operation=operation,
        case=f"{operation}#forms",
        check=EVERY_FORM,
        status=Status.SKIPPED,
        severity=Severity.MEDIUM,
        message="not tested: no known customer called (the plan's datasets hold no record "
        "with a number of its own, or every call was unknown or withheld)",
        source=settings.sources.caller_id,
    )
