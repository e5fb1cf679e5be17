"""Probe throughput: checked cases per second against a local intcheck mock of the example plan.

    python bench/probe_bench.py [--concurrency 32] [--rounds 20] [--server mock|test]
                                [--loop uvloop|asyncio]

The server runs in a child process (so it does not share the probe's core and GIL); the
probe repeats the example plan's REST and SOAP cases ``--rounds`` times in one run_probe call
per round and reports cases per second over all rounds. ``--server test`` uses the correct
mode of tests/servers/example_services.py instead of the mock. Both sides run on the loop the
CLI runs on (uvloop, ``intcheck/eventloop.py``) unless ``--loop asyncio`` says otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


async def _serve(kind: str) -> None:
    from intcheck.contracts import load_plan

    if kind == "mock":
        from dataclasses import replace

        from intcheck.mock.server import MockServer
        from intcheck.model import Latency

        plan = load_plan(ROOT / "contracts")
        # Measure the probe, not the mock's simulated latency.
        integrations = tuple(
            replace(
                i, contract=replace(i.contract, mock=replace(i.contract.mock, latency=Latency()))
            )
            for i in plan.integrations
        )
        plan = replace(plan, integrations=integrations)
        async with MockServer(plan, port=0) as mock:
            print(mock.url, flush=True)
            await asyncio.Event().wait()
    else:
        sys.path.insert(0, str(ROOT))
        from tests.servers.example_services import ExampleServices

        async with ExampleServices() as services:
            print(services.url, flush=True)
            await asyncio.Event().wait()


async def _bench(url: str, kind: str, concurrency: int, rounds: int) -> None:
    from intcheck.contracts import load_plan
    from intcheck.model import Status
    from intcheck.probe import ProbeOptions, plan_cases, run_probe

    plan = load_plan(ROOT / "contracts")
    if kind == "mock":
        targets = {n: f"{url}/{n}" for n in ("customer-master", "order-service")}
    else:
        targets = {"customer-master": f"{url}/customer-master", "order-service": url}
    options = ProbeOptions(
        only=("customer-master", "order-service"),  # the figures this bench has always shown
        targets=targets,
        concurrency=concurrency,
        timeout_s=10,
    )
    per_round = len(plan_cases(plan, options))
    counts = dict.fromkeys(Status, 0)
    started = time.perf_counter()
    for _ in range(rounds):
        async for result in run_probe(plan, options):
            counts[result.status] += 1
    took = time.perf_counter() - started
    cases = per_round * rounds
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(
        f"server: {kind} at {url} (child process); concurrency {concurrency}; cpus {os.cpu_count()}"
        f"; loop {type(asyncio.get_running_loop()).__module__}"
    )
    print(
        f"{cases} cases ({per_round} x {rounds} rounds), {sum(counts.values())} check results "
        f"in {took:.2f} s"
    )
    print("results: " + ", ".join(f"{n} {s.value}" for s, n in counts.items()))
    print(f"throughput: {cases / took:.0f} checked cases/s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--server", choices=("mock", "test"), default="mock")
    parser.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    from intcheck import eventloop

    run = eventloop.run if args.loop == "uvloop" else asyncio.run
    if args.serve:
        run(_serve(args.server))
        return
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--server", args.server, "--loop", args.loop],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert child.stdout is not None
        url = child.stdout.readline().strip()
        if not url.startswith("http"):
            raise SystemExit(f"server did not start: {url!r}")
        run(_bench(url, args.server, args.concurrency, args.rounds))
    finally:
        child.terminate()
        child.wait(10)


if __name__ == "__main__":
    main()
