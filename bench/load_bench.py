"""``intcheck load`` next to plain Locust and wrk on one raw target; 1 against 2 Locust workers.

    python bench/load_bench.py [--duration 10] [--rounds 3] [--users 64]

The target is a minimal aiohttp server (``--serve``, on uvloop where installed) answering
``GET /ping`` with a small JSON body, pinned to CPU 0 with ``taskset``. Everything that makes
load is pinned to CPU 1 (children inherit the pinning):

* ``intcheck load`` with one Locust process: a one-step scenario on a REST contract whose
  OpenAPI document has ``GET /ping`` (written to a temporary folder), built by the REST kind;
* plain Locust: ``bench/locust_plain.py``, a FastHttpUser calling ``self.client.get("/ping")``;
* ``wrk -t1 -c USERS``: what the target can answer when the client costs almost nothing.

Requests/s is Locust's own figure for both Locust runs (requests over the span between the
first and the last request); wrk's is its own. Each round runs all three, the order rotating,
and the per-round ratio intcheck/plain is printed with the medians: a shared machine drifts.

Scaling: ``intcheck load --workers 1`` and ``--workers 2`` (a master and one or two workers),
also pinned to CPU 1. This machine has two cores and the target needs one, so both workers share
one core and no speed-up is possible here; what is measured instead is the CPU the whole load
side spends per 10,000 requests (intcheck, master and workers, from ``getrusage`` of the
children): when two workers cost per request what one costs, the distributed mode adds nothing
per request and requests/s grow with the cores given to workers. That CPU includes each
process's start (its imports, about a second), so more processes weigh a little more. On a
machine with more cores, ``--load-cpus 1-3`` gives the load side three of them.

Where nginx is installed (``apt-get install nginx-light``), scaling is also measured for real:
nginx answers the same bytes from C at a few percent of a core (wrk gets about 80,000
requests/s from it here), so both cores can go to the load side, unpinned, and ``--workers 2``
against ``--workers 1`` shows what a second core gives. nginx runs from a configuration in a
temporary folder (no system service), and is stopped by its PID.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLAIN = ROOT / "bench" / "locust_plain.py"
BODY = b'{"status":"ok","service":"raw"}'


def serve(port: int) -> None:
    """The raw target: aiohttp, one route, the same bytes every time."""
    from aiohttp import web

    async def ping(request: web.Request) -> web.Response:
        return web.Response(body=BODY, content_type="application/json")

    app = web.Application()
    app.router.add_get("/ping", ping)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None, backlog=4096)


def write_plan(folder: Path, port: int, users: int, duration: float) -> Path:
    """A plan with one REST contract on the raw target, and a one-step scenario for it."""
    (folder / "plan.yaml").write_text("name: raw target\nintegrations:\n  - contract: raw.yaml\n")
    (folder / "raw.yaml").write_text(
        f"kind: rest\nname: raw\nspec: raw.openapi.yaml\ntarget: http://127.0.0.1:{port}\n"
    )
    (folder / "raw.openapi.yaml").write_text(
        textwrap.dedent(
            """\
            openapi: 3.0.3
            info: {title: raw, version: "1"}
            paths:
              /ping:
                get:
                  operationId: ping
                  responses:
                    "200":
                      description: ok
                      content:
                        application/json:
                          schema: {type: object}
            """
        )
    )
    scenario = folder / "ping.yaml"
    scenario.write_text(
        textwrap.dedent(
            f"""\
            name: ping
            plan: ./
            flows:
              - name: ping
                steps:
                  - operation: raw:ping
            shape: {{users: {users}, spawn_rate: {users}, duration: {duration}s}}
            """
        )
    )
    return scenario


LOAD_CPUS = ["1"]  # where the load side runs (--load-cpus)


def pinned(cpu: str, command: list[str]) -> list[str]:
    return ["taskset", "-c", cpu, *command]


def cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_intcheck(scenario: Path, report: Path, *extra: str) -> tuple[float, float]:
    """(requests/s, load-side CPU seconds per 10k requests) of one ``intcheck load`` run."""
    cpu = LOAD_CPUS[0]
    command = [sys.executable, "-m", "intcheck", "--no-color", "load", str(scenario)]
    command += ["--report-dir", str(report), *extra]
    print("   $", " ".join(pinned(cpu, command)), flush=True)
    before = cpu_of_children()
    subprocess.run(pinned(cpu, command), check=True, stderr=subprocess.DEVNULL, timeout=600)
    spent = cpu_of_children() - before
    load = json.loads((report / "report.json").read_text())["load"][0]
    return float(load["rps"]), spent / max(load["requests"], 1) * 10_000


def run_plain(port: int, users: int, duration: float, folder: Path) -> float:
    """Requests/s of plain Locust (Locust's own total RPS from its --json-file)."""
    stats = folder / "plain"
    command = [sys.executable, "-m", "locust", "-f", str(PLAIN), "--headless", "--only-summary"]
    command += ["-u", str(users), "-r", str(users), "-t", f"{int(duration)}s"]
    command += ["-H", f"http://127.0.0.1:{port}", "--json-file", str(stats)]
    print("   $", " ".join(pinned(LOAD_CPUS[0], command)), flush=True)
    subprocess.run(pinned(LOAD_CPUS[0], command), check=True, capture_output=True, timeout=600)
    entries = json.loads(stats.with_suffix(".json").read_text())
    requests = sum(e["num_requests"] for e in entries)
    span = max(e["last_request_timestamp"] for e in entries) - min(e["start_time"] for e in entries)
    return requests / span


def run_wrk(port: int, users: int, duration: float) -> float:
    command = ["wrk", "-t1", f"-c{users}", f"-d{int(duration)}s", f"http://127.0.0.1:{port}/ping"]
    print("   $", " ".join(pinned(LOAD_CPUS[0], command)), flush=True)
    cpu = LOAD_CPUS[0]
    out = subprocess.run(pinned(cpu, command), check=True, capture_output=True, text=True).stdout
    match = re.search(r"Requests/sec:\s+([0-9.]+)", out)
    assert match is not None, out
    return float(match.group(1))


NGINX_CONF = """\
worker_processes 1;
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {folder}/body;
  proxy_temp_path {folder}/proxy;
  fastcgi_temp_path {folder}/fastcgi;
  uwsgi_temp_path {folder}/uwsgi;
  scgi_temp_path {folder}/scgi;
  keepalive_requests 1000000;
  server {{
    listen 127.0.0.1:{port};
    location /ping {{ default_type application/json; return 200 '{body}'; }}
  }}
}}
"""


def scaling_on_nginx(args: argparse.Namespace, folder: Path) -> None:
    """``--workers 1`` against ``--workers 2`` on every core, the target nginx (almost free)."""
    nginx = shutil.which("nginx")
    if nginx is None:
        print("\nscaling on nginx: skipped, nginx is not installed (apt-get install nginx-light)")
        return
    port = args.port + 1
    conf = folder / "nginx.conf"
    conf.write_text(NGINX_CONF.format(folder=folder, port=port, body=BODY.decode()))
    print(f"\nscaling on every CPU, the target nginx on 127.0.0.1:{port}:", flush=True)
    target = subprocess.Popen(
        [nginx, "-c", str(conf), "-p", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    every = f"0-{(os.cpu_count() or 1) - 1}"
    try:
        wait_ready(port)
        scenario = write_plan(folder / "nginx-plan", port, args.users, args.duration)
        runs: dict[str, list[float]] = {"1": [], "2": []}
        for round_number in range(args.rounds):
            for workers in ("1", "2") if round_number % 2 == 0 else ("2", "1"):
                LOAD_CPUS[0] = every
                report = folder / f"report-nginx-w{workers}"
                value, _ = run_intcheck(scenario, report, "--workers", workers)
                runs[workers].append(value)
                print(f"     --workers {workers}: {value:,.0f} requests/s", flush=True)
        scaling = [two / one for one, two in zip(runs["1"], runs["2"], strict=True)]
        print(
            f"  --workers 1 {statistics.median(runs['1']):,.0f}, --workers 2 "
            f"{statistics.median(runs['2']):,.0f} requests/s: "
            f"{statistics.median(scaling):.2f}x  per round: "
            + ", ".join(f"{r:.2f}" for r in scaling)
        )
    finally:
        target.terminate()
        target.wait(10)
        LOAD_CPUS[0] = args.load_cpus


def wait_ready(port: int) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--users", type=int, default=64)
    parser.add_argument("--port", type=int, default=18089)
    parser.add_argument("--load-cpus", default="1", help="taskset CPU list of the load side")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    LOAD_CPUS[0] = args.load_cpus
    if args.serve:
        serve(args.serve)
        return
    print(f"machine: {os.cpu_count()} CPUs, shared with other work; target pinned to CPU 0,")
    print(f"load side to CPU {args.load_cpus}; medians over rounds, ratios per round.\n")
    server = subprocess.Popen(
        pinned("0", [sys.executable, __file__, "--serve", str(args.port)]),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_ready(args.port)
        with tempfile.TemporaryDirectory(prefix="load-bench-") as temporary:
            folder = Path(temporary)
            scenario = write_plan(folder, args.port, args.users, args.duration)
            figures: dict[str, list[float]] = {}
            for round_number in range(args.rounds):
                print(f"round {round_number + 1}/{args.rounds}", flush=True)
                order = ["intcheck", "plain", "wrk", "w1", "w2"]
                shift = round_number % 3
                order = order[shift:3] + order[:shift] + order[3:]
                for name in order:
                    report = folder / f"report-{name}"
                    if name == "intcheck":
                        value, cpu = run_intcheck(scenario, report)
                        figures.setdefault("cpu local", []).append(cpu)
                    elif name == "plain":
                        value = run_plain(args.port, args.users, args.duration, folder)
                    elif name == "wrk":
                        value = run_wrk(args.port, args.users, args.duration)
                    else:
                        workers = name[1]
                        value, cpu = run_intcheck(scenario, report, "--workers", workers)
                        figures.setdefault(f"cpu {name}", []).append(cpu)
                    figures.setdefault(name, []).append(value)
                    print(f"     {name}: {value:,.0f} requests/s", flush=True)
            report_figures(figures)
            (folder / "nginx-plan").mkdir()
            scaling_on_nginx(args, folder)
    finally:
        server.terminate()
        server.wait(10)


def report_figures(figures: dict[str, list[float]]) -> None:
    med = {name: statistics.median(values) for name, values in figures.items()}
    ratios = [i / p for i, p in zip(figures["intcheck"], figures["plain"], strict=True)]
    scaling = [two / one for one, two in zip(figures["w1"], figures["w2"], strict=True)]
    cost = [two / one for one, two in zip(figures["cpu w1"], figures["cpu w2"], strict=True)]
    print("\nrequests/s against the raw aiohttp target (median):")
    print(f"  wrk -t1                        {med['wrk']:>9,.0f}")
    print(f"  plain Locust FastHttpUser      {med['plain']:>9,.0f}")
    print(f"  intcheck load (one process)    {med['intcheck']:>9,.0f}")
    print(
        f"  intcheck / plain Locust        {statistics.median(ratios):>9.0%}   per round: "
        + ", ".join(f"{r:.0%}" for r in ratios)
    )
    print(f"  intcheck load --workers 1      {med['w1']:>9,.0f}")
    print(f"  intcheck load --workers 2      {med['w2']:>9,.0f}")
    print(
        f"  2 workers / 1 worker           {statistics.median(scaling):>9.2f}x  per round: "
        + ", ".join(f"{s:.2f}" for s in scaling)
    )
    print("load-side CPU seconds per 10,000 requests (intcheck + Locust master + workers):")
    print(
        f"  one process {med['cpu local']:.2f}, 1 worker {med['cpu w1']:.2f}, "
        f"2 workers {med['cpu w2']:.2f}; 2 workers / 1 worker: {statistics.median(cost):.2f}"
    )


if __name__ == "__main__":
    main()
