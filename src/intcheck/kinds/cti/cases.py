"""How one callback is judged: its case's expected status, checks and expectations.

The simulator and the probe send the same callbacks for the same reasons, so both build their
``ProbeCase``s here: a known caller's pop event must pop them (``expect.fields`` rendered
with the customer's values), an unknown or withheld caller's must pop nobody, a forged one must
be refused, a repeat must get the first answer again, a late event must not crash the CRM.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from intcheck.kinds.cti import checks
from intcheck.kinds.cti.answers import value_at
from intcheck.kinds.cti.callers import KNOWN, customer_values
from intcheck.kinds.cti.contract import CUSTOMER_PLACEHOLDERS
from intcheck.kinds.cti.events import (
    BAD_SIGNATURE,
    DUPLICATE,
    LATE,
    NO_CREDENTIALS,
    RETRY,
    STALE,
    UNSIGNED,
)
from intcheck.kinds.cti.templates import placeholders_in, render
from intcheck.kinds.probing import ProbeCase

if TYPE_CHECKING:
    from intcheck.kinds.cti.callers import Caller
    from intcheck.kinds.cti.contract import CtiContract
    from intcheck.kinds.cti.events import Step
    from intcheck.kinds.probing import Check, Exchange, ProbeRequest
    from intcheck.model import Operation, SourceRef


def case_for(
    settings: CtiContract,
    operation: Operation,
    case_id: str,
    request: ProbeRequest,
    *,
    step: Step,
    caller: Caller,
    values: Mapping[str, str],
    refusals: Mapping[str, Sequence[str]],
    first: Mapping[str, Any] | None = None,
) -> ProbeCase:
    """The case judging ``request`` (``step`` of a call from ``caller``).

    ``refusals``: per pop pointer, every customer's value (an unknown caller must show none);
    ``first``: for a repeat, what the first answer said (``first_answer``).
    """
    sources = settings.sources
    data: dict[str, Any] = {"caller": caller.number, "form": caller.form}
    own: list[Check] = []
    status = settings.known.status
    source: SourceRef | None = operation.source
    kind = "simulated"
    twist = step.twist
    if twist in (BAD_SIGNATURE, UNSIGNED, STALE):
        kind, source = "forged", sources.signature
        status = tuple(str(s) for s in settings.signing.reject)
        data["reject"] = list(settings.signing.reject)
        own.append(checks.REJECTS["stale" if twist == STALE else twist])
    elif twist == NO_CREDENTIALS:
        kind, status = "auth", ()
    elif twist == LATE:
        status = ()  # any answer below 500: the CRM may accept it or say it is out of order
        own.append(checks.LATE_TOLERATED)
    elif settings.pop_event(step.event):
        if caller.kind == KNOWN and caller.customer is not None:
            data.update(pop_expectation(settings, caller, values))
            data["customer"] = caller.customer.id
            if data.get("pop") or data.get("contains") or data.get("content_type"):
                own.append(checks.CALLER_IS_POPPED)
                source = sources.fields
        else:
            status = settings.unknown.status
            data["contains"] = settings.unknown.contains
            data["not"] = {pointer: list(v) for pointer, v in refusals.items()}
            own.append(checks.CALLER_IS_NOT_POPPED)
            source = sources.unknown
    if twist in (DUPLICATE, RETRY) and first is not None:
        kind, source = twist, sources.duplicates
        status = settings.duplicate_status or status
        data["first"] = dict(first)
        data["repeat_status"] = list(settings.duplicate_status)
        own = [checks.SAME_ANSWER]
        if settings.popped:
            data["popped"] = settings.popped
            own.append(checks.NOT_POPPED_TWICE)
    if settings.max_ms is not None:
        data["max_ms"] = settings.max_ms
        own.append(checks.LATENCY)
    return ProbeCase(
        id=case_id,
        operation=operation,
        kind=kind,
        request=request,
        checks=tuple(own),
        expect_status=status,
        sla_ms=settings.p95_ms,
        source=source,
        data=data,
    )


def pop_expectation(
    settings: CtiContract, caller: Caller, values: Mapping[str, str]
) -> dict[str, Any]:
    """What the pop for ``caller`` must hold: rendered ``expect.fields``, text, media type."""
    assert caller.customer is not None
    both = {**values, **caller.customer.values}
    fields = {
        pointer: render(template, both) if isinstance(template, str) else template
        for pointer, template in settings.known.fields.items()
    }
    expectation: dict[str, Any] = {"pop": fields}
    if settings.known.contains:
        expectation["contains"] = render(settings.known.contains, both)
    if settings.known.content_type:
        expectation["content_type"] = settings.known.content_type
    return expectation


def refusal_values(
    settings: CtiContract, records: Iterable[Mapping[str, Any]]
) -> dict[str, list[str]]:
    """Per ``expect.fields`` pointer naming a customer, what each known customer shows there."""
    found: dict[str, list[str]] = {}
    for pointer, template in settings.known.fields.items():
        if not isinstance(template, str):
            continue
        names = placeholders_in(template)
        if not names or not set(names) <= set(CUSTOMER_PLACEHOLDERS):
            continue
        rendered = {render(template, customer_values(r)) for r in records}
        found[pointer] = sorted(v for v in rendered if v)
    return found


def first_answer(settings: CtiContract, exchange: Exchange) -> dict[str, Any]:
    """What a repeat must match: the first answer's status, pop fields, and whether it popped."""
    try:
        document = json.loads(exchange.body.decode("utf-8")) if exchange.body else None
    except (ValueError, UnicodeDecodeError):
        document = None
    pop: dict[str, str] = {}
    popped = False
    if document is not None:
        for pointer in settings.known.fields:
            found, actual = value_at(document, pointer)
            if found:
                pop[pointer] = actual if isinstance(actual, str) else json.dumps(actual)
        if settings.popped:
            found, actual = value_at(document, settings.popped)
            popped = found and actual not in (False, None, 0, "", "false")
    return {"status": exchange.status, "pop": pop, "popped": popped}
