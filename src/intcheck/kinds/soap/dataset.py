"""Answers drawn from the shared DataStore, matched to XSD names by convention.

Names match case-insensitively and ignoring ``_`` and ``-``, so the request element ``OrderId``
finds the record field ``order_id``, and ``Line`` finds ``lines``. A request element is a *key*
when it names a collection's first field (``Sku`` → products.sku, ``OrderId`` →
orders.order_id) or ``<collection in singular>Id`` (``CustomerId`` → customers.id); a key whose
value no record holds is a not-found. A response complex type is drawn from the collection whose
records carry most of its child names; whatever no record supplies is generated from the XSD.
Operations named like a creation (``PlaceOrder``, ``CreateCustomer``) add a record first.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from intcheck.data import field_key
from intcheck.kinds.soap.values import ValueFactory, builtin_name, is_complex, is_many

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


class DatasetAnswers:
    """Fill an operation's output from the store; fall back to generated values per element."""

    def __init__(self, store: DataStore, factory: ValueFactory) -> None:
        self.store = store
        self.factory = factory
        # answers are computed per request; what names mean only changes with the collections
        self._shape: tuple[str, ...] = ()
        self._keys: dict[str, tuple[str, str] | None] = {}
        self._types: dict[int, tuple[Any, str | None]] = {}

    def _cached(self) -> None:
        shape = tuple(self.store.collections)
        if shape != self._shape:
            self._shape, self._keys, self._types = shape, {}, {}

    # -- what the dataset knows ------------------------------------------------------------

    def _template(self, collection: str) -> dict[str, Any]:
        records = self.store.records(collection)
        return records[0] if records else {}

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

    def collection_for(self, xsd_type: Any) -> str | None:
        """The collection whose records carry most child names of a complex type."""
        self._cached()
        known = self._types.get(id(xsd_type))
        if known is None or known[0] is not xsd_type:
            known = (xsd_type, self._find_collection(xsd_type))
            self._types[id(xsd_type)] = known
        return known[1]

    def _find_collection(self, xsd_type: Any) -> str | None:
        names = [name for name, _ in getattr(xsd_type, "elements", [])]
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
            if not any(str(r.get(field)) == str(value) for r in self.store.records(collection)):
                raise NotFound(name, collection, value)

    def answer(self, operation: str, request: Any, output_type: Any) -> dict[str, Any]:
        """Keyword arguments for the output body type (a complex type)."""
        request_map = request if isinstance(request, Mapping) else {}
        target = None
        if field_key(operation).startswith(CREATE_VERBS):
            target = self._find_collection_type(output_type, 0)
        self.check_keys(request_map, creating=target[0] if target else None)
        created = self._create(request_map, *target) if target else None
        return self._fill(output_type, None, None, request_map, created, 0)

    def _fill(
        self,
        xsd_type: Any,
        record: Mapping[str, Any] | None,
        collection: str | None,
        request: Mapping[str, Any],
        created: tuple[str, dict[str, Any]] | None,
        depth: int,
    ) -> dict[str, Any]:
        values: dict[str, Any] = {}
        pending = list(xsd_type.elements_nested)
        while pending:
            name, particle = pending.pop(0)
            kind = type(particle).__name__
            if kind in ("Sequence", "All", "Group"):
                pending[:0] = list(particle.elements_nested)
            elif kind != "Element":
                values.update(self.factory.particle(name, particle, depth))
            else:
                value = self._element(name, particle, record, collection, request, created, depth)
                if value is not None:
                    values[name] = value
        values.update(self.factory.attribute_values(xsd_type, depth))
        return values

    def _element(
        self,
        name: str,
        element: Any,
        record: Mapping[str, Any] | None,
        collection: str | None,
        request: Mapping[str, Any],
        created: tuple[str, dict[str, Any]] | None,
        depth: int,
    ) -> Any:
        if getattr(element.type, "_array_type", None) is not None:
            return self.factory.element_value(element, depth)  # SOAP-encoded arrays: generated
        if record is not None:
            field = self._field(record, collection, name)
            if field is not None and record.get(field) is not None:
                return self._convert(element, record[field], request, depth)
        elif is_complex(element.type) and depth < _SCAN_DEPTH:
            source = self.collection_for(element.type)
            if source is not None:
                if created is not None and created[0] == source:
                    records = [created[1]]
                else:
                    records = list(self._select(source, request))
                if is_many(element):
                    return [
                        self._fill(element.type, r, source, request, None, depth + 1)
                        for r in records
                    ]
                if records:
                    return self._fill(element.type, records[0], source, request, None, depth + 1)
            else:
                inner = self._fill(element.type, None, None, request, created, depth + 1)
                return [inner] if is_many(element) else inner
        return self.factory.element_value(element, depth)

    def _convert(self, element: Any, value: Any, request: Mapping[str, Any], depth: int) -> Any:
        if is_complex(element.type):
            items = value if isinstance(value, list) else [value]
            filled = [
                self._fill(element.type, item, None, request, None, depth + 1)
                for item in items
                if isinstance(item, Mapping)
            ]
            if is_many(element):
                return filled
            return filled[0] if filled else self.factory.element_value(element, depth)
        if isinstance(value, list):
            converted = [self._scalar(element, item) for item in value]
            return converted if is_many(element) else (converted[0] if converted else None)
        scalar = self._scalar(element, value)
        return [scalar] if is_many(element) else scalar

    def _scalar(self, element: Any, value: Any) -> Any:
        base = builtin_name(element.type)
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, float):
            text = repr(value)
        elif isinstance(value, datetime):
            text = value.isoformat()
        else:
            text = str(value)
        if base == "date":
            text = text[:10]
        elif base == "dateTime" and len(text) == 10:
            text += "T00:00:00Z"
        facets = self.factory.facets.lookup(getattr(element.type, "qname", None), element.qname)
        allowed = facets.get("enumeration")
        if allowed and text not in allowed:
            return self.factory.one(element)
        try:
            return element.type.pythonvalue(text)
        except Exception:  # zeep's converters raise many types; the text itself still renders
            return text

    def _select(self, collection: str, request: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        template = self._template(collection)
        filters: list[tuple[str, str]] = []
        for name, value in request.items():
            if value is None or isinstance(value, list | Mapping):
                continue
            field = self._field(template, collection, name)
            if field is not None:
                filters.append((field, _text(value)))
        for record in self.store.records(collection):
            if all(_text(record.get(field)) == wanted for field, wanted in filters):
                yield record

    # -- creating ---------------------------------------------------------------------------

    def _create(
        self, request: Mapping[str, Any], collection: str, record_type: Any
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

    def _find_collection_type(self, xsd_type: Any, depth: int) -> tuple[str, Any] | None:
        if depth > _SCAN_DEPTH or not is_complex(xsd_type):
            return None
        for _, element in getattr(xsd_type, "elements", []):
            if not is_complex(getattr(element, "type", None)):
                continue
            collection = self.collection_for(element.type)
            if collection is not None:
                return collection, element.type
            deeper = self._find_collection_type(element.type, depth + 1)
            if deeper is not None:
                return deeper
        return None

    def _next_id(self, collection: str, field: str) -> str:
        """The highest id plus one, keeping its prefix and width (O20260010 → O20260011)."""
        best: tuple[int, str, int] | None = None
        for record in self.store.records(collection):
            match = re.fullmatch(r"(.*?)(\d+)", str(record.get(field, "")))
            if match and (best is None or int(match.group(2)) > best[0]):
                best = (int(match.group(2)), match.group(1), len(match.group(2)))
        if best is None:
            return f"{collection[:1].upper()}{len(self.store.records(collection)) + 1}"
        number, prefix, width = best
        return f"{prefix}{str(number + 1).zfill(width)}"

    def _derive(self, field: str, example: Any, record: dict[str, Any], record_type: Any) -> Any:
        """A value for a field the request did not give: computed, first enumeration, or now."""
        key = field_key(field)
        if key in _TOTAL_FIELDS:
            total = self._total(record)
            if total is not None:
                return total
        for name, element in getattr(record_type, "elements", []):
            if field_key(name) == key and hasattr(element, "type"):
                allowed = self.factory.facets.lookup(
                    getattr(element.type, "qname", None), element.qname
                )
                if allowed.get("enumeration"):
                    return allowed.get("enumeration")[0]
                if builtin_name(element.type) in ("dateTime", "date"):
                    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if (
            key.endswith("at")
            and isinstance(example, str)
            and re.match(r"\d{4}-\d\d-\d\d", example)
        ):
            return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
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
                total += Decimal(str(price)) * Decimal(str(quantity))
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
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _to_record(value: Any, example: Any) -> Any:
    """A request value in the dataset's own shape and field names."""
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
    if isinstance(value, Decimal):
        return (
            int(value)
            if value == value.to_integral_value() and isinstance(example, int)
            else float(value)
        )
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
