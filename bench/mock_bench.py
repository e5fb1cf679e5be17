"""Mock throughput next to a raw aiohttp server, RSS after the run, and big-spec start-up time.

    python bench/mock_bench.py [--duration 5] [--rounds 3] [--connections 32]
                               [--callgrind 2000] [--million] [--skip-workers]

The servers run side by side pinned to CPU 0 (``taskset``); wrk runs pinned to CPU 1. Each
round measures, for every scenario, the raw servers and intcheck one after the other (the order
rotates between rounds), so all see the same machine; a shared machine drifts by tens of
percent within a minute, which is why medians over rounds and per-round ratios are printed.
intcheck runs on uvloop, as ``intcheck mock`` does (``intcheck/eventloop.py``), so raw aiohttp
runs twice: on asyncio's own loop (how the issue's reference figures were taken) and on uvloop
(like for like). Scenarios:

* ``GET /customer-master/customers/C000001``: intcheck validates parameters and credentials,
  reads the dataset and journals the request (the contract's simulated latency switched off);
  raw aiohttp answers the same bytes from a route with a path parameter;
* ``POST /customer-master/customers``: intcheck validates the JSON body and creates a record;
  raw aiohttp reads the body and answers the bytes of a created record;
* SOAP 1.1 ``GetOrder`` on ``/order-service``: intcheck checks credentials, validates against
  the XSD (or reuses the answer to the same request bytes) and journals; raw aiohttp reads the
  body and answers the same envelope. Then again with a trace header that differs on every
  request, as a WS-Security nonce does, so no answer is reused by its bytes.

Also printed: the server's CPU time per request (user + system, from /proc; steadier than
req/s when wrk and other tenants compete), RSS before and after the GET runs (``--million``
keeps GETting until the journal holds a million entries), ``intcheck mock --workers 2``
against one worker next to raw aiohttp in one and two processes (unpinned, as a worker setup
runs), and the load and start time of the biggest corpus specs. ``--callgrind N`` adds
instruction counts per request under valgrind for N sequential keep-alive requests: the one
figure here that does not move with the machine's load. Its "SOAP header" requests differ in a
header on every request (so never in their bytes); its "SOAP varied" ones in the Body as well
(another order, another prefix), so no answer is reused by bytes.

Needs ``wrk`` (``apt-get install -y wrk``), and valgrind for ``--callgrind``. Prints the
commands it runs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import itertools
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from intcheck.model import Plan

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "openapi"
AUTH = "Authorization: Bearer bench"
NEW_CUSTOMER = {
    "first_name": "Bench",
    "last_name": "Mark",
    "phones": [{"type": "mobile", "number": "+4915100000001"}],
}
GET_PATH = "/customer-master/customers/C000001"
POST_PATH = "/customer-master/customers"
SOAP_PATH = "/order-service"
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
POST_HEADERS = {"Content-Type": "application/json", "Authorization": "Bearer bench"}


# -- the servers (run as child processes of this script) -----------------------------------


async def _serve_intcheck(port: int, journal: str) -> None:
    from intcheck.contracts import load_plan
    from intcheck.mock.server import MockServer, freeze_heap
    from intcheck.model import Latency

    async with MockServer(load_plan(ROOT / "contracts"), port=port, journal_path=journal) as mock:
        freeze_heap()  # as `intcheck mock` does
        for name, _, _ in mock.endpoints:
            mock.behaviours.update(name, "", {"latency": Latency()})
        print("ready", flush=True)
        await asyncio.Event().wait()


async def _serve_raw(port: int, answers: Path, *, reuse_port: bool = False) -> None:
    """Plain aiohttp answering intcheck's own bytes: the ceiling for the same work on the wire."""
    from aiohttp import web

    body = (answers / "get.json").read_bytes()
    created = (answers / "post.json").read_bytes()
    soap_body = (answers / "soap.xml").read_bytes()

    async def get(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/json")

    async def post(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=201, body=created, content_type="application/json")

    async def soap(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(body=soap_body, content_type="text/xml", charset="utf-8")

    app = web.Application()
    app.router.add_get("/customer-master/customers/{id}", get)
    app.router.add_post(POST_PATH, post)
    app.router.add_post(SOAP_PATH, soap)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port, reuse_port=reuse_port).start()
    print("ready", flush=True)
    await asyncio.Event().wait()


def _start(args: list[str], *, pin: bool = True, tool: list[str] | None = None) -> Server:
    command = [*(["taskset", "-c", "0"] if pin else []), *(tool or []), sys.executable]
    command += [__file__, *args]
    print("$", " ".join(command))
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != "ready":
        proc.kill()
        raise RuntimeError(f"server did not start: {' '.join(command)}")
    return Server(proc)


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


# -- measuring ----------------------------------------------------------------------------


@dataclass
class Run:
    rps: float
    requests: int
    p50_ms: float
    p99_ms: float
    non_2xx: int
    cpu_us: float = 0.0  # server CPU per request


def _wrk(
    url: str, duration: int, connections: int, script: str | None = None, *, pin: bool = True
) -> Run:
    command = [
        *(["taskset", "-c", "1"] if pin else []),
        "wrk",
        "-t1" if pin else "-t2",
        f"-c{connections}",
        f"-d{duration}s",
        "--latency",
        "-H",
        AUTH,
    ]
    if script:
        command += ["-s", script]
    command.append(url)
    print("$", " ".join(command), flush=True)
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return Run(
        rps=float(_find(r"Requests/sec:\s+([\d.]+)", out)),
        requests=int(_find(r"(\d+) requests in", out)),
        p50_ms=_ms(_find(r"50%\s+([\d.]+\w+)", out)),
        p99_ms=_ms(_find(r"99%\s+([\d.]+\w+)", out)),
        non_2xx=int(non2xx.group(1)) if non2xx else 0,
    )


def _measured(server: Server, url: str, args: argparse.Namespace, script: str | None) -> Run:
    before = server.cpu_seconds()
    run = _wrk(url, args.duration, args.connections, script)
    run.cpu_us = (server.cpu_seconds() - before) / max(run.requests, 1) * 1e6
    return run


def _find(pattern: str, text: str) -> str:
    found = re.search(pattern, text)
    if found is None:
        raise RuntimeError(f"wrk printed no {pattern!r}:\n{text}")
    return found.group(1)


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def _lua(path: Path, method: str, body: str, headers: dict[str, str]) -> str:
    lines = [f'wrk.method = "{method}"', f"wrk.body = {json.dumps(body)}"]
    lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def _varied_soap_lua(path: Path) -> str:
    """GetOrder with a trace header that differs on every request, as a WS-Security nonce
    does: the request bytes never repeat, so the answer cannot be reused by bytes."""
    head, body = GET_ORDER.split("<soap:Body>")
    before = json.dumps(head + '<soap:Header><t:Trace xmlns:t="urn:trace">')
    after = json.dumps("</t:Trace></soap:Header><soap:Body>" + body)
    lines = ["counter = 0", 'wrk.method = "POST"']
    lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in SOAP_HEADERS.items()]
    lines += [
        "request = function()",
        "  counter = counter + 1",
        f"  local body = {before} .. counter .. {after}",
        "  return wrk.format(nil, nil, nil, body)",
        "end",
    ]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def _fetch(url: str, data: bytes | None = None, headers: dict[str, str] | None = None) -> bytes:
    sent = headers or {"Authorization": "Bearer bench"}
    request = urllib.request.Request(url, data=data, headers=sent)
    with urllib.request.urlopen(request, timeout=120) as resp:
        return bytes(resp.read())


