"""The admin API under ``/__intcheck/``: read and reset the journal, switch behaviour, reset data.

=========================================  ==============================================
``GET /__intcheck/``                       the mounted contracts and their URLs
``GET /__intcheck/journal``                entries; filters contract, operation, status,
                                           since (UNIX time), limit; ``total`` counts all
                                           kept, ``dropped`` the oldest deleted to bound
                                           the journal's disk
``DELETE /__intcheck/journal``             empties the journal (every worker's)
``GET /__intcheck/behaviour[/C[/OP]]``     effective latency, faults and force
``PUT /__intcheck/behaviour/C[/OP]``       JSON {latency, faults, force, timeout_ms}
``DELETE /__intcheck/behaviour``           back to the plan's settings
``POST /__intcheck/reset``                 restores the datasets and the plan's behaviour
=========================================  ==============================================

Admin requests are not journaled: the journal counts the requests the mocks answered.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from aiohttp import web

from intcheck import jsonwire
from intcheck.mock.faults import parse_behaviour, problem
from intcheck.mock.journal import JournalQuery

if TYPE_CHECKING:
    from intcheck.mock.server import MockServer

PREFIX = "/__intcheck"


def add_admin_routes(app: web.Application, server: MockServer) -> None:
    """Register the admin API of ``server`` on its main application."""
    admin = _Admin(server)
    app.router.add_get(PREFIX + "/", admin.index)
    app.router.add_get(PREFIX + "/journal", admin.journal)
    app.router.add_delete(PREFIX + "/journal", admin.reset_journal)
    app.router.add_get(PREFIX + "/behaviour", admin.all_behaviour)
    app.router.add_delete(PREFIX + "/behaviour", admin.clear_behaviour)
    app.router.add_get(PREFIX + "/behaviour/{contract}", admin.behaviour)
    app.router.add_put(PREFIX + "/behaviour/{contract}", admin.set_behaviour)
    app.router.add_get(PREFIX + "/behaviour/{contract}/{operation:.+}", admin.behaviour)
    app.router.add_put(PREFIX + "/behaviour/{contract}/{operation:.+}", admin.set_behaviour)
    app.router.add_post(PREFIX + "/reset", admin.reset)


class _Admin:
    def __init__(self, server: MockServer) -> None:
        self.server = server

    async def index(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"contracts": [{"name": n, "kind": k, "url": u} for n, k, u in self.server.endpoints]}
        )

    async def journal(self, request: web.Request) -> web.Response:
        try:
            status, since, limit = (
                _filter(request, name, integer=name != "since")
                for name in ("status", "since", "limit")
            )
            query = JournalQuery(
                contract=request.query.get("contract"),
                operation=request.query.get("operation"),
                status=None if status is None else int(status),
                since=since,
                limit=None if limit is None else int(limit),
            )
        except ValueError as exc:
            return _bad(f"bad filter: {exc}")
        total, entries = await asyncio.to_thread(self.server.journal.read, query)
        dropped = self.server.journal.dropped_total()
        return web.json_response({"total": total, "dropped": dropped, "entries": entries})

    async def reset_journal(self, request: web.Request) -> web.Response:
        await asyncio.to_thread(self.server.journal.reset)
        return web.Response(status=204)

    async def all_behaviour(self, request: web.Request) -> web.Response:
        behaviours = self.server.behaviours
        out: dict[str, Any] = {}
        for name, _, _ in self.server.endpoints:
            out[name] = behaviours.get(name, "").to_json()
        out["overrides"] = [
            {"contract": c, "operation": o, **_plain(f)}
            for (c, o), f in behaviours.overrides.items()
        ]
        return web.json_response(out)

    async def behaviour(self, request: web.Request) -> web.Response:
        target = self._target(request)
        if isinstance(target, web.Response):
            return target
        contract, operation = target
        return web.json_response(self.server.behaviours.get(contract, operation).to_json())

    async def set_behaviour(self, request: web.Request) -> web.Response:
        target = self._target(request)
        if isinstance(target, web.Response):
            return target
        contract, operation = target
        try:
            fields = parse_behaviour(jsonwire.read_request(await request.read()))
        except ValueError as exc:
            return _bad(str(exc))
        changed = self.server.behaviours.update(contract, operation, fields)
        missing = await self.server.share_control()
        return _applied(missing) or web.json_response(changed.to_json())

    async def clear_behaviour(self, request: web.Request) -> web.Response:
        self.server.behaviours.clear()
        missing = await self.server.share_control()
        return _applied(missing) or web.Response(status=204)

    async def reset(self, request: web.Request) -> web.Response:
        self.server.reset()
        missing = await self.server.share_control(reset=True)
        return _applied(missing) or web.json_response({"reset": True})

    def _target(self, request: web.Request) -> tuple[str, str] | web.Response:
        """The contract and operation a behaviour route names (an operationId is accepted),
        or the 404 that names the valid ones: a behaviour switched on a typo would silently
        never apply."""
        contract = request.match_info["contract"]
        written = request.match_info.get("operation", "")
        if written.startswith(contract + ":"):
            written = written[len(contract) + 1 :]
        names = sorted({name for name, _, _ in self.server.endpoints})
        if contract not in names:
            return _bad(f"unknown contract {contract!r}; mocked: {', '.join(names)}", status=404)
        if not written:
            return contract, ""
        operation = self.server.plan.contract(contract).operation(written)
        if operation is None:
            known = ", ".join(op.name for op in self.server.plan.contract(contract).operations)
            return _bad(f"{contract} has no operation {written!r}; operations: {known}", 404)
        return contract, operation.name


def _plain(fields: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if hasattr(value, "__dataclass_fields__"):
            out[key] = {k: getattr(value, k) for k in value.__dataclass_fields__}
        else:
            out[key] = value
    return out


def _filter(request: web.Request, name: str, *, integer: bool) -> float | None:
    """A numeric journal filter, in ASCII digits (``int()`` would also read ``١٢``)."""
    text = request.query.get(name)
    if text is None:
        return None
    value = jsonwire.number(text, integer=integer)
    if value is None or value < 0:
        kind = "a whole number" if integer else "a number"
        raise ValueError(f"{name}: expected {kind} >= 0, got {text!r}")
    return value


def _bad(detail: str, status: int = 400) -> web.Response:
    return problem(status, detail, kind="admin", title="Bad admin request")


def _applied(missing: str) -> web.Response | None:
    """None when every worker applied an admin change; else a 503 saying how far it got."""
    if not missing:
        return None
    return problem(503, f"the change is {missing}; retry to confirm", kind="admin", title="Busy")
