"""Shared fake master data: the datasets from ``mocks/`` as a mutable in-memory store.

Every mock of a plan draws from one ``DataStore``, so the customer the REST mock returns for a
phone number is the same one the SOAP mock knows by id and the CTI simulator calls from.

A load test creates, changes and looks up records for hours, so no operation may cost more as
records pile up: records are found through indexes (by the text of a field, case-folded text,
or E.164 phone number), built on first use and kept up to date by every add, change and
removal, and each collection keeps only the newest ``max_created`` records created at run time.
``work`` counts what the store did (records visited one by one, index entries written), so a
test can show that a create costs the same after 100 000 records as after 10.
"""

from __future__ import annotations

import copy
import functools
import random
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, Any

import phonenumbers

if TYPE_CHECKING:
    from intcheck.model import Plan

Record = dict[str, Any]
_NOT_DIGITS = re.compile(r"[^0-9+]")
MAX_CREATED = 20_000  # records created at run time kept per collection (DataStore)
_EMPTY: Mapping[int, Record] = {}


def normalize_phone(text: str, default_region: str = "DE") -> str | None:
    """Canonical E.164 for any form a PBX sends (``0301…``, ``0049…``, ``tel:``, ``sip:``).

    Returns None for withheld sentinels, internal extensions and text that is not a number,
    including digits other than ASCII ones (``+٤٩…``): caller ids, SIP and tel: URIs
    (RFC 3966) carry ASCII digits, and dropping the others would find someone else.

    >>> normalize_phone("004930123456")
    '+4930123456'
    >>> normalize_phone("sip:+4930123456@pbx;user=phone")
    '+4930123456'
    """
    return _normalized(text, default_region)


# A phone lookup normalises the wanted number and every indexed one; parsing costs ~10 us,
# remembering it a dict lookup, and the numbers seen are few compared to the lookups made.
@functools.lru_cache(maxsize=1 << 16)
def _normalized(text: str, default_region: str) -> str | None:
    value = text.strip()
    if not value.isascii() and any(c.isdigit() and not c.isascii() for c in value):
        return None
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


# -- what an index files a record under -------------------------------------------------------

Keys = Callable[[Any], tuple[str, ...]]  # a field's value -> the keys it is found by


def value_keys(held: Any) -> tuple[str, ...]:
    """The text of a scalar; of each scalar element of a list."""
    if held is None or isinstance(held, dict):
        return ()
    if isinstance(held, list):
        return tuple(str(h) for h in held if h is not None and not isinstance(h, dict | list))
    return (str(held),)


def text_keys(held: Any) -> tuple[str, ...]:
    """As ``value_keys``, lower-cased: lookups by email or name ignore case."""
    return tuple(key.lower() for key in value_keys(held))


@functools.lru_cache(maxsize=64)
def phone_keys(region: str) -> Keys:
    """E.164 of each number a field holds: a string, a list, or ``{"number": …}`` entries."""

    def keys(held: Any) -> tuple[str, ...]:
        found = []
        for item in held if isinstance(held, list) else (held,):
            text = item.get("number") if isinstance(item, dict) else item
            if isinstance(text, str) and (number := _normalized(text, region)) is not None:
                found.append(number)
        return tuple(found)

    return keys


@dataclass(slots=True)
class Work:
    """What the store did, for tests that show a cost does not grow with the records held."""

    visited: int = 0  # records read one by one (building an index, listing a collection)
    indexed: int = 0  # index entries written or removed


class _Many(dict[int, Record]):
    """A bucket of two or more records, by id(); a bucket of one is the record itself."""

    __slots__ = ()


