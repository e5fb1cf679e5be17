"""Which operation's answer can address which other operation's record: the probe's links.

A service with its own data answers a generated id with 404; to reach its real records the
probe takes identifiers from its own answers and feeds them on, the way OpenAPI links describe
(and Schemathesis follows them):

* ``links`` declared on a 2xx response are used as written (``$response.body#/id``,
  ``$response.header.Location``, ``$request.path.id``, constants);
* where none is declared, names decide: a list or search at ``/customers`` (or a create there)
  supplies ``{id}`` of ``/customers/{id}`` from its records' ``id``; a field named like the
  parameter (``order_id`` for ``/orders/{order_id}/delivery``, ``customer_id`` for
  ``/customers/{id}/orders``) supplies it from any answer; a parameter the source's own path has
  keeps the value the source was called with. Generic names (``id``, ``sid``...) are matched
  only inside their collection, so an order's ``id`` never addresses a customer.

A value found by name is a guess: "not found" for it is a finding (``names_record``) only when
it is a record's own id taken in its collection with no other field to choose from, or a
declared link says so. A value that does not fit the target parameter's schema is not sent.

A link only says where a value comes from (``Supply``); ``probe.py`` turns links into cases
and the runner sends them after their sources, with the values found.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

from intcheck.contracts.openapi import resolve_pointer
from intcheck.data import field_key

if TYPE_CHECKING:
    from intcheck.kinds.probing import Exchange
    from intcheck.kinds.rest.described import OperationView, SpecView

# Parameter names that say nothing about what they identify: matched only in their collection.
GENERIC = frozenset({"id", "sid", "uuid", "uid", "guid", "key", "code", "name", "number", "ref"})
_PLACEHOLDER = re.compile(r"\{([^}/]+)\}")


@dataclass(frozen=True, slots=True)
class Supply:
    """One value of the target request, found in the source's answer (or request)."""

    slot: str  # "path:id", "query:cursor", "header:If-Match"
    take: Callable[[Exchange], Any]
    what: str  # for messages: the parameter it fills
    names_record: bool = False  # the answer's value is the last segment: the record itself


@dataclass(frozen=True, slots=True)
class Link:
    """The source operation whose answer addresses the target, and what it supplies."""

    source: OperationView
    label: str  # the link's name, or the source's operationId / name
    supplies: tuple[Supply, ...]


def path_params(op: OperationView) -> list[str]:
    """The names in the operation's path template, in order."""
    return _PLACEHOLDER.findall(op.operation.path)


def find_links(spec: SpecView, ops: list[OperationView]) -> dict[str, list[Link]]:
    """Every usable link into each operation (by operation name), declared links first."""
    found: dict[str, list[Link]] = {}
    declared_pairs: set[tuple[str, str]] = set()
    for source in ops:
        for name, target, supplies in _declared(spec, source, ops):
            found.setdefault(target.operation.name, []).append(Link(source, name, supplies))
            declared_pairs.add((source.operation.name, target.operation.name))
    fields = {op.operation.name: _answer_fields(spec, op) for op in ops}
    for target in ops:
        if not path_params(target):
            continue
        for source in ops:
            pair = (source.operation.name, target.operation.name)
            if source is target or pair in declared_pairs:
                continue
            if source.operation.method not in ("GET", "POST"):
                continue
            supplies = _inferred(source, target, fields[source.operation.name])
            if supplies:
                label = source.operation_id or source.operation.name
                found.setdefault(target.operation.name, []).append(Link(source, label, supplies))
    return found


# -- inferred links


def _is_last(op: OperationView, param: str) -> bool:
    """Whether ``{param}`` ends the path, so that its value names the record addressed."""
    return op.operation.path.rstrip("/").endswith("{" + param + "}")


def _collection(path: str, param: str) -> str:
    """The path before ``/{param}``: ``/customers`` for ``id`` in ``/customers/{id}/orders``."""
    return path.split("/{" + param + "}", 1)[0]


