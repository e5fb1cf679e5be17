"""Answers drawn from the shared DataStore, matched to XSD names by convention.

Names match case-insensitively and ignoring ``_`` and ``-``, so the request element ``OrderId``
finds the record field ``order_id``, and ``Line`` finds ``lines``. A request element is a *key*
when it names a collection's first field (``Sku`` → products.sku, ``OrderId`` →
orders.order_id) or ``<collection in singular>Id`` (``CustomerId`` → customers.id); a key whose
value no record holds is a not-found. A response complex type is drawn from the collection whose
records carry most of its child names; whatever no record supplies is generated from the XSD
(``DatasetAnswers`` is the ``Filler`` the instance builder asks). Operations named like a
creation (``PlaceOrder``, ``CreateCustomer``) add a record first.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from lxml import etree

from intcheck.data import field_key
from intcheck.kinds.soap.components import (
    XSI_NS,
    Attribute,
    ComplexType,
    ElementUse,
    SimpleType,
    element_uses,
    local_name,
)
from intcheck.kinds.soap.instances import NIL

if TYPE_CHECKING:
    from intcheck.data import DataStore

CREATE_VERBS = ("place", "create", "add", "insert", "submit", "new", "register")
# SOAP has no method to tell a read from a write: the operation's verb is the best evidence.
WRITE_VERBS = (
    *CREATE_VERBS,
    *("update", "set", "save", "upsert", "merge", "put", "post", "write"),
    *("delete", "remove", "cancel", "close"),
)
_TOTAL_FIELDS = {"total", "amount", "totalamount", "sum"}
_PRICE_FIELDS = ("price", "unitprice")
_QUANTITY_FIELDS = ("quantity", "qty", "count")
_MATCH_SCORE = 0.6  # share of a type's children a collection's records must carry
_SCAN_DEPTH = 4


class NotFound(Exception):
    """The request names a key no record holds."""

    def __init__(self, element: str, collection: str, value: Any) -> None:
        self.element = element
        self.collection = collection
        self.value = value
        super().__init__(f"unknown {element} {value!r}: no record in {collection!r} has it")


@dataclass(frozen=True, slots=True)
class Scope:
    """Where the builder is in an answer: the record being shown (if any) and the request."""

    record: Mapping[str, Any] | None
    collection: str | None
    request: Mapping[str, Any]
    created: tuple[str, dict[str, Any]] | None = None
    depth: int = 0


def field_of(record: Mapping[str, Any], name: str) -> str | None:
    """The record field an XSD name stands for, allowing a plural field for a repeated element."""
    return _field_among(tuple(record), name)


@functools.lru_cache(maxsize=4096)
def _field_among(keys: tuple[str, ...], name: str) -> str | None:
    wanted = field_key(name)
    for key in keys:
        have = field_key(key)
        if have in (wanted, wanted + "s", wanted + "es") or wanted == have + "s":
            return key
    return None


_XSI_NIL = f"{{{XSI_NS}}}nil"


def request_values(element: Any) -> dict[str, Any]:
    """A request's Body element as plain values: children by local name, repeats as lists."""
    values: dict[str, Any] = {}
    for child in element.iterchildren(etree.Element):  # elements: no comments, no PIs
        name = child.tag.rpartition("}")[2]  # the local name, without building a QName
        if child.get(_XSI_NIL) in ("true", "1"):
            value: Any = None
        elif next(child.iterchildren(etree.Element), None) is not None:
            value = request_values(child)
        else:
            value = (child.text or "").strip()
        if name in values:
            known = values[name]
            values[name] = [*known, value] if isinstance(known, list) else [known, value]
        else:
            values[name] = value
    return values


