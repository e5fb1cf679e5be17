"""Mock throughput next to raw aiohttp, RSS over a million requests, create rate over time.

    python bench/mock_bench.py [--duration 5] [--rounds 3] [--connections 32]
                               [--callgrind 2000] [--million] [--skip-workers]
                               [--skip-creates] [--skip-corpus] [--slices 6]
                               [--slice-seconds 4]

The servers run side by side pinned to CPU 0 (``taskset``); wrk runs pinned to CPU 1. Each
round measures, for every path, intcheck and the raw servers one after the other (the order
rotates between rounds), so all see the same machine; a shared machine drifts by tens of
percent within a minute, which is why medians over rounds and per-round ratios are printed.
intcheck runs on uvloop, as ``intcheck mock`` does (``intcheck/eventloop.py``), so raw aiohttp
runs twice: on uvloop (like for like: the ratio that counts) and on asyncio's own loop (how the
issues' reference figures were taken). The paths (``mock_servers.SCENARIOS``):

* REST ``GET /customer-master/customers/C000001``: parameters and credentials checked, the
  record read, the request journaled (the contract's simulated latency switched off);
* REST ``POST /customer-master/customers``: the JSON body validated, a record created;
* REST ``PATCH /customer-master/customers/C000002``: the body validated, the record changed;
* SOAP 1.1 ``GetOrder``: credentials, XSD validation (or the answer to the same bytes reused);
  then ``SOAP header``, with a trace header that differs on every request, as a WS-Security
  nonce does, so no answer is reused by its bytes, and ``SOAP varied``, whose Body prefix and
  order differ too, so no answer is reused by its Body either.

Raw aiohttp reads each body and answers intcheck's own answer bytes. Also printed: the server's
CPU time per request (from /proc; steadier than req/s), RSS before and after the rounds, and
with ``--million`` before and after 1,000,000 more requests of each kind (GET, POST, PATCH,
SOAP varied); the create rate over time slices on the example contract and on a third-party
OpenAPI document (``crm.yml`` of the corpus), whose rate must not fall as records pile up;
``intcheck mock --workers 2`` against one worker next to raw aiohttp in one and two processes
(unpinned); the load and start time of the biggest corpus specs. ``--callgrind N`` adds
instruction counts per request under valgrind for N sequential keep-alive requests of every
path: the one figure here that does not move with the machine's load (``--rounds 0
--skip-creates --skip-workers --skip-corpus --callgrind 1000`` measures only that). Beside
raw aiohttp it counts a "parser only" server (``mock_servers.serve_parser_only``): aiohttp's
C HTTP parser and the same answer bytes, with no web layer. What raw aiohttp costs above it
is aiohttp's web layer (Request, Response, router), which the mock runs on too; what intcheck
costs above it is the web layer plus intcheck's own work.

Needs ``wrk`` (``apt-get install -y wrk``), and valgrind for ``--callgrind``. Prints the
commands it runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
from pathlib import Path

from measure import (
    Run,
    control,
    fetch,
    journal_total,
    latest_total,
    lua,
    measured,
    row,
    sequential,
    wrk,
)
from mock_extra import corpus_startup, workers
from mock_servers import (
    CORPUS,
    SCENARIOS,
    Scenario,
    Server,
    corpus_plan,
    free_port,
    scratch,
    serve_intcheck,
    serve_parser_only,
    serve_raw,
    start,
)

RAWS = {"raw uvloop": "--serve-raw-uvloop", "raw asyncio": "--serve-raw"}
MILLION = ("GET", "POST", "PATCH", "SOAP varied")


def _answers(base: str, folder: Path) -> None:
    """intcheck's answer to each path, which the raw servers send back byte for byte."""
    folder.mkdir(exist_ok=True)
    for scenario in SCENARIOS.values():
        body = fetch(base + scenario.path, scenario.body, scenario.headers, scenario.method)
        (folder / scenario.answer).write_bytes(body)


