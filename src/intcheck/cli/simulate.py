"""``intcheck simulate``: the other side (phone system, SMS gateway, mail) vs. the CRM."""

from __future__ import annotations

from pathlib import Path

import click

from intcheck.cli.base import (
    INSECURE_OPTION,
    NO_COLOR_OPTION,
    PLAN_ARGUMENT,
    TARGET_OPTION,
    TIMEOUT_OPTION,
    cli,
    report_dir_option,
    run_and_report,
)
from intcheck.console import Output
from intcheck.contracts import load_plan
from intcheck.errors import ExitCode
from intcheck.plugins import Registry


@cli.command()
@PLAN_ARGUMENT
@NO_COLOR_OPTION
@click.option("--only", multiple=True, metavar="NAME", help="Simulate only this contract.")
@TARGET_OPTION
@click.option(
    "--flows",
    "--calls",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="Call flows (CTI) or messages (SMS, email) per contract.",
)
@click.option("--concurrency", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("--chaos", is_flag=True, help="Also send duplicates, reordered and forged events.")
@click.option(
    "--pace",
    type=click.FloatRange(0),
    default=1.0,
    show_default=True,
    help="Scale of the gaps between a flow's events; 0 sends back to back.",
)
@click.option("--seed", default=0, show_default=True, help="Seed for callers, messages, timing.")
@report_dir_option("reports/simulate")
@TIMEOUT_OPTION
@INSECURE_OPTION
@click.pass_obj
def simulate(
    out: Output,
    path: Path,
    only: tuple[str, ...],
    targets: tuple[str, ...],
    flows: int,
    concurrency: int,
    chaos: bool,
    pace: float,
    seed: int,
    report_dir: Path,
    timeout_s: float,
    insecure: bool,
) -> ExitCode:
    """Play the other side (phone system, SMS gateway, mail) against the CRM; write reports."""
    from intcheck.model import Report, Result
    from intcheck.probe.runner import build_report, parse_targets
    from intcheck.simulate import SimulationOptions, run_simulation, selected_contracts

    registry = Registry.default()
    plan = load_plan(path, registry=registry)
    out.hide(plan.secrets)
    overrides = parse_targets(targets)
    chosen = selected_contracts(plan, only=only, targets=overrides, registry=registry)
    out.not_covered(
        "intcheck simulate",
        [c for c in registry.uncovered(plan, "simulate") if not only or c.name in only],
    )
    options = SimulationOptions(
        flows=flows, concurrency=concurrency, chaos=chaos, seed=seed, timeout_s=timeout_s, pace=pace
    )
    results: list[Result] = []  # owned here, so Ctrl-C still leaves what was done

    async def collect() -> None:
        with out.simulation_progress([c.name for c in chosen]) as progress:
            async for result in run_simulation(
                plan,
                options,
                only=only,
                targets=overrides,
                insecure=insecure,
                registry=registry,
                artifacts=report_dir,
            ):
                results.append(result)
                progress.update(result)

    def report_of(started: str, complete: bool) -> Report:
        return build_report(
            plan, results, started_at=started, complete=complete, targets=overrides, kind="simulate"
        )

    return run_and_report(out, plan, collect(), report_of, report_dir, "simulate")
