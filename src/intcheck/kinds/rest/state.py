"""Operations backed by the plan's dataset: lookups, reads and writes that agree with each other.

A ``Resource`` (bound to operations by ``resources.py``) serves one operation from one
collection: an item by its id, a list by lookups, a create, an update, a delete. An answer
that wraps the record in an envelope (``{"status": …, "data": {…}}``) gets it wrapped.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from intcheck.data import phone_keys, text_keys
from intcheck.kinds.rest.ids import IdMaker
from intcheck.kinds.rest.request import json_types

if TYPE_CHECKING:
    from collections.abc import Callable

    from aiohttp import web

    from intcheck.data import DataStore
    from intcheck.kinds.rest.mock import RestHandler
    from intcheck.kinds.rest.shape import Shaper, Shapes
    from intcheck.kinds.rest.spec import Op, Spec
    from intcheck.kinds.valuegen import Generator

_LIST_FIELDS = ("items", "data", "results", "records", "content", "entries", "values")
_COUNT_FIELDS = ("total", "count", "total_count", "totalcount", "size", "totalitems")
_LIMITS = ("limit", "per_page", "page_size", "pagesize", "size", "max")


@dataclass(slots=True)
class Resource:
    """How one operation reads or writes a dataset collection.

    Every read goes through the store's indexes (by id, by lookup field, by phone number), so
    no request costs more as records pile up; only a list without filters or a page size
    reads the whole collection, because that is its answer.
    """

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
    _creates: dict[int, _Create] = dataclasses.field(default_factory=dict)  # by id(op)
    _pages: dict[int, int | None] = dataclasses.field(default_factory=dict)  # by id(op)
    # by id() of an answer schema: (the schema, the envelope member holding the record)
    _members: dict[int, tuple[Any, str | None]] = dataclasses.field(default_factory=dict)

    def answer(
        self, handler: RestHandler, op: Op, params: Mapping[str, Mapping[str, Any]], body: Any
    ) -> web.Response:
        """Serve ``op`` from the store (404 as documented when a record is unknown)."""
        reply = op.replies.get(op.success)
        schema = reply.schema if reply is not None else None
        store = self.store
        if self.role == "collection":
            if op.method == "POST" and isinstance(body, dict):
                return self._create(handler, op, body, schema)
            records, total = self._lookup(op, params["query"])
            return handler.render(
                op,
                op.success,
                value=self._list(records, schema, total),
                headers=_count_headers(op, total),
            )
        value = params["path"].get(self.param)
        records = store.matching(self.collection, self.field, value)
        if self.role == "filtered" and is_list(schema, self.generator):
            if not records and self.parent is not None and not self.parent.exists(value):
                return handler.not_found(op, f"no {self.parent.collection} record {value}")
            return handler.render(
                op,
                op.success,
                value=self._list(records, schema, len(records)),
                headers=_count_headers(op, len(records)),
            )
        if not records:
            return handler.not_found(op, f"no {self.collection} record with {self.field}={value}")
        record = records[0]
        if op.method == "DELETE":
            store.remove(self.collection, record)
            return handler.render(op, op.success, value=self._view(record, schema))
        if op.method in ("PATCH", "PUT") and isinstance(body, dict):
            self._update(record, body, replace=op.method == "PUT")
            # not kept: every write moves the store's version on, so no answer is asked twice
            return handler.render(op, op.success, value=self._view(record, schema))
        return handler.render(
            op,
            op.success,
            make=lambda: self._view(record, schema),
            cache_key=(id(record), store.version),
        )

    def _view(self, record: dict[str, Any], schema: Any) -> Any:
        """``record`` as the answer ``schema`` shows it, inside its envelope if it has one."""
        if schema is None:
            return record
        members = self._members
        found = members.get(id(schema))
        if found is None or found[0] is not schema:
            found = members[id(schema)] = (
                schema,
                envelope_member(schema, self.field, self.generator),
            )
        member = found[1]
        return self.shapes.conform({member: record} if member else record, schema)

    def exists(self, value: Any) -> bool:
        return self.store.holds(self.collection, self.field, value)

    def _lookup(self, op: Op, query: Mapping[str, Any]) -> tuple[list[dict[str, Any]], int]:
        """The records the query's lookups select (a page of them) and how many there are."""
        store, collection = self.store, self.collection
        page = self._page(op, query)
        buckets = []
        for name, wanted in query.items():
            field = self.lookups.get(name)
            if field is None:
                continue
            phone = "phone" in name.lower() or "phone" in field.lower()
            keys = phone_keys("DE") if phone else text_keys
            buckets.append(store.bucket(collection, field, wanted, keys))
        if not buckets:  # no filter: the collection, read as far as the page goes
            if page is None:
                return store.records(collection), store.count(collection)
            return store.first(collection, page), store.count(collection)
        # the smallest bucket, kept where every other holds it too: costs what it holds
        buckets.sort(key=len)
        smallest, others = buckets[0], buckets[1:]
        found = [r for key, r in smallest.items() if all(key in other for other in others)]
        return found[:page], len(found)

    def _page(self, op: Op, query: Mapping[str, Any]) -> int | None:
        """The page size: the query's limit, else the default the operation declares."""
        for name in _LIMITS:
            limit = query.get(name)
            if isinstance(limit, int) and not isinstance(limit, bool) and limit >= 0:
                return limit
        if id(op) not in self._pages:
            self._pages[id(op)] = _declared_page(op)
        return self._pages[id(op)]

    def _list(self, records: list[dict[str, Any]], schema: Any, total: int) -> Any:
        """A page of records as the list schema shows them; count fields hold ``total``."""
        gen, conform = self.generator, self.shapes.conform
        shape: Any = gen._deref(schema) if schema is not None else {"type": "array"}
        if is_list(shape, gen):
            items = shape.get("items", {})
            return [conform(r, items) for r in records]
        props = shape.get("properties") or {}
        out: dict[str, Any] = {}
        for name, sub in props.items():
            sub = gen._deref(sub)
            if name.lower() in _LIST_FIELDS and is_list(sub, gen) and not out:
                items = sub.get("items", {})
                out[name] = [conform(r, items) for r in records]
        for name, sub in props.items():
            if name.lower().replace("_", "") in _COUNT_FIELDS and "integer" in str(
                gen._deref(sub).get("type")
            ):
                out[name] = total
        return conform(out, shape)

    def _create(
        self, handler: RestHandler, op: Op, body: dict[str, Any], schema: Any
    ) -> web.Response:
        plan = self._creates.get(id(op))
        if plan is None:
            plan = self._creates[id(op)] = _Create.plan(self, op, schema, handler.spec)
        ids = plan.ids
        made, next_in_line = ids.new()
        record = dict(body)
        record[self.field] = made
        if plan.stamped:
            now = _now_text()
            for name in plan.stamped:
                record[name] = now
        if plan.shape is not None:
            record = plan.shape(record, 0)
            # one check of the whole record, the id included; only when it fails is the id
            # looked at alone: numbered ids that break the id's pattern are not used again
            if not plan.valid(record):
                id_fits = plan.id_schema is None or handler.spec.check(plan.id_schema, made)
                if next_in_line and not id_fits:
                    ids.numbering = False
                    made = record[self.field] = ids.drawn()
                fixed = handler.repair(record, plan.one)
                record = fixed if isinstance(fixed, dict) else record
        self.store.add(self.collection, record)
        ids.used(made)
        headers = {"Location": f"{handler.base_url}{op.template}/{made}"} if plan.location else {}
        if plan.listed:
            return handler.render(op, op.success, value=[record], headers=headers)
        if plan.same:  # already shaped and checked against this very schema above
            return handler.render(op, op.success, value=record, headers=headers, checked=True)
        return handler.render(op, op.success, value=self._view(record, schema), headers=headers)

    def _update(self, record: dict[str, Any], body: Mapping[str, Any], *, replace: bool) -> None:
        content = {self.field: record.get(self.field)} if replace else dict(record)
        for key, item in body.items():
            if key == self.field:
                continue
            if item is None and not replace:
                content.pop(key, None)
            else:
                content[key] = item
        schema = self.item_schema
        if schema is not None and not content.keys() >= self.shapes.required(schema):
            # fill what a PUT left out once, so every later read agrees; fields the schema
            # does not show (a dataset's caller_ids) stay for other kinds
            content.update(self.shapes.conform(content, schema))
        self.store.replace(self.collection, record, content)


