"""The Locust side of ``intcheck load``: the only module that imports Locust.

Locust runs it (``python -m locust -f <this file>``) in its own processes — local, master or
worker — and gevent's monkey-patching stays there, away from intcheck's asyncio code. It
imports nothing of intcheck: everything it needs is in the handoff file the parent wrote (the
path is in ``INTCHECK_LOAD_HANDOFF``): every request already built, the flows, the shape, the
SLOs that abort the run.

On the master (or the single local process) a sampler greenlet writes one line a second to the
progress file (users, RPS, p50/p95, failures) for the parent's live line and the report's
series, stops the run when an ``abort`` SLO is breached after the warm-up, and stops it when
the parent is gone. At exit it writes the outcome file: Locust's error table, the requests
each worker sent, and why the run stopped early, if it did. Locust's own ``--json-file``
carries the per-operation statistics.
"""

from __future__ import annotations

import base64
import json
import os
import random
import signal
import time
from pathlib import Path
from typing import Any

import gevent
import locust
from locust import FastHttpUser, LoadTestShape, events, task
from locust.contrib.fasthttp import LocustBadStatusCode
from locust.runners import MasterRunner, WorkerRunner

HANDOFF: dict[str, Any] = json.loads(Path(os.environ["INTCHECK_LOAD_HANDOFF"]).read_text("utf-8"))
STAGES: list[tuple[float, int, float]] = [(s[0], s[1], s[2]) for s in HANDOFF["stages"]]
PEAK_USERS = max(users for _, users, _ in STAGES)
REQUESTS = [
    (name, method, url, headers, base64.b64decode(body) or None, frozenset(ok))
    for name, method, url, headers, body, ok in HANDOFF["requests"]
]
FLOWS = [
    (
        [tuple(pause) for pause in flow["think"]],
        [[[REQUESTS[i] for i in step] for step in run] for run in flow["runs"]],
    )
    for flow in HANDOFF["flows"]
]
CUMULATIVE: list[float] = []
for _flow in HANDOFF["flows"]:
    CUMULATIVE.append((CUMULATIVE[-1] if CUMULATIVE else 0.0) + float(_flow["weight"]))
SAMPLE_S = 1.0
STATE: dict[str, Any] = {"aborted": None, "workers": {}, "peak_users": 0}


RATE = float(HANDOFF["arrival_rate"] or 0)
INTERVAL = PEAK_USERS / RATE if RATE else 0.0  # one user's time between two flow starts
WAIT = (float(HANDOFF["wait"][0]), float(HANDOFF["wait"][1]))


def _failure(error: BaseException | None) -> str:
    """A failure's kind, short and stable, so Locust's error table groups it."""
    name = type(error).__name__ if error is not None else "no answer"
    text = str(error).lower()
    if "refused" in text or isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if "reset" in text or isinstance(error, ConnectionResetError):
        return "connection reset"
    if "timeout" in name.lower() or "timed out" in text:
        return "timeout"
    if "closed" in text or "ConnectionClosed" in name:
        return "connection closed"
    if "Parse" in name:
        return "malformed answer"
    return name


class IntcheckUser(FastHttpUser):
    """A user (an agent, a system) running the scenario's flows, picked by weight."""

    host = "http://127.0.0.1"  # every prepared request carries its absolute URL
    network_timeout = float(HANDOFF["timeout_s"])
    connection_timeout = float(HANDOFF["timeout_s"])
    next_start = 0.0

    def on_start(self) -> None:
        if RATE:
            # Each user's first flow at a random point of its interval: without it every user
            # starts one the moment it spawns, a burst far above the arrival rate.
            self.next_start = time.monotonic() + random.uniform(0, INTERVAL)
            gevent.sleep(max(0.0, self.next_start - time.monotonic()))

    def wait_time(self) -> float:
        """With an arrival rate, until this user's next start on its own fixed schedule
        (Locust's constant_pacing would restart every user's schedule at its spawn, so all
        users' second flows would come at once); else the scenario's pause."""
        if not RATE:
            return random.uniform(*WAIT) if WAIT[1] > 0 else 0.0
        now = time.monotonic()
        self.next_start += INTERVAL
        if self.next_start < now - INTERVAL:
            self.next_start = now  # far behind a slow target: no burst to catch up
        return max(0.0, self.next_start - now)

    @task
    def run_flow(self) -> None:
        pauses, runs = random.choices(FLOWS, cum_weights=CUMULATIVE)[0]
        run = random.choice(runs)
        last = len(run) - 1
        for position, variants in enumerate(run):
            self.send(random.choice(variants))
            low, high = pauses[position]
            if position < last and high > 0:
                gevent.sleep(random.uniform(low, high))

    def send(self, request: tuple[Any, ...]) -> None:
        name, method, url, headers, body, ok = request
        with self.client.request(
            method,
            url,
            name=name,
            data=body,
            headers=headers,
            catch_response=True,
            allow_redirects=False,
        ) as response:
            status = response.status_code
            broken = response.request_meta.get("exception")
            if not status:
                response.failure(_failure(getattr(response, "error", None)))
            elif broken is not None and not isinstance(broken, LocustBadStatusCode):
                response.failure(_failure(broken))  # the answer began but broke off
            elif status in ok if ok else status < 400:
                response.success()
            else:
                response.failure(f"status {status}")


class IntcheckShape(LoadTestShape):
    """The scenario's stages: users and spawn rate until each stage's end, then stop."""

    def tick(self) -> tuple[int, float] | None:
        now = self.get_run_time()
        for end, users, spawn_rate in STAGES:
            if now < end:
                return users, spawn_rate
        return None


