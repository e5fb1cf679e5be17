"""What every kind's mock shares: the context handed to a kind, what it hands back, request keys.

A kind's mock (``MockParts``) is aiohttp routes relative to its mount point, services of its
own (a listener such as an SMTP server, a sender of delivery receipts) and admin routes. The
``MockServer`` mounts the routes at ``/<contract name>`` with ``mount``, wrapping every handler
in the journal, latency and fault gate, which reads which operation the kind answered from
``request[OPERATION]``; a service journals what it handles through ``MockContext.journal``.
Routes on the server's one application, rather than a sub-application
per contract behind a middleware, keep aiohttp's per-request work to one route lookup: the
mock benchmark measured sub-applications and middleware at a seventh of a GET's cost. A
mount one handler takes whole (REST, SOAP) skips even that lookup (``mock/front.py``).
"""

from __future__ import annotations

import random
import socket
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
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
# Optionally set by a kind's handler: its verdict in words, journaled as the entry's ``note``.
NOTE: web.RequestKey[str] = web.RequestKey("intcheck_note", str)


# Set by the mock server before the handler runs (any kind may honour it): operation name ->
# forced preferences ({"code": "503", "example": "vip"}), the runtime twin of ``Prefer``;
# None when nothing is forced.
PREFER: web.RequestKey[Callable[[str], Mapping[str, str] | None] | None] = web.RequestKey(
    "intcheck_prefer",
    object,  # type: ignore[arg-type]
)


class JournalSink(Protocol):
    """Records one exchange a kind's own service handled (not an HTTP route) in the journal."""

    def __call__(
        self,
        operation: str,
        *,
        protocol: str,
        method: str,
        path: str = "",
        headers: tuple[tuple[str, str], ...] = (),
        body: bytes = b"",
        validation: str = "ok",
        status: int = 0,
        duration_ms: float = 0.0,
        note: str = "",
    ) -> None:
        """``protocol`` e.g. "smtp"; ``method`` the command ("DATA"); ``status`` its reply code."""
        ...


def _no_journal(operation: str, **fields: object) -> None:
    """The sink of a context built without a server (unit tests of a kind)."""


@dataclass(slots=True)
class MockContext:
    """Everything a kind needs to serve its contract's mock."""

    plan: Plan
    contract: Contract
    store: DataStore
    base_url: str = ""  # public URL of the mount point, e.g. http://127.0.0.1:8080/order-service
    rng: random.Random = field(default_factory=random.Random)
    host: str = "127.0.0.1"  # where a service of the kind's own listens
    journal: JournalSink = _no_journal
    # The server was asked for any free port (tests, the pytest plugin): a service of the
    # kind's own binds any free port too instead of its contract's, so runs never collide.
    any_port: bool = False
    reuse_port: bool = False  # worker processes share the port (``--workers``): SO_REUSEPORT


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class MockService(Protocol):
    """Something a kind's mock runs beside its routes: a listener, a background sender."""

    async def start(self) -> None:
        """Bind and begin; called once the HTTP routes answer."""
        ...

    async def close(self) -> None:
        """Stop and release everything; called before the HTTP routes stop."""
        ...

    @property
    def endpoints(self) -> list[tuple[str, str]]:
        """(label, URL) pairs to show the user once started, e.g. ("smtp", "smtp://127.0.0.1:2525")."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class MockParts:
    """What a kind's mock adds to the server."""

    routes: Sequence[web.RouteDef] = ()  # below /<contract>; "" is the mount point itself
    services: Sequence[MockService] = ()
    admin: Sequence[web.RouteDef] = ()  # below /__intcheck/contracts/<contract>


class RouteBuilder(Protocol):
    """A kind whose mock is HTTP routes alone (rest, soap)."""

    def build_mock(self, ctx: MockContext) -> list[web.RouteDef]:
        """The routes that answer below the mount point; ``""`` is the mount point itself."""
        ...


@dataclass(frozen=True, slots=True)
class RoutesOnly:
    """The ``Mocker`` of a kind whose mock is HTTP routes alone."""

    builder: RouteBuilder

    def build_mock(self, ctx: MockContext) -> MockParts:
        return MockParts(routes=self.builder.build_mock(ctx))


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
        web.RouteDef(route.method, path, handler, route.kwargs).register(app.router)


def bound_socket(
    host: str, port: int, *, reuse_port: bool = False, hint: str = ""
) -> socket.socket:
    """A TCP socket bound to ``host:port`` (0: any free port), not yet listening.

    A busy port or a foreign address is the user's to fix, not a crash: UsageError, with
    ``hint`` saying what to change.
    """
    from intcheck.errors import UsageError

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise UsageError(
            f"cannot listen on {host}:{port}: {exc.strerror}" + (f" ({hint})" if hint else "")
        ) from None
    sock.setblocking(False)
    return sock