@dataclass(frozen=True, slots=True)
class _Create:
    """What a create operation's answer takes, worked out on its first request."""

    one: Any  # the schema of one record
    id_schema: Any  # the schema of its id field
    listed: bool  # the reply is a list of the created record
    same: bool  # the reply schema is the record schema
    location: bool  # the reply documents a Location header
    stamped: tuple[str, ...]  # read-only date-time fields, set to the time of creation
    ids: IdMaker  # hands out the created records' ids
    shape: Shaper | None  # the record shaped to ``one``
    valid: Callable[[Any], bool]  # is a record valid against ``one``?

    @classmethod
    def plan(cls, resource: Resource, op: Op, schema: Any, spec: Spec) -> _Create:
        gen = resource.generator
        one = resource.item_schema or schema
        if one is not None and is_list(one, gen):
            one = gen._deref(one).get("items")
        listed = is_list(schema, gen)
        id_schema = property_of(one, resource.field, gen)
        return cls(
            one=one,
            id_schema=id_schema,
            listed=listed,
            same=not listed and one is not None and gen._deref(one) is gen._deref(schema),
            location=_documents_header(op, "location"),
            stamped=_server_times(one, gen),
            ids=IdMaker(
                resource.store,
                resource.collection,
                resource.field,
                id_schema,
                gen,
                lambda schema: json_types(schema, gen._deref),
            ),
            shape=resource.shapes.shaper(one) if one is not None else None,
            valid=spec.checker(one) if one is not None else bool,
        )


def is_list(schema: Any, gen: Generator) -> bool:
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


def property_of(schema: Any, name: str, gen: Generator) -> Any:
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


def _declared_page(op: Op) -> int | None:
    """The default of the operation's page-size parameter (``limit: {default: 20}``)."""
    for param in op.params:
        default = param.schema.get("default") if isinstance(param.schema, dict) else None
        is_page = param.location == "query" and param.name.lower() in _LIMITS
        if is_page and isinstance(default, int) and not isinstance(default, bool) and default >= 0:
            return default
    return None


def envelope_member(schema: Any, field: str, gen: Generator) -> str | None:
    """The property of an envelope answer that holds the record (``data`` in ``{"status": …,
    "data": {"id": …}}``): the one object property with the id field, when the answer itself
    has no id field; None for an answer that is the record."""
    node = gen._deref(schema)
    props = node.get("properties") if isinstance(node, dict) else None
    if not isinstance(props, dict) or field in props:
        return None
    holders = [name for name, sub in props.items() if property_of(sub, field, gen) is not None]
    return holders[0] if len(holders) == 1 else None
