"""What ``intcheck simulate`` hands a kind's simulator: the target, options, and the one client.

A simulator plays the other side of an integration (the phone system calling the CRM, the SMS
gateway posting an inbound message) against the system under test. It sends every request
through ``send`` — the probe's hardened outbound client: timeouts, size caps, no redirects off
the target's origin, TLS verified — and turns each answer into Results with ``judge``, which
runs its checks and redacts the evidence. It never opens a socket of its own for HTTP.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import random
    from pathlib import Path

    from intcheck.kinds.probing import DatasetIndex, Exchange, ProbeCase, ProbeRequest
    from intcheck.model import Contract, Plan, Result
    from intcheck.redact import Redactor

Send = Callable[["ProbeRequest"], Awaitable["Exchange"]]
Judge = Callable[["ProbeCase", "Exchange"], "list[Result]"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SimulationOptions:
    """How much to play and how hard.

    ``flows`` is the number of call flows (CTI) or messages (SMS, email) per contract; ``chaos``
    adds what real networks and gateways do: duplicates, reordering, retries after a timeout,
    stale timestamps, bad and missing signatures.
    """

    flows: int = 20
    concurrency: int = 10
    chaos: bool = False
    seed: int = 0
    timeout_s: float = 10.0
    pace: float = 1.0  # multiplies the realistic gaps between events; 0 sends back to back


@dataclass(slots=True, kw_only=True)
class SimulationContext:
    """Everything a kind's simulator needs for one contract."""

    plan: Plan
    contract: Contract
    target: str  # the system under test's base URL for this contract
    options: SimulationOptions
    index: DatasetIndex
    send: Send
    judge: Judge
    redactor: Redactor
    rng: random.Random
    artifacts: Path | None = None  # a folder for files a kind links from evidence
    extra: dict[str, object] = field(default_factory=dict)
