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


def _unchanged(value: Any, depth: int) -> Any:
    return value


def _hidden(value: Any, depth: int) -> Any:  # a marker: the property is left out
    return value


class Shapes:
    """``conform(value, schema)`` for the nodes of one converted response document."""

    def __init__(self, generator: Generator) -> None:
        self._gen = generator
        # by id() of the schema node; the nodes live as long as the spec, and are kept here too
        self._compiled: dict[int, tuple[Any, Shaper]] = {}

    def conform(self, value: Any, schema: Any, depth: int = 0) -> Any:
        """``value`` shaped to ``schema``: unknown and writeOnly fields dropped, gaps filled."""
        return self._shaper(schema)(value, depth)

    def _shaper(self, schema: Any) -> Shaper:
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
        fields = {
            name: _hidden if gen._hidden(sub) else self._shaper(sub) for name, sub in props.items()
        }
        required = [key for key in node.get("required", []) if isinstance(key, str)]
        fillers = {key: gen.filler(props.get(key, {}), key) for key in required}
        items = node.get("items")
        each = self._shaper(items) if isinstance(items, dict) else None

        def shape(value: Any, depth: int) -> Any:
            if depth > MAX_DEPTH:
                return value
            if isinstance(value, dict):
                out = {}
                for key, item in value.items():
                    field = fields.get(key)
                    if field is None:
                        if keep_unknown:
                            out[key] = item
                    elif field is not _hidden:
                        # scalars come through any schema unchanged: skip the call
                        simple = not isinstance(item, _CONTAINERS)
                        out[key] = item if simple else field(item, depth + 1)
                for key in required:
                    if key not in out:
                        out[key] = fillers[key](depth + 1)
                return out
            if each is not None and isinstance(value, list):
                return [each(item, depth + 1) for item in value]
            return value

        return shape