def _journal_total(base: str) -> int:
    return int(json.loads(_fetch(base + "/__intcheck/journal?limit=1"))["total"])


# -- printing -----------------------------------------------------------------------------


def _median(runs: list[Run], field: str) -> float:
    return float(statistics.median(getattr(run, field) for run in runs))


def _row(name: str, runs: list[Run], versus: list[Run] | None = None, label: str = "") -> None:
    line = (
        f"{name:<40} {_median(runs, 'rps'):>8.0f} req/s  p50 {_median(runs, 'p50_ms'):6.2f} ms"
        f"  p99 {_median(runs, 'p99_ms'):6.2f} ms"
    )
    if any(run.cpu_us for run in runs):
        line += f"  cpu {_median(runs, 'cpu_us'):6.1f} us/req"
    if versus:
        share = _median(runs, "rps") / _median(versus, "rps")
        rounds = ", ".join(f"{a.rps / b.rps:.0%}" for a, b in zip(runs, versus, strict=False))
        line += f"  {share:6.1%} of {label or 'raw'} (rounds: {rounds})"
        if all(run.cpu_us for run in runs + versus):
            line += f"; cpu ratio {_median(versus, 'cpu_us') / _median(runs, 'cpu_us'):.0%}"
    bad = sum(run.non_2xx for run in runs)
    print(line + (f"  NON-2xx {bad}" if bad else ""))


