"""``run_probe``: every case of every contract whose kind can be probed, sent concurrently, checked.

The runner yields ``Result``s as cases complete and knows nothing of who reads them (progress
bar, report writer, a test); ``build_report`` folds what was read into a ``Report``.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import platform
import socket
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from intcheck.data import merged_collections
from intcheck.errors import UsageError
from intcheck.kinds.probing import DatasetIndex, PerformContext, ProbeCase
from intcheck.model import Evidence, Report, Result, Severity, Status
from intcheck.plugins import Registry, not_covered
from intcheck.probe.checks import percentile, run_checks
from intcheck.probe.transport import Timeouts, create_session, send
from intcheck.redact import Redactor

if TYPE_CHECKING:
    from pathlib import Path

    from intcheck.model import Contract, Plan
    from intcheck.plugins import Prober

P95_CHECK = "p95_latency_within_sla"


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeOptions:
    """What to probe and how hard.

    ``only`` holds contract names, operation ids or case ids (shell patterns allowed);
    ``targets`` maps a contract name to the URL that replaces its ``target``.
    """

    only: tuple[str, ...] = ()
    targets: Mapping[str, str] = field(default_factory=dict)
    concurrency: int = 16
    timeout_s: float = 10.0
    insecure: bool = False
    read_only: bool = False  # send nothing that would change the target's data
    registry: Registry = field(default_factory=Registry.default)
    artifacts: Path | None = None  # where cases may save files they link (screenshots)


def parse_targets(pairs: Iterable[str]) -> dict[str, str]:
    """``--target NAME=URL`` values as a mapping; UsageError for anything else."""
    targets = {}
    for pair in pairs:
        name, _, url = pair.partition("=")
        # smtp(s):// names an email contract's relay (the probe) or the CRM's mail server
        if not name or not url.startswith(("http://", "https://", "smtp://", "smtps://")):
            raise UsageError(
                f"--target {pair!r}: expected NAME=URL, e.g. customer-master=https://mdm.example.com"
            )
        targets[name] = url
    return targets


def plan_cases(plan: Plan, options: ProbeOptions) -> list[ProbeCase]:
    """Every case the options select, in a stable order; UsageError for impossible options."""
    names = {c.name for c in plan.contracts}
    unknown = sorted(set(options.targets) - names)
    if unknown:
        raise UsageError(f"--target names no contract of the plan: {', '.join(unknown)}")
    if options.concurrency < 1 or options.timeout_s <= 0:
        raise UsageError("--concurrency must be at least 1 and --timeout above 0")
    index = dataset_index(plan)
    cases: list[ProbeCase] = []
    for contract in plan.contracts:
        prober = _prober(contract, options)
        if prober is None:
            continue
        built = [
            c for c in _contract_cases(contract, prober, options, index) if _selected(c, options)
        ]
        if options.read_only:
            built = [_held_back(c) if prober.writes(c.operation) else c for c in built]
        cases += built
    if options.only and not cases and not uncovered_results(plan, options):
        raise UsageError(f"--only matches no case: {', '.join(options.only)}")
    return cases


def dataset_index(plan: Plan) -> DatasetIndex:
    """Every collection of every dataset in the plan, as values by field name."""
    return DatasetIndex(merged_collections(plan))


def _prober(contract: Contract, options: ProbeOptions) -> Prober | None:
    kind = options.registry.kinds.get(contract.kind)
    return None if kind is None else kind.probe


def uncovered_contracts(plan: Plan, options: ProbeOptions) -> list[Contract]:
    """The selected contracts whose kind the probe cannot check."""
    return [
        contract
        for contract in options.registry.uncovered(plan, "probe")
        if not options.only or any(_names_contract(contract.name, p) for p in options.only)
    ]


def _names_contract(contract: str, pattern: str) -> bool:
    """Whether ``pattern`` (a contract, operation or case id, globs allowed) is of ``contract``."""
    return _matches(contract, pattern) or _matches(contract, pattern.split(":", 1)[0])


def uncovered_results(plan: Plan, options: ProbeOptions) -> list[Result]:
    """A SKIPPED result for each selected contract whose kind the probe cannot check."""
    return [not_covered(contract, "probe") for contract in uncovered_contracts(plan, options)]


def _contract_cases(
    contract: Contract, prober: Prober, options: ProbeOptions, index: DatasetIndex
) -> list[ProbeCase]:
    if options.only and not any(_may_select(contract.name, p) for p in options.only):
        return []
    target = options.targets.get(contract.name) or contract.target
    if not target:
        raise UsageError(
            f"{contract.name} has no target: set `target:` in {contract.source.path.name} "
            f"or pass --target {contract.name}=URL"
        )
    return prober.build_cases(contract, target, index)


def _may_select(contract: str, pattern: str) -> bool:
    """Whether ``pattern`` can match this contract's cases (before building them)."""
    if any(c in pattern for c in "*?["):
        return True  # a glob may match anything: build the cases, then filter them
    return pattern == contract or pattern.startswith(contract + ":")


