"""The SLO verdicts of a load run: one Result per limit, with the figures that decided it.

Check names say the claim (``slo_p95_ms``, ``slo_error_rate``, ``slo_min_rps``, ...); the case
is ``<operation id>#slo:<figure>`` (``load:<scenario>:*#slo:<figure>`` for the whole run), so
JUnit shows one testcase per SLO. PASSED or FAILED when the target answered; ERRORED when the
run gives nothing to judge: no request of the operation finished, or none got any answer at
all (refused, unreachable), which says the target was not there, not that it was slow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from intcheck.load.stats import OVERALL
from intcheck.model import Evidence, Result, Severity, Status

if TYPE_CHECKING:
    from collections.abc import Mapping

    from intcheck.load.scenario import Scenario, Slo
    from intcheck.load.stats import Figures

_NO_ANSWER = ("connection refused", "connection reset", "connection closed", "no answer")
_WORDS = {
    "p50_ms": "p50",
    "p90_ms": "p90",
    "p95_ms": "p95",
    "p99_ms": "p99",
    "max_ms": "slowest request",
    "error_rate": "error rate",
    "min_rps": "throughput",
}


def overall_id(scenario: Scenario) -> str:
    """The operation id the run-wide SLOs are reported under."""
    return f"load:{scenario.name}:*"


def judge(
    scenario: Scenario,
    figures: Mapping[str, Figures],
    *,
    aborted: Mapping[str, Any] | None = None,
    uncovered: Mapping[str, str] | None = None,
) -> list[Result]:
    """One Result per limit of every SLO of ``scenario``, judged on the run's ``figures``.

    ``uncovered`` maps each contract no kind could build load for to its kind: their SLOs are
    SKIPPED (not tested), never judged on the absence of requests.
    """
    results = []
    for slo in scenario.slos:
        operation = slo.operation or overall_id(scenario)
        measured = figures.get(slo.operation or OVERALL)
        contract = operation.split(":", 1)[0]
        for figure, limit in slo.limits.items():
            if slo.operation and contract in (uncovered or {}):
                results.append(_not_tested(slo, operation, figure, (uncovered or {})[contract]))
                continue
            results.append(_verdict(scenario, slo, operation, figure, limit, measured, aborted))
    return results


def _not_tested(slo: Slo, operation: str, figure: str, kind: str) -> Result:
    return Result(
        integration=operation.split(":", 1)[0],
        operation=operation,
        case=f"{operation}#slo:{figure}",
        check=f"slo_{figure}",
        status=Status.SKIPPED,
        severity=Severity.HIGH,
        message=f"not tested: intcheck load does not cover {kind} contracts yet",
        source=slo.source,
    )


def _verdict(
    scenario: Scenario,
    slo: Slo,
    operation: str,
    figure: str,
    limit: float,
    measured: Figures | None,
    aborted: Mapping[str, Any] | None,
) -> Result:
    integration = operation.split(":", 1)[0] if slo.operation else f"load:{scenario.name}"
    subject = slo.operation or f"the whole run ({scenario.name})"
    what = _WORDS[figure]
    details: dict[str, Any] = {"figure": figure, "limit": limit, "origin": slo.origin}
    if aborted and aborted.get("reason") == "slo":
        details["run_stopped"] = (
            f"at {aborted['t_s']} s: {aborted['operation'] or 'the run'}'s "
            f"{aborted['figure']} was {_show(aborted['figure'], aborted['value'])}"
        )
    status, message = Status.ERRORED, ""
    if measured is None or measured.requests == 0:
        message = f"no request of {subject} finished: nothing to judge the {what} on"
    else:
        details.update(measured.as_numbers())
        details["failures_by_kind"] = dict(measured.failure_kinds)
        value = measured.figure(figure)
        details["value"] = value
        answered = measured.requests - sum(
            n for kind, n in measured.failure_kinds.items() if kind in _NO_ANSWER
        )
        over = f"over {measured.requests:,} requests"
        if answered == 0:
            kinds = ", ".join(f"{k} x{n}" for k, n in measured.failure_kinds.items())
            message = f"{subject} never got an answer ({kinds}): its {what} cannot be judged"
        else:
            low = figure == "min_rps"
            breached = value < limit if low else value > limit
            status = Status.FAILED if breached else Status.PASSED
            bound = "at least" if low else "at most"
            verb = "breaks" if breached else "holds"
            message = (
                f"{what} of {subject} was {_show(figure, value)} {over}; "
                f"the SLO ({slo.origin}) allows {bound} {_show(figure, limit)}: it {verb}"
            )
            if figure == "error_rate" and measured.failure_kinds:
                common = sorted(measured.failure_kinds.items(), key=lambda kv: -kv[1])[:3]
                message += " (" + ", ".join(f"{k} x{n}" for k, n in common) + ")"
    if "run_stopped" in details:
        message += f"; run stopped early {details['run_stopped']}"
    return Result(
        integration=integration,
        operation=operation,
        case=f"{operation}#slo:{figure}",
        check=f"slo_{figure}",
        status=status,
        severity=Severity.HIGH,
        message=message,
        evidence=Evidence(details=details),
        source=slo.source,
    )


def _show(figure: str, value: float) -> str:
    if figure == "error_rate":
        return f"{value * 100:.2f} %"
    if figure == "min_rps":
        return f"{value:,.1f} requests/s"
    return f"{value:,.0f} ms"
