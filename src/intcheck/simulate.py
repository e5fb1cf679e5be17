"""``run_simulation``: each kind that can play the other side plays it against the CRM.

The phone system calling the CRM, the SMS gateway delivering a customer's message, inbound mail:
each kind's simulator (``Kind.simulate``) sends its flows through the probe's hardened client
and judges the answers with the probe's checks, so a simulation's evidence reads like a
probe's. Contracts whose kind cannot be simulated are reported as not covered. Like
``run_probe``, the runner yields Results as they come and knows nothing of who reads them.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Mapping
from functools import partial
from typing import TYPE_CHECKING

from intcheck.errors import UsageError
from intcheck.kinds.simulating import SimulationContext, SimulationOptions
from intcheck.plugins import Registry, not_covered
from intcheck.probe.checks import run_checks
from intcheck.probe.runner import dataset_index
from intcheck.probe.transport import Timeouts, create_session, send
from intcheck.redact import Redactor
from intcheck.streams import Emit, merged

if TYPE_CHECKING:
    from pathlib import Path

    from intcheck.model import Contract, Plan, Result

__all__ = ["SimulationOptions", "run_simulation", "selected_contracts"]


def selected_contracts(
    plan: Plan,
    *,
    only: tuple[str, ...] = (),
    targets: Mapping[str, str] | None = None,
    registry: Registry,
) -> list[Contract]:
    """The contracts ``only`` names (all by default) whose kind can be simulated.

    UsageError for a name that is no contract of the plan, or a contract without a target.
    """
    names = {c.name for c in plan.contracts}
    unknown = sorted({*only, *(targets or {})} - names)
    if unknown:
        raise UsageError(
            f"no contract of the plan is named {', '.join(unknown)}; "
            f"contracts: {', '.join(sorted(names))}"
        )
    chosen = [
        c for c in plan.contracts if (not only or c.name in only) and registry.covers(c, "simulate")
    ]
    for contract in chosen:
        if not ((targets or {}).get(contract.name) or contract.target):
            raise UsageError(
                f"{contract.name} has no target: set `target:` in {contract.source.path.name} "
                f"or pass --target {contract.name}=URL"
            )
    return chosen


async def run_simulation(
    plan: Plan,
    options: SimulationOptions,
    *,
    only: tuple[str, ...] = (),
    targets: Mapping[str, str] | None = None,
    insecure: bool = False,
    registry: Registry | None = None,
    artifacts: Path | None = None,
) -> AsyncIterator[Result]:
    """Simulate every selected contract's other side; yield each Result as it is judged."""
    registry = Registry.default() if registry is None else registry
    targets = targets or {}
    contracts = selected_contracts(plan, only=only, targets=targets, registry=registry)
    for contract in registry.uncovered(plan, "simulate"):
        if not only or contract.name in only:
            yield not_covered(contract, "simulate")
    redactor = Redactor(plan.secrets)
    timeouts = Timeouts.from_total(options.timeout_s)
    index = dataset_index(plan)

    async with create_session(
        timeouts, insecure=insecure, concurrency=options.concurrency
    ) as session:

        async def play(position: int, contract: Contract, emit: Emit[Result]) -> None:
            simulator = registry.get(contract.kind).simulate
            assert simulator is not None  # selected_contracts kept only simulable contracts
            ctx = SimulationContext(
                plan=plan,
                contract=contract,
                target=targets.get(contract.name) or contract.target,
                options=options,
                index=index,
                send=partial(send, session, timeouts=timeouts),
                judge=partial(run_checks, redactor=redactor),
                redactor=redactor,
                rng=random.Random(options.seed * 1_000_003 + position),
                artifacts=artifacts,
            )
            async for result in simulator.simulate(ctx):
                await emit(result)

        # every contract at once; closing this generator (Ctrl-C) cancels every flow
        plays = [partial(play, position, c) for position, c in enumerate(contracts)]
        async for result in merged(plays):
            yield result
