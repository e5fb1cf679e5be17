"""What ``intcheck load`` asks of a kind: concrete requests for a load step, built up front.

Locust runs in its own process (gevent must never meet asyncio), so the parent builds each
step's requests through the step's kind — a CTI callback with its signature, a SOAP envelope,
a form-encoded SMS send — and hands them over as plain data; the Locust user only sends them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import random

    from intcheck.kinds.probing import DatasetIndex
    from intcheck.model import Contract, Operation


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadRequest:
    """One request as Locust sends it; ``name`` groups Locust's statistics (the operation id)."""

    name: str
    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    ok_statuses: tuple[int, ...] = ()  # empty: any status below 400 counts as a success


@dataclass(slots=True, kw_only=True)
class LoadContext:
    """One step of a load scenario: which operation, against which target, how many variants."""

    contract: Contract
    operation: Operation
    target: str
    index: DatasetIndex
    rng: random.Random
    count: int = 100  # distinct requests to prepare; Locust cycles through them
    values: Mapping[str, Any] = field(default_factory=dict)  # fixed by the scenario step