# -- the parts of the benchmark ------------------------------------------------------------


def _pinned(args: argparse.Namespace, tmp: Path) -> None:
    """GET, POST and SOAP: raw aiohttp against intcheck, alternating, ``--rounds`` times."""
    mock = _start(["--serve-intcheck", "18931", str(tmp / "journal")])
    base = "http://127.0.0.1:18931"
    try:
        answers = tmp / "answers"
        answers.mkdir()
        (answers / "get.json").write_bytes(_fetch(base + GET_PATH))
        created = _fetch(base + POST_PATH, json.dumps(NEW_CUSTOMER).encode(), POST_HEADERS)
        (answers / "post.json").write_bytes(created)
        soap = _fetch(base + SOAP_PATH, GET_ORDER.encode(), SOAP_HEADERS)
        (answers / "soap.xml").write_bytes(soap)
        raw_ports = {"raw": ("--serve-raw", 18932), "raw uvloop": ("--serve-raw-uvloop", 18933)}
        raws = {
            label: _start([option, str(port), str(answers)])
            for label, (option, port) in raw_ports.items()
        }
        servers = [("intcheck", mock, base)]
        servers += [
            (label, raws[label], f"http://127.0.0.1:{port}")
            for label, (_, port) in raw_ports.items()
        ]
        post_lua = _lua(tmp / "post.lua", "POST", json.dumps(NEW_CUSTOMER), POST_HEADERS)
        soap_lua = _lua(tmp / "soap.lua", "POST", GET_ORDER, SOAP_HEADERS)
        scenarios = {"GET": (GET_PATH, None), "POST": (POST_PATH, post_lua)}
        scenarios["SOAP"] = (SOAP_PATH, soap_lua)
        scenarios["SOAP varied"] = (SOAP_PATH, _varied_soap_lua(tmp / "soap-varied.lua"))
        results: dict[tuple[str, str], list[Run]] = {}
        rss_before = mock.rss_mb()
        try:
            for round_no in range(args.rounds):
                for name, (path, script) in scenarios.items():
                    turn = round_no % len(servers)
                    for label, server, url in servers[turn:] + servers[:turn]:
                        run = _measured(server, url + path, args, script)
                        results.setdefault((label, name), []).append(run)
                if round_no == 0:
                    rss_after_get = mock.rss_mb()
            served = _journal_total(base)
            rss_rounds = mock.rss_mb()
            if args.million:
                while served < 1_000_000:
                    _wrk(base + GET_PATH, 60, args.connections)
                    served = _journal_total(base)
            rss_end = mock.rss_mb()
        finally:
            for server in raws.values():
                server.stop()
    finally:
        mock.stop()
    print()
    ours, raw, fast = (
        {name: results[(label, name)] for name in scenarios}
        for label in ("intcheck", "raw", "raw uvloop")
    )
    _row("raw aiohttp GET, same bytes", raw["GET"])
    _row("raw aiohttp on uvloop GET, same bytes", fast["GET"], raw["GET"], "raw")
    _row("intcheck GET customer", ours["GET"], raw["GET"])
    _row("  the same GET", ours["GET"], fast["GET"], "raw on uvloop")
    _row("raw aiohttp POST, same bytes", raw["POST"])
    _row("raw aiohttp on uvloop POST, same bytes", fast["POST"])
    _row("intcheck POST customer", ours["POST"], raw["POST"])
    _row("  the same POST", ours["POST"], raw["GET"], "raw GET")
    _row("  the same POST", ours["POST"], fast["GET"], "raw GET on uvloop")
    _row("raw aiohttp SOAP, same envelope", raw["SOAP"])
    _row("raw aiohttp on uvloop SOAP", fast["SOAP"])
    _row("intcheck SOAP 1.1 GetOrder", ours["SOAP"], raw["SOAP"])
    _row("  the same SOAP", ours["SOAP"], fast["SOAP"], "raw on uvloop")
    _row("  a new SOAP Header on every request", ours["SOAP varied"], raw["SOAP varied"])
    print(
        f"mock RSS: {rss_before:.1f} MiB at start, {rss_after_get:.1f} MiB after the first "
        f"round, {rss_rounds:.1f} MiB after the last, {rss_end:.1f} MiB at the end; "
        f"{served} requests journaled (every one served)"
    )


