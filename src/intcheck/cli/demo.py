"""``intcheck demo``: the bundled example plan end to end, and its verdict."""

from __future__ import annotations

import time
from pathlib import Path

import click

from intcheck import eventloop
from intcheck.cli.base import NO_COLOR_OPTION, PLAN_ARGUMENT, cli
from intcheck.console import Output
from intcheck.errors import ExitCode


@cli.command()
@PLAN_ARGUMENT
@NO_COLOR_OPTION
@click.option("--break", "broken", is_flag=True, help="Switch faults on in the mocks: see a NO-GO.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    # beside reports/, not in it: `intcheck readiness --reports reports/` weighs your own runs,
    # never the demo's runs against intcheck's own mocks
    default=Path("demo-reports"),
    show_default=True,
)
@click.option(
    "--scenarios",
    type=click.Path(path_type=Path),
    default=Path("scenarios"),
    show_default=True,
    help="The key users' scenarios to play.",
)
@click.option(
    "--load",
    "load_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=Path("load/peak-hour.yaml"),
    show_default=True,
    help="The load scenario to run, briefly.",
)
@click.option(
    "--load-seconds",
    type=click.FloatRange(1),
    default=20.0,
    show_default=True,
    help="How long the load runs (its SLOs ignore the first 5 s).",
)
@click.pass_obj
def demo(
    out: Output,
    path: Path,
    broken: bool,
    out_dir: Path,
    scenarios: Path,
    load_path: Path,
    load_seconds: float,
) -> ExitCode:
    """The example plan end to end: mocks, probe, simulate, scenarios, load, and the verdict."""
    from intcheck.demo import run_demo

    started = time.monotonic()
    load = load_path if load_path.exists() else None
    run = eventloop.run(
        run_demo(
            path,
            out_dir,
            scenarios=scenarios,
            load=load,
            load_s=load_seconds,
            broken=broken,
            say=out.line,
        )
    )
    assert run.readiness is not None  # run_demo always judges
    if run.scenarios:
        out.scenarios(run.scenarios)
    out.readiness(run.readiness, [str(p) for p in run.readiness_files])
    out.line(f"demo done in {time.monotonic() - started:.0f} s")
    return run.readiness.exit_code
