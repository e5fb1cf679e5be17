"""The claims about a CRM's answers to callbacks, as plain check functions.

Each check reads what its case expects from ``case.data`` (filled by the simulator or the
probe for one caller and event) and returns a ``Finding`` when the answer breaks it:

==================================  =======================================================
``caller_is_popped``                a known caller's pop holds what ``expect.fields`` says
``caller_is_not_popped``            an unknown or withheld caller pops nobody's record
``signature_is_verified``           a callback signed with the wrong secret is refused
``unsigned_callback_is_rejected``   a callback without its signature is refused
``stale_callback_is_rejected``      a correctly signed but old callback is refused
``repeat_gets_the_same_answer``     a duplicate or a retry is answered like the first
``repeat_is_not_popped_twice``      ... and its answer says it popped nothing
``late_event_is_tolerated``         an event after the hang-up gets no 5xx
``latency_within_max_ms``           each callback is answered within ``expect.max_ms``
==================================  =======================================================

The SLA's p95 is judged once over a run (the simulator's ``screen_pop_p95_within_sla``, the
probe runner's ``p95_latency_within_sla``); ``expect.max_ms`` bounds every single callback,
as the PBX's lookup timeout does.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from intcheck.kinds.cti.answers import value_at
from intcheck.kinds.probing import CannotEvaluate, Check, Finding
from intcheck.model import Severity

if TYPE_CHECKING:
    from intcheck.kinds.probing import Exchange, ProbeCase


def _document(exchange: Exchange) -> Any:
    """The answer's JSON, or CannotEvaluate-free None when it is not JSON."""
    try:
        return json.loads(exchange.body.decode("utf-8")) if exchange.body else None
    except (ValueError, UnicodeDecodeError):
        return None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _who(case: ProbeCase) -> str:
    data = case.data
    caller = data.get("caller", "")
    shown = repr(caller) if not caller.strip() else caller
    form = data.get("form", "")
    return f"{shown} ({form})" if form and form != caller else shown


def caller_is_popped(case: ProbeCase, exchange: Exchange) -> Finding | None:
    """A known caller's answer holds the pop the contract describes."""
    data = case.data
    problems: list[str] = []
    wanted_type = data.get("content_type", "")
    if wanted_type and wanted_type.lower() not in exchange.content_type:
        problems.append(f"content type is {exchange.content_type or 'missing'}, not {wanted_type}")
    contains = data.get("contains", "")
    if contains and contains not in exchange.body.decode("utf-8", "replace"):
        problems.append(f"the answer does not contain {contains!r}")
    fields: dict[str, Any] = data.get("pop", {})
    if fields:
        document = _document(exchange)
        if document is None:
            problems.append("the answer is not JSON, so it holds no pop")
        else:
            for pointer, expected in fields.items():
                found, actual = value_at(document, pointer)
                if not found:
                    problems.append(f"{pointer} is missing")
                elif _text(actual) != _text(expected):
                    problems.append(f"{pointer} is {_text(actual)}, expected {_text(expected)}")
    if not problems:
        return None
    customer = data.get("customer", "")
    return Finding(f"{_who(case)} was not popped as {customer}: {'; '.join(problems)}")


def caller_is_not_popped(case: ProbeCase, exchange: Exchange) -> Finding | None:
    """An unknown or withheld caller pops no customer (never a match on an empty string)."""
    contains = case.data.get("contains", "")
    if contains and contains not in exchange.body.decode("utf-8", "replace"):
        return Finding(f"the answer for {_who(case)} does not contain {contains!r}")
    document = _document(exchange)
    if document is None:
        return None
    known: dict[str, list[str]] = case.data.get("not", {})
    for pointer, values in known.items():
        found, actual = value_at(document, pointer)
        if found and actual is not None and _text(actual) in values:
            return Finding(
                f"{_who(case)} is nobody's number, yet the answer pops {_text(actual)} at {pointer}"
            )
    return None


