"""``intcheck load`` for cti: concrete, signed callbacks for Locust's users to send.

A load step names one event (``pbx-screen-pop:ringing``); ``load_requests`` builds ``count``
callbacks for it up front, each from a different caller of the contract's mix (known customers
in every form, unknown, withheld) with a fresh call id, encoded and signed as the PBX would.
A signature with a timestamp is stamped when the step is built: a contract whose
``signature.max_age_s`` is shorter than the load run will see late requests refused, as a
real CRM would refuse them.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from intcheck.data import normalize_phone
from intcheck.kinds.cti import callback
from intcheck.kinds.cti.callers import KNOWN, UNKNOWN, WITHHELD, CallerBook
from intcheck.kinds.cti.contract import CtiContract
from intcheck.kinds.cti.events import Call, Step, new_call_id
from intcheck.kinds.loading import LoadRequest

if TYPE_CHECKING:
    from intcheck.kinds.loading import LoadContext

TALK_S = (15, 180)


def statuses(patterns: tuple[str, ...]) -> tuple[int, ...]:
    """The statuses ``patterns`` allow ("2XX" is 200-299)."""
    allowed: list[int] = []
    for pattern in patterns:
        if pattern.isdigit():
            allowed.append(int(pattern))
        else:
            base = int(pattern[0]) * 100
            allowed += range(base, base + 100)
    return tuple(allowed)


def caller_kind(book: CallerBook, number: str, region: str) -> str:
    """Whether a caller ID a load step gives is a known customer's, unknown, or withheld."""
    e164 = normalize_phone(number, region)
    if e164 is None:
        return WITHHELD
    return KNOWN if any(customer.e164 == e164 for customer in book.customers) else UNKNOWN


class CtiLoad:
    """``Kind.load`` of cti."""

    def load_requests(self, ctx: LoadContext) -> list[LoadRequest]:
        """``ctx.count`` callbacks of the step's event; ``ctx.values`` fixes placeholders."""
        settings = CtiContract.of(ctx.contract)
        book = CallerBook.of(ctx.index.collections, settings.region)
        event = ctx.operation.name
        now = time.time()
        # A step that fixes the caller (the flow's customer) is judged as that caller
        given = ctx.values.get("caller_id")
        fixed = None if given is None else caller_kind(book, str(given), settings.region)
        requests = []
        for number, caller in enumerate(book.mix(settings, ctx.count, ctx.rng), 1):
            ended = event == "hangup"
            step = Step(
                event=event,
                wait_s=0.0,
                agent_ext=ctx.rng.choice(settings.extensions),
                disposition="answered" if ended else "",
                duration_s=ctx.rng.randint(*TALK_S) if ended else 0,
            )
            call = Call(
                index=number,
                flow="load",
                call_id=new_call_id(settings.style),
                caller=caller,
                queue=ctx.rng.choice(settings.queues),
                steps=(step,),
            )
            filled = callback.values(settings, call, step, datetime.fromtimestamp(now, UTC))
            filled.update({k: str(v) for k, v in ctx.values.items()})
            request = callback.build_from(settings, ctx.target, filled, twist="", moment=now)
            popping = settings.pop_event(event)
            expected = (
                settings.unknown.status
                if popping and (fixed or caller.kind) != KNOWN
                else settings.known.status
            )
            requests.append(
                LoadRequest(
                    name=ctx.operation.id,
                    method=request.method,
                    url=request.url,
                    headers=dict(request.headers),
                    body=request.body,
                    ok_statuses=statuses(expected),
                )
            )
        return requests