def _inferred(source: OperationView, target: OperationView, fields: set[str]) -> tuple[Supply, ...]:
    """What ``source`` supplies for each of ``target``'s path parameters; () if not all."""
    supplies = []
    from_answer = False
    own = set(path_params(source))
    creates = source.operation.method == "POST"
    for param in path_params(target):
        key = field_key(param)
        collection = _collection(target.operation.path, param)
        in_collection = source.operation.path == collection
        segments = [s for s in collection.split("/") if s and not s.startswith("{")]
        noun = _singular(field_key(segments[-1])) if segments else ""
        candidates = [key] if key not in GENERIC or in_collection else []
        if in_collection:  # the record's own id: `id`, or `sid` for `ServiceSid` in /Services
            candidates += ["id", key.removeprefix(noun)]
            candidates += [g for g in sorted(GENERIC, key=len, reverse=True) if key.endswith(g)]
        if key in GENERIC and noun:  # `customer_id` for the `{id}` of /customers/{id}/orders
            candidates.append(noun + key)
        present = list(dict.fromkeys(c for c in candidates if c in fields))
        field = present[0] if present else None
        if field is not None or (in_collection and creates):
            # Names are a guess: only a record's own id, taken where no other field could be
            # meant, names the record for sure (Intercom's companies carry both `id` and the
            # client's own `company_id`; an order's `customer_id` may be a CRM's number).
            sure = in_collection and len(present) <= 1
            supplies.append(
                Supply(
                    slot=f"path:{param}",
                    take=_record_field(field, located=in_collection and creates),
                    what=param,
                    names_record=sure and _is_last(target, param),
                )
            )
            from_answer = True
        elif param in own:
            supplies.append(
                Supply(
                    slot=f"path:{param}",
                    take=_request_path(source.operation.path, param),
                    what=param,
                )
            )
        else:
            return ()
    return tuple(supplies) if from_answer else ()


def _singular(noun: str) -> str:
    """``customers`` -> ``customer``, ``deliveries`` -> ``delivery``, ``boxes`` -> ``box``."""
    if noun.endswith("ies"):
        return noun[:-3] + "y"
    if noun.endswith(("sses", "xes", "shes", "ches")):
        return noun[:-2]
    return noun.removesuffix("s")


def _answer_fields(spec: SpecView, op: OperationView) -> set[str]:
    """Normalised field names of the records a 2xx answer carries (root, list items)."""
    names: set[str] = set()
    for pointer in op.success_schema_pointers():
        try:
            schema = resolve_pointer(spec.document.data, "#" + pointer)
        except (KeyError, IndexError, ValueError, TypeError):
            continue
        root = _properties(spec, schema)
        names |= set(root)
        for item in _list_items(spec, schema, root):
            names |= set(_properties(spec, item))
    return names


def _properties(spec: SpecView, schema: Any, depth: int = 0) -> dict[str, Any]:
    """A schema's properties by normalised name, through ``$ref``, allOf, oneOf and anyOf."""
    schema = spec.resolve(schema)
    if not isinstance(schema, dict) or depth > 12:
        return {}
    found = {field_key(str(k)): v for k, v in (schema.get("properties") or {}).items()}
    for keyword in ("allOf", "oneOf", "anyOf"):
        for part in schema.get(keyword) or []:
            found.update(_properties(spec, part, depth + 1))
    return found


def _list_items(spec: SpecView, schema: Any, properties: dict[str, Any]) -> list[Any]:
    """The item schemas of a list answer: the root array's, or an array property's."""
    schema = spec.resolve(schema)
    items = []
    if isinstance(schema, dict) and schema.get("type") == "array":
        items.append(schema.get("items"))
    for prop in properties.values():
        prop = spec.resolve(prop)
        if isinstance(prop, dict) and prop.get("type") == "array":
            items.append(prop.get("items"))
    return [i for i in items if i is not None]


# -- declared links


def _declared(
    spec: SpecView, source: OperationView, ops: list[OperationView]
) -> list[tuple[str, OperationView, tuple[Supply, ...]]]:
    found = []
    for code, response in source.responses.items():
        if not code.startswith("2"):
            continue
        for name, raw in (response.get("links") or {}).items():
            link = spec.resolve(raw)
            target = _link_target(spec, link, ops) if isinstance(link, dict) else None
            if target is None:
                continue
            supplies = _declared_supplies(source, target, link.get("parameters") or {})
            if supplies is not None:
                found.append((str(name), target, supplies))
    return found


def _link_target(
    spec: SpecView, link: dict[str, Any], ops: list[OperationView]
) -> OperationView | None:
    if "operationId" in link:
        return next((op for op in ops if op.operation_id == link["operationId"]), None)
    ref = str(link.get("operationRef", ""))
    if ref.startswith("#/paths/"):
        tokens = [t.replace("~1", "/").replace("~0", "~") for t in ref[8:].split("/")]
        if len(tokens) == 2:
            path, method = tokens
            return next(
                (
                    op
                    for op in ops
                    if op.operation.path == path and op.operation.method == method.upper()
                ),
                None,
            )
    return None


