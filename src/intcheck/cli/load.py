"""``intcheck load``: a Locust scenario from the contracts, its SLOs judged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from intcheck.cli.base import NO_COLOR_OPTION, TARGET_OPTION, cli, verdict, write
from intcheck.console import Output
from intcheck.errors import ExitCode
from intcheck.plugins import Registry


@cli.command()
@click.argument("scenario_path", metavar="SCENARIO", type=click.Path(path_type=Path))
@NO_COLOR_OPTION
@TARGET_OPTION
@click.option("--duration", help="Run this long instead (30s, 2m); stages scale with it.")
@click.option("--workers", type=click.IntRange(1, 64), help="A Locust master and N workers here.")
@click.option("--master", is_flag=True, help="Be the master for workers on other machines.")
@click.option("--expect-workers", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--worker", is_flag=True, help="Be a worker of the master at --master-host.")
@click.option("--master-host", help="The master's address (--worker), or where it binds.")
@click.option("--master-port", type=click.IntRange(1, 65535), default=5557, show_default=True)
@click.option("--web", is_flag=True, help="Locust's web UI at http://127.0.0.1:8089.")
@click.option(
    "--report-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("reports/load"),
    show_default=True,
)
@click.pass_obj
def load(out: Output, /, scenario_path: Path, targets: tuple[str, ...], **how: Any) -> ExitCode:
    """Run the load SCENARIO (load/*.yaml) with Locust; judge its SLOs; write reports."""
    from intcheck.console import load_table
    from intcheck.load.prepare import prepare
    from intcheck.load.runner import LoadOptions, run_load, topology_of
    from intcheck.load.scenario import load_scenario, seconds
    from intcheck.probe.runner import parse_targets

    topology = topology_of(**{k: how[k] for k in how if k not in ("duration", "report_dir")})
    registry = Registry.default()
    scenario = load_scenario(scenario_path, registry=registry)
    out.hide(scenario.plan.secrets)
    overrides = parse_targets(targets)
    prepared = prepare(scenario, targets=overrides, registry=registry)
    out.diagnostics(prepared.warnings)
    out.not_covered("intcheck load", prepared.uncovered)
    if topology.web:
        out.line(f"Locust's web UI: http://127.0.0.1:{topology.web_port} (Ctrl-C closes it)")
    if topology.mode == "worker":
        where = f"{topology.master_host}:{topology.master_port}"
        out.line(f"a Locust worker of the master at {where}, which writes the report")
    duration = seconds(how["duration"]) if how["duration"] else None
    options = LoadOptions(
        targets=overrides, duration_s=duration, topology=topology, report_dir=how["report_dir"]
    )
    with out.load_progress(duration or scenario.shape.duration_s) as progress:
        run = run_load(scenario, prepared, options, on_sample=progress.update)
    if run.report is None:  # a worker: its master reports
        return ExitCode.INTERRUPTED if run.interrupted else ExitCode.OK
    load_table(out, run.report.load[0])
    for result in run.report.results:
        out.result(result)
    written = write(out, scenario.plan, run.report, how["report_dir"])
    code = verdict(out, scenario.plan, run.report, written, "load")
    return ExitCode.INTERRUPTED if run.interrupted else code
