"""The mock's front door: a request for a mount that one handler takes whole goes straight there.

REST and SOAP mocks each answer every path at and below their mount point with one handler
(``/customer-master/...``, ``/order-service``), so aiohttp's router has nothing to decide for
them, yet resolving the route and building its match info cost a tenth of a GET and a twentieth
of a POST (the mock benchmark's instruction counts: GET 234k to 211k, POST 409k to 388k). The
front door looks the mount up by the path's first segment in a dict and calls the gated
handler, which reads the path from ``raw_path`` and gets no ``match_info``; every other request
(admin API, a kind with routes of its own, a path no contract serves) goes through the
application exactly as before.

Only paths aiohttp would route the same way are taken: no percent-escapes or dot segments (the
router matches the decoded, normalised path) and no ``Expect`` header (the application answers
``100 Continue`` before the handler runs).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import hdrs

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from aiohttp import web

    from intcheck.kinds.base import Handler

# the route a kind uses to take every path below its mount point (rest/mock.py)
CATCH_ALL = r"/{tail:[\s\S]*}"
_MOUNT_POINT = ("", "/")


def whole_mount_handler(routes: Sequence[web.RouteDef]) -> tuple[Handler, bool] | None:
    """The one handler that answers every method at the mount point, and whether it also takes
    every path below it; None when the routes need aiohttp's router to tell them apart."""
    handlers = {route.handler for route in routes}
    if len(handlers) != 1 or any(route.method != "*" for route in routes):
        return None
    paths = {route.path for route in routes}
    if not paths or not paths <= {*_MOUNT_POINT, CATCH_ALL}:
        return None
    return handlers.pop(), CATCH_ALL in paths


class FrontDoor:
    """Whole mounts by prefix; ``install`` puts the lookup in front of an aiohttp server."""

    def __init__(self) -> None:
        self._exact: dict[str, Handler] = {}  # "/order-service", "/order-service/"
        self._below: dict[str, Handler] = {}  # "/customer-master": every path under it

    def add(self, prefix: str, handler: Handler, *, below: bool) -> None:
        """``handler`` answers ``prefix`` itself, and with ``below`` every path under it."""
        for point in _MOUNT_POINT:
            self._exact[prefix + point] = handler
        if below:
            self._below[prefix] = handler

    def install(self, server: web.Server) -> None:
        """Route ``server``'s requests through the front door, falling back to its handler."""
        if not self._exact:
            return
        fallback: Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]
        fallback = server.request_handler
        exact, below, expect = self._exact, self._below, hdrs.EXPECT

        async def front(request: web.BaseRequest) -> web.StreamResponse:
            path = request.raw_path.partition("?")[0]
            handler = exact.get(path)
            if handler is None:
                cut = path.find("/", 1)
                handler = below.get(path[:cut]) if cut > 0 else None
            if handler is None or "%" in path or "/." in path or expect in request.headers:
                return await fallback(request)
            # a web.Request: the application's request factory made it, as for the fallback
            return await handler(request)  # type: ignore[arg-type]

        # read by each connection's RequestHandler when it is made: set before listening
        server.request_handler = front