def _declared_supplies(
    source: OperationView, target: OperationView, parameters: dict[str, Any]
) -> tuple[Supply, ...] | None:
    """The link's parameters as supplies; None when one cannot be followed."""
    supplies = []
    for qualified, expression in parameters.items():
        where, _, name = str(qualified).rpartition(".")
        param = next(
            (
                p
                for p in target.params
                if p["name"] == name and (not where or p.get("in", "query") == where)
            ),
            None,
        )
        take = _expression(source, expression)
        if param is None or take is None:
            return None
        answered = str(expression).lstrip("{").startswith("$response.")
        supplies.append(
            Supply(
                slot=f"{param.get('in', 'query')}:{name}",
                take=take,
                what=name,
                names_record=answered and param.get("in") == "path" and _is_last(target, name),
            )
        )
    covered = {s.slot for s in supplies}
    for left in path_params(target):  # what the link leaves out, the source's path may give
        if f"path:{left}" not in covered:
            if left not in path_params(source):
                return None
            supplies.append(
                Supply(
                    slot=f"path:{left}",
                    take=_request_path(source.operation.path, left),
                    what=left,
                )
            )
    return tuple(supplies)


def _expression(source: OperationView, expression: Any) -> Callable[[Exchange], Any] | None:
    """A runtime expression (OpenAPI 3 §4.8.20.4) as a function of the source's exchange."""
    if not isinstance(expression, str):
        return lambda exchange: expression
    text = expression.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    if not text.startswith("$"):
        return lambda exchange: expression
    if text.startswith("$response.body"):
        pointer = text[len("$response.body") :] or "#"
        return lambda exchange: _body_at(exchange, pointer)
    if text.startswith("$response.header."):
        header = text[len("$response.header.") :].lower()
        return lambda exchange: exchange.headers.get(header) or None
    if text.startswith("$request.path."):
        return _request_path(source.operation.path, text[len("$request.path.") :])
    if text.startswith("$request.query."):
        name = text[len("$request.query.") :]
        return lambda exchange: dict(parse_qsl(urlsplit(exchange.request.url).query)).get(name)
    if text.startswith("$request.header."):
        header = text[len("$request.header.") :].lower()
        return lambda exchange: next(
            (v for k, v in exchange.request.headers.items() if k.lower() == header), None
        )
    return None


# -- taking values from an exchange


def _json(exchange: Exchange) -> Any:
    if exchange.status is None or not 200 <= exchange.status < 300:
        return None  # only a success answer speaks of records that exist
    try:
        return json.loads(exchange.body)
    except ValueError:
        return None


def _body_at(exchange: Exchange, pointer: str) -> Any:
    try:
        value = resolve_pointer(_json(exchange), pointer)
    except (KeyError, IndexError, ValueError, TypeError):
        return None
    return value if _usable(value) else None


def _records(body: Any) -> list[dict[str, Any]]:
    """The records an answer carries: the root object, then the items of a list answer."""
    if isinstance(body, list):
        return [r for r in body if isinstance(r, dict)]
    if not isinstance(body, dict):
        return []
    found = [body]
    for value in body.values():
        if isinstance(value, list):
            found += [r for r in value if isinstance(r, dict)]
    return found


def _usable(value: Any) -> bool:
    return isinstance(value, str | int) and not isinstance(value, bool) and value != ""


def _record_field(field: str | None, *, located: bool) -> Callable[[Exchange], Any]:
    """The first record's ``field`` (normalised name); for a create, else its Location's end."""

    def take(exchange: Exchange) -> Any:
        if field is not None:
            for record in _records(_json(exchange)):
                for key, value in record.items():
                    if field_key(key) == field and _usable(value):
                        return value
        location = exchange.headers.get("location", "") if located else ""
        if location and exchange.status is not None and 200 <= exchange.status < 300:
            last = urlsplit(location).path.rstrip("/").rpartition("/")[2]
            return unquote(last) or None
        return None

    return take


def _request_path(template: str, param: str) -> Callable[[Exchange], Any]:
    """The value ``param`` had in the path the source was called with."""
    pattern = re.compile(
        "".join(
            f"(?P<p{i}>[^/]+)" if part.startswith("{") else re.escape(part)
            for i, part in enumerate(re.split(r"(\{[^}/]+\})", template))
        )
        + "$"
    )
    names = {f"p{i}": part[1:-1] for i, part in enumerate(re.split(r"(\{[^}/]+\})", template))}

    def take(exchange: Exchange) -> Any:
        match = pattern.search(urlsplit(exchange.request.url).path)
        if match is None:
            return None
        for group, value in match.groupdict().items():
            if names.get(group) == param:
                return unquote(value)
        return None

    return take


def etag(exchange: Exchange) -> Any:
    """The answer's ETag, for the If-Match of the next write to the same record."""
    if exchange.status is None or not 200 <= exchange.status < 300:
        return None
    return exchange.headers.get("etag") or None
