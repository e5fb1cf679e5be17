"""``intcheck simulate`` for cti: the phone system playing call flows against the CRM.

``--flows N`` calls from the plan's datasets (known customers in every number form of the
contract's mix, unknown numbers, withheld IDs), each a flow of the contract's mix (answered,
missed, abandoned, transferred) with realistic waits scaled by ``--pace``, at most
``--concurrency`` calls at once. Every callback goes through the probe's client and checks;
then the run adds up: known callers popped per number form, screen-pop latency (p50/p95/p99)
against ``sla.p95_ms``, the error rate. ``--chaos`` adds one call per twist: the same event
twice, a retry after a timeout, a hang-up before the answer, a stale, a wrongly signed and an
unsigned callback (each followed by the genuine one, which must still pop).
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import TYPE_CHECKING

from intcheck.kinds.cti import callback, summary
from intcheck.kinds.cti.callers import KNOWN, CallerBook
from intcheck.kinds.cti.cases import case_for, first_answer, refusal_values
from intcheck.kinds.cti.contract import CtiContract
from intcheck.kinds.cti.events import (
    BAD_SIGNATURE,
    DUPLICATE,
    LATE,
    NO_CREDENTIALS,
    RETRY,
    STALE,
    UNSIGNED,
    Call,
    chaos_steps,
    new_call_id,
    plan_calls,
)
from intcheck.model import Result, Status
from intcheck.streams import Emit, merged

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from intcheck.kinds.probing import ProbeRequest
    from intcheck.kinds.simulating import SimulationContext
    from intcheck.model import Operation


class CtiSimulator:
    """``Kind.simulate`` of cti."""

    def simulate(self, ctx: SimulationContext) -> AsyncIterator[Result]:
        """Play the calls against ``ctx.target``; yield each judged Result, then the totals."""
        return _Run(ctx).results()


class _Run:
    """One contract's simulation: its calls, and what their answers add up to."""

    def __init__(self, ctx: SimulationContext) -> None:
        self.ctx = ctx
        self.settings = settings = CtiContract.of(ctx.contract)
        self.book = CallerBook.of(ctx.index.collections, settings.region)
        self.refusals = refusal_values(settings, self.book.records)
        self.pop_operation = self._operation(settings.pop_on[0])
        self.outcomes: list[summary.PopOutcome] = []
        self.pop_ms: list[float] = []
        self.callbacks = 0
        self.failures = 0

    async def results(self) -> AsyncIterator[Result]:
        options, rng, settings = self.ctx.options, self.ctx.rng, self.settings
        calls = plan_calls(settings, self.book.mix(settings, options.flows, rng), rng)
        if options.chaos:
            chaos, skipped = self._chaos(len(calls) + 1)
            calls += chaos
            for result in skipped:
                yield result
        # one job per call; closing this generator (Ctrl-C) cancels every call still ringing
        jobs = [partial(self._play, call) for call in calls]
        async for batch in merged(jobs, limit=options.concurrency):
            for result in batch:
                yield result
        for result in self._totals():
            yield result

    async def _play(self, call: Call, emit: Emit[list[Result]]) -> None:
        """Send one call's events in order, each after its wait, judging every answer."""
        settings, ctx = self.settings, self.ctx
        firsts: dict[tuple[str, str], dict[str, object]] = {}  # (event, ext) -> first answer
        last: ProbeRequest | None = None
        for number, step in enumerate(call.steps, 1):
            wait = step.wait_s * ctx.options.pace
            if wait > 0:
                await asyncio.sleep(wait)
            request, values = callback.build(settings, ctx.target, call, step)
            if step.twist == DUPLICATE and last is not None:
                request = last  # the very same bytes, signature and all
            exchange = await ctx.send(request)
            operation = self._operation(step.event)
            case = case_for(
                settings,
                operation,
                self._case_id(call, operation, number),
                request,
                step=step,
                caller=call.caller,
                values=values,
                refusals=self.refusals,
                first=firsts.get((step.event, step.agent_ext)),
            )
            results = ctx.judge(case, exchange)
            self.callbacks += 1
            if exchange.error or (exchange.status or 0) >= 500:
                self.failures += 1
            if not step.twist and settings.pop_event(step.event):
                firsts.setdefault((step.event, step.agent_ext), first_answer(settings, exchange))
                if not call.flow.startswith("chaos"):
                    self._note_pop(call, case.id, exchange.error, exchange.elapsed_ms, results)
            last = request
            await emit(results)

    def _note_pop(
        self, call: Call, case: str, error: str, elapsed_ms: float, results: list[Result]
    ) -> None:
        if not error:
            self.pop_ms.append(elapsed_ms)
        caller = call.caller
        if caller.kind != KNOWN or caller.customer is None:
            return
        verdict = next((r.status for r in results if r.check == "caller_is_popped"), None)
        self.outcomes.append(
            summary.PopOutcome(
                form=caller.form,
                popped=None if verdict in (None, Status.ERRORED) else verdict is Status.PASSED,
                case=case,
                caller=caller.number,
                customer=caller.customer.id,
            )
        )

    def _case_id(self, call: Call, operation: Operation, number: int) -> str:
        if call.flow.startswith("chaos:"):
            return f"{operation.id}#chaos-{call.flow[6:]}-{number}"
        who = call.caller.form if call.caller.kind == KNOWN else call.caller.kind
        return f"{operation.id}#call-{call.index:03d}-{number}:{who}"

    def _operation(self, event: str) -> Operation:
        operation = self.ctx.contract.operation(event)
        assert operation is not None  # flows keep to the declared events
        return operation

    def _chaos(self, first: int) -> tuple[list[Call], list[Result]]:
        """One call per twist the contract can show; a SKIPPED result for each it cannot."""
        settings, rng = self.settings, self.ctx.rng
        signing, sources = settings.signing, settings.sources
        customer = self.book.primary(settings.region)
        caller = (
            self.book.known(customer, settings.primary_form, settings.region)
            if customer is not None
            else self.book.unknown(rng, settings.region, settings.primary_form)
        )
        wanted = [DUPLICATE, RETRY, LATE]
        skipped: list[Result] = []
        operation = self.pop_operation.id
        if not settings.popped:
            reason = "the contract does not say how an answer tells a pop (duplicates.popped)"
            skipped.append(
                summary.not_applicable(
                    settings,
                    operation,
                    "repeat_is_not_popped_twice",
                    "repeat",
                    reason,
                    sources.duplicates,
                )
            )
        for twist, check in (
            (BAD_SIGNATURE, "signature_is_verified"),
            (UNSIGNED, "unsigned_callback_is_rejected"),
        ):
            if signing.signed:
                wanted.append(twist)
            else:
                reason = "the contract has no signature (signature.scheme): forgeries look genuine"
                skipped.append(
                    summary.not_applicable(
                        settings, operation, check, twist, reason, sources.signature
                    )
                )
        if signing.signed and signing.max_age_s is not None:
            wanted.append(STALE)
        else:
            reason = "the contract agrees no maximum age (signature.max_age_s)"
            skipped.append(
                summary.not_applicable(
                    settings,
                    operation,
                    "stale_callback_is_rejected",
                    STALE,
                    reason,
                    sources.signature,
                )
            )
        if settings.auth is not None:
            wanted.append(NO_CREDENTIALS)
        calls: list[Call] = []
        for twist in wanted:
            steps = chaos_steps(twist, settings, rng)
            if steps is None:
                reason = "a hang-up before the answer needs both events in the contract's events"
                skipped.append(
                    summary.not_applicable(
                        settings,
                        operation,
                        "late_event_is_tolerated",
                        LATE,
                        reason,
                        sources.contract,
                    )
                )
                continue
            calls.append(
                Call(
                    index=first + len(calls),
                    flow=f"chaos:{twist}",
                    call_id=new_call_id(settings.style),
                    caller=caller,
                    queue=settings.queues[0],
                    steps=steps,
                )
            )
        return calls, skipped

    def _totals(self) -> list[Result]:
        settings = self.settings
        operation = self.pop_operation.id
        known = settings.known
        judged = bool(known.fields or known.contains or known.content_type)
        totals = summary.pops_by_form(settings, operation, self.outcomes, judged=judged)
        if not self.outcomes:
            totals.append(summary.no_known_callers(settings, operation))
        totals.append(summary.latency(settings, operation, self.pop_ms))
        rate = summary.error_rate(
            settings, self.failures, self.callbacks, self.ctx.contract.sla.error_rate
        )
        if rate is not None:
            totals.append(rate)
        return totals
