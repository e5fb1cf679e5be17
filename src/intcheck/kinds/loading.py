"""What ``intcheck load`` asks of a kind: concrete requests for a load step, built up front.

Locust runs in its own process (gevent must never meet asyncio), so the parent builds each
step's requests through the step's kind — a CTI callback with its signature, a SOAP envelope,
a form-encoded SMS send — and hands them over as plain data; the Locust user only sends them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from intcheck.data import field_key
from intcheck.kinds.probing import DatasetIndex

if TYPE_CHECKING:
    import random

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
    """One step of a load scenario: which operation, against which target, how many variants.

    ``values`` are the step's values for one run of its flow (a customer's id, phone number,
    the form of the number the PBX sends), named as the kind names its inputs: parameters,
    XML elements, placeholders. ``index`` already offers them first (``PinnedIndex``), so a kind
    that draws values from the datasets by name sends them without knowing of them. The
    ``count`` requests are variants of that one run (fresh call ids, say); Locust picks one.
    """

    contract: Contract
    operation: Operation
    target: str
    index: DatasetIndex
    rng: random.Random
    count: int = 100  # distinct requests to prepare; Locust cycles through them
    values: Mapping[str, Any] = field(default_factory=dict)  # fixed by the scenario step


class PinnedIndex(DatasetIndex):
    """A dataset index that offers ``pinned`` values first for names alike (``OrderId`` ~
    ``order_id``), and the datasets' values after them."""

    def __init__(self, base: DatasetIndex, pinned: Mapping[str, Any]) -> None:
        # no super().__init__: the base's tables are shared, not rebuilt for every flow run
        self.values = base.values
        self.collections = base.collections
        self._base = base
        self._pinned = {field_key(k): v for k, v in pinned.items()}

    def candidates(self, name: str) -> list[Any]:
        key = field_key(name)
        first = [self._pinned[key]] if key in self._pinned else []
        return first + [v for v in self._base.candidates(name) if v not in first]

    def candidates_in(self, collection: str, name: str) -> list[Any]:
        key = field_key(name)
        first = [self._pinned[key]] if key in self._pinned else []
        found = self._base.candidates_in(collection, name)
        return first + [v for v in found if v not in first]
