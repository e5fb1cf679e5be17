"""Operations backed by the plan's dataset: lookups, reads and writes that agree with each other.

A resource ties a path to a dataset collection: ``/customers/{id}`` reads the ``customers``
record whose ``id`` is the path value, ``/customers`` lists and creates them, and
``/customers/{id}/orders`` lists ``orders`` whose ``customer_id`` is the value. The contract's
``mock.resources`` says so explicitly; without it the collection is guessed from the path.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiohttp import web

    from intcheck.data import DataStore
    from intcheck.kinds.rest.mock import RestHandler
    from intcheck.kinds.rest.shape import Shapes
    from intcheck.kinds.rest.spec import Op, Spec
    from intcheck.kinds.valuegen import Generator

_PARAM = re.compile(r"\{([^}]+)\}")
_LIST_FIELDS = ("items", "data", "results", "records", "content", "entries", "values")
_COUNT_FIELDS = ("total", "count", "total_count", "totalcount", "size", "totalitems")
_LIMITS = ("limit", "per_page", "page_size", "pagesize", "size", "max")


@dataclass(slots=True)
class Resource:
    """How one operation reads or writes a dataset collection."""

    collection: str
    role: str  # item | collection | filtered
    field: str  # the record field the path's last parameter names
    param: str  # that path parameter
    lookups: Mapping[str, str]  # query parameter -> record field
    store: DataStore
    generator: Generator
    shapes: Shapes
    item_schema: Any = None  # response schema of one record, to fill in created ones
    parent: Resource | None = None
    _ids: tuple[int, set[str]] = dataclasses.field(default_factory=lambda: (-1, set()))
    # (store version, prefix, digits, highest number) of numbered ids such as C000012
    _sequence: tuple[int, str, int, int] | None = None
    _by_value: tuple[int, dict[str, list[dict[str, Any]]]] = dataclasses.field(
        default_factory=lambda: (-1, {})
    )
    _creates: dict[int, _Create] = dataclasses.field(default_factory=dict)  # by id(op)
    _numbered_ids_fit: bool = True  # False once a numbered id broke the id field's schema

    def answer(
        self, handler: RestHandler, op: Op, params: Mapping[str, Mapping[str, Any]], body: Any
    ) -> web.Response:
        """Serve ``op`` from the store (404 as documented when a record is unknown)."""
        reply = op.replies.get(op.success)
        schema = reply.schema if reply is not None else None
        value = params["path"].get(self.param)
        store = self.store
        if self.role == "collection":
            if op.method == "POST" and isinstance(body, dict):
                return self._create(handler, op, body, schema)
            records = self._lookup(params["query"])
            return handler.render(
                op,
                op.success,
                value=self._list(records, schema),
                headers=_count_headers(op, len(records)),
            )
        records = self._index().get(str(value), [])
        if self.role == "filtered" and _is_list(schema, self.generator):
            if not records and self.parent is not None and not self.parent.exists(value):
                return handler.not_found(op, f"no {self.parent.collection} record {value}")
            return handler.render(
                op,
                op.success,
                value=self._list(records, schema),
                headers=_count_headers(op, len(records)),
            )
        if not records:
            return handler.not_found(op, f"no {self.collection} record with {self.field}={value}")
        record = records[0]
        if op.method == "DELETE":
            store.remove(self.collection, record)
            return handler.render(op, op.success, value=self.shapes.conform(record, schema))
        if op.method in ("PATCH", "PUT") and isinstance(body, dict):
            self._update(record, body, replace=op.method == "PUT")
        return handler.render(
            op,
            op.success,
            make=lambda: self.shapes.conform(record, schema),
            cache_key=(id(record), store.version),
        )

    def _index(self) -> dict[str, list[dict[str, Any]]]:
        """Records by the text of their ``field``, rebuilt only when the store changed."""
        version, index = self._by_value
        if version != self.store.version:
            index = {}
            for record in self.store.records(self.collection):
                index.setdefault(str(record.get(self.field)), []).append(record)
            self._by_value = (self.store.version, index)
        return index

    def _taken(self) -> set[str]:
        """Ids in use, rebuilt only when someone else changed the store (creates stay O(1))."""
        version, ids = self._ids
        if version != self.store.version:
            ids = {str(r.get(self.field)) for r in self.store.records(self.collection)}
            self._ids = (self.store.version, ids)
        return ids

    def _next_in_sequence(self, taken: set[str]) -> str | None:
        """The id after the highest in use when ids are numbered (C000012 -> C000013).

        Real systems hand out the next number, and it is much cheaper than drawing random ids
        from the schema's pattern until one is free.
        """
        if self._sequence is None or self._sequence[0] != self.store.version:
            numbered = [m for m in map(_NUMBERED.fullmatch, taken) if m is not None]
            prefixes = {m.group(1) for m in numbered}
            if not numbered or len(numbered) != len(taken) or len(prefixes) != 1:
                return None
            width = len(numbered[0].group(2))
            highest = max(int(m.group(2)) for m in numbered)
            self._sequence = (self.store.version, prefixes.pop(), width, highest)
        _, prefix, width, highest = self._sequence
        return prefix + str(highest + 1).zfill(width)

    def _advance_sequence(self, made: Any, *, next_in_line: bool) -> None:
        if self._sequence is not None:
            _, prefix, width, highest = self._sequence
            if next_in_line:
                highest += 1
            elif (match := _NUMBERED.fullmatch(str(made))) and match.group(1) == prefix:
                highest = max(highest, int(match.group(2)))
            self._sequence = (self.store.version, prefix, width, highest)

    def exists(self, value: Any) -> bool:
        return any(_same(r.get(self.field), value) for r in self.store.records(self.collection))

    def _lookup(self, query: Mapping[str, Any]) -> list[dict[str, Any]]:
        records = self.store.records(self.collection)
        for name, wanted in query.items():
            field = self.lookups.get(name)
            if field is None:
                continue
            if "phone" in name.lower() or "phone" in field.lower():
                found = self.store.find_by_phone(self.collection, field, str(wanted))
                records = [r for r in records if any(r is f for f in found)]
            else:
                records = [r for r in records if _matches(r.get(field), wanted)]
        for name in _LIMITS:
            limit = query.get(name)
            if isinstance(limit, int) and limit >= 0:
                records = records[:limit]
                break
        return records

    def _list(self, records: list[dict[str, Any]], schema: Any) -> Any:
        gen, conform = self.generator, self.shapes.conform
        shape: Any = gen._deref(schema) if schema is not None else {"type": "array"}
        if _is_list(shape, gen):
            items = shape.get("items", {})
            return [conform(r, items) for r in records]
        props = shape.get("properties") or {}
        out: dict[str, Any] = {}
        for name, sub in props.items():
            sub = gen._deref(sub)
            if name.lower() in _LIST_FIELDS and _is_list(sub, gen) and not out:
                items = sub.get("items", {})
                out[name] = [conform(r, items) for r in records]
        for name, sub in props.items():
            if name.lower().replace("_", "") in _COUNT_FIELDS and "integer" in str(
                gen._deref(sub).get("type")
            ):
                out[name] = len(records)
        return conform(out, shape)

    def _create(
        self, handler: RestHandler, op: Op, body: dict[str, Any], schema: Any
    ) -> web.Response:
        plan = self._creates.get(id(op))
        if plan is None:
            plan = self._creates[id(op)] = _Create.plan(self, op, schema)
        taken = self._taken()
        made = self._next_in_sequence(taken) if self._numbered_ids_fit else None
        next_in_line = made is not None and made not in taken
        if not next_in_line:
            made = self._drawn_id(plan, taken)
        record = dict(body)
        record[self.field] = made
        if plan.stamped:
            now = _now_text()
            for name in plan.stamped:
                record[name] = now
        if plan.one is not None:
            record = self.shapes.conform(record, plan.one)
            # one check of the whole record, the id included; only when it fails is the id
            # looked at alone: numbered ids that break the id's pattern are not used again
            if not handler.spec.check(plan.one, record):
                id_fits = plan.id_schema is None or handler.spec.check(plan.id_schema, made)
                if next_in_line and not id_fits:
                    self._numbered_ids_fit = next_in_line = False
                    made = record[self.field] = self._drawn_id(plan, taken)
                fixed = handler.repair(record, plan.one)
                record = fixed if isinstance(fixed, dict) else record
        self.store.add(self.collection, record)
        taken.add(str(made))
        self._ids = (self.store.version, taken)
        self._advance_sequence(made, next_in_line=next_in_line)
        headers = {}
        if plan.location:
            headers["Location"] = f"{handler.base_url}{op.template}/{made}"
        if plan.listed:
            return handler.render(op, op.success, value=[record], headers=headers)
        if plan.same:  # already shaped and checked against this very schema above
            return handler.render(op, op.success, value=record, headers=headers, checked=True)
        value = self.shapes.conform(record, schema)
        return handler.render(op, op.success, value=value, headers=headers)

    def _drawn_id(self, plan: _Create, taken: set[str]) -> Any:
        """A free id generated from the id field's schema (its pattern), else a UUID."""
        for _ in range(50):
            made = (
                self.generator.generate(plan.id_schema, name=self.field) if plan.id_schema else ""
            )
            if made not in ("", None) and str(made) not in taken:
                return made
        return str(uuid.uuid4())

    def _update(self, record: dict[str, Any], body: Mapping[str, Any], *, replace: bool) -> None:
        if replace:
            kept = {self.field: record.get(self.field)}
            record.clear()
            record.update(kept)
        for key, item in body.items():
            if key == self.field:
                continue
            if item is None and not replace:
                record.pop(key, None)
            else:
                record[key] = item
        if self.item_schema is not None:
            record.update(self.shapes.conform(record, self.item_schema))
        self.store.touch()


