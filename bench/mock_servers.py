"""The servers the mock benchmark measures, run as child processes, and the requests it sends.

Each path the benchmark measures is a ``Scenario``: the same bytes go to intcheck's mock and to
raw aiohttp servers (on asyncio's loop and on uvloop) that answer with intcheck's own answer
bytes, so the difference is intcheck's work: validation, state, journal.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "openapi"
BENCH = Path(__file__).resolve().parent / "mock_bench.py"
AUTH = {"Authorization": "Bearer bench"}
JSON_AUTH = {"Content-Type": "application/json", **AUTH}
NEW_CUSTOMER = {
    "first_name": "Bench",
    "last_name": "Mark",
    "phones": [{"type": "mobile", "number": "+4915100000001"}],
}
GET_ORDER = (
    '<?xml version="1.0" encoding="utf-8"?>'
    '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
    '<soap:Body><GetOrder xmlns="urn:example:orders:v1"><OrderId>O20260001</OrderId></GetOrder>'
    "</soap:Body></soap:Envelope>"
)
SOAP_HEADERS = {
    "Content-Type": "text/xml; charset=utf-8",
    "SOAPAction": '"urn:example:orders:v1/GetOrder"',
    "Authorization": "Basic Y3JtOmRlbW8tcGFzc3dvcmQ=",  # crm:demo-password
}


@dataclass(frozen=True)
class Scenario:
    """One path measured: what is sent, and which answer file the raw servers send back."""

    name: str
    method: str
    path: str
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=lambda: dict(AUTH))
    answer: str = ""  # file name under the answers folder
    # "header": a SOAP trace header that differs on every request (as a WS-Security nonce
    # does), the same Body; "body": the Body's prefix and order differ too, so neither the
    # request bytes nor the Body bytes ever repeat and no answer is reused
    varied: str = ""

    def body_for(self, number: int) -> bytes | None:
        """The body of the ``number``-th request (the same every time unless ``varied``)."""
        if not self.varied or self.body is None:
            return self.body
        if self.varied == "body":
            return varied_get_order(number)
        head, rest = self.body.decode().split("<soap:Body>")
        trace = f'<soap:Header><t:Trace xmlns:t="urn:trace">{number}</t:Trace></soap:Header>'
        return f"{head}{trace}<soap:Body>{rest}".encode()


def varied_get_order(number: int) -> bytes:
    """GetOrder for one of the 18 orders of the dataset, with a trace header and a Body prefix
    of its own: every answer comes from a real record, none is reused by bytes."""
    order = f"O2026{number % 18 + 1:04d}"
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
        f'<soap:Header><t:Trace xmlns:t="urn:trace">{number}</t:Trace></soap:Header>'
        f'<soap:Body><o{number}:GetOrder xmlns:o{number}="urn:example:orders:v1">'
        f"<o{number}:OrderId>{order}</o{number}:OrderId></o{number}:GetOrder>"
        "</soap:Body></soap:Envelope>"
    ).encode()


SCENARIOS = {
    "GET": Scenario("GET", "GET", "/customer-master/customers/C000001", answer="get.json"),
    "POST": Scenario(
        "POST",
        "POST",
        "/customer-master/customers",
        json.dumps(NEW_CUSTOMER).encode(),
        JSON_AUTH,
        "post.json",
    ),
    "PATCH": Scenario(
        "PATCH",
        "PATCH",
        "/customer-master/customers/C000002",
        b'{"tier":"gold"}',
        JSON_AUTH,
        "patch.json",
    ),
    "SOAP": Scenario(
        "SOAP", "POST", "/order-service", GET_ORDER.encode(), SOAP_HEADERS, "soap.xml"
    ),
    "SOAP header": Scenario(
        "SOAP header",
        "POST",
        "/order-service",
        GET_ORDER.encode(),
        SOAP_HEADERS,
        "soap.xml",
        varied="header",
    ),
    "SOAP varied": Scenario(
        "SOAP varied",
        "POST",
        "/order-service",
        GET_ORDER.encode(),
        SOAP_HEADERS,
        "soap.xml",
        varied="body",
    ),
}


# -- the servers (this module's functions run in the child processes) -----------------------

# The status and content type the raw servers send each answer file with, as intcheck does.
ANSWERS = {
    "get.json": (200, "application/json"),
    "post.json": (201, "application/json"),
    "patch.json": (200, "application/json"),
    "soap.xml": (200, "text/xml"),
}


async def serve_intcheck(port: int, journal: str, plan_path: str = "") -> None:
    """intcheck's mock of the example plan (or ``plan_path``), as ``intcheck mock`` runs it."""
    from intcheck.contracts import load_plan
    from intcheck.mock.server import MockServer
    from intcheck.mock.serving import freeze_heap
    from intcheck.model import Latency

    plan = load_plan(Path(plan_path) if plan_path else ROOT / "contracts")
    async with MockServer(plan, port=port, journal_path=journal) as mock:
        freeze_heap()
        for name, _, _ in mock.endpoints:
            mock.behaviours.update(name, "", {"latency": Latency()})
        print("ready", flush=True)
        await asyncio.Event().wait()