class _Index:
    """Records of one collection by the keys of one field, in the order they were filed.

    Most keys (ids, emails, phone numbers) name one record: such a bucket is the record
    itself, so an index costs no object per record; a key shared by more holds a ``_Many``.
    """

    __slots__ = ("buckets", "field", "keys", "plain")

    def __init__(self, field: str, keys: Keys) -> None:
        self.field = field
        self.keys = keys
        self.plain = keys is value_keys  # a text value is its own key (ids: every create)
        self.buckets: dict[str, Record | _Many] = {}

    def add(self, record: Record) -> int:
        held = record.get(self.field)
        keys = (held,) if self.plain and type(held) is str else self.keys(held)
        buckets = self.buckets
        for key in keys:
            found = buckets.get(key)
            if found is None:
                buckets[key] = record
            elif isinstance(found, _Many):
                found[id(record)] = record
            elif found is not record:
                buckets[key] = _Many({id(found): found, id(record): record})
        return len(keys)

    def remove(self, record: Record) -> int:
        held = record.get(self.field)
        keys = (held,) if self.plain and type(held) is str else self.keys(held)
        buckets = self.buckets
        for key in keys:
            found = buckets.get(key)
            if found is record:
                del buckets[key]
            elif isinstance(found, _Many):
                found.pop(id(record), None)
                if len(found) == 1:  # one left: the bucket is that record again
                    buckets[key] = next(iter(found.values()))
        return len(keys)

    def get(self, key: str) -> Mapping[int, Record]:
        """The records filed under ``key``, by id()."""
        found = self.buckets.get(key)
        if found is None:
            return _EMPTY
        return found if isinstance(found, _Many) else {id(found): found}

    def held(self) -> Iterator[Record]:
        """Every record filed, once per key it is filed under."""
        for found in self.buckets.values():
            if isinstance(found, _Many):
                yield from found.values()
            else:
                yield found


class Collection:
    """One collection: its records in order (the dataset's first), the newest created ones
    bounded, and the indexes asked for so far."""

    def __init__(self, records: Iterable[Record], work: Work) -> None:
        self._records: dict[int, Record] = {id(r): r for r in records}
        self._created: OrderedDict[int, None] = OrderedDict()  # oldest first
        self._indexes: dict[tuple[str, Keys], _Index] = {}
        self._listed: list[Record] | None = None
        self._work = work

    def __len__(self) -> int:
        return len(self._records)

    def records(self) -> list[Record]:
        if self._listed is None:
            self._listed = list(self._records.values())
            self._work.visited += len(self._listed)
        return self._listed

    def first(self, count: int) -> list[Record]:
        found = list(islice(self._records.values(), count))
        self._work.visited += len(found)
        return found

    def index(self, field: str, keys: Keys) -> _Index:
        found = self._indexes.get((field, keys))
        if found is None:  # built once, by one pass; kept up to date from here on
            found = self._indexes[(field, keys)] = _Index(field, keys)
            for record in self._records.values():
                self._work.indexed += found.add(record)
            self._work.visited += len(self._records)
        return found

    def add(self, record: Record) -> None:
        """Add a record created at run time (the dataset's come with the collection)."""
        key = id(record)
        self._records[key] = record
        self._created[key] = None
        self._listed = None
        if self._indexes:
            work = self._work
            for index in self._indexes.values():
                work.indexed += index.add(record)

    def evict_oldest(self) -> None:
        key, _ = self._created.popitem(last=False)
        self.remove(self._records[key])

    @property
    def created(self) -> int:
        return len(self._created)

    def remove(self, record: Record) -> None:
        if self._records.pop(id(record), None) is None:
            return
        self._created.pop(id(record), None)
        self._listed = None
        for index in self._indexes.values():
            self._work.indexed += index.remove(record)

    def replace(self, record: Record, content: Mapping[str, Any]) -> None:
        """``record`` now holds ``content`` (the same object, so references stay valid)."""
        # only the indexes of fields whose value changes are touched (an update rarely
        # changes the id or the phone numbers)
        changed = [
            index
            for index in (self._indexes.values() if id(record) in self._records else ())
            if record.get(index.field) != content.get(index.field)
        ]
        for index in changed:
            self._work.indexed += index.remove(record)
        record.clear()
        record.update(content)
        for index in changed:
            self._work.indexed += index.add(record)

    def forget_indexes(self) -> None:
        self._indexes.clear()