def _held_back(case: ProbeCase) -> ProbeCase:
    what = case.operation.name
    return replace(
        case,
        skip=f"--read-only: {what} would change the target's data, so it was not sent",
        skipped_by="probe_is_read_only",
    )


def _selected(case: ProbeCase, options: ProbeOptions) -> bool:
    if not options.only:
        return True
    return any(
        _matches(case.integration, p) or _matches(case.operation.id, p) or _matches(case.id, p)
        for p in options.only
    )


def _matches(name: str, pattern: str) -> bool:
    return name == pattern or fnmatch.fnmatchcase(name, pattern)


async def run_probe(
    plan: Plan, options: ProbeOptions, cases: list[ProbeCase] | None = None
) -> AsyncIterator[Result]:
    """Probe every selected case; yield each Result as soon as its case is checked.

    ``cases`` are those ``plan_cases`` built, when the caller already has them (to count them).
    """
    if cases is None:
        cases = plan_cases(plan, options)
    for result in uncovered_results(plan, options):
        yield result
    redactor = Redactor(plan.secrets)
    timeouts = Timeouts.from_total(options.timeout_s)
    limit = asyncio.Semaphore(options.concurrency)
    done: asyncio.Queue[list[Result] | None] = asyncio.Queue()
    latencies: dict[str, list[float]] = {}
    performing = PerformContext(
        timeout_s=options.timeout_s, insecure=options.insecure, artifacts=options.artifacts
    )

    async with create_session(
        timeouts, insecure=options.insecure, concurrency=options.concurrency
    ) as session:

        async def probe(case: ProbeCase) -> None:
            if case.skip:
                await done.put([_skipped(case)])
                return
            async with limit:
                if case.perform is not None:
                    exchange = await case.perform(performing)
                else:
                    exchange = await send(session, case.request, timeouts)
            if not exchange.error:
                latencies.setdefault(case.integration, []).append(exchange.elapsed_ms)
            await done.put(run_checks(case, exchange, redactor))

        async def probe_all() -> None:
            try:
                async with asyncio.TaskGroup() as group:
                    for case in cases:
                        group.create_task(probe(case))
            finally:
                await done.put(None)

        # The producer is owned here: closing this generator (Ctrl-C, a consumer that stops
        # early) cancels it, and the TaskGroup cancels every probe still running.
        producer = asyncio.create_task(probe_all())
        try:
            while (batch := await done.get()) is not None:
                for result in batch:
                    yield result
            await producer
        finally:
            producer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await producer

    for result in _p95_results(plan, latencies):
        yield result


def _skipped(case: ProbeCase) -> Result:
    return Result(
        integration=case.integration,
        operation=case.operation.id,
        case=case.id,
        check=case.skipped_by,
        status=Status.SKIPPED,
        severity=Severity.LOW,
        message=case.skip,
        source=case.source,
    )


def _p95_results(plan: Plan, latencies: Mapping[str, list[float]]) -> Iterable[Result]:
    for name, values in sorted(latencies.items()):
        sla = plan.contract(name).sla.p95_ms
        if sla is None or not values:
            continue
        p95 = percentile(values, 0.95)
        passed = p95 <= sla
        yield Result(
            integration=name,
            operation=f"{name}:*",
            case=f"{name}:*#p95",
            check=P95_CHECK,
            status=Status.PASSED if passed else Status.FAILED,
            severity=Severity.INFO if passed else Severity.MEDIUM,
            message=""
            if passed
            else f"p95 over {len(values)} requests is {p95:.0f} ms, SLA {sla:g} ms",
            evidence=Evidence(elapsed_ms=round(p95, 3)),
            source=plan.contract(name).source,
        )


def build_report(
    plan: Plan,
    results: Iterable[Result],
    *,
    started_at: str,
    complete: bool,
    targets: Mapping[str, str],
    kind: str = "probe",
) -> Report:
    """The Report of a probe (or simulate, ``kind``) run; ``complete`` False marks an interrupted
    run."""
    redactor = Redactor(plan.secrets)
    used = {c.name: redactor.text(targets.get(c.name) or c.target) for c in plan.contracts}
    return Report(
        kind=kind,
        plan_name=plan.name,
        plan_path=str(plan.source.path),
        started_at=started_at,
        finished_at=utc_now(),
        complete=complete,
        environment={
            "hostname": socket.gethostname(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "targets": used,
        },
        results=tuple(results),
    )


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
