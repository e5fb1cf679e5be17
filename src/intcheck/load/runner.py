"""``run_load``: a prepared scenario run by Locust's processes, read back, judged, reported.

The parent writes the handoff file, starts the processes (``processes.py``), follows the
progress file the locustfile writes once a second (the live line), and stops everything at the
run's deadline or on Ctrl-C. Then it reads Locust's statistics and the outcome file, judges the
SLOs and builds the standard ``Report`` (``kind="load"``). A run cut short — Ctrl-C, the
deadline — still gets its report, marked incomplete. The temporary folder goes in any case;
Locust's own log is kept beside the report, redacted.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from intcheck.errors import LoadError, UsageError
from intcheck.load import slo, stats
from intcheck.load.prepare import write_handoff
from intcheck.load.processes import GRACE_S, LocustProcesses, Topology, free_port
from intcheck.plugins import not_covered
from intcheck.probe.runner import build_report, utc_now
from intcheck.redact import Redactor

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping
    from types import FrameType

    from intcheck.load.prepare import Prepared
    from intcheck.load.scenario import Scenario
    from intcheck.model import Report, Result

STARTUP_S = 60.0  # Locust's imports and, for a master, the handshake after its workers came


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadOptions:
    """How to run a scenario: targets, an overriding duration, which Locust processes."""

    targets: Mapping[str, str] = field(default_factory=dict)
    duration_s: float | None = None
    topology: Topology = field(default_factory=Topology)
    report_dir: Path = Path("reports")


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadRun:
    """What a run gave: the report (None on a worker, whose master reports) and why it ended."""

    report: Report | None
    figures: Mapping[str, stats.Figures]
    interrupted: bool = False
    stopped_early: str = ""  # why the run ended before its shape did, "" if it did not


def topology_of(
    *,
    workers: int | None = None,
    master: bool = False,
    expect_workers: int = 1,
    worker: bool = False,
    master_host: str | None = None,
    master_port: int = 5557,
    web: bool = False,
) -> Topology:
    """The Locust processes the command line asks for; UsageError for a contradiction."""
    if sum((workers is not None, master, worker)) > 1:
        raise UsageError("--workers, --master and --worker exclude each other")
    if master_host and not (master or worker):
        raise UsageError("--master-host goes with --master (where to bind) or --worker")
    if worker:
        if not master_host:
            raise UsageError("--worker needs --master-host HOST: the machine running --master")
        if web:
            raise UsageError("--web belongs to the master; a worker has no UI")
        return Topology(mode="worker", master_host=master_host, master_port=master_port)
    if master:
        host = master_host or "0.0.0.0"  # workers on other machines must reach it
        return Topology(
            mode="master",
            expect_workers=expect_workers,
            master_host=host,
            master_port=master_port,
            web=web,
        )
    if workers is not None:
        return Topology(
            mode="workers",
            workers=workers,
            expect_workers=workers,
            master_port=free_port(),  # loopback only, and never the port of another run
            web=web,
        )
    return Topology(web=web)


def run_load(
    scenario: Scenario,
    prepared: Prepared,
    options: LoadOptions,
    *,
    on_sample: Callable[[Mapping[str, Any]], None] = lambda sample: None,
) -> LoadRun:
    """Run ``prepared`` with Locust as ``options`` say; the Report judges every SLO."""
    shape = scenario.shape
    if options.duration_s is not None:
        shape = shape.lasting(options.duration_s)
    folder = Path(tempfile.mkdtemp(prefix="intcheck-load-"))
    try:
        progress, outcome_path = folder / "progress.jsonl", folder / "outcome.json"
        handoff = folder / "handoff.json"
        topology = options.topology
        startup = STARTUP_S
        if topology.mode in ("master", "workers", "worker"):
            startup += topology.workers_wait_s
        if topology.web:
            startup += 60.0  # --autoquit keeps the UI up a minute after the run
        budget = shape.duration_s + startup + GRACE_S
        write_handoff(
            handoff,
            scenario,
            prepared,
            shape,
            progress=progress,
            outcome=outcome_path,
            parent_pid=os.getpid(),
            startup_s=startup,
        )
        started = utc_now()
        env = {"INTCHECK_LOAD_HANDOFF": str(handoff)}
        with LocustProcesses(topology, folder=folder, env=env) as processes:
            samples, interrupted, overdue = _follow(processes, progress, budget, on_sample)
            processes.wait_all(GRACE_S if not (interrupted or overdue) else 0.0)
        if topology.mode == "worker":
            return LoadRun(report=None, figures={}, interrupted=interrupted)
        entries = _read_json(processes.json_file.with_suffix(".json"), [])
        if not entries and not interrupted and not overdue and not samples:
            raise LoadError("Locust ended without statistics:\n" + processes.log_tail())
        outcome: dict[str, Any] = _read_json(outcome_path, {})
        figures = stats.figures_of(entries, outcome.get("errors", []))
        aborted = outcome.get("aborted")
        stopped = _stopped_early(interrupted, overdue, aborted)
        results: list[Result] = [not_covered(c, "load") for c in prepared.uncovered]
        uncovered = {c.name: c.kind for c in prepared.uncovered}
        results += slo.judge(scenario, figures, aborted=aborted, uncovered=uncovered)
        complete = not interrupted and not overdue and stopped in ("", "slo")
        report = build_report(
            scenario.plan,
            results,
            started_at=started,
            complete=complete,
            targets=options.targets,
            kind="load",
        )
        summary = stats.summary(
            figures,
            entries=entries,
            samples=samples,
            users=int(outcome.get("peak_users") or shape.peak_users),
            duration_s=float(samples[-1]["t_s"]) if samples else 0.0,
            scenario=scenario.name,
        )
        environment = {
            **report.environment,
            "scenario": str(scenario.path),
            "locust": {
                "mode": topology.mode,
                "version": outcome.get("locust_version", ""),
                "workers": outcome.get("worker_count", 0),
                "requests_per_worker": outcome.get("workers", {}),
                "stopped_early": stopped,
            },
        }
        report = replace(report, load=(summary,), environment=environment)
        _keep_log(processes, options.report_dir, Redactor(scenario.plan.secrets))
        return LoadRun(
            report=report, figures=figures, interrupted=interrupted, stopped_early=stopped
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _follow(
    processes: LocustProcesses,
    progress: Path,
    budget_s: float,
    on_sample: Callable[[Mapping[str, Any]], None],
) -> tuple[list[dict[str, Any]], bool, bool]:
    """Hand each progress line to ``on_sample`` until the run ends, its time is up, or Ctrl-C
    (or SIGTERM, as CI cancels a job)."""
    samples: list[dict[str, Any]] = []
    deadline = time.monotonic() + budget_s
    offset, pending = 0, b""
    interrupted = overdue = finished = False
    try:
        with _sigterm_interrupts():
            while True:
                running = processes.running()
                if progress.exists():
                    with progress.open("rb") as handle:
                        handle.seek(offset)
                        chunk = handle.read()
                    offset += len(chunk)
                    *lines, pending = (pending + chunk).split(b"\n")
                    for line in lines:
                        sample = json.loads(line)
                        if "t_s" in sample:
                            samples.append(sample)
                            on_sample(sample)
                        finished = finished or sample.get("state") == "stopped"
                if not running:
                    break
                if time.monotonic() > deadline:
                    overdue = True
                    break
                time.sleep(0.25)
    except KeyboardInterrupt:
        # Ctrl-C once the run is over only closes the web UI early: the run is whole
        interrupted = not finished
        processes.stop()  # SIGTERM: Locust writes what it has before it goes
    if overdue:
        processes.stop()
    return samples, interrupted, overdue


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM raises KeyboardInterrupt meanwhile, so it too leaves a partial report."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    before = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


def _stopped_early(interrupted: bool, overdue: bool, aborted: Mapping[str, Any] | None) -> str:
    if interrupted:
        return "interrupted"
    if overdue:
        return "the run's time was up"
    if aborted:
        return str(aborted.get("reason", ""))
    return ""


def _read_json(path: Path, default: Any) -> Any:
    with contextlib.suppress(OSError, ValueError):
        return json.loads(path.read_text("utf-8"))
    return default


def _keep_log(processes: LocustProcesses, report_dir: Path, redactor: Redactor) -> None:
    """Locust's own log of the leading process, beside the report (secrets masked)."""
    report_dir.mkdir(parents=True, exist_ok=True)
    text = processes.leader.log.read_text("utf-8", "replace")
    (report_dir / "locust.log").write_text(redactor.text(text), "utf-8")