class DataStore:
    """Collections of records keyed by collection name, copied from the plan's datasets.

    Mutations (a POST that creates a customer) live only in memory; ``reset`` restores the
    dataset as loaded. One lock guards writes, since handlers of several kinds share a store.
    Each collection keeps the newest ``max_created`` records created at run time (the
    dataset's own are never dropped), so memory and every index stay bounded.
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
        self._lock = threading.Lock()
        self.seed = seed
        self.random = random.Random(seed)
        self.work = Work()
        self.collections: dict[str, Collection] = {}
        self.version = 0  # bumped on every change, so callers may cache what they derive
        self.generation = 0  # bumped by reset: what was derived from the records is void
        self.reset()

    @classmethod
    def for_plan(cls, plan: Plan, *, seed: int = 0) -> DataStore:
        """One store holding every collection of every dataset in the plan."""
        return cls(merged_collections(plan), seed=seed)

    def reset(self) -> None:
        with self._lock:
            self.collections = {
                name: Collection(records, self.work)
                for name, records in copy.deepcopy(self._original).items()
            }
            self.random = random.Random(self.seed)
            self.version += 1
            self.generation += 1

    def ensure(self, collection: str) -> None:
        """Create ``collection`` empty unless it exists (a resource with no dataset yet)."""
        if collection not in self.collections:
            self.collections[collection] = Collection((), self.work)

    def touch(self) -> None:
        """Note an in-place change of records made without ``replace``: indexes are rebuilt."""
        with self._lock:
            for collection in self.collections.values():
                collection.forget_indexes()
            self.version += 1

    def records(self, collection: str) -> list[Record]:
        """Every record of ``collection`` in order (a whole-collection read: prefer lookups)."""
        found = self.collections.get(collection)
        return found.records() if found is not None else []

    def first(self, collection: str, count: int) -> list[Record]:
        """The first ``count`` records, at the cost of ``count``."""
        found = self.collections.get(collection)
        return found.first(count) if found is not None else []

    def count(self, collection: str) -> int:
        found = self.collections.get(collection)
        return len(found) if found is not None else 0

    def bucket(
        self, collection: str, field: str, value: Any, keys: Keys = value_keys
    ) -> Mapping[int, Record]:
        """Records filed under ``value``'s key by ``keys`` (value, text or phone), by id(),
        in order; read it, never change it."""
        found = self.collections.get(collection)
        wanted = keys(value)
        if found is None or not wanted:
            return _EMPTY
        return found.index(field, keys).get(wanted[0])

    def matching(
        self, collection: str, field: str, value: Any, keys: Keys = value_keys
    ) -> list[Record]:
        """Records filed under ``value``'s key by ``keys`` (value, text or phone), in order."""
        return list(self.bucket(collection, field, value, keys).values())

    def holds(self, collection: str, field: str, value: Any) -> bool:
        """Is there a record whose ``field`` has the text of ``value``?"""
        found = self.collections.get(collection)
        if found is None:
            return False
        if type(value) is not str:
            wanted = value_keys(value)
            if not wanted:
                return False
            value = wanted[0]
        return value in found.index(field, value_keys).buckets

    def find(self, collection: str, field: str, value: Any) -> Iterator[Record]:
        """Records whose ``field`` equals ``value``; list fields match any element."""
        for record in self.matching(collection, field, value):
            held = record.get(field)
            if held == value or (isinstance(held, list) and value in held):
                yield record

    def find_by_phone(
        self, collection: str, field: str, number: str, region: str = "DE"
    ) -> list[Record]:
        """Records with a phone equal to ``number`` once both are normalised to E.164."""
        return self.matching(collection, field, number, phone_keys(region))

    def add(self, collection: str, record: Record) -> Record:
        """Add a record created at run time; the oldest created beyond the bound is dropped."""
        with self._lock:
            target = self.collections.get(collection)
            if target is None:
                target = self.collections[collection] = Collection((), self.work)
            target.add(record)
            if target.created > self.max_created:
                target.evict_oldest()
            self.version += 1
        return record

    def replace(self, collection: str, record: Record, content: Mapping[str, Any]) -> None:
        """Give ``record`` new ``content`` in place (an update); its index entries follow."""
        with self._lock:
            found = self.collections.get(collection)
            if found is not None:
                found.replace(record, content)
            else:
                record.clear()
                record.update(content)
            self.version += 1

    def remove(self, collection: str, record: Record) -> None:
        with self._lock:
            found = self.collections.get(collection)
            if found is not None:
                found.remove(record)
            self.version += 1
