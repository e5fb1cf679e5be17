"""Records shaped to a response schema, compiled once per schema node.

A dataset record or a created one rarely matches the response schema field for field: unknown
and writeOnly fields must go, required ones the record lacks must be filled in. Walking the
schema for that on every request (following ``$ref``s, merging ``allOf``) was most of the cost
of a POST, so each schema node is compiled once into a function that knows its properties.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from intcheck.kinds.valuegen import Generator

Shaper = Callable[[Any, int], Any]  # (value, depth) -> shaped value
MAX_DEPTH = 12  # below this, values are passed through unshaped (recursive schemas)
_CONTAINERS = (dict, list)
_SCALARS = frozenset(("string", "integer", "number", "boolean", "null"))


def _unchanged(value: Any, depth: int) -> Any:
    return value


class Shapes:
    """``conform(value, schema)`` for the nodes of one converted response document."""

    def __init__(self, generator: Generator) -> None:
        self._gen = generator
        # by id() of the schema node; the nodes live as long as the spec, and are kept here too
        self._compiled: dict[int, tuple[Any, Shaper]] = {}
        self._required: dict[int, tuple[Any, frozenset[str]]] = {}

    def conform(self, value: Any, schema: Any, depth: int = 0) -> Any:
        """``value`` shaped to ``schema``: unknown and writeOnly fields dropped, gaps filled."""
        return self.shaper(schema)(value, depth)

    def required(self, schema: Any) -> frozenset[str]:
        """The properties ``schema`` requires (those ``conform`` fills in when missing)."""
        found = self._required.get(id(schema))
        if found is None or found[0] is not schema:
            node = self._gen._deref(schema)
            names = node.get("required", []) if isinstance(node, dict) else []
            found = self._required[id(schema)] = (
                schema,
                frozenset(n for n in names if isinstance(n, str)),
            )
        return found[1]

    def shaper(self, schema: Any) -> Shaper:
        """The compiled ``conform`` of ``schema``, for callers that shape with it again and
        again (found once, rather than looked up by the schema on every call)."""
        found = self._compiled.get(id(schema))
        if found is not None and found[0] is schema:
            return found[1]
        compiled: list[Shaper] = []  # filled below; a recursive schema reaches itself through it

        def shaper(value: Any, depth: int) -> Any:
            return compiled[0](value, depth)

        self._compiled[id(schema)] = (schema, shaper)
        compiled.append(self._compile(schema))
        self._compiled[id(schema)] = (schema, compiled[0])
        return compiled[0]

    def _compile(self, schema: Any) -> Shaper:
        gen = self._gen
        node = gen._deref(schema)
        if not isinstance(node, dict):
            return _unchanged
        props: dict[str, Any] = node.get("properties") or {}
        extra = node.get("additionalProperties")
        keep_unknown = isinstance(extra, dict) or (not props and extra is not False)
        hidden = frozenset(name for name, sub in props.items() if gen._hidden(sub))
        shown = {name: self.shaper(sub) for name, sub in props.items() if name not in hidden}
        names = tuple(shown)
        # properties whose values may be arrays or objects, the only ones shaped further
        nested = tuple(
            (name, shaper)
            for name, shaper in shown.items()
            if not _types(gen._deref(props[name])) <= _SCALARS
        )
        required = [key for key in node.get("required", []) if isinstance(key, str)]
        must = frozenset(required)
        fillers = {key: gen.filler(props.get(key, {}), key) for key in required}
        items = node.get("items")
        each = self.shaper(items) if isinstance(items, dict) else None
        containers = _CONTAINERS

        def shape(value: Any, depth: int) -> Any:
            if depth > MAX_DEPTH:
                return value
            if isinstance(value, dict):
                deeper = depth + 1
                keys = value.keys()
                # which keys stay is settled in C where it can be: all of them (the common
                # case), else those the schema shows, in its order
                if keep_unknown:
                    if keys.isdisjoint(hidden):
                        out = dict(value)
                    else:
                        out = {k: v for k, v in value.items() if k not in hidden}
                elif keys <= shown.keys():
                    out = dict(value)
                else:
                    out = {k: value[k] for k in names if k in value}
                # only properties whose schema admits arrays or objects are shaped further
                for name, inner in nested:
                    item = out.get(name)
                    if isinstance(item, containers):
                        out[name] = inner(item, deeper)
                if must and not out.keys() >= must:
                    for key in required:
                        if key not in out:
                            out[key] = fillers[key](deeper)
                return out
            if each is not None and isinstance(value, list):
                deeper = depth + 1
                return [each(item, deeper) for item in value]
            return value

        return shape


def _types(node: Any) -> set[str]:
    """The JSON types a schema node admits at its top; "any" when it does not say."""
    if not isinstance(node, dict):
        return {"any"}
    kind = node.get("type")
    if isinstance(kind, str):
        return {kind}
    if isinstance(kind, list) and all(isinstance(k, str) for k in kind):
        return set(kind)
    if "enum" in node and all(not isinstance(v, dict | list) for v in node["enum"]):
        return {"string"}  # scalar values only, whatever their type
    return {"any"}
