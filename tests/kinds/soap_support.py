"""Helpers for the SOAP mock tests: a mock served from a background thread, zeep clients.

zeep's client is synchronous, so the mock runs on its own event loop in a thread and the tests
stay plain functions. Everything binds 127.0.0.1 and every call has a timeout.
"""

from __future__ import annotations

import asyncio
import random
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests
import zeep
from aiohttp import web
from zeep.plugins import HistoryPlugin
from zeep.transports import Transport

from intcheck.contracts import load_plan
from intcheck.data import DataStore
from intcheck.kinds.base import OPERATION, VALIDATION, Handler, MockContext, mount
from intcheck.kinds.soap import MOCK
from intcheck.model import Plan

TIMEOUT_S = 10


@dataclass
class Served:
    """A running mock: its base URL, its store and what each request recorded."""

    base: str
    store: DataStore
    auth: dict[str, str] = field(default_factory=dict)  # headers carrying the contract's auth
    seen: list[tuple[str, str]] = field(default_factory=list)  # (OPERATION, VALIDATION)


@contextmanager
def serving(plan: Plan, name: str, *, store: DataStore | None = None) -> Iterator[Served]:
    """Mount the SOAP mock of contract ``name`` at ``/<name>`` on 127.0.0.1 (free port)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    base = f"http://127.0.0.1:{sock.getsockname()[1]}/{name}"
    contract = plan.contract(name)
    served = Served(
        base=base,
        store=store or DataStore.for_plan(plan),
        auth=contract.auth.headers() if contract.auth else {},
    )
    ctx = MockContext(
        plan=plan,
        contract=contract,
        store=served.store,
        base_url=base,
        rng=random.Random(7),
    )

    def record(handler: Handler) -> Handler:
        async def recorded(request: web.Request) -> web.StreamResponse:
            # what the server's journal gate reads after the kind's handler
            response = await handler(request)
            seen = (request.get(OPERATION, "<unset>"), request.get(VALIDATION, "<unset>"))
            served.seen.append(seen)
            return response

        return recorded

    app = web.Application()
    mount(app, f"/{name}", MOCK.build_mock(ctx), record)
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app, access_log=None)
    loop.run_until_complete(runner.setup())
    loop.run_until_complete(web.SockSite(runner, sock).start())
    thread = threading.Thread(target=loop.run_forever, name=f"soap-mock-{name}", daemon=True)
    thread.start()
    try:
        yield served
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(TIMEOUT_S)
        loop.run_until_complete(runner.cleanup())
        loop.close()
        sock.close()


@contextmanager
def zeep_client(mock: Served) -> Iterator[tuple[zeep.Client, HistoryPlugin]]:
    """A zeep client that loads the WSDL from the mock, with credentials and an envelope history."""
    session = requests.Session()
    session.headers.update(mock.auth)
    history = HistoryPlugin()
    try:
        transport = Transport(session=session, timeout=TIMEOUT_S, operation_timeout=TIMEOUT_S)
        yield zeep.Client(mock.base + "?wsdl", transport=transport, plugins=[history]), history
    finally:
        session.close()


def corpus_plan(tmp_path: Path, spec: Path, name: str = "x", dataset: str = "") -> Plan:
    """A one-contract plan for a corpus WSDL, written next to each other in ``tmp_path``.

    ``dataset`` is the text of a dataset file the mock answers from.
    """
    contract = f"kind: soap\nname: {name}\nspec: {spec.resolve()}\n"
    if dataset:
        (tmp_path / f"{name}-data.yaml").write_text(dataset)
        contract += f"mock:\n  dataset: {name}-data.yaml\n"
    (tmp_path / f"{name}.yaml").write_text(contract)
    (tmp_path / "plan.yaml").write_text(f"name: corpus\nintegrations:\n  - contract: {name}.yaml\n")
    return load_plan(tmp_path)


def post(
    mock: Served,
    body: bytes | str,
    *,
    version: str = "1.1",
    action: str = "",
    with_auth: bool = True,
    **headers: str,
) -> requests.Response:
    """POST raw bytes with the content type of a SOAP version; bounded in time."""
    sent = dict(mock.auth) if with_auth else {}
    if version == "1.1":
        sent |= {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{action}"'}
    else:
        sent |= {"Content-Type": f'application/soap+xml; charset=utf-8; action="{action}"'}
    sent.update(headers)
    data = body.encode() if isinstance(body, str) else body
    with requests.Session() as session:
        return session.post(mock.base, data=data, headers=sent, timeout=TIMEOUT_S)