def _workers(args: argparse.Namespace, tmp: Path) -> None:
    """``--workers 2`` against one worker, next to raw aiohttp in one and two processes."""
    runs: dict[str, list[Run]] = {}
    answers = tmp / "answers"
    for _ in range(args.rounds):
        for workers in (1, 2):
            runs.setdefault(f"intcheck {workers}", []).append(_workers_run(workers, args))
            raws = [
                _start(["--serve-raw-shared", "18950", str(answers)], pin=False)
                for _ in range(workers)
            ]
            try:
                url = "http://127.0.0.1:18950" + GET_PATH
                runs.setdefault(f"raw {workers}", []).append(
                    _wrk(url, args.duration, args.connections, pin=False)
                )
            finally:
                for server in raws:
                    server.stop()
    print()
    _row("raw aiohttp, 1 process, GET", runs["raw 1"])
    _row("raw aiohttp, 2 processes, GET", runs["raw 2"], runs["raw 1"], "1 process")
    _row("intcheck mock --workers 1, GET", runs["intcheck 1"])
    _row("intcheck mock --workers 2, GET", runs["intcheck 2"], runs["intcheck 1"], "1 worker")


def _workers_run(workers: int, args: argparse.Namespace) -> Run:
    """GET through ``intcheck mock --workers N`` (latency switched off through the admin API)."""
    port = 18940 + workers
    command = [sys.executable, "-m", "intcheck", "--no-color", "mock", str(ROOT / "contracts")]
    command += ["--port", str(port), "--workers", str(workers)]
    print("$", " ".join(command))
    proc = subprocess.Popen(command, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            with contextlib.suppress(OSError):
                _fetch(base + "/__intcheck/")
                break
            time.sleep(0.1)
        off = json.dumps({"latency": {"fixed_ms": 0}}).encode()
        request = urllib.request.Request(
            base + "/__intcheck/behaviour/customer-master", data=off, method="PUT"
        )
        urllib.request.urlopen(request, timeout=10).read()
        time.sleep(1.0)  # the control file reaches every worker
        return _wrk(base + GET_PATH, args.duration, args.connections, pin=False)
    finally:
        proc.terminate()
        proc.wait(15)


def _callgrind(args: argparse.Namespace, tmp: Path) -> None:
    """Instructions per request under callgrind: raw aiohttp and intcheck, same requests."""
    if shutil.which("valgrind") is None:
        print("--callgrind: valgrind is not installed (apt-get install -y valgrind)")
        return
    answers = tmp / "answers"
    requests: dict[str, tuple[str, str, Body, dict[str, str]]] = {
        "GET": ("GET", GET_PATH, None, {"Authorization": "Bearer bench"}),
        "POST": ("POST", POST_PATH, json.dumps(NEW_CUSTOMER).encode(), POST_HEADERS),
        "SOAP": ("POST", SOAP_PATH, GET_ORDER.encode(), SOAP_HEADERS),
        "SOAP header": ("POST", SOAP_PATH, _new_header, SOAP_HEADERS),
        "SOAP varied": ("POST", SOAP_PATH, _varied_get_order, SOAP_HEADERS),
    }
    counts: dict[tuple[str, str], int] = {}
    servers = {
        "raw": ["--serve-raw", "18960", str(answers)],
        "raw uvloop": ["--serve-raw-uvloop", "18960", str(answers)],
        "intcheck": ["--serve-intcheck", "18960", str(tmp / "cg-journal")],
    }
    for label, server_args in servers.items():
        out = tmp / f"callgrind-{label}.out"
        tool = ["valgrind", "--tool=callgrind", "--instr-atstart=no"]
        server = _start(server_args, pin=False, tool=[*tool, f"--callgrind-out-file={out}"])
        try:
            for name, (method, path, body, headers) in requests.items():
                _sequential(18960, method, path, body, headers, 50)  # warm every cache first
                for control in (["-z"], ["-i", "on"]):  # count from here on
                    _control(server, *control)
                _sequential(18960, method, path, body, headers, args.callgrind)
                _control(server, "-d")  # dump, then read the dump
                counts[(label, name)] = _latest_total(out) // args.callgrind
        finally:
            server.stop()
    print()
    print(f"instructions per request (callgrind, {args.callgrind} sequential requests each)")
    for name in requests:
        raw, fast, ours = (counts[(label, name)] for label in servers)
        print(
            f"  {name:<11} raw {raw:>9,}  raw on uvloop {fast:>9,}  intcheck {ours:>9,}"
            f"  raw/intcheck {raw / ours:6.1%}  uvloop raw/intcheck {fast / ours:6.1%}"
        )


def _control(server: Server, *command: str) -> None:
    subprocess.run(
        ["callgrind_control", *command, str(server.pid)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


Body = bytes | Callable[[int], bytes] | None


_SENT = itertools.count()


def _new_header(_: int) -> bytes:
    """GetOrder with a trace header that differs on every request (as a WS-Security nonce
    does) and the same Body: the request bytes never repeat."""
    head, body = GET_ORDER.split("<soap:Body>")
    trace = f'<soap:Header><t:Trace xmlns:t="urn:trace">{next(_SENT)}</t:Trace></soap:Header>'
    return (head + trace + "<soap:Body>" + body).encode()


def _varied_get_order(_: int) -> bytes:
    """GetOrder for one of 18 known orders with a trace header that differs on every request
    and the Body's prefix too: neither the request bytes nor the Body bytes ever repeat (the
    warm-up's included), so no answer is reused, while every answer comes from a real record."""
    index = next(_SENT)
    order = f"O2026{index % 18 + 1:04d}"
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
        f'<soap:Header><t:Trace xmlns:t="urn:trace">{index}</t:Trace></soap:Header>'
        f'<soap:Body><o{index}:GetOrder xmlns:o{index}="urn:example:orders:v1">'
        f"<o{index}:OrderId>{order}</o{index}:OrderId></o{index}:GetOrder>"
        "</soap:Body></soap:Envelope>"
    ).encode()


def _sequential(
    port: int, method: str, path: str, body: Body, headers: dict[str, str], count: int
) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    try:
        for index in range(count):
            sent = body(index) if callable(body) else body
            connection.request(method, path, body=sent, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status >= 300:
                raise RuntimeError(f"{method} {path} answered {response.status}")
    finally:
        connection.close()


def _latest_total(out: Path) -> int:
    """Instructions in the newest callgrind dump next to ``out``."""
    time.sleep(1.0)  # the dump is written by the server process
    dumps = sorted(out.parent.glob(out.name + ".*"), key=lambda p: p.stat().st_mtime)
    text = dumps[-1].read_text()
    found = re.search(r"^(?:summary|totals): (\d+)", text, re.MULTILINE)
    if found is None:
        raise RuntimeError(f"no totals in {dumps[-1]}")
    return int(found.group(1))


def _corpus_startup() -> None:
    from intcheck.contracts import load_plan
    from intcheck.mock.server import MockServer

    specs = sorted(CORPUS.glob("*"), key=lambda p: p.stat().st_size, reverse=True)[:3]
    print()
    for spec in specs:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            (folder / "c.yaml").write_text(f"kind: rest\nname: big\nspec: {spec}\n")
            (folder / "plan.yaml").write_text("name: big\nintegrations:\n  - contract: c.yaml\n")
            started = time.perf_counter()
            plan = load_plan(folder)
            loaded = time.perf_counter()

            async def serve_once(plan: Plan) -> float:
                async with MockServer(plan) as mock:
                    ready = time.perf_counter()
                    op = plan.contracts[0].operations[0]
                    path = re.sub(r"\{[^}]+\}", "x1", op.path)
                    await asyncio.to_thread(_try_fetch, f"{mock.url}/big{path}")
                    return ready

            ready = asyncio.run(serve_once(plan))
            print(
                f"{spec.name:<44} {spec.stat().st_size / 1024:7.0f} KiB  "
                f"load {loaded - started:5.2f} s  build+serve {ready - loaded:5.2f} s  "
                f"operations {len(plan.contracts[0].operations)}"
            )


def _try_fetch(url: str) -> None:
    with contextlib.suppress(OSError):  # a 4xx is fine: the point is that the mock answers
        _fetch(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per scenario")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--million", action="store_true", help="GET until a million are journaled")
    parser.add_argument("--skip-workers", action="store_true", help="leave out the workers part")
    parser.add_argument(
        "--callgrind", type=int, default=0, metavar="N", help="instruction counts, N requests"
    )
    parser.add_argument(
        "--serve-intcheck", nargs=2, metavar=("PORT", "JOURNAL"), help=argparse.SUPPRESS
    )
    parser.add_argument("--serve-raw", nargs=2, metavar=("PORT", "DIR"), help=argparse.SUPPRESS)
    parser.add_argument(
        "--serve-raw-uvloop", nargs=2, metavar=("PORT", "DIR"), help=argparse.SUPPRESS
    )
    parser.add_argument(
        "--serve-raw-shared", nargs=2, metavar=("PORT", "DIR"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    from intcheck import eventloop

    if args.serve_intcheck:  # on the loop `intcheck mock` runs on
        eventloop.run(_serve_intcheck(int(args.serve_intcheck[0]), args.serve_intcheck[1]))
        return
    for option, shared, run in (
        (args.serve_raw, False, asyncio.run),
        (args.serve_raw_uvloop, False, eventloop.run),
        (args.serve_raw_shared, True, asyncio.run),
    ):
        if option:
            run(_serve_raw(int(option[0]), Path(option[1]), reuse_port=shared))
            return

    print(f"cpus: {os.cpu_count()}, python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as tmp:
        _pinned(args, Path(tmp))
        if not args.skip_workers:
            _workers(args, Path(tmp))
        if args.callgrind:
            _callgrind(args, Path(tmp))
    _corpus_startup()


if __name__ == "__main__":
    main()
