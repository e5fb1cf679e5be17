"""``run_demo``: the bundled example plan end to end, for a newcomer — and the go/no-go it gives.

It starts the plan's mocks on a free port, points every contract's target at them, and runs the
verbs' own library functions in order: probe, simulate, the key users' scenarios, a short load
run, and readiness over the reports they wrote. With ``broken`` it first switches faults on in
the mocks (a master-data service that fails one request in three, a slow screen pop, a SOAP
service that fails every other order lookup), so the same run ends in NO-GO and shows what
that looks like. It has no logic of its own beyond that wiring.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from intcheck.contracts import load_plan
from intcheck.kinds.simulating import SimulationOptions
from intcheck.mock.faults import parse_behaviour
from intcheck.mock.server import MockServer
from intcheck.probe import ProbeOptions, build_report, run_probe
from intcheck.probe.runner import utc_now
from intcheck.readiness import evaluate_readiness
from intcheck.readiness.writers import write_readiness
from intcheck.redact import Redactor
from intcheck.report.summary import summarize
from intcheck.report.writers import write_reports
from intcheck.scenario import ScenarioOptions, load_scenarios, run_scenarios
from intcheck.simulate import run_simulation

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from intcheck.model import Plan, Report, Result
    from intcheck.readiness import Readiness

# The folders the demo writes below its output folder, one per phase.
PHASES = ("probe", "simulate", "scenarios", "load", "readiness")
# Faults `--break` switches on: contract -> operation ("" for all) -> behaviour (admin API body).
BREAKAGE: Mapping[str, Mapping[str, Mapping[str, Any]]] = {
    "customer-master": {"": {"faults": {"rate": 0.35, "kinds": ["http_503"]}}},
    "order-service": {"GetOrder": {"faults": {"rate": 0.5, "kinds": ["http_500"]}}},
    "pbx-screen-pop": {"": {"latency": {"fixed_ms": 400}}},
}


@dataclass(slots=True)
class DemoRun:
    """What the demo did: each phase with its report folder, time and counts, and the verdict."""

    out: Path
    phases: list[tuple[str, Path, float, str]] = field(default_factory=list)
    readiness: Readiness | None = None
    readiness_files: list[Path] = field(default_factory=list)


async def run_demo(
    plan_path: Path,
    out: Path,
    *,
    scenarios: Path | None = None,
    broken: bool = False,
    say: Callable[[str], None] = lambda line: None,
) -> DemoRun:
    """Mock, probe, simulate, play scenarios, load and judge the plan at ``plan_path``."""
    plan = load_plan(plan_path)
    stories = load_scenarios(scenarios) if scenarios is not None and _exists(scenarios) else []
    run = DemoRun(out=out)
    for phase in PHASES:  # a report left by an earlier demo would count as this run's evidence
        shutil.rmtree(out / phase, ignore_errors=True)
    async with MockServer(plan) as mock:
        say(f"mocks of {len(mock.endpoints)} endpoints serving at {mock.url}")
        if broken:
            for contract, operations in BREAKAGE.items():
                for operation, behaviour in operations.items():
                    mock.behaviours.update(contract, operation, parse_behaviour(behaviour))
            say("--break: faults switched on in " + ", ".join(BREAKAGE))
        http = {c.name: f"{mock.url}/{c.name}" for c in plan.contracts}
        # a kind's own listener is probed where it listens (the email relay's smtp:// URL)
        own = {name: url for name, _, url in mock.endpoints if url.startswith("smtp")}
        probe_targets = {**http, **own}

        await _phase(run, plan, "probe", say, run_probe(
            plan, ProbeOptions(targets=probe_targets, insecure=True, artifacts=out / "probe")
        ))  # fmt: skip
        # the probe's writes (a DELETE of a dataset customer) must not leave the simulated
        # callers unknown to the CRM's mocks: the data back as loaded, the --break faults kept
        mock.store.reset()
        await _phase(run, plan, "simulate", say, run_simulation(
            plan, SimulationOptions(flows=12, concurrency=6, pace=0.05), targets=http,
            insecure=True, artifacts=out / "simulate",
        ))  # fmt: skip
        if stories:
            options = ScenarioOptions(targets=probe_targets, insecure=True)
            await _phase(run, plan, "scenarios", say, run_scenarios(stories, options))
    run.readiness = evaluate_readiness(plan, [out])
    run.readiness_files = write_readiness(run.readiness, out / "readiness")
    return run


async def _phase(
    run: DemoRun, plan: Plan, name: str, say: Callable[[str], None], results: AsyncIterator[Result]
) -> Report:
    """Collect one verb's results, write its report, and say how it went."""
    say(f"{name}…")
    started_at, started = utc_now(), time.monotonic()
    collected = [result async for result in results]
    kind = {"scenarios": "scenario"}.get(name, name)
    report = build_report(
        plan, collected, started_at=started_at, complete=True, targets={}, kind=kind
    )
    folder = run.out / name
    write_reports(report, folder, redactor=Redactor(plan.secrets))
    took = time.monotonic() - started
    counts = summarize(report).cases.sentence("case")
    run.phases.append((name, folder, took, counts))
    say(f"{name}: {counts} in {took:.1f} s; reports in {folder}")
    return report


def _exists(path: Path) -> bool:
    return path.exists()
