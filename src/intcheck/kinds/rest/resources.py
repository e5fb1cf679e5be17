"""Which operations a dataset collection backs: declared in ``mock.resources``, or guessed.

``/customers/{id}`` reads the ``customers`` record whose ``id`` is the path value,
``/customers`` lists and creates them, and ``/customers/{id}/orders`` lists ``orders`` whose
``customer_id`` is the value. The contract's ``mock.resources`` says so explicitly; without it
the collection is guessed from the paths and the dataset's collection names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from intcheck.kinds.rest.state import Resource, envelope_member

if TYPE_CHECKING:
    from intcheck.data import DataStore
    from intcheck.kinds.rest.spec import Op, Spec

_PARAM = re.compile(r"\{([^}]+)\}")


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
        store.ensure(collection)
        gen = spec.generator
        lookups = dict(config.get("lookups") or {})
        item_ops = by_template.get(path, [])
        get_item = next((o for o in item_ops if o.method == "GET"), None)
        item_schema = (
            get_item.replies[get_item.success].schema
            if get_item and get_item.success in get_item.replies
            else None
        )
        if (
            item_schema is not None
            and (member := envelope_member(item_schema, field, gen)) is not None
        ):
            # {"status": …, "data": {…the record…}}: the record is what the member holds
            item_schema = gen._deref(item_schema)["properties"][member]
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
            sample = store.first(collection, 1)
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
            if collection is None or not store.count(collection):
                continue
            param = before[1:-1]
            first = store.first(collection, 1)[0]
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