@events.init.add_listener
def _on_init(environment: Any, runner: Any, **_: Any) -> None:
    # Locust installs its SIGTERM handler only once a headless shape run is over; until then
    # SIGTERM would kill it without its statistics. Quitting the runner ends the run as the
    # shape's end does, and Locust writes everything on its way out.
    gevent.signal_handler(signal.SIGTERM, lambda: gevent.spawn(runner.quit))
    if isinstance(runner, WorkerRunner):
        return
    if isinstance(runner, MasterRunner):
        environment.events.worker_report.add_listener(_count_worker)
    gevent.spawn(_sample, environment)


def _count_worker(client_id: str, data: dict[str, Any], **_: Any) -> None:
    """Requests per worker: each report carries the worker's requests since its last one."""
    total = data.get("stats_total") or {}
    counts = STATE["workers"]
    counts[client_id] = counts.get(client_id, 0) + int(total.get("num_requests", 0))


def _sample(environment: Any) -> None:
    runner = environment.runner
    path = Path(HANDOFF["progress"])
    # A master hears from its workers every few seconds: rates over a window that long.
    window = 3 if isinstance(runner, MasterRunner) else 1
    history: list[tuple[float, int, int]] = []
    deadline = time.monotonic() + STAGES[-1][0] + HANDOFF["startup_s"]  # the backstop
    with path.open("a", encoding="utf-8") as out:
        while True:
            gevent.sleep(SAMPLE_S)
            now = time.monotonic()
            started = STATE.get("started")
            if started is not None and not STATE.get("stopped"):
                total = environment.stats.total
                history.append((now, total.num_requests, total.num_failures))
                then = history[max(0, len(history) - 1 - window)] if len(history) > 1 else None
                elapsed = max(now - then[0], 1e-6) if then else max(now - started, 1e-6)
                users = runner.user_count
                STATE["peak_users"] = max(STATE["peak_users"], users)
                sample = {
                    "t_s": round(now - started, 3),
                    "users": users,
                    "rps": round((total.num_requests - (then[1] if then else 0)) / elapsed, 3),
                    "failures_per_s": round(
                        (total.num_failures - (then[2] if then else 0)) / elapsed, 3
                    ),
                    "p50_ms": total.get_current_response_time_percentile(0.5) or 0,
                    "p95_ms": total.get_current_response_time_percentile(0.95) or 0,
                    "requests": total.num_requests,
                    "failures": total.num_failures,
                    "state": runner.state,
                }
                out.write(json.dumps(sample) + "\n")
                out.flush()
            elapsed_run = now - started if started is not None else 0.0
            reason = _breach(environment, elapsed_run) if started is not None else None
            reason = reason or _orphaned() or _overdue(now, deadline)
            if reason is not None and STATE["aborted"] is None:
                STATE["aborted"] = reason
                gevent.spawn(runner.quit)


@events.test_start.add_listener
def _on_test_start(environment: Any, **_: Any) -> None:
    STATE.setdefault("started", time.monotonic())


def _breach(environment: Any, elapsed_s: float) -> dict[str, Any] | None:
    """The first ``abort`` SLO breached so far, judged on Locust's statistics of the run."""
    if elapsed_s < HANDOFF["warm_up_s"]:
        return None
    for slo in HANDOFF["abort"]:
        entry = environment.stats.total
        if slo["operation"]:
            named = [e for e in environment.stats.entries.values() if e.name == slo["operation"]]
            if not named:
                continue
            entry = named[0]
        if entry.num_requests < 20:
            continue  # a handful of requests decides nothing
        figure = _figure(entry, slo["figure"])
        if figure is None:
            continue
        low = slo["figure"] == "min_rps"
        if (figure < slo["limit"]) if low else (figure > slo["limit"]):
            return {**slo, "value": figure, "t_s": round(elapsed_s, 1), "reason": "slo"}
    return None


def _figure(entry: Any, figure: str) -> float | None:
    if figure.endswith("_ms") and figure.startswith("p"):
        return float(entry.get_response_time_percentile(int(figure[1:3]) / 100))
    if figure == "max_ms":
        return float(entry.max_response_time)
    if figure == "error_rate":
        return float(entry.fail_ratio)
    if figure == "min_rps":
        return None  # throughput is judged over the whole run, never live
    return None


def _orphaned() -> dict[str, Any] | None:
    """The intcheck process that started us is gone: stop rather than load a target for nobody."""
    if os.getppid() != HANDOFF["parent_pid"]:
        return {"reason": "parent-gone"}
    return None


def _overdue(now: float, deadline: float) -> dict[str, Any] | None:
    return {"reason": "overdue"} if now > deadline else None


@events.test_stop.add_listener
def _on_test_stop(environment: Any, **_: Any) -> None:
    if isinstance(environment.runner, WorkerRunner):
        return
    STATE["stopped"] = True  # the web UI stays up a while: no more samples of an idle run
    with Path(HANDOFF["progress"]).open("a", encoding="utf-8") as out:
        out.write(json.dumps({"state": "stopped"}) + "\n")


@events.quit.add_listener
def _on_quit(exit_code: int, **_: Any) -> None:
    runner = _RUNNER[0] if _RUNNER else None
    if runner is None or isinstance(runner, WorkerRunner):
        return
    outcome = {
        "errors": list(runner.stats.serialize_errors().values()),
        "workers": STATE["workers"],
        "worker_count": len(STATE["workers"]),
        "aborted": STATE["aborted"],
        "peak_users": STATE["peak_users"],
        "locust_version": locust.__version__,
        "exit_code": exit_code,
    }
    Path(HANDOFF["outcome"]).write_text(json.dumps(outcome), "utf-8")


_RUNNER: list[Any] = []


@events.init.add_listener
def _keep_runner(environment: Any, runner: Any, **_: Any) -> None:
    _RUNNER.append(runner)