class DatasetAnswers:
    """Fill an operation's output from the store; fall back to generated values per element."""

    def __init__(self, store: DataStore) -> None:
        self.store = store
        # answers are computed per request; what names mean only changes with the collections
        self._shape: tuple[str, ...] = ()
        self._keys: dict[str, tuple[str, str] | None] = {}
        self._types: dict[int, tuple[ComplexType, str | None]] = {}
        # per (collection, id field): (store generation, prefix, width, highest number)
        self._sequences: dict[tuple[str, str], tuple[int, str | None, int, int]] = {}

    def _cached(self) -> None:
        shape = tuple(self.store.collections)
        if shape != self._shape:
            self._shape, self._keys, self._types = shape, {}, {}

    # -- what the dataset knows ------------------------------------------------------------

    def _template(self, collection: str) -> Mapping[str, Any]:
        first = self.store.first(collection, 1)
        return first[0] if first else {}

    def key_for(self, name: str) -> tuple[str, str] | None:
        """(collection, field) when ``name`` identifies a record."""
        self._cached()
        if name not in self._keys:
            self._keys[name] = self._find_key(name)
        return self._keys[name]

    def _find_key(self, name: str) -> tuple[str, str] | None:
        wanted = field_key(name)
        for collection in self.store.collections:
            template = self._template(collection)
            if not template:
                continue
            first = next(iter(template))
            singular = collection[:-1] if collection.endswith("s") else collection
            if field_key(first) != "id" and wanted == field_key(first):
                return collection, first
            if wanted in (field_key(singular) + field_key(first), field_key(singular) + "id"):
                return collection, first
        return None

    def collection_for(self, xsd_type: ComplexType) -> str | None:
        """The collection whose records carry most child names of a complex type."""
        self._cached()
        known = self._types.get(id(xsd_type))
        if known is None or known[0] is not xsd_type:
            known = (xsd_type, self._find_collection(xsd_type))
            self._types[id(xsd_type)] = known
        return known[1]

    def _find_collection(self, xsd_type: ComplexType) -> str | None:
        names = [local_name(use.element.name) for use in element_uses(xsd_type.content)]
        if len(names) < 2:
            return None
        best, best_score = None, _MATCH_SCORE
        for collection in self.store.collections:
            template = self._template(collection)
            if not template:
                continue
            hits = sum(1 for name in names if self._field(template, collection, name))
            if hits >= 2 and hits / len(names) >= best_score:
                best, best_score = collection, hits / len(names)
        return best

    def _field(self, record: Mapping[str, Any], collection: str | None, name: str) -> str | None:
        found = field_of(record, name)
        if (
            found is None
            and collection is not None
            and self.key_for(name) == (collection, next(iter(record), ""))
        ):
            found = next(iter(record))
        return found

    # -- answering --------------------------------------------------------------------------

    def check_keys(self, request: Any, *, creating: str | None = None) -> None:
        """Raise NotFound for the first key in the request that no record holds.

        Keys of the collection an operation is ``creating`` a record in are new, not unknown.
        """
        for name, value in _leaves(request):
            key = self.key_for(name)
            if key is None or value is None or key[0] == creating:
                continue
            collection, field = key
            if not self.store.holds(collection, field, value):  # an index lookup, never a scan
                raise NotFound(name, collection, value)

    def start(
        self, operation: str, request: Mapping[str, Any], output: ComplexType | None
    ) -> Scope:
        """Where the answer to ``request`` starts; creates a record for a creating operation."""
        target = None
        if output is not None and field_key(operation).startswith(CREATE_VERBS):
            target = self._find_collection_type(output, 0)
        self.check_keys(request, creating=target[0] if target else None)
        created = self._create(request, *target) if target else None
        return Scope(record=None, collection=None, request=request, created=created)

    def child(self, use: ElementUse, scope: Any) -> Sequence[Any] | None:
        """Values for each occurrence of ``use`` (the builder's ``Filler``)."""
        if not isinstance(scope, Scope):
            return None
        element = use.element
        many = use.max_occurs is None or use.max_occurs > 1
        complex_ = isinstance(element.type, ComplexType) and element.type.simple is None
        name = local_name(element.name)
        if scope.record is not None:
            field = self._field(scope.record, scope.collection, name)
            if field is None:
                return None
            value = scope.record[field]
            if value is None:
                return [NIL]
            items = value if isinstance(value, list) else [value]
            if complex_:
                items = [
                    Scope(item, None, scope.request, None, scope.depth + 1)
                    for item in items
                    if isinstance(item, Mapping)
                ]
            return (items if many else items[:1]) or None
        if not complex_ or scope.depth >= _SCAN_DEPTH:
            return None
        assert isinstance(element.type, ComplexType)
        source = self.collection_for(element.type)
        if source is None:  # a holder of records further down: keep looking below it
            return [Scope(None, None, scope.request, scope.created, scope.depth + 1)]
        if scope.created is not None and scope.created[0] == source:
            records: list[Mapping[str, Any]] = [scope.created[1]]
        else:
            records = list(self._select(source, scope.request))
        found = [Scope(r, source, scope.request, None, scope.depth + 1) for r in records]
        return found if many else (found[:1] or None)

    def rendering_key(self, scope: Any) -> Hashable | None:
        """A record at the data's current version always fills an element the same way."""
        if isinstance(scope, Scope) and scope.record is not None:
            return (id(scope.record), self.store.version)
        return None

    def attribute(self, attribute: Attribute, scope: Any) -> Any:
        """A record's value for ``attribute`` (the builder's ``Filler``)."""
        if not isinstance(scope, Scope) or scope.record is None:
            return None
        field = field_of(scope.record, local_name(attribute.name))
        return scope.record.get(field) if field is not None else None

    def _select(self, collection: str, request: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
        template = self._template(collection)
        filters: list[tuple[str, str]] = []
        for name, value in request.items():
            if value is None or isinstance(value, list | Mapping):
                continue
            field = self._field(template, collection, name)
            if field is not None:
                filters.append((field, value))
        if not filters:
            yield from self.store.records(collection)
            return
        (first, wanted), rest = filters[0], filters[1:]
        for record in self.store.matching(collection, first, wanted):
            if all(_text(record.get(field)) == _text(value) for field, value in rest):
                yield record

    # -- creating ---------------------------------------------------------------------------

    def _create(
        self, request: Mapping[str, Any], collection: str, record_type: ComplexType
    ) -> tuple[str, dict[str, Any]]:
        template = self._template(collection)
        record: dict[str, Any] = {}
        for name, value in request.items():
            field = self._field(template, collection, name)
            if field is not None and value is not None:
                record[field] = _to_record(value, template.get(field))
        first = next(iter(template))
        record.setdefault(first, self._next_id(collection, first))
        for field, example in template.items():
            if field in record:
                continue
            record[field] = self._derive(field, example, record, record_type)
        ordered = {field: record[field] for field in template if field in record}
        ordered.update(record)
        return collection, self.store.add(collection, ordered)

    def _find_collection_type(self, xsd_type: ComplexType, depth: int) -> tuple[str, Any] | None:
        if depth > _SCAN_DEPTH:
            return None
        for use in element_uses(xsd_type.content):
            child = use.element.type
            if not isinstance(child, ComplexType):
                continue
            collection = self.collection_for(child)
            if collection is not None:
                return collection, child
            deeper = self._find_collection_type(child, depth + 1)
            if deeper is not None:
                return deeper
        return None

    def _next_id(self, collection: str, field: str) -> str:
        """The highest id plus one, keeping its prefix and width (O20260010 → O20260011).

        The highest is read from the records once per dataset generation (after a reset);
        every create after that costs an index lookup, however many records are held.
        """
        key = (collection, field)
        known = self._sequences.get(key)
        if known is None or known[0] != self.store.generation:
            known = (self.store.generation, *_highest(self.store.records(collection), field))
        generation, prefix, width, number = known
        if prefix is None:
            return f"{collection[:1].upper()}{self.store.count(collection) + 1}"
        made = f"{prefix}{str(number + 1).zfill(width)}"
        while self.store.holds(collection, field, made):
            number += 1
            made = f"{prefix}{str(number + 1).zfill(width)}"
        self._sequences[key] = (generation, prefix, width, number + 1)
        return made

    def _derive(
        self, field: str, example: Any, record: dict[str, Any], record_type: ComplexType
    ) -> Any:
        """A value for a field the request did not give: computed, first enumeration, or now."""
        key = field_key(field)
        if key in _TOTAL_FIELDS:
            total = self._total(record)
            if total is not None:
                return total
        for use in element_uses(record_type.content):
            stype = use.element.type
            if field_key(local_name(use.element.name)) != key or not isinstance(stype, SimpleType):
                continue
            if stype.enumeration:
                return stype.enumeration[0]
            if stype.builtin in ("dateTime", "date"):
                return _now()
        if (
            key.endswith("at")
            and isinstance(example, str)
            and re.match(r"\d{4}-\d\d-\d\d", example)
        ):
            return _now()
        return example

    def _total(self, record: Mapping[str, Any]) -> float | None:
        total = Decimal(0)
        counted = False
        for value in record.values():
            if not isinstance(value, list):
                continue
            for item in value:
                if not isinstance(item, Mapping):
                    continue
                price = self._price_of(item)
                if price is None:
                    continue
                quantity = next((item[k] for k in item if field_key(k) in _QUANTITY_FIELDS), 1)
                try:
                    total += Decimal(str(price)) * Decimal(str(quantity))
                except InvalidOperation:
                    continue
                counted = True
        return float(total) if counted else None

    def _price_of(self, item: Mapping[str, Any]) -> Any:
        for name, value in item.items():
            key = self.key_for(name)
            if key is None:
                continue
            for record in self.store.find(key[0], key[1], value):
                for field in record:
                    if field_key(field) in _PRICE_FIELDS:
                        return record[field]
        return None


def _leaves(value: Any, name: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _leaves(item, key)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item, name)
    elif name:
        yield name, value


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _to_record(value: Any, example: Any) -> Any:
    """A request value (text read from XML) in the dataset's own shape and field names."""
    if isinstance(example, list) and not isinstance(value, list):
        value = [value]  # one occurrence of a repeatable element reads as a single value
    if isinstance(value, list):
        inner = example[0] if isinstance(example, list) and example else None
        return [_to_record(item, inner) for item in value]
    if isinstance(value, Mapping):
        template = example if isinstance(example, Mapping) else {}
        result: dict[str, Any] = {}
        for key, item in value.items():
            if item is None:
                continue
            field = field_of(template, key) or key
            result[field] = _to_record(item, template.get(field))
        return result
    if not isinstance(value, str):
        return value
    try:
        if isinstance(example, bool):
            return value in ("true", "1")
        if isinstance(example, int):
            return int(value)
        if isinstance(example, float):
            return float(value)
    except ValueError:
        return value
    return value


def _highest(records: Iterable[Mapping[str, Any]], field: str) -> tuple[str | None, int, int]:
    """(prefix, width, highest number) of the numbered ids in ``field``; prefix None: none."""
    best: tuple[int, str, int] | None = None
    for record in records:
        match = re.fullmatch(r"(.*?)(\d+)", str(record.get(field, "")))
        if match and (best is None or int(match.group(2)) > best[0]):
            best = (int(match.group(2)), match.group(1), len(match.group(2)))
    if best is None:
        return None, 0, 0
    number, prefix, width = best
    return prefix, width, number
