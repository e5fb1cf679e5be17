"""Call flows as a phone system reports them: ringing → answered → hang-up, and the others.

A call is a sequence of steps, each an event sent to the CRM after a realistic wait (how long
phones ring before someone answers, how long people talk, how fast a ring group rings the
next agent). The contract's ``events`` say which of them this PBX reports: a missed call is
``missed`` where declared, else a hang-up whose disposition is ``no-answer``. ``--pace``
scales the waits (0 sends back to back). Chaos calls add what real networks and PBXs do:
the same event twice, a retry after a timeout, a hang-up before the answer, a stale or
forged callback. Waits come from a seeded ``random.Random``; call ids are unique per run.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import random

    from intcheck.kinds.cti.callers import Caller
    from intcheck.kinds.cti.contract import CtiContract

# Seconds, drawn uniformly: the phone rings before an agent answers, a caller gives up, a
# queue's ring timeout, a conversation, a ring group's next agent, a transfer's new ringing.
RING_S = (3.0, 15.0)
ABANDON_S = (1.0, 8.0)
RING_TIMEOUT_S = (15.0, 30.0)
TALK_S = (15.0, 180.0)
RING_GROUP_S = (0.1, 0.8)
TRANSFER_RING_S = (0.5, 2.0)
RING_GROUP_SHARE = 0.25  # answered calls that ring two agents at once
HOLD_SHARE = 0.3  # answered calls put on hold (where the contract reports ``held``)
VOICEMAIL_SHARE = 0.5  # missed calls that reach voicemail (where it is reported)

FLOWS = ("answered", "missed", "abandoned", "transferred")
# Chaos twists: how a step differs from the genuine event.
DUPLICATE = "duplicate"  # the very same request again (a network retransmission)
RETRY = "retry"  # the same event, newly stamped and signed (the PBX's lookup timed out)
LATE = "late"  # an event after the call's hang-up (out of order)
STALE = "stale"  # signed correctly, with a timestamp older than the contract allows
BAD_SIGNATURE = "bad-signature"  # signed with the wrong secret
UNSIGNED = "unsigned"  # no signature at all
NO_CREDENTIALS = "no-credentials"  # without the contract's auth
FORGED = (STALE, BAD_SIGNATURE, UNSIGNED, NO_CREDENTIALS)


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One event of a call: sent ``wait_s`` (unscaled) after the previous one."""

    event: str
    wait_s: float
    agent_ext: str
    disposition: str = ""  # on a hang-up: answered | no-answer | canceled | busy
    duration_s: int = 0  # on a hang-up: seconds talked
    twist: str = ""  # a chaos twist, or "" for the genuine event


@dataclass(frozen=True, slots=True, kw_only=True)
class Call:
    """One call: who, which flow, and the events the CRM is told about."""

    index: int
    flow: str  # answered | missed | abandoned | transferred | chaos:<twist>
    call_id: str
    caller: Caller
    queue: str
    steps: tuple[Step, ...]


def new_call_id(style: str) -> str:
    """A call id as the PBX writes it: Twilio's ``CA`` + 32 hex, else Asterisk's Linkedid
    (``<UNIX time>.<sequence>``). Unique across runs, so one CRM is never confused by two."""
    if style == "twilio":
        return "CA" + uuid.uuid4().hex
    return f"{int(time.time())}.{uuid.uuid4().int % 1_000_000_000}"


def plan_calls(
    settings: CtiContract, callers: list[Caller], rng: random.Random, first: int = 1
) -> list[Call]:
    """One call per caller, its flow drawn from the contract's mix (``calls``)."""
    names = [f for f in FLOWS if settings.calls.get(f, 0) > 0]
    weights = [settings.calls[f] for f in names]
    calls = []
    for offset, caller in enumerate(callers):
        flow = rng.choices(names, weights)[0]
        calls.append(
            Call(
                index=first + offset,
                flow=flow,
                call_id=new_call_id(settings.style),
                caller=caller,
                queue=rng.choice(settings.queues),
                steps=flow_steps(flow, settings, rng),
            )
        )
    return calls


