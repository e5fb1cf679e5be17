"""Which operation a request path names: templates matched by shape, then by their patterns.

``/items/{id}`` and ``/items/{name}`` both match ``/items/abc``; the path parameters' schemas
tell them apart. A match is remembered by path and method, so a repeated request costs one
dict lookup.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import unquote

from intcheck import jsonwire
from intcheck.cache import BoundedCache
from intcheck.kinds.rest.request import coerce

if TYPE_CHECKING:
    from intcheck.kinds.rest.spec import Op


Matched = tuple["Op | None", dict[str, str]] | None  # what Router.match finds


class Router:
    """Finds the operation for a path; same-shaped templates are told apart by their patterns."""

    def __init__(self, ops: list[Op]) -> None:
        routes: dict[str, _Route] = {}
        for op in ops:
            route = routes.get(op.template)
            if route is None:
                route = routes[op.template] = _Route(op.template)
            route.ops[op.method] = op
        self._buckets: dict[int, list[_Route]] = {}
        for route in sorted(routes.values(), key=lambda r: -r.literal):
            self._buckets.setdefault(route.segments, []).append(route)
        # the same path and method find the same operation: remember it (the values are shared,
        # so callers only read them)
        self._found: BoundedCache[tuple[str, str], Matched] = BoundedCache()

    def match(self, path: str, method: str) -> Matched:
        """``(op, path values)``; ``(None, {})`` when only the method is wrong; else None."""
        found = self._found.get((path, method))
        if found is None:
            found = self._match(path, method)
            self._found.put((path, method), found, len(path))
        return found

    def _match(self, path: str, method: str) -> Matched:
        if len(path) > 1:
            path = path.rstrip("/") or "/"
        candidates = []
        for route in self._buckets.get(path.count("/"), ()):
            found = route.regex.fullmatch(path)
            if found is not None:
                values = {
                    n: unquote(v) if "%" in v else v
                    for n, v in zip(route.names, found.groups(), strict=True)
                }
                candidates.append((route, values))
        if not candidates:
            return None
        if method == "HEAD":
            method = "HEAD" if any("HEAD" in r.ops for r, _ in candidates) else "GET"
        with_method = [(r, v) for r, v in candidates if method in r.ops]
        if not with_method:
            return None, {}
        if len(with_method) > 1:
            for route, values in with_method:
                if route.fits(method, values):
                    return route.ops[method], values
        route, values = with_method[0]
        return route.ops[method], values


class _Route:
    def __init__(self, template: str) -> None:
        self.template = template.rstrip("/") or "/"
        self.ops: dict[str, Op] = {}
        parts = re.split(r"\{([^}]+)\}", self.template)
        self.names = parts[1::2]
        self.regex = re.compile(
            "".join(re.escape(p) if i % 2 == 0 else "([^/]+?)" for i, p in enumerate(parts))
        )
        self.literal = sum(len(p) for p in parts[0::2])
        self.segments = self.template.count("/")

    def fits(self, method: str, values: Mapping[str, str]) -> bool:
        for param in self.ops[method].params:
            if param.location != "path" or param.validator is None or param.name not in values:
                continue
            try:
                value = coerce(values[param.name], param)
            except jsonwire.Refused:
                return False
            if not param.validator.is_valid(value):
                return False
        return True
