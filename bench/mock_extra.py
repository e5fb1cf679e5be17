"""The mock benchmark's parts beyond one process: ``--workers``, and big-spec start-up."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

from measure import Run, fetch, row, wrk
from mock_servers import CORPUS, ROOT, SCENARIOS, corpus_plan, free_port, start

if TYPE_CHECKING:
    from intcheck.model import Plan

GET_PATH = SCENARIOS["GET"].path


def workers(args: argparse.Namespace, tmp: Path) -> None:
    """``--workers 2`` against one worker, next to raw aiohttp in one and two processes."""
    runs: dict[str, list[Run]] = {}
    answers = tmp / "answers"
    for _ in range(args.rounds):
        for count in (1, 2):
            runs.setdefault(f"intcheck {count}", []).append(_workers_run(count, args))
            port = free_port()
            raws = [
                start(["--serve-raw-shared", str(port), str(answers)], pin=False)
                for _ in range(count)
            ]
            try:
                url = f"http://127.0.0.1:{port}" + GET_PATH
                runs.setdefault(f"raw {count}", []).append(
                    wrk(url, args.duration, args.connections, pin=False)
                )
            finally:
                for server in raws:
                    server.stop()
    print()
    row("raw aiohttp, 1 process, GET", runs["raw 1"])
    row("raw aiohttp, 2 processes, GET", runs["raw 2"], runs["raw 1"], "1 process")
    row("intcheck mock --workers 1, GET", runs["intcheck 1"])
    row("intcheck mock --workers 2, GET", runs["intcheck 2"], runs["intcheck 1"], "1 worker")


def _workers_run(count: int, args: argparse.Namespace) -> Run:
    """GET through ``intcheck mock --workers N`` (latency switched off through the admin API)."""
    port = free_port()
    command = [sys.executable, "-m", "intcheck", "--no-color", "mock", str(ROOT / "contracts")]
    command += ["--port", str(port), "--workers", str(count)]
    print("$", " ".join(command))
    proc = subprocess.Popen(command, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            with contextlib.suppress(OSError):
                fetch(base + "/__intcheck/")
                break
            time.sleep(0.1)
        off = json.dumps({"latency": {"fixed_ms": 0}}).encode()
        request = urllib.request.Request(
            base + "/__intcheck/behaviour/customer-master", data=off, method="PUT"
        )
        urllib.request.urlopen(request, timeout=10).read()
        time.sleep(1.0)  # the control file reaches every worker
        return wrk(base + GET_PATH, args.duration, args.connections, pin=False)
    finally:
        proc.terminate()
        proc.wait(15)


def corpus_startup() -> None:
    """Load and start time of the three biggest corpus specs."""
    from intcheck.contracts import load_plan
    from intcheck.mock.server import MockServer

    specs = sorted(CORPUS.glob("*"), key=lambda p: p.stat().st_size, reverse=True)[:3]
    print()
    for spec in specs:
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            plan = load_plan(corpus_plan(spec, Path(tmp)))
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
        fetch(url)
