"""``intcheck probe`` for cti: a short conformance pass against the CRM's callback endpoint.

Each declared event once for a known customer in the contract's primary form (the pop event
must pop them), an unknown caller and each withheld spelling (they must pop nobody), and where
the contract signs its callbacks a wrongly signed, an unsigned and (with ``max_age_s``) a stale
one, which must be refused. The known customer's events are one call, each event a probe stage
of its own (the runner sends a stage after the one before), so the CRM sees them in order; the
other cases are calls of their own, sent concurrently. Requests are signed when the cases are
built, so a run whose other contracts take longer than ``max_age_s`` would see them refused.
Nothing is marked as a write unless the contract says the CRM creates records on callbacks
(``creates_records``); then ``--read-only`` holds every callback back.
"""

from __future__ import annotations

import random
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from intcheck.kinds.cti import callback
from intcheck.kinds.cti.callers import WITHHELD, Caller, CallerBook
from intcheck.kinds.cti.cases import case_for, refusal_values
from intcheck.kinds.cti.contract import CtiContract
from intcheck.kinds.cti.events import (
    BAD_SIGNATURE,
    NO_CREDENTIALS,
    STALE,
    UNSIGNED,
    Call,
    Step,
    new_call_id,
)
from intcheck.kinds.expectations import written_case
from intcheck.kinds.probing import ProbeCase, written_cases

if TYPE_CHECKING:
    from collections.abc import Mapping

    from intcheck.kinds.probing import DatasetIndex
    from intcheck.model import Contract, Operation, SourceRef

TALK_S = 42  # the duration a probe's hang-up reports


class CtiProbe:
    """``Kind.probe`` of cti."""

    def __init__(self) -> None:
        self._writes: dict[str, bool] = {}  # contract name -> creates_records

    def build_cases(self, contract: Contract, target: str, index: DatasetIndex) -> list[ProbeCase]:
        """The conformance pass's callbacks, built and signed now (they are sent at once)."""
        settings = CtiContract.of(contract)
        self._writes[contract.name] = settings.creates_records
        book = CallerBook.of(index.collections, settings.region)
        refusals = refusal_values(settings, book.records)
        rng = random.Random(0)
        customer = book.primary(settings.region)
        pop = settings.pop_on[0]
        cases: list[ProbeCase] = []

        def add(
            event: str,
            suffix: str,
            caller: Caller,
            twist: str = "",
            *,
            call_id: str = "",
            stage: int = 0,
        ) -> None:
            operation = contract.operation(event)
            assert operation is not None  # an event of the contract
            step = _step(settings.extensions[0], event, twist)
            call = Call(
                index=len(cases) + 1,
                flow="probe",
                call_id=call_id or new_call_id(settings.style),
                caller=caller,
                queue=settings.queues[0],
                steps=(step,),
            )
            request, values = callback.build(settings, target, call, step)
            case = case_for(
                settings,
                operation,
                f"{operation.id}#{suffix}",
                request,
                step=step,
                caller=caller,
                values=values,
                refusals=refusals,
            )
            cases.append(replace(case, stage=stage))

        unknown = book.unknown(rng, settings.region, settings.primary_form)
        known = (
            book.known(customer, settings.primary_form, settings.region)
            if customer is not None
            else unknown
        )
        # one call, its events in order: each a stage of its own, sent after the one before
        call_id = new_call_id(settings.style)
        for stage, event in enumerate(settings.events):
            suffix = f"known:{known.form}" if customer is not None else "unknown"
            add(event, suffix, known, call_id=call_id, stage=stage)
        if customer is not None:
            add(pop, "unknown", unknown)
        for word in settings.withheld_as:
            add(pop, f"withheld:{word or 'empty'}", Caller(kind=WITHHELD, number=word, form=word))
        if settings.signing.signed:
            add(pop, "forged:bad-signature", known, BAD_SIGNATURE)
            add(pop, "forged:unsigned", known, UNSIGNED)
            if settings.signing.max_age_s is not None:
                add(pop, "forged:stale", known, STALE)
        if settings.auth is not None:
            add(pop, "auth:missing-credentials", known, NO_CREDENTIALS)
        for entry, where in written_cases(contract):
            cases.append(_written(settings, contract, target, book, entry, where))
        return cases

    def writes(self, operation: Operation) -> bool:
        """Only where the contract says the CRM creates records on callbacks."""
        return self._writes.get(operation.contract, False)


def _step(ext: str, event: str, twist: str) -> Step:
    if event == "hangup":
        return Step(
            event=event,
            wait_s=0.0,
            agent_ext=ext,
            disposition="answered",
            duration_s=TALK_S,
            twist=twist,
        )
    return Step(event=event, wait_s=0.0, agent_ext=ext, twist=twist)


def _written(
    settings: CtiContract,
    contract: Contract,
    target: str,
    book: CallerBook,
    entry: Mapping[str, Any],
    where: SourceRef,
) -> ProbeCase:
    """A callback the user wrote down (``cases:``, or a scenario's step): sent once, and only
    its ``expect`` asserted exactly."""
    operation = contract.operation(entry["operation"])
    assert operation is not None  # the loader checked the name
    caller = book.caller(str(entry.get("caller", "")), settings.region)
    step = _step(str(entry.get("agent_ext", settings.extensions[0])), operation.name, "")
    call = Call(
        index=1,
        flow="case",
        call_id=str(entry.get("call_id") or new_call_id(settings.style)),
        caller=caller,
        queue=settings.queues[0],
        steps=(step,),
    )
    request, _ = callback.build(settings, target, call, step)
    data = {"caller": caller.number, "form": caller.form}
    return written_case(operation, entry, where, request, data=data)
