"""MockServer: every mockable contract of a plan on one port, with journal, faults and admin API.

>>> async with MockServer(plan) as mock:          # doctest: +SKIP
...     url = mock.url + "/customer-master/customers/C000001"

``serving.serve`` runs it for ``intcheck mock``, in one process or as workers on one port.
Each contract's kind builds its mock (``Kind.mock``): routes mounted at ``/<contract name>``
(and also at ``/`` of its own ``mock.port`` when the contract sets one), services of its own
(listeners, senders) started beside them, and admin routes at
``/__intcheck/contracts/<contract name>``. A contract whose kind has no mock is listed in
``uncovered``. ``serve`` runs the same thing for the CLI, optionally as N worker
processes sharing the port through ``SO_REUSEPORT``, with one journal directory for all.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import shutil
import socket
import tempfile
import time
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.log import server_logger

from intcheck.data import DataStore
from intcheck.kinds.base import (
    MAX_BODY_BYTES,
    NOTE,
    OPERATION,
    PREFER,
    VALIDATION,
    MockContext,
    MockParts,
    bound_socket,
    mount,
)
from intcheck.mock.admin import PREFIX, add_admin_routes
from intcheck.mock.control import SharedControl
from intcheck.mock.faults import FAULT, Behaviours, parse_behaviour, problem
from intcheck.mock.front import FrontDoor, whole_mount_handler
from intcheck.mock.journal import MAX_BYTES as JOURNAL_MAX_BYTES
from intcheck.mock.journal import Journal
from intcheck.plugins import Registry
from intcheck.redact import Redactor

if TYPE_CHECKING:
    from types import TracebackType

    from intcheck.kinds.base import Handler, JournalSink, MockService
    from intcheck.model import Contract, Plan

Endpoint = tuple[str, str, str]  # contract name, kind, URL
# Connections the kernel queues before the mock accepts them. aiohttp's default of 128 made
# hundreds of 1,000 simultaneous connections wait a second for a SYN retry; the kernel caps
# it at net.core.somaxconn (4096 on current Linux).
LISTEN_BACKLOG = 4096


class MockServer:
    """Serves the plan's mocks on ``host:port`` (port 0: any free port; read ``.url``).

    With port 0 the kinds' own listeners (an SMTP relay) take any free port as well, unless
    ``any_service_port`` says otherwise; read their URLs from ``endpoints``.
    """

    def __init__(
        self,
        plan: Plan,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 0,
        journal_path: str | Path | None = None,
        reuse_port: bool = False,
        shared: bool = False,
        registry: Registry | None = None,
        workers: int = 1,
        journal_max_bytes: int = JOURNAL_MAX_BYTES,
        any_service_port: bool | None = None,
    ) -> None:
        self.plan = plan
        self.any_service_port = port == 0 if any_service_port is None else any_service_port
        self.registry = Registry.default() if registry is None else registry
        self.host = host
        self.port = port
        self.seed = seed
        self.store = DataStore.for_plan(plan, seed=seed)
        self.behaviours = Behaviours(plan, seed=seed)
        self._own_dir = journal_path is None
        directory = (
            Path(journal_path)
            if journal_path
            else Path(tempfile.mkdtemp(prefix="intcheck-journal-"))
        )
        self.journal = Journal(directory, Redactor(plan.secrets), max_bytes=journal_max_bytes)
        self.endpoints: list[Endpoint] = []
        self.uncovered: list[Contract] = [*self.registry.uncovered(plan, "mock")]
        self.url = ""
        self._reuse_port = reuse_port
        # several workers: admin changes go through a control file all of them follow
        self._control = (
            SharedControl(self.journal.directory, workers, self._apply_control) if shared else None
        )
        self._runners: list[web.AppRunner] = []
        self._services: list[tuple[str, str, MockService]] = []  # contract, kind, service
        self._poller: asyncio.Task[None] | None = None

    async def __aenter__(self) -> MockServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def start(self) -> None:
        """Bind, build every contract's mock, and start answering."""
        sock = listen_socket(self.host, self.port, reuse_port=self._reuse_port)
        own: list[tuple[web.Application, socket.socket]] = []
        try:
            await self._start(sock, own)
        except BaseException:
            # a kind that fails to build or a service that cannot bind leaves nothing behind
            for listening in (sock, *(s for _, s in own)):
                listening.close()
            await self.close()
            raise

    async def _start(
        self, sock: socket.socket, own: list[tuple[web.Application, socket.socket]]
    ) -> None:
        self.port = sock.getsockname()[1]
        self.url = f"http://{_url_host(self.host)}:{self.port}"
        main = web.Application(client_max_size=MAX_BODY_BYTES)
        front = FrontDoor()
        add_admin_routes(main, self)  # not gated: the journal counts the mocks' answers only
        for index, contract in enumerate(self.plan.contracts):
            if not self.registry.covers(contract, "mock"):
                continue
            mocker = self.registry.get(contract.kind).mock
            assert mocker is not None  # covers() said so
            name = contract.name
            rng = random.Random(self.seed * 1_000_003 + index)
            parts = mocker.build_mock(self._context(contract, f"{self.url}/{name}", rng))
            self._add(main, front, f"/{name}", contract, parts)
            self.endpoints.append((name, contract.kind, f"{self.url}/{name}"))
            if contract.mock.port and parts.routes:
                own_sock = listen_socket(self.host, contract.mock.port, reuse_port=self._reuse_port)
                own_url = f"http://{_url_host(self.host)}:{own_sock.getsockname()[1]}"
                ctx = self._context(contract, own_url, random.Random(rng.random()))
                # the routes only: the kind's services and admin routes run once, above
                routes = mocker.build_mock(ctx).routes
                app = web.Application(client_max_size=MAX_BODY_BYTES)
                mount(app, "", [*routes, *self._unmounted_routes()], partial(self._gate, name))
                own.append((app, own_sock))
                self.endpoints.append((name, contract.kind, own_url))
        # last, below every mount point: a path no contract serves is answered and journaled
        mount(main, "", self._unmounted_routes(), partial(self._gate, ""))
        refused = _refused_requests_logger(self.journal)
        for app, app_sock in [(main, sock), *own]:
            runner = web.AppRunner(
                app, access_log=None, handle_signals=False, shutdown_timeout=1.0, logger=refused
            )
            await runner.setup()
            if app is main and runner.server is not None:
                front.install(runner.server)
            self._runners.append(runner)
            await web.SockSite(runner, app_sock, backlog=LISTEN_BACKLOG).start()
        for name, kind, service in self._services:
            await service.start()
            self.endpoints += [(name, f"{kind} {label}", url) for label, url in service.endpoints]
        if self._control is not None:
            self._poller = asyncio.create_task(self._control.follow())

    def _context(self, contract: Contract, base_url: str, rng: random.Random) -> MockContext:
        return MockContext(
            plan=self.plan,
            contract=contract,
            store=self.store,
            base_url=base_url,
            rng=rng,
            host=self.host,
            journal=self._sink(contract.name),
            any_port=self.any_service_port,
            reuse_port=self._reuse_port,
        )

    def _add(
        self,
        app: web.Application,
        front: FrontDoor,
        prefix: str,
        contract: Contract,
        parts: MockParts,
    ) -> None:
        """Mount a kind's routes and admin routes, and keep its services to start."""
        whole = whole_mount_handler(parts.routes)
        if whole is None:
            mount(app, prefix, parts.routes, partial(self._gate, contract.name))
        else:  # one gated handler serves both doors
            handler, below = whole
            gated = self._gate(contract.name, handler)
            mount(app, prefix, parts.routes, lambda _: gated)
            front.add(prefix, gated, below=below)
        mount(app, f"{PREFIX}/contracts/{contract.name}", parts.admin)
        self._services += [(contract.name, contract.kind, s) for s in parts.services]

    def _sink(self, contract: str) -> JournalSink:
        """How a kind's own service (an SMTP listener, say) journals what it handled."""
        record = self.journal.record

        def journal(
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
            raw = tuple((n.encode(), v.encode("utf-8", "surrogateescape")) for n, v in headers)
            record(
                contract,
                operation,
                method,
                path,
                raw,
                body,
                validation,
                status,
                duration_ms,
                protocol=protocol,
                note=note,
            )

        return journal

    async def close(self) -> None:
        """Stop answering, close the journal and remove it if this server created it."""
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
        if self._control is not None:
            self._control.forget()
        for _, _, service in reversed(self._services):
            await service.close()
        self._services.clear()
        for runner in reversed(self._runners):
            await runner.cleanup()
        self._runners.clear()
        self.journal.close()
        if self._own_dir:
            shutil.rmtree(self.journal.directory, ignore_errors=True)

    def reset(self) -> None:
        """Restore the datasets as loaded and the plan's behaviour settings."""
        self.store.reset()
        self.behaviours.clear()

    async def share_control(self, *, reset: bool = False) -> str:
        """With several workers, publish an admin change and wait until every worker applied
        it; "" when all did (or there is one worker), else what is known to be missing."""
        if self._control is None:
            return ""
        overrides = [
            {"contract": c, "operation": o, **_to_json(f)}
            for (c, o), f in self.behaviours.overrides.items()
        ]
        applied = await self._control.publish(overrides, reset=reset)
        workers = self._control.workers
        return "" if applied >= workers else f"applied in {applied} of {workers} workers so far"

    def _apply_control(self, state: Mapping[str, Any], reset: bool) -> None:
        """Apply another worker's admin change (mock/control.py)."""
        if reset:
            self.store.reset()
        overrides = {}
        for item in state.get("overrides", []):
            fields = dict(item)
            key = (fields.pop("contract"), fields.pop("operation"))
            overrides[key] = parse_behaviour(fields)
        self.behaviours.set_overrides(overrides)

    def _gate(self, contract: str, handler: Handler) -> Handler:
        """``handler`` with the contract's behaviour applied around it and every answer journaled.

        Faults, latency and forced answers act after the kind's handler (faults.py), which
        names the operation it answered in ``request[OPERATION]``.
        """
        behaviours, record, perf_counter = self.behaviours, self.journal.record, time.perf_counter

        async def gated(request: web.Request) -> web.StreamResponse:
            started = perf_counter()
            status = 500
            request[FAULT] = ""  # set by faults that replace the answer
            request[NOTE] = ""  # a present key: a missing one costs Mapping.get a KeyError
            request[PREFER] = behaviours.prefer(contract)
            try:
                response = await handler(request)
                if behaviours.active(contract):
                    response = await behaviours.after(request, response, contract)
                status = response.status
                return response
            except web.HTTPException as exc:
                status = exc.status
                raise
            finally:
                # inline rather than a helper coroutine: this runs for every request
                fault = request[FAULT]
                lost = fault in _LOST  # no answer reached the client
                body = await _body(request) if request.body_exists and not lost else b""
                record(
                    contract,
                    request.get(OPERATION, ""),
                    request.method,
                    request.raw_path,
                    request.raw_headers,
                    body,
                    request.get(VALIDATION, ""),
                    0 if lost else status,
                    (perf_counter() - started) * 1000,
                    fault,
                    note=request[NOTE],
                )

        return gated

    def _unmounted_routes(self) -> list[web.RouteDef]:
        return [web.route("*", "/{tail:[\\s\\S]*}", self._unmounted)]

    async def _unmounted(self, request: web.Request) -> web.StreamResponse:
        mounted = ", ".join(sorted({f"/{name}" for name, _, _ in self.endpoints}))
        request[VALIDATION] = "no-contract"
        return problem(
            404,
            f"no contract is mounted at {request.path}; mounted: {mounted or 'none'}",
            kind="not-found",
            title="Not Found",
        )


class _JournalRefused(logging.Handler):
    """Journals the requests aiohttp answers itself (400 for bad bytes, oversized headers, a
    TLS hello on the HTTP port), which never reach a handler or the gate: every answered
    request is in the journal. Anything else aiohttp logs (a bug) goes to its own logger."""

    def __init__(self, journal: Journal) -> None:
        super().__init__()
        self.journal = journal

    def emit(self, record: logging.LogRecord) -> None:
        error = record.exc_info[1] if record.exc_info else None
        if not isinstance(error, HttpProcessingError):
            server_logger.handle(record)
            return
        peer = record.args[0] if isinstance(record.args, tuple) and record.args else ""
        self.journal.record(
            "",
            "",
            "?",
            "",
            (),
            b"",
            "http-parse-error",
            error.code or 400,
            0.0,
            note=f"refused by the HTTP parser: {error.message or type(error).__name__}"
            + (f" (from {peer})" if peer else ""),
        )


def _refused_requests_logger(journal: Journal) -> logging.Logger:
    # a Logger of its own, not registered with logging.getLogger: one per server, collected
    # with it, and a hostile client's garbage is journaled instead of printed as tracebacks
    logger = logging.Logger("intcheck.mock.http", logging.DEBUG)
    logger.addHandler(_JournalRefused(journal))
    logger.propagate = False
    return logger


_LOST = frozenset({"reset", "timeout"})  # faults after which the client got no answer


async def _body(request: web.Request) -> bytes:
    """The request body for the journal (the kind has read it already, if it wanted it)."""
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:
        return b"(larger than the mock accepts)"
    except (OSError, RuntimeError, asyncio.CancelledError):  # peer gone mid-body
        return b""


def listen_socket(host: str, port: int, *, reuse_port: bool = False) -> socket.socket:
    hint = "is another mock running? choose another --port" if port else ""
    return bound_socket(host, port, reuse_port=reuse_port, hint=hint)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _to_json(fields: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if hasattr(value, "__dataclass_fields__"):
            value = {k: getattr(value, k) for k in value.__dataclass_fields__}
            if "kinds" in value:
                value["kinds"] = list(value["kinds"])
        out[key] = value
    return out


__all__ = ["Endpoint", "MockServer"]