_NUMBERED = re.compile(r"(\D*)(\d+)")


@dataclass(frozen=True, slots=True)
class _Create:
    """What a create operation's answer takes, worked out on its first request."""

    one: Any  # the schema of one record
    id_schema: Any  # the schema of its id field
    listed: bool  # the reply is a list of the created record
    same: bool  # the reply schema is the record schema
    location: bool  # the reply documents a Location header
    stamped: tuple[str, ...]  # read-only date-time fields, set to the time of creation

    @classmethod
    def plan(cls, resource: Resource, op: Op, schema: Any) -> _Create:
        gen = resource.generator
        one = resource.item_schema or schema
        if one is not None and _is_list(one, gen):
            one = gen._deref(one).get("items")
        listed = _is_list(schema, gen)
        return cls(
            one=one,
            id_schema=_property(one, resource.field, gen),
            listed=listed,
            same=not listed and one is not None and gen._deref(one) is gen._deref(schema),
            location=_documents_header(op, "location"),
            stamped=_server_times(one, gen),
        )


def bind_resources(spec: Spec, configured: tuple[Mapping[str, Any], ...], store: DataStore) -> None:
    """Attach a ``Resource`` to every operation the dataset (or the spec's CRUD shape) backs."""
    configs = list(configured) or _guess(spec, store)
    by_template: dict[str, list[Op]] = {}
    for op in spec.ops:
        by_template.setdefault(op.template, []).append(op)
    items: dict[str, Resource] = {}
    for config in sorted(configs, key=lambda c: str(c["path"]).endswith("}"), reverse=True):
        path = str(config["path"])
        names = _PARAM.findall(path)
        if not names:
            continue
        field = str(config.get("id", "id"))
        collection = str(config["collection"])
        store.collections.setdefault(collection, [])
        gen = spec.generator
        lookups = dict(config.get("lookups") or {})
        item_ops = by_template.get(path, [])
        get_item = next((o for o in item_ops if o.method == "GET"), None)
        item_schema = (
            get_item.replies[get_item.success].schema
            if get_item and get_item.success in get_item.replies
            else None
        )
        if path.endswith("}"):
            bound = [(o, "item") for o in item_ops]
            bound += [(o, "collection") for o in by_template.get(path.rsplit("/", 1)[0] or "/", [])]
        else:
            bound = [(o, "filtered") for o in item_ops]
        for op, role in bound:
            if role != "collection" and op.reply_for(404) is None:
                continue  # an unknown id could not be answered as documented
            if role == "collection" and op.method not in ("GET", "POST"):
                continue
            resource = Resource(
                collection, role, field, names[-1], lookups, store, gen, spec.shapes, item_schema
            )
            if role == "item":
                items[path] = resource
            else:
                parent = path.rsplit("/", 1)[0]
                resource.parent = next((r for t, r in items.items() if parent.startswith(t)), None)
            op.resource = resource


