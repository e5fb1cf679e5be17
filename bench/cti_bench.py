"""CTI: screen-pop latency of a simulated peak, and the simulator's calls per second on one core.

    python bench/cti_bench.py [--calls 500] [--concurrency 50] [--rounds 3]

The example plan's mock (the CRM-side receiver of ``pbx-screen-pop``) runs in a child process
started under ``taskset -c 1``; the simulator runs in this process, pinned to CPU 0 with
``os.sched_setaffinity`` (what ``taskset -c 0`` does), so each side has one core of its own.
A peak is ``--calls`` call flows (answered, missed, abandoned, transferred; known, unknown and
withheld callers in every number form), ``--concurrency`` of them at once, back to back
(``--pace 0``): each call sends its events in order as fast as the receiver answers.

Printed per round and as medians: the screen-pop latency the simulator measured on the pop
events (p50/p95/p99, the ``screen_pop_p95_within_sla`` result), the simulator's calls and
callbacks per second of wall time, and calls per CPU-second of the simulator's process (the
figure a shared machine moves least), and the mock's CPU time per callback (from ``/proc``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SIMULATOR_CPU, MOCK_CPU = 0, 1


async def _serve() -> None:
    from intcheck.contracts import load_plan
    from intcheck.mock.server import MockServer
    from intcheck.mock.serving import freeze_heap

    plan = load_plan(ROOT / "contracts")
    async with MockServer(plan, port=0) as mock:
        freeze_heap()
        print(mock.url, flush=True)
        await asyncio.Event().wait()


async def _round(url: str, calls: int, concurrency: int, seed: int) -> dict[str, Any]:
    from intcheck.contracts import load_plan
    from intcheck.model import Status
    from intcheck.simulate import SimulationOptions, run_simulation

    plan = load_plan(ROOT / "contracts")
    options = SimulationOptions(flows=calls, concurrency=concurrency, pace=0, seed=seed)
    targets = {"pbx-screen-pop": f"{url}/pbx-screen-pop"}
    wall, cpu = time.perf_counter(), time.process_time()
    results = [
        r async for r in run_simulation(plan, options, only=("pbx-screen-pop",), targets=targets)
    ]
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    (latency,) = [r for r in results if r.check == "screen_pop_p95_within_sla"]
    assert latency.evidence is not None
    details = dict(latency.evidence.details)
    callbacks = len({r.case for r in results if "#call-" in r.case})
    bad = sum(1 for r in results if r.status in (Status.FAILED, Status.ERRORED))
    return {**details, "wall": wall, "cpu": cpu, "callbacks": callbacks, "bad": bad}


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU time of process ``pid`` (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return float(int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _bench(url: str, calls: int, concurrency: int, rounds: int, mock_pid: int) -> None:
    from intcheck import eventloop

    eventloop.run(_round(url, min(calls, 50), concurrency, seed=99))  # warm-up: imports, pools
    measured = []
    for number in range(rounds):
        before = _cpu_seconds(mock_pid)
        row = eventloop.run(_round(url, calls, concurrency, seed=number))
        row["mock_cpu"] = _cpu_seconds(mock_pid) - before
        measured.append(row)
        latency = f"p50 {row['p50_ms']:.1f} ms, p95 {row['p95_ms']:.1f} ms"
        print(
            f"round {number + 1}: screen pop {latency}, p99 {row['p99_ms']:.1f} ms over"
            f" {row['pops']} pops; {calls / row['wall']:.0f} calls/s,"
            f" {row['callbacks'] / row['wall']:.0f} callbacks/s, {calls / row['cpu']:.0f} calls per"
            f" CPU-second; mock {1e6 * row['mock_cpu'] / row['callbacks']:.0f} us CPU per"
            f" callback; {row['bad']} failed or errored results (latency over budget)"
        )

    def median(key: str) -> float:
        return statistics.median(r[key] for r in measured)

    per_wall = statistics.median(calls / r["wall"] for r in measured)
    per_cpu = statistics.median(calls / r["cpu"] for r in measured)
    callbacks = statistics.median(r["callbacks"] / r["wall"] for r in measured)
    mock_us = statistics.median(1e6 * r["mock_cpu"] / r["callbacks"] for r in measured)
    print(
        f"median of {rounds}: screen pop p50 {median('p50_ms'):.1f} ms, p95 {median('p95_ms'):.1f}"
        f" ms, p99 {median('p99_ms'):.1f} ms at {concurrency} concurrent calls;"
        f" simulator {per_wall:.0f} calls/s ({callbacks:.0f} callbacks/s) on one core,"
        f" {per_cpu:.0f} calls per CPU-second; the mock receiver {mock_us:.0f} us CPU per callback"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        from intcheck import eventloop

        eventloop.run(_serve())
        return
    taskset = shutil.which("taskset")
    pinned = [taskset, "-c", str(MOCK_CPU)] if taskset and (os.cpu_count() or 1) > 1 else []
    child = subprocess.Popen(
        [*pinned, sys.executable, __file__, "--serve"], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    try:
        if pinned:
            os.sched_setaffinity(0, {SIMULATOR_CPU})
        assert child.stdout is not None
        url = child.stdout.readline().strip()
        if not url.startswith("http"):
            raise SystemExit(f"mock did not start: {url!r}")
        print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
        where = (
            f"simulator on CPU {SIMULATOR_CPU} (os.sched_setaffinity, as taskset -c "
            f"{SIMULATOR_CPU}), mock on CPU {MOCK_CPU} (taskset -c {MOCK_CPU})"
            if pinned
            else "not pinned (taskset or a second CPU missing)"
        )
        print(
            f"mock {url} (example plan, child process); {args.calls} calls x {args.rounds} rounds,"
            f" {args.concurrency} at once, pace 0; {where}; load average {os.getloadavg()[0]:.1f}"
        )
        _bench(url, args.calls, args.concurrency, args.rounds, child.pid)
    finally:
        child.terminate()
        child.wait(10)


if __name__ == "__main__":
    main()
