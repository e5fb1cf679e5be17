"""``intcheck probe``: the real endpoints checked against the contracts."""

from __future__ import annotations

from pathlib import Path

import click

from intcheck import eventloop
from intcheck.cli.base import NO_COLOR_OPTION, PLAN_ARGUMENT, cli, verdict, write
from intcheck.console import Output
from intcheck.contracts import load_plan
from intcheck.errors import ExitCode


@cli.command()
@PLAN_ARGUMENT
@NO_COLOR_OPTION
@click.option(
    "--only", multiple=True, metavar="NAME", help="Contract, operation or case id (globs)."
)
@click.option("--target", "targets", multiple=True, metavar="NAME=URL", help="Override a target.")
@click.option(
    "--report-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("reports/probe"),
    show_default=True,
)
@click.option("--concurrency", type=click.IntRange(min=1), default=16, show_default=True)
@click.option(
    "--timeout",
    "timeout_s",
    type=click.FloatRange(0, min_open=True),
    default=10.0,
    show_default=True,
)
@click.option("--insecure", is_flag=True, help="Do not verify TLS certificates.")
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
    from intcheck.model import Result
    from intcheck.probe import ProbeOptions, build_report, plan_cases, run_probe
    from intcheck.probe.runner import parse_targets, uncovered_contracts, utc_now

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

    started, complete = utc_now(), False
    try:
        eventloop.run(collect())
        complete = True
    finally:
        report = build_report(
            plan, results, started_at=started, complete=complete, targets=options.targets
        )
        written = write(out, plan, report, report_dir)
    return verdict(out, plan, report, written, "probe")