def _pinned(args: argparse.Namespace, tmp: Path) -> None:
    """Every path: intcheck against raw aiohttp on both loops, alternating, ``--rounds`` times."""
    port = free_port()
    mock = start(["--serve-intcheck", str(port), str(tmp / "journal")])
    base = f"http://127.0.0.1:{port}"
    servers = [("intcheck", mock, base)]
    raws: dict[str, Server] = {}
    try:
        _answers(base, tmp / "answers")
        for label, option in RAWS.items():
            port = free_port()
            raws[label] = start([option, str(port), str(tmp / "answers")])
            servers.append((label, raws[label], f"http://127.0.0.1:{port}"))
        scripts = {name: lua(tmp, scenario) for name, scenario in SCENARIOS.items()}
        results: dict[tuple[str, str], list[Run]] = {}
        rss = [("at start", mock.rss_mb())]
        for round_no in range(args.rounds):
            for name, scenario in SCENARIOS.items():
                turn = round_no % len(servers)
                for label, server, url in servers[turn:] + servers[:turn]:
                    run = measured(
                        server, url + scenario.path, args.duration, args.connections, scripts[name]
                    )
                    results.setdefault((label, name), []).append(run)
        rss.append((f"after the rounds ({journal_total(base)} requests)", mock.rss_mb()))
        if args.million:
            for name in args.million_of.split(","):
                _million(mock, base, SCENARIOS[name], scripts[name], args, rss)
    finally:
        for server in raws.values():
            server.stop()
        mock.stop()
    if not args.rounds:  # --rounds 0: only the answers, for --callgrind
        return
    print()
    for name in SCENARIOS:
        ours, fast, slow = (results[(label, name)] for label in ("intcheck", *RAWS))
        row(f"raw aiohttp on uvloop, {name}", fast)
        row(f"raw aiohttp on asyncio, {name}", slow, fast, "raw on uvloop")
        row(f"intcheck (uvloop), {name}", ours, fast, "raw on uvloop")
        row("  the same, against raw on asyncio", ours, slow, "raw on asyncio")
    print("mock RSS: " + "; ".join(f"{mb:.1f} MiB {when}" for when, mb in rss))


def _million(
    mock: Server,
    base: str,
    scenario: Scenario,
    script: str | None,
    args: argparse.Namespace,
    rss: list[tuple[str, float]],
) -> None:
    """A million more requests of one kind; RSS before, after every minute, and after."""
    first = journal_total(base)
    before = mock.rss_mb()
    served, series = first, []
    while served < first + 1_000_000:
        wrk(base + scenario.path, 60, args.connections, script)
        served = journal_total(base)
        series.append(f"{(served - first) // 1000}k {mock.rss_mb():.1f}")
    after = mock.rss_mb()
    rss.append((f"after {served - first:,} × {scenario.name} (was {before:.1f})", after))
    print(f"RSS {before:.1f} -> {after:.1f} MiB over {served - first:,} {scenario.name}")
    print(f"  MiB after each minute: {', '.join(series)}", flush=True)


def _creates(args: argparse.Namespace, tmp: Path) -> None:
    """Creates per second in consecutive time slices: flat, however many records are held."""
    cases = [("example POST /customers", None, SCENARIOS["POST"])]
    crm = CORPUS / "crm.yml"
    if crm.is_file():
        folder = tmp / "crm"
        folder.mkdir()
        plan = corpus_plan(crm, folder)
        cases.append(("crm.yml POST /crm/contacts", plan, _crm_create(plan)))
    for label, plan, scenario in cases:
        port = free_port()
        journal = tmp / f"journal-{label.split()[0]}"
        server = start(["--serve-intcheck", str(port), str(journal), str(plan or "")])
        try:
            base = f"http://127.0.0.1:{port}"
            script = lua(tmp, scenario)
            rates = [
                measured(server, base + scenario.path, args.slice_seconds, args.connections, script)
                for _ in range(args.slices)
            ]
            held = journal_total(base)
        finally:
            server.stop()
        bad = sum(run.non_2xx for run in rates)
        print(f"\n{label}, {args.slice_seconds} s slices ({held:,} created in all)")
        print("  creates/s:        " + ", ".join(f"{run.rps:.0f}" for run in rates))
        # the server's own CPU time per create: steadier than req/s on a shared machine
        print("  server cpu us/req: " + ", ".join(f"{run.cpu_us:.0f}" for run in rates))
        print(
            f"  last slice {rates[-1].rps / rates[0].rps:.0%} of the first by rate, "
            f"{rates[0].cpu_us / rates[-1].cpu_us:.0%} by cpu" + (f"; NON-2xx {bad}" if bad else "")
        )


def _crm_create(plan: Path) -> Scenario:
    """A valid contact for crm.yml's create, made by the mock's own request generator."""
    from intcheck.contracts import load_plan
    from intcheck.kinds.rest.spec import Spec

    document = load_plan(plan).contracts[0].document
    compiled = Spec(getattr(document, "data", document), "big", 1)
    op = next(o for o in compiled.ops if o.method == "POST" and o.template == "/crm/contacts")
    assert op.body is not None
    validator, schema = op.body.media["application/json"]
    body = next(
        value
        for value in (compiled.request_generator.generate(schema) for _ in range(50))
        if validator is None or validator.is_valid(value)
    )
    headers = {"Content-Type": "application/json", "Authorization": "Bearer bench"}
    headers |= {"x-apideck-consumer-id": "bench", "x-apideck-app-id": "bench"}
    return Scenario("crm create", "POST", "/big/crm/contacts", json.dumps(body).encode(), headers)


