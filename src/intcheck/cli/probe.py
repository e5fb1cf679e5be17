"""``intcheck probe``: the real endpoints checked against the contracts."""

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


@cli.command()
@PLAN_ARGUMENT
@NO_COLOR_OPTION
@click.option(
    "--only", multiple=True, metavar="NAME", help="Contract, operation or case id (globs)."
)
@TARGET_OPTION
@report_dir_option("reports/probe")
@click.option("--concurrency", type=click.IntRange(min=1), default=16, show_default=True)
@TIMEOUT_OPTION
@INSECURE_OPTION
@click.option(
    "--read-only",
    is_flag=True,
    help="Send nothing that changes data: no POST/PUT/PATCH/DELETE, no SOAP Create*/Update*/…",
)
@click.pass_obj
def probe(
    out: Output,
    path: Path,
    only: tuple[str, ...],
    targets: tuple[str, ...],
    report_dir: Path,
    concurrency: int,
    timeout_s: float,
    insecure: bool,
    read_only: bool,
) -> ExitCode:
    """Check the real endpoints against the contracts; write reports to --report-dir."""
    from intcheck.model import Report, Result
    from intcheck.probe import ProbeOptions, build_report, plan_cases, run_probe
    from intcheck.probe.runner import parse_targets, uncovered_contracts

    plan = load_plan(path)
    out.hide(plan.secrets)
    options = ProbeOptions(
        only=only,
        targets=parse_targets(targets),
        concurrency=concurrency,
        timeout_s=timeout_s,
        insecure=insecure,
        read_only=read_only,
        artifacts=report_dir,
    )
    cases = plan_cases(plan, options)  # bad --only/--target: exit 2 before any request
    out.not_covered("intcheck probe", uncovered_contracts(plan, options))
    results: list[Result] = []  # owned here, so Ctrl-C still leaves what was done

    async def collect() -> None:
        with out.probe_progress(len(cases)) as progress:
            async for result in run_probe(plan, options, cases):
                results.append(result)
                progress.update(result)

    def report_of(started: str, complete: bool) -> Report:
        return build_report(
            plan, results, started_at=started, complete=complete, targets=options.targets
        )

    return run_and_report(out, plan, collect(), report_of, report_dir, "probe")
