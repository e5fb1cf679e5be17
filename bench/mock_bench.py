"""Mock throughput next to a raw aiohttp server, RSS after the run, and big-spec start-up time.

    python bench/mock_bench.py [--duration 10] [--connections 32] [--million]

The server under test is pinned to CPU 0 and wrk to CPU 1 (``taskset``), so each gets one
core. Measured:

* intcheck mock, ``GET /customer-master/customers/C000001`` (parameter validation, security
  check, dataset lookup, journal on; the contract's simulated latency switched off);
* intcheck mock, ``POST /customer-master/customers`` with JSON body validation (creates records);
* intcheck mock, SOAP 1.1 ``GetOrder`` on ``/order-service`` (XSD validation of the request,
  dataset answer, journal on);
* a raw aiohttp server answering the same bytes as the GET, and as the SOAP answer;
* ``intcheck mock --workers 2`` against one worker (GET, wrk unpinned, both runs alike);
* RSS of the mock before and after the GET run (``--million`` keeps GETting until the journal
  holds a million entries);
* for the biggest corpus specs: time to load (parse + validate) and to build and serve the mock.

Needs ``wrk`` (``apt-get install -y wrk``). Prints the commands it runs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
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


async def _serve_intcheck(port: int, journal: str) -> None:
    from intcheck.contracts import load_plan
    from intcheck.mock.server import MockServer

    async with MockServer(load_plan(ROOT / "contracts"), port=port, journal_path=journal) as mock:
        for name, _, _ in mock.endpoints:
            mock.behaviours.update(name, "", {"latency": _no_latency()})
        print("ready", flush=True)
        await asyncio.Event().wait()


def _no_latency() -> object:
    from intcheck.model import Latency

    return Latency()


async def _serve_raw(port: int, body: bytes, soap_body: bytes) -> None:
    from aiohttp import web

    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/json")

    async def soap(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(body=soap_body, content_type="text/xml", charset="utf-8")

    app = web.Application()
    app.router.add_get("/customer-master/customers/{id}", handler)
    app.router.add_post("/order-service", soap)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    print("ready", flush=True)
    await asyncio.Event().wait()


GET_ORDER = (
    '<?xml version="1.0" encoding="utf-8"?>'
    '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
    '<soap:Body><GetOrder xmlns="urn:example:orders:v1"><OrderId>O20260001</OrderId></GetOrder>'
    "</soap:Body></soap:Envelope>"
)


def _lua(path: Path, method: str, body: str, headers: dict[str, str]) -> str:
    lines = [f'wrk.method = "{method}"', f"wrk.body = {json.dumps(body)}"]
    lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def _workers_run(workers: int, duration: int, connections: int) -> dict[str, float]:
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
        return _wrk(base + "/customer-master/customers/C000001", duration, connections, pin=False)
    finally:
        proc.terminate()
        proc.wait(15)


def _start(args: list[str]) -> subprocess.Popen[str]:
    command = ["taskset", "-c", "0", sys.executable, __file__, *args]
    print("$", " ".join(command))
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != "ready":
        raise RuntimeError("server did not start")
    return proc


def _wrk(
    url: str, duration: int, connections: int, script: str | None = None, *, pin: bool = True
) -> dict[str, float]:
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
    print("$", " ".join(command))
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rps,
        "requests": total,
        "p50_ms": _ms(re.search(r"50%\s+([\d.]+\w+)", out).group(1)),  # type: ignore[union-attr]
        "p99_ms": _ms(re.search(r"99%\s+([\d.]+\w+)", out).group(1)),  # type: ignore[union-attr]
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
    }


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def _rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]


def _fetch_with(url: str, data: bytes, headers: dict[str, str]) -> bytes:
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return bytes(response.read())


def _fetch(url: str, data: bytes | None = None) -> bytes:
    request = urllib.request.Request(url, data=data, headers={"Authorization": "Bearer bench"})
    with urllib.request.urlopen(request, timeout=120) as resp:
        return bytes(resp.read())


def _journal_total(base: str) -> int:
    return int(json.loads(_fetch(base + "/__intcheck/journal?limit=1"))["total"])


def _row(
    name: str, result: dict[str, float], raw_rps: float | None = None, versus: str = "raw"
) -> None:
    share = f"  {100 * result['rps'] / raw_rps:5.1f} % of {versus}" if raw_rps else ""
    print(
        f"{name:<42} {result['rps']:>9.0f} req/s  p50 {result['p50_ms']:6.2f} ms  "
        f"p99 {result['p99_ms']:6.2f} ms  non-2xx {result['non_2xx']:.0f}{share}"
    )


def _corpus_startup() -> None:
    from intcheck.contracts import load_plan
    from intcheck.mock.server import MockServer

    specs = sorted(CORPUS.glob("*"), key=lambda p: p.stat().st_size, reverse=True)[:3]
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
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--million", action="store_true", help="GET until a million are journaled")
    parser.add_argument(
        "--serve-intcheck", nargs=2, metavar=("PORT", "JOURNAL"), help=argparse.SUPPRESS
    )
    parser.add_argument(
        "--serve-raw", nargs=3, metavar=("PORT", "BODY", "SOAP"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.serve_intcheck:
        asyncio.run(_serve_intcheck(int(args.serve_intcheck[0]), args.serve_intcheck[1]))
        return
    if args.serve_raw:
        port, body, soap_body = args.serve_raw
        asyncio.run(_serve_raw(int(port), Path(body).read_bytes(), Path(soap_body).read_bytes()))
        return

    print(f"cpus: {os.cpu_count()}, python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as tmp:
        journal = Path(tmp) / "journal"
        mock = _start(["--serve-intcheck", "18931", str(journal)])
        base = "http://127.0.0.1:18931"
        get_url = base + "/customer-master/customers/C000001"
        try:
            body = _fetch(get_url)
            (Path(tmp) / "body.json").write_bytes(body)
            rss_before = _rss_mb(mock.pid)
            get = _wrk(get_url, args.duration, args.connections)
            rss_after = _rss_mb(mock.pid)
            served = _journal_total(base)
            if args.million:
                while served < 1_000_000:
                    _wrk(get_url, 60, args.connections)
                    served = _journal_total(base)
                rss_after = _rss_mb(mock.pid)
            post_lua = Path(tmp) / "post.lua"
            post_lua.write_text(
                'wrk.method = "POST"\n'
                f"wrk.body = {json.dumps(json.dumps(NEW_CUSTOMER))}\n"
                'wrk.headers["Content-Type"] = "application/json"\n'
            )
            post = _wrk(
                base + "/customer-master/customers", args.duration, args.connections, str(post_lua)
            )
            soap_headers = {
                "Content-Type": "text/xml; charset=utf-8",
                "SOAPAction": '"urn:example:orders:v1/GetOrder"',
                "Authorization": "Basic Y3JtOmRlbW8tcGFzc3dvcmQ=",  # crm:demo-password
            }
            soap_answer = _fetch_with(base + "/order-service", GET_ORDER.encode(), soap_headers)
            (Path(tmp) / "soap.xml").write_bytes(soap_answer)
            soap_lua = _lua(Path(tmp) / "soap.lua", "POST", GET_ORDER, soap_headers)
            soap = _wrk(base + "/order-service", args.duration, args.connections, soap_lua)
            rss_end = _rss_mb(mock.pid)
        finally:
            mock.terminate()
            mock.wait(10)
        raw = _start(
            ["--serve-raw", "18932", str(Path(tmp) / "body.json"), str(Path(tmp) / "soap.xml")]
        )
        try:
            baseline = _wrk(
                "http://127.0.0.1:18932/customer-master/customers/C000001",
                args.duration,
                args.connections,
            )
            raw_soap = _wrk(
                "http://127.0.0.1:18932/order-service", args.duration, args.connections, soap_lua
            )
        finally:
            raw.terminate()
            raw.wait(10)
    print()
    _row("raw aiohttp, same bytes", baseline)
    _row("intcheck GET customer (validate+journal)", get, baseline["rps"])
    _row("intcheck POST customer (body validation)", post, baseline["rps"])
    _row("raw aiohttp, same SOAP answer", raw_soap)
    _row("intcheck SOAP 1.1 GetOrder (XSD+journal)", soap, raw_soap["rps"])
    print(
        f"mock RSS: {rss_before:.1f} MiB before, {rss_after:.1f} MiB after the GET run; "
        f"journal entries before POST run: {served}; {rss_end:.1f} MiB at the end"
    )
    print()
    one = _workers_run(1, args.duration, args.connections)
    two = _workers_run(2, args.duration, args.connections)
    _row("intcheck mock --workers 1, GET (unpinned)", one)
    _row("intcheck mock --workers 2, GET (unpinned)", two, one["rps"], "one worker")
    print()
    _corpus_startup()


if __name__ == "__main__":
    main()