def _guess(spec: Spec, store: DataStore) -> list[dict[str, Any]]:
    """Resources read from the paths: ``/customers/{id}`` is backed by ``customers``."""
    found: list[dict[str, Any]] = []
    templates = sorted({op.template for op in spec.ops})
    for template in templates:
        segments = template.strip("/").split("/")
        if len(segments) < 2:
            continue
        last, before = segments[-1], segments[-2]
        if last.startswith("{") and not before.startswith("{"):
            collection = _collection(before, store)
            param = last[1:-1]
            has_create = any(
                o.template == template.rsplit("/", 1)[0] and o.method == "POST" for o in spec.ops
            )
            if collection is None and has_create:
                collection = before
            if collection is None:
                continue
            sample = store.records(collection)[:1]
            field = param if sample and param in sample[0] else "id"
            keys = set(sample[0]) if sample else set()
            lookups = {}
            for op in spec.ops:
                if op.template == template.rsplit("/", 1)[0] and op.method == "GET":
                    for p in op.params:
                        for candidate in (p.name, p.name + "s"):
                            if p.location == "query" and candidate in keys:
                                lookups[p.name] = candidate
                                break
            found.append(
                {"collection": collection, "path": template, "id": field, "lookups": lookups}
            )
        elif not last.startswith("{") and before.startswith("{"):
            collection = _collection(last, store)
            if collection is None or not store.records(collection):
                continue
            param = before[1:-1]
            first = store.records(collection)[0]
            owner = segments[-3] if len(segments) >= 3 else ""
            for field in (param, owner.rstrip("s") + "_id", owner.rstrip("s") + "Id"):
                if field in first:
                    found.append({"collection": collection, "path": template, "id": field})
                    break
    return found


