"""Shared fake master data: the datasets from ``mocks/`` as a mutable in-memory store.

Every mock of a plan draws from one ``DataStore``, so the customer the REST mock returns for a
phone number is the same one the SOAP mock knows by id and the CTI simulator calls from.
"""

from __future__ import annotations

import copy
import functools
import random
import re
import threading
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import phonenumbers

if TYPE_CHECKING:
    from intcheck.model import Plan

_NOT_DIGITS = re.compile(r"[^\d+]")
MAX_CREATED = 20_000  # records created at run time kept per collection (DataStore)


def normalize_phone(text: str, default_region: str = "DE") -> str | None:
    """Canonical E.164 for any form a PBX sends (``0301…``, ``0049…``, ``tel:``, ``sip:``).

    Returns None for withheld sentinels, internal extensions and text that is not a number.

    >>> normalize_phone("004930123456")
    '+4930123456'
    >>> normalize_phone("sip:+4930123456@pbx;user=phone")
    '+4930123456'
    """
    return _normalized(text, default_region)


# A phone lookup normalises every record's numbers; parsing one costs ~10 us, remembering it
# a dict lookup, and the numbers of a store are few compared to the lookups made.
@functools.lru_cache(maxsize=1 << 16)
def _normalized(text: str, default_region: str) -> str | None:
    value = text.strip()
    if value.lower().startswith(("tel:", "sip:", "sips:")):
        value = value.split(":", 1)[1].split("@", 1)[0].split(";", 1)[0]
    # an unencoded '+' in a query string arrives as a leading space
    if text.startswith(" ") and value[:1].isdigit():
        value = "+" + value
    value = value.replace("(0)", "")
    if value.startswith("00"):
        value = "+" + value[2:]
    compact = _NOT_DIGITS.sub("", value)
    if len(compact.lstrip("+")) < 5 or len(compact.lstrip("+")) > 15:
        return None
    try:
        number = phonenumbers.parse(compact, None if compact.startswith("+") else default_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def merged_collections(plan: Plan) -> dict[str, tuple[Mapping[str, Any], ...]]:
    """Every collection of every dataset in the plan; same-named collections are joined."""
    merged: dict[str, tuple[Mapping[str, Any], ...]] = {}
    for dataset in plan.datasets.values():
        for name, records in dataset.records.items():
            merged[name] = merged.get(name, ()) + tuple(records)
    return merged


@functools.lru_cache(maxsize=4096)  # on the SOAP mock's hot path; the names are few
def field_key(name: str) -> str:
    """How field names are compared across specs and datasets: ``order_id``, ``OrderId`` and
    ``order-id`` are all ``orderid``."""
    return "".join(c for c in name.lower() if c.isalnum())


class DataStore:
    """Collections of records keyed by collection name, copied from the plan's datasets.

    Mutations (a POST that creates a customer) live only in memory; ``reset`` restores the
    dataset as loaded. One lock guards writes, since handlers of several kinds share a store.
    A load test may create records for hours: each collection keeps the newest
    ``max_created`` records created at run time (the dataset's own are never dropped), so
    memory and lookups stay bounded.
    """

    def __init__(
        self,
        collections: Mapping[str, tuple[Mapping[str, Any], ...]],
        *,
        seed: int = 0,
        max_created: int = MAX_CREATED,
    ) -> None:
        self._original = {name: [dict(r) for r in records] for name, records in collections.items()}
        self.max_created = max_created
        self._created: dict[str, dict[int, None]] = {}  # id() of created records, oldest first
        self._lock = threading.Lock()
        self.seed = seed
        self.random = random.Random(seed)
        self.collections: dict[str, list[dict[str, Any]]] = {}
        self.version = 0  # bumped on every change, so callers may cache what they derive
        self.reset()

    @classmethod
    def for_plan(cls, plan: Plan, *, seed: int = 0) -> DataStore:
        """One store holding every collection of every dataset in the plan."""
        return cls(merged_collections(plan), seed=seed)

    def reset(self) -> None:
        with self._lock:
            self.collections = copy.deepcopy(self._original)
            self._created.clear()
            self.random = random.Random(self.seed)
            self.version += 1

    def touch(self) -> None:
        """Note an in-place change of a record, so cached renderings are dropped."""
        with self._lock:
            self.version += 1

    def records(self, collection: str) -> list[dict[str, Any]]:
        return self.collections.get(collection, [])

    def find(self, collection: str, field: str, value: Any) -> Iterator[dict[str, Any]]:
        """Records whose ``field`` equals ``value``; list fields match any element."""
        for record in self.records(collection):
            held = record.get(field)
            if held == value or (isinstance(held, list) and value in held):
                yield record

    def find_by_phone(
        self, collection: str, field: str, number: str, region: str = "DE"
    ) -> list[dict[str, Any]]:
        """Records with a phone equal to ``number`` once both are normalised to E.164."""
        wanted = normalize_phone(number, region)
        if wanted is None:
            return []
        found = []
        for record in self.records(collection):
            held = record.get(field)
            values = held if isinstance(held, list) else [held]
            for value in values:
                text = value.get("number") if isinstance(value, dict) else value
                if isinstance(text, str) and normalize_phone(text, region) == wanted:
                    found.append(record)
                    break
        return found

    def add(self, collection: str, record: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self.collections.setdefault(collection, []).append(record)
            created = self._created.setdefault(collection, {})
            created[id(record)] = None
            # over the bound, forget the oldest tenth in one pass rather than one per add
            if len(created) > self.max_created + self.max_created // 10:
                dropped = set()
                for key in list(created)[: len(created) - self.max_created]:
                    dropped.add(key)
                    del created[key]
                self.collections[collection] = [
                    r for r in self.collections[collection] if id(r) not in dropped
                ]
            self.version += 1
        return record

    def remove(self, collection: str, record: dict[str, Any]) -> None:
        with self._lock:
            self.collections[collection] = [r for r in self.records(collection) if r is not record]
            self._created.get(collection, {}).pop(id(record), None)
            self.version += 1
