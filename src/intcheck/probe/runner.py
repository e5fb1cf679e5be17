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
from functools import partial
from typing import TYPE_CHECKING, Any

from intcheck.contracts.digest import contract_digests
from intcheck.data import merged_collections
from intcheck.errors import UsageError
from intcheck.kinds.probing import DatasetIndex, PerformContext, ProbeCase, RunResources
from intcheck.model import Report, Result, Severity, Status
from intcheck.plugins import Registry, not_covered
from intcheck.probe.checks import run_checks
from intcheck.probe.outcomes import RecordTally, p95_results, unreachable_result
from intcheck.probe.phases import in_phases, resolve, sources_of, with_sources
from intcheck.probe.transport import MAX_REDIRECTS, Timeouts, create_session, send
from intcheck.redact import Redactor

if TYPE_CHECKING:
    from pathlib import Path

    from intcheck.kinds.probing import Exchange
    from intcheck.model import Contract, Plan
    from intcheck.plugins import Prober


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
        every = _contract_cases(contract, prober, options, index)
        # A linked case needs the answers it takes values from: those cases come along.
        built = with_sources(every, [c for c in every if _selected(c, options)])
        if options.read_only:
            built = [_held_back(c) if _writes(c, prober) else c for c in built]
        cases += built
    if options.only and not cases and not uncovered_results(plan, options):
        valid = [op.id for c in plan.contracts if _prober(c, options) for op in c.operations]
        raise UsageError(
            f"--only matches no case: {', '.join(options.only)}\n"
            "give a contract, an operation (with or without its contract), or a case id; "
            "the operations are:\n  " + "\n  ".join(valid)
        )
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
    if options.only and not any(_may_select(contract, p) for p in options.only):
        return []
    target = options.targets.get(contract.name) or contract.target
    if not target:
        raise UsageError(
            f"{contract.name} has no target: set `target:` in {contract.source.path.name} "
            f"or pass --target {contract.name}=URL"
        )
    return prober.build_cases(contract, target, index)


def _may_select(contract: Contract, pattern: str) -> bool:
    """Whether ``pattern`` can match this contract's cases (before building them)."""
    if any(c in pattern for c in "*?["):
        return True  # a glob may match anything: build the cases, then filter them
    if pattern == contract.name or pattern.startswith(contract.name + ":"):
        return True
    return any(op.name == pattern for op in contract.operations)  # `--only GetOrder`


def _writes(case: ProbeCase, prober: Prober) -> bool:
    return prober.writes(case.operation) if case.writes is None else case.writes


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
        _matches(case.integration, p)
        or _matches(case.operation.id, p)
        or _matches(case.operation.name, p)
        or _matches(case.id, p)
        for p in options.only
    )


def _matches(name: str, pattern: str) -> bool:
    return name == pattern or fnmatch.fnmatchcase(name, pattern)


async def run_probe(
    plan: Plan, options: ProbeOptions, cases: list[ProbeCase] | None = None
) -> AsyncIterator[Result]:
    """Probe every selected case; yield each Result as soon as its case is checked.

    ``cases`` are those ``plan_cases`` built, when the caller already has them (to count them).
    Each integration's first case goes out alone: a target that cannot be reached is said so
    once (``target_is_reachable``) instead of once per case. Linked cases follow, phase by
    phase, after the answers they take values from (``phases``).
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
    records = RecordTally(redactor)
    keep = sources_of(cases)
    answers: dict[str, Exchange] = {}
    resources = RunResources()

    async with create_session(
        timeouts, insecure=options.insecure, concurrency=options.concurrency
    ) as session:
        performing = PerformContext(
            timeout_s=options.timeout_s,
            insecure=options.insecure,
            artifacts=options.artifacts,
            send=partial(send, session, timeouts=timeouts),
            max_redirects=MAX_REDIRECTS,
            resources=resources,
        )

        async def exchange_of(case: ProbeCase) -> Exchange:
            async with limit:
                if case.perform is not None:
                    exchange = await case.perform(performing)
                else:
                    exchange = await send(session, case.request, timeouts)
            if case.id in keep:
                answers[case.id] = exchange
            if not exchange.error:
                latencies.setdefault(case.integration, []).append(exchange.elapsed_ms)
            records.add(case, exchange)
            return exchange

        async def probe(case: ProbeCase) -> None:
            case = resolve(case, answers)
            if case.skip:
                await done.put([_skipped(case)])
                return
            await done.put(run_checks(case, await exchange_of(case), redactor))

        async def scout(first: ProbeCase, others: list[ProbeCase]) -> list[ProbeCase]:
            """Send an integration's first case; its other cases, or [] when unreachable."""
            exchange = await exchange_of(first)
            if not exchange.unreachable:
                await done.put(run_checks(first, exchange, redactor))
                return others
            unsent = sum(1 for c in others if not c.skip)
            await done.put([unreachable_result(first, exchange, unsent, redactor)])
            return [c for c in others if c.skip and not c.needs]

        async def probe_all() -> None:
            try:
                firsts = _scouts(cases)
                async with asyncio.TaskGroup() as group:
                    tasks = [group.create_task(scout(first, others)) for first, others in firsts]
                rest = [c for c in cases if c.integration not in {f.integration for f, _ in firsts}]
                rest += [case for task in tasks for case in task.result()]
                for phase in in_phases(rest):
                    async with asyncio.TaskGroup() as group:
                        for case in phase:
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
            await resources.aclose()  # the browser the cases shared, say

    for result in records.results():
        yield result
    for result in p95_results(plan, latencies):
        yield result


def _scouts(cases: list[ProbeCase]) -> list[tuple[ProbeCase, list[ProbeCase]]]:
    """Per integration: the first case that can go out alone, and all its other cases."""
    found: dict[str, tuple[ProbeCase, list[ProbeCase]]] = {}
    for case in cases:
        if case.integration not in found and not case.skip and not case.needs and not case.stage:
            found[case.integration] = (case, [])
    for case in cases:
        entry = found.get(case.integration)
        if entry is not None and case is not entry[0]:
            entry[1].append(case)
    return list(found.values())


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


def build_report(
    plan: Plan,
    results: Iterable[Result],
    *,
    started_at: str,
    complete: bool,
    targets: Mapping[str, str],
    kind: str = "probe",
    environment: Mapping[str, Any] | None = None,
) -> Report:
    """The Report of a probe run (or another verb's, ``kind``, with ``environment`` entries of
    its own); ``complete`` False marks an interrupted run."""
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
            "contracts": contract_digests(plan),
            **(environment or {}),
        },
        results=tuple(results),
    )


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