def _callgrind(args: argparse.Namespace, tmp: Path) -> None:
    """Instructions per request under callgrind: intcheck and raw aiohttp, same requests."""
    if shutil.which("valgrind") is None:
        print("--callgrind: valgrind is not installed (apt-get install -y valgrind)")
        return
    counts: dict[tuple[str, str], int] = {}
    port = free_port()
    servers = {
        "intcheck": ["--serve-intcheck", str(port), str(tmp / "cg-journal")],
        **{label: [option, str(port), str(tmp / "answers")] for label, option in RAWS.items()},
        "parser only": ["--serve-parser-only", str(port), str(tmp / "answers")],
    }
    for label, server_args in servers.items():
        out = tmp / f"callgrind-{label.replace(' ', '-')}.out"
        tool = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}"]
        server = start(server_args, pin=False, tool=tool)
        try:
            for name, scenario in SCENARIOS.items():
                sequential(port, scenario, 50)  # warm every cache first
                for command in (["-z"], ["-i", "on"]):  # count from here on
                    control(server, *command)
                sequential(port, scenario, args.callgrind, start=50)
                control(server, "-d")  # dump, then read the dump
                control(server, "-i", "off")
                counts[(label, name)] = latest_total(out) // args.callgrind
        finally:
            server.stop()
    print(f"\ninstructions per request (callgrind, {args.callgrind} sequential requests each)")
    for name in SCENARIOS:
        ours, fast, slow, floor = (counts[(label, name)] for label in servers)
        print(
            f"  {name:<12} intcheck {ours:>9,}  raw on uvloop {fast:>9,} ({fast / ours:6.1%})"
            f"  raw on asyncio {slow:>9,} ({slow / ours:6.1%})"
            f"  parser only {floor:>9,} (aiohttp's web layer {fast - floor:,},"
            f" intcheck's own work {ours - fast:,})"
        )
    print(
        "  (parser only: aiohttp's C parser and the answer bytes, no web layer; raw aiohttp's"
        " cost above it is its web layer, which the mock runs on too)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per path")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--million", action="store_true", help="RSS over 1,000,000 of each kind")
    parser.add_argument(
        "--million-of", default=",".join(MILLION), help="the kinds --million sends, in turn"
    )
    parser.add_argument("--skip-workers", action="store_true", help="leave out the workers part")
    parser.add_argument("--skip-creates", action="store_true", help="leave out the create rate")
    parser.add_argument("--skip-corpus", action="store_true", help="leave out big-spec start-up")
    parser.add_argument("--slices", type=int, default=6, help="create-rate slices")
    parser.add_argument("--slice-seconds", type=int, default=4, help="seconds per slice")
    parser.add_argument(
        "--callgrind", type=int, default=0, metavar="N", help="instruction counts, N requests"
    )
    parser.add_argument("--serve-intcheck", nargs="+", metavar="ARG", help=argparse.SUPPRESS)
    for option in (
        "--serve-raw",
        "--serve-raw-uvloop",
        "--serve-raw-shared",
        "--serve-parser-only",
    ):
        parser.add_argument(option, nargs=2, metavar=("PORT", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    from intcheck import eventloop

    if args.serve_intcheck:  # on the loop `intcheck mock` runs on: PORT JOURNAL [PLAN]
        port, journal, *plan = args.serve_intcheck
        eventloop.run(serve_intcheck(int(port), journal, plan[0] if plan else ""))
        return
    if args.serve_parser_only:
        eventloop.run(
            serve_parser_only(int(args.serve_parser_only[0]), Path(args.serve_parser_only[1]))
        )
        return
    for option, shared, run in (
        (args.serve_raw, False, asyncio.run),
        (args.serve_raw_uvloop, False, eventloop.run),
        (args.serve_raw_shared, True, asyncio.run),
    ):
        if option:
            run(serve_raw(int(option[0]), Path(option[1]), reuse_port=shared))
            return

    print(f"cpus: {os.cpu_count()}, python {sys.version.split()[0]}")
    with scratch() as folder:
        tmp = Path(folder)
        _pinned(args, tmp)
        if not args.skip_creates:
            _creates(args, tmp)
        if not args.skip_workers:
            workers(args, tmp)
        if args.callgrind:
            _callgrind(args, tmp)
    if not args.skip_corpus:
        corpus_startup()


if __name__ == "__main__":
    main()
