"""``intcheck scenario run``: the key users' test scenarios, step by step."""

from __future__ import annotations

from pathlib import Path

import click

from intcheck.cli.base import (
    INSECURE_OPTION,
    NO_COLOR_OPTION,
    TARGET_OPTION,
    TIMEOUT_OPTION,
    cli,
    report_dir_option,
    run_and_report,
)
from intcheck.console import Output
from intcheck.errors import ExitCode


@cli.group()
@NO_COLOR_OPTION
def scenario() -> None:
    """Key users' test scenarios: stories across integrations (scenarios/*.yaml)."""


@scenario.command("run")
@click.argument("path", type=click.Path(path_type=Path), default=Path("scenarios"))
@NO_COLOR_OPTION
@click.option("--only", multiple=True, metavar="NAME", help="Play only this scenario.")
@TARGET_OPTION
@report_dir_option("reports/scenarios")
@TIMEOUT_OPTION
@INSECURE_OPTION
@click.pass_obj
def scenario_run(
    out: Output,
    path: Path,
    only: tuple[str, ...],
    targets: tuple[str, ...],
    report_dir: Path,
    timeout_s: float,
    insecure: bool,
) -> ExitCode:
    """Play the scenarios at PATH (a file or a folder) against the targets; write reports."""
    from intcheck.model import Report, Result
    from intcheck.probe.runner import build_report, parse_targets
    from intcheck.scenario import (
        Outcome,
        ScenarioOptions,
        load_scenarios,
        run_scenarios,
        shared_plan,
    )

    scenarios = load_scenarios(path)
    plan = shared_plan(scenarios, only)
    out.hide(plan.secrets)
    options = ScenarioOptions(
        only=only,
        targets=parse_targets(targets),
        timeout_s=timeout_s,
        insecure=insecure,
        artifacts=report_dir,
    )
    results: list[Result] = []  # owned here, so Ctrl-C still leaves what was done
    outcomes: list[Outcome] = []

    async def collect() -> None:
        async for result in run_scenarios(scenarios, options, outcomes):
            results.append(result)
            out.result(result)

    def report_of(started: str, complete: bool) -> Report:
        out.scenarios(outcomes)
        return build_report(
            plan,
            results,
            started_at=started,
            complete=complete,
            targets=options.targets,
            kind="scenario",
            environment={"scenarios": [o.as_dict() for o in outcomes]},
        )

    return run_and_report(out, plan, collect(), report_of, report_dir, "scenario")
