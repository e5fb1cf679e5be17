"""Event order per call id, as the mock's receiver sees callbacks arrive.

A call rings before it is answered, is answered before it is put on hold or transferred, and
ends with a hang-up after which nothing more happens; a transfer rings the next agent on the
same call id. ``CallTracker`` keeps each call's events (a bounded number of calls, oldest
forgotten first) and says which rule an arriving event breaks. Only events the contract
declares count: a PBX that reports no ``ringing`` may start a call with ``answered``.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

# An event needs one of these before it on the same call (where the contract declares them).
NEEDS = {
    "answered": ("ringing",),
    "held": ("answered",),
    "transferred": ("answered",),
    "missed": ("ringing",),
    "voicemail": ("ringing", "missed"),
    "hangup": ("ringing", "answered"),
}
MAX_CALLS = 10_000  # calls remembered; a PBX that never hangs up cannot fill memory


@dataclass(slots=True)
class CallState:
    """What the receiver saw of one call."""

    call_id: str
    steps: list[str] = field(default_factory=list)  # "ringing(101)" as they arrived
    events: set[str] = field(default_factory=set)
    broken: list[str] = field(default_factory=list)  # event-order rules broken
    pops: list[str] = field(default_factory=list)  # customer ids popped
    talking: bool = False  # answered and not transferred since
    ended: bool = False

    def summary(self) -> str:
        popped = f"; popped {', '.join(self.pops)}" if self.pops else "; nobody popped"
        return f"call {self.call_id}: {' → '.join(self.steps)}{popped}"


class CallTracker:
    """Every call's events, in arrival order, for the contract's declared ``events``."""

    def __init__(self, events: tuple[str, ...], *, max_calls: int = MAX_CALLS) -> None:
        self.declared = frozenset(events)
        # a PBX without hang-ups ends a call with its last declared event of these
        self.ending = next(
            (e for e in ("hangup", "voicemail", "missed") if e in self.declared), "hangup"
        )
        self.max_calls = max_calls
        self.calls: OrderedDict[str, CallState] = OrderedDict()

    def order_problem(self, call_id: str, event: str) -> str:
        """The event-order rule ``event`` breaks on ``call_id`` ("" when it is in order)."""
        state = self.calls.get(call_id)
        seen = state.events if state is not None else set()
        if state is not None and state.ended:
            return f"event-order:{event}-after-hangup"
        needed = [n for n in NEEDS.get(event, ()) if n in self.declared]
        if needed and not seen & set(needed):
            return f"event-order:{event}-before-{needed[0]}"
        if event == "answered" and "missed" in seen:
            return "event-order:answered-after-missed"
        if (
            event == "ringing"
            and state is not None
            and state.talking
            and "transferred" in self.declared
        ):
            return "event-order:ringing-during-call"
        return ""

    def record(
        self, call_id: str, event: str, ext: str, *, broken: str = "", popped: str = ""
    ) -> tuple[CallState, bool, list[CallState]]:
        """Note ``event``; returns the call, whether this event ended it, and any calls
        forgotten to make room."""
        state = self.calls.get(call_id)
        forgotten: list[CallState] = []
        if state is None:
            state = self.calls[call_id] = CallState(call_id=call_id)
            while len(self.calls) > self.max_calls:
                forgotten.append(self.calls.popitem(last=False)[1])
        else:
            self.calls.move_to_end(call_id)
        state.steps.append(f"{event}({ext})" if ext else event)
        state.events.add(event)
        if broken:
            state.broken.append(broken)
        if popped:
            state.pops.append(popped)
        if event == "answered":
            state.talking = True
        elif event == "transferred":
            state.talking = False
        ending = event == self.ending and not state.ended
        state.ended = state.ended or ending
        return state, ending, forgotten

    def unfinished(self) -> Iterator[CallState]:
        """Calls still waiting for their end (when the mock stops)."""
        return (state for state in self.calls.values() if not state.ended)
