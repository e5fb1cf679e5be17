"""What every kind shares: the mock context handed to a kind, request keys, helpers.

A kind's mock is a list of aiohttp routes relative to its mount point. The ``MockServer``
mounts them at ``/<contract name>`` with ``mount``, wrapping every handler in the journal,
latency and fault gate, which reads which operation the kind answered from
``request[OPERATION]``. Routes on the server's one application, rather than a sub-application
per contract behind a middleware, keep aiohttp's per-request work to one route lookup: the
mock benchmark measured sub-applications and middleware at a seventh of a GET's cost.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from aiohttp import web

if TYPE_CHECKING:
    from intcheck.data import DataStore
    from intcheck.model import Contract, Plan

# The largest request body any mock reads; a larger one is refused (413, or a SOAP fault).
MAX_BODY_BYTES = 1024 * 1024

# Set by a kind's handler: the operation name it answered ("GET /customers/{id}", "GetOrder").
OPERATION: web.RequestKey[str] = web.RequestKey("intcheck_operation", str)
# Set by a kind's handler: "ok", or the rule the request broke (for the journal).
VALIDATION: web.RequestKey[str] = web.RequestKey("intcheck_validation", str)


# Set by the mock server before the handler runs (any kind may honour it): operation name ->
# forced preferences ({"code": "503", "example": "vip"}), the runtime twin of ``Prefer``;
# None when nothing is forced.
PREFER: web.RequestKey[Callable[[str], Mapping[str, str] | None] | None] = web.RequestKey(
    "intcheck_prefer",
    object,  # type: ignore[arg-type]
)


@dataclass(slots=True)
class MockContext:
    """Everything a kind needs to serve its contract's mock."""

    plan: Plan
    contract: Contract
    store: DataStore
    base_url: str = ""  # public URL of the mount point, e.g. http://127.0.0.1:8080/order-service
    rng: random.Random = field(default_factory=random.Random)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class MockBuilder(Protocol):
    """A kind that can serve a mock of its contracts."""

    def build_mock(self, ctx: MockContext) -> list[web.RouteDef]:
        """The routes that answer below the mount point; ``""`` is the mount point itself."""
        ...


def mount(
    app: web.Application,
    prefix: str,
    routes: Iterable[web.RouteDef],
    wrap: Callable[[Handler], Handler] | None = None,
) -> None:
    """Register a kind's routes on ``app`` below ``prefix``, each handler passed through ``wrap``.

    A route whose full path repeats an earlier one for the same method is skipped: a contract
    on its own port is mounted at ``""``, where a kind's ``""`` and ``"/"`` are the same path.
    """
    seen: set[tuple[str, str]] = set()
    for route in routes:
        path = prefix + route.path or "/"
        if (route.method, path) in seen:
            continue
        seen.add((route.method, path))
        handler = route.handler if wrap is None else wrap(route.handler)
        app.router.add_route(route.method, path, handler, **route.kwargs)