def flow_steps(
    flow: str, settings: CtiContract, rng: random.Random, *, plain: bool = False
) -> tuple[Step, ...]:
    """The events of one ``flow``, reduced to those the contract declares; ``plain``: no
    ring group, hold or voicemail (a chaos call keeps to the twist it is about)."""
    first, second = (
        rng.sample(settings.extensions, 2)
        if len(settings.extensions) > 1
        else (
            settings.extensions[0],
            settings.extensions[0],
        )
    )
    ring = rng.uniform(*RING_S)
    steps: list[Step] = [Step(event="ringing", wait_s=0.0, agent_ext=first)]
    if flow == "abandoned":
        steps.append(_hangup(rng.uniform(*ABANDON_S), first, "canceled"))
    elif flow == "missed":
        timeout = rng.uniform(*RING_TIMEOUT_S)
        steps.append(Step(event="missed", wait_s=timeout, agent_ext=first))
        if "voicemail" in settings.events and not plain and rng.random() < VOICEMAIL_SHARE:
            steps.append(Step(event="voicemail", wait_s=0.5, agent_ext=first))
        steps.append(_hangup(0.5, first, "no-answer"))
    elif flow == "transferred":
        talk = rng.uniform(*TALK_S)
        steps += [
            Step(event="answered", wait_s=ring, agent_ext=first),
            Step(event="transferred", wait_s=talk / 3, agent_ext=first),
            Step(event="ringing", wait_s=rng.uniform(*TRANSFER_RING_S), agent_ext=second),
            Step(event="answered", wait_s=rng.uniform(*RING_S) / 2, agent_ext=second),
            _hangup(talk * 2 / 3, second, "answered", int(talk)),
        ]
    else:
        answering = first
        if not plain and rng.random() < RING_GROUP_SHARE and second != first:
            gap = rng.uniform(*RING_GROUP_S)
            steps.append(Step(event="ringing", wait_s=gap, agent_ext=second))
            ring, answering = max(0.0, ring - gap), rng.choice((first, second))
        talk = rng.uniform(*TALK_S)
        steps.append(Step(event="answered", wait_s=ring, agent_ext=answering))
        if "held" in settings.events and not plain and rng.random() < HOLD_SHARE:
            steps.append(Step(event="held", wait_s=talk / 3, agent_ext=answering))
            talk = talk * 2 / 3
        steps.append(_hangup(talk, answering, "answered", int(talk)))
    return tuple(_declared(steps, settings))


def _hangup(wait_s: float, ext: str, disposition: str, duration_s: int = 0) -> Step:
    return Step(
        event="hangup", wait_s=wait_s, agent_ext=ext, disposition=disposition, duration_s=duration_s
    )


def _declared(steps: list[Step], settings: CtiContract) -> list[Step]:
    """The steps this PBX reports; an unreported step's wait is added to the next one."""
    kept: list[Step] = []
    carried = 0.0
    for step in steps:
        if step.event == "missed" and "missed" not in settings.events:
            carried += step.wait_s  # reported as the hang-up (no-answer) that follows
            continue
        if step.event not in settings.events:
            carried += step.wait_s
            continue
        kept.append(_waited(step, step.wait_s + carried))
        carried = 0.0
    return kept


def _waited(step: Step, wait_s: float) -> Step:
    return Step(
        event=step.event,
        wait_s=wait_s,
        agent_ext=step.agent_ext,
        disposition=step.disposition,
        duration_s=step.duration_s,
        twist=step.twist,
    )


def twisted(step: Step, twist: str, wait_s: float) -> Step:
    """``step`` sent again (or forged) with ``twist``, ``wait_s`` after the previous step."""
    return Step(
        event=step.event,
        wait_s=wait_s,
        agent_ext=step.agent_ext,
        disposition=step.disposition,
        duration_s=step.duration_s,
        twist=twist,
    )


def chaos_steps(twist: str, settings: CtiContract, rng: random.Random) -> tuple[Step, ...] | None:
    """An answered call with ``twist`` applied to its pop event, or None when the contract's
    events cannot show it (a hang-up before the answer needs both)."""
    steps = list(flow_steps("answered", settings, rng, plain=True))
    pop = next((i for i, s in enumerate(steps) if settings.pop_event(s.event)), 0)
    if twist in (DUPLICATE, RETRY):
        # a retry comes when the PBX gave up waiting: after its budget, else a second
        wait = 0.05 if twist == DUPLICATE else (settings.max_ms or 1000.0) / 1000
        steps.insert(pop + 1, twisted(steps[pop], twist, wait))
    elif twist == LATE:
        answered = next((i for i, s in enumerate(steps) if s.event == "answered"), None)
        hangup = next((i for i, s in enumerate(steps) if s.event == "hangup"), None)
        if answered is None or hangup is None:
            return None
        late = twisted(steps[answered], LATE, 0.2)
        del steps[answered]
        steps.append(late)
    else:
        # a forged event first, then the genuine one: a rejection must not be remembered
        # as "no such caller" (DOMAIN.md §1.6)
        steps.insert(pop, twisted(steps[pop], twist, steps[pop].wait_s))
        steps[pop + 1] = _waited(steps[pop + 1], 0.2)
    return tuple(steps)