async def serve_raw(port: int, answers: Path, *, reuse_port: bool = False) -> None:
    """Plain aiohttp answering intcheck's own bytes: the ceiling for the same work on the wire."""
    from aiohttp import web

    def route(answer: str) -> Any:
        body = (answers / answer).read_bytes()
        status, content_type = ANSWERS[answer]

        async def handler(request: web.Request) -> web.Response:
            await request.read()
            return web.Response(status=status, body=body, content_type=content_type)

        return handler

    app = web.Application()
    app.router.add_get("/customer-master/customers/{id}", route("get.json"))
    app.router.add_post("/customer-master/customers", route("post.json"))
    app.router.add_patch("/customer-master/customers/{id}", route("patch.json"))
    app.router.add_post("/order-service", route("soap.xml"))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port, reuse_port=reuse_port).start()
    print("ready", flush=True)
    await asyncio.Event().wait()


async def serve_parser_only(port: int, answers: Path) -> None:
    """Below aiohttp's web layer: an asyncio protocol that parses with aiohttp's C HTTP parser
    and writes the same answer bytes itself (no Request or Response objects, no router).

    Not a server anyone should run (no chunked answers, no Expect, no limits): it prices the
    part of raw aiohttp's cost that is its web layer, the share a mock built on that layer
    cannot win back however little work of its own it does.
    """
    import email.utils

    from aiohttp.http_parser import HttpRequestParser  # the C parser where aiohttp has it

    route = {}  # (method, path) -> status, content type, body: the raw servers' answers
    for scenario in SCENARIOS.values():
        status, content_type = ANSWERS[scenario.answer]
        body = (answers / scenario.answer).read_bytes()
        route[(scenario.method, scenario.path)] = (status, content_type.encode(), body)
    loop = asyncio.get_running_loop()

    class Protocol(asyncio.Protocol):
        _reading_paused = False

        def connection_made(self, transport: Any) -> None:
            self.transport = transport
            self.parser = HttpRequestParser(self, loop, 2**16)

        def data_received(self, data: bytes) -> None:
            messages, _, _ = self.parser.feed_data(data)
            for message, _payload in messages:
                path = message.path.partition("?")[0]
                status, kind, body = route.get((message.method, path), (404, b"text/plain", b""))
                head = (
                    b"HTTP/1.1 %d X\r\nContent-Type: %s\r\nContent-Length: %d\r\nDate: %s\r\n\r\n"
                    % (
                        status,
                        kind,
                        len(body),
                        email.utils.formatdate(usegmt=True).encode(),
                    )
                )
                self.transport.write(head + body)

        # what the parser's payload streams call on their protocol
        def pause_reading(self) -> None: ...

        def resume_reading(self, resume_parser: bool = True) -> None: ...

        def set_exception(self, exc: BaseException, cause: BaseException | None = None) -> None:
            self.transport.close()

    await loop.create_server(Protocol, "127.0.0.1", port)
    print("ready", flush=True)
    await asyncio.Event().wait()


def corpus_plan(spec: Path, folder: Path) -> Path:
    """A one-contract plan serving ``spec`` (a third-party OpenAPI document) at ``/big``."""
    (folder / "c.yaml").write_text(f"kind: rest\nname: big\nspec: {spec}\n")
    (folder / "plan.yaml").write_text("name: big\nintegrations:\n  - contract: c.yaml\n")
    return folder


# -- starting and watching them ------------------------------------------------------------


@dataclass
class Server:
    proc: subprocess.Popen[str]

    @property
    def pid(self) -> int:
        return self.proc.pid

    def cpu_seconds(self) -> float:
        """User + system CPU time so far, from /proc (clock ticks)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        status = Path(f"/proc/{self.pid}/status").read_text()
        return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


def start(args: list[str], *, pin: bool = True, tool: list[str] | None = None) -> Server:
    """Run ``mock_bench.py`` with a ``--serve-…`` option; return once it prints "ready"."""
    command = [*(["taskset", "-c", "0"] if pin else []), *(tool or []), sys.executable]
    command += [str(BENCH), *args]
    print("$", " ".join(command))
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != "ready":
        proc.kill()
        raise RuntimeError(f"server did not start: {' '.join(command)}")
    return Server(proc)


def free_port() -> int:
    """A port nobody listens on now (several benchmarks may run on one machine at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def scratch() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="intcheck-bench-")