def _rejected(what: str) -> Any:
    def check(case: ProbeCase, exchange: Exchange) -> Finding | None:
        assert exchange.status is not None
        reject: tuple[int, ...] = tuple(case.data.get("reject", (401, 403)))
        if exchange.status in reject:
            return None
        verdict = "accepted" if exchange.status < 400 else f"answered {exchange.status} to"
        allowed = " or ".join(str(s) for s in reject)
        return Finding(
            f"the CRM {verdict} a callback {what}: expected {allowed}, got {exchange.status}"
        )

    return check


signature_is_verified = _rejected("signed with the wrong secret (anyone could pop screens)")
unsigned_callback_is_rejected = _rejected("without its signature")
stale_callback_is_rejected = _rejected("signed long ago (a replay)")


def repeat_gets_the_same_answer(case: ProbeCase, exchange: Exchange) -> Finding | None:
    """A repeated event is answered with the first answer's status and pop."""
    first: dict[str, Any] = case.data["first"]
    assert exchange.status is not None
    wanted = case.data.get("repeat_status") or [str(first["status"])]
    if str(exchange.status) not in wanted and not any(
        w.endswith("XX") and w[0] == str(exchange.status)[0] for w in wanted
    ):
        return Finding(f"the first answer was {first['status']}, the repeat got {exchange.status}")
    document = _document(exchange)
    for pointer, value in first.get("pop", {}).items():
        found, actual = value_at(document, pointer) if document is not None else (False, None)
        if (found, _text(actual) if found else None) != (True, value):
            now = _text(actual) if found else "missing"
            return Finding(f"{pointer} was {value} in the first answer, {now} in the repeat")
    return None


def repeat_is_not_popped_twice(case: ProbeCase, exchange: Exchange) -> Finding | None:
    """The repeat's answer says it popped nothing (where the contract says how to tell)."""
    pointer: str = case.data["popped"]
    first: dict[str, Any] = case.data["first"]
    if not first.get("popped"):
        raise CannotEvaluate(
            f"the first answer did not say it popped ({pointer}), so a second pop cannot be told"
        )
    document = _document(exchange)
    found, actual = value_at(document, pointer) if document is not None else (False, None)
    if found and actual not in (False, None, 0, "", "false"):
        return Finding(f"the repeat popped the screen again: {pointer} is {_text(actual)}")
    return None


def late_event_is_tolerated(case: ProbeCase, exchange: Exchange) -> Finding | None:
    """An event arriving after the call's hang-up does not crash the CRM."""
    assert exchange.status is not None
    if exchange.status < 500:
        return None
    return Finding(f"an event after the hang-up (out of order) got {exchange.status}")


def latency_within_max_ms(case: ProbeCase, exchange: Exchange) -> Finding | None:
    """The callback was answered within the contract's ``expect.max_ms``."""
    limit = float(case.data["max_ms"])
    if exchange.elapsed_ms <= limit:
        return None
    return Finding(f"answered in {exchange.elapsed_ms:.0f} ms, expect.max_ms is {limit:g} ms")


CALLER_IS_POPPED = Check(
    name="caller_is_popped", function=caller_is_popped, severity=Severity.CRITICAL
)
CALLER_IS_NOT_POPPED = Check(
    name="caller_is_not_popped", function=caller_is_not_popped, severity=Severity.HIGH
)
REJECTS = {
    "bad-signature": Check(
        name="signature_is_verified", function=signature_is_verified, severity=Severity.CRITICAL
    ),
    "unsigned": Check(
        name="unsigned_callback_is_rejected",
        function=unsigned_callback_is_rejected,
        severity=Severity.CRITICAL,
    ),
    "stale": Check(
        name="stale_callback_is_rejected",
        function=stale_callback_is_rejected,
        severity=Severity.HIGH,
    ),
}
SAME_ANSWER = Check(name="repeat_gets_the_same_answer", function=repeat_gets_the_same_answer)
NOT_POPPED_TWICE = Check(name="repeat_is_not_popped_twice", function=repeat_is_not_popped_twice)
LATE_TOLERATED = Check(name="late_event_is_tolerated", function=late_event_is_tolerated)
LATENCY = Check(
    name="latency_within_max_ms", function=latency_within_max_ms, severity=Severity.MEDIUM
)