def _collection(segment: str, store: DataStore) -> str | None:
    names = (
        segment,
        segment + "s",
        segment[:-1] + "ies" if segment.endswith("y") else "",
        segment + "es",
    )
    return next((n for n in names if n and n in store.collections), None)


def _is_list(schema: Any, gen: Generator) -> bool:
    schema = gen._deref(schema)
    if not isinstance(schema, dict):
        return False
    kind = schema.get("type")
    return (
        kind == "array"
        or (isinstance(kind, list) and "array" in kind)
        or ("items" in schema and "properties" not in schema)
    )


def _server_times(schema: Any, gen: Generator) -> tuple[str, ...]:
    """Fields a server stamps itself (``created_at``): read-only with format date-time."""
    props = (gen._deref(schema) or {}).get("properties") if schema is not None else None
    if not isinstance(props, dict):
        return ()
    return tuple(name for name, sub in props.items() if _is_server_time(gen._deref(sub)))


def _is_server_time(schema: Any) -> bool:
    return (
        isinstance(schema, dict)
        and schema.get("readOnly") is True
        and schema.get("format") == "date-time"
    )


def _now_text() -> str:
    """The current UTC time as RFC 3339 to the second."""
    return _second_text(int(time.time()))


@functools.lru_cache(maxsize=2)
def _second_text(second: int) -> str:  # formatted once per second, not once per create
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second))


def _property(schema: Any, name: str, gen: Generator) -> Any:
    schema = gen._deref(schema)
    if isinstance(schema, dict):
        return (schema.get("properties") or {}).get(name)
    return None


def _count_headers(op: Op, count: int) -> dict[str, str]:
    reply = op.replies.get(op.success)
    names = [h[0] for h in reply.headers] if reply is not None else []
    return {n: str(count) for n in names if "total" in n.lower() or "count" in n.lower()}


def _documents_header(op: Op, name: str) -> bool:
    reply = op.replies.get(op.success)
    return reply is not None and any(h[0].lower() == name for h in reply.headers)


def _same(held: Any, value: Any) -> bool:
    return held == value or (held is not None and str(held) == str(value))


def _matches(held: Any, wanted: Any) -> bool:
    if isinstance(held, list):
        return any(_same(h, wanted) for h in held)
    if isinstance(held, str) and isinstance(wanted, str):
        return held.lower() == wanted.lower()
    return _same(held, wanted)
