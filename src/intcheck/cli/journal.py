"""``intcheck verify-journal``: what a mock judged, as the standard reports."""

from __future__ import annotations

from pathlib import Path

import click

from intcheck import eventloop
from intcheck.cli.base import NO_COLOR_OPTION, PLAN_ARGUMENT, cli, write
from intcheck.console import Output
from intcheck.contracts import load_plan
from intcheck.errors import ExitCode


@cli.command("verify-journal")
@PLAN_ARGUMENT
@NO_COLOR_OPTION
@click.option("--journal", required=True, metavar="DIR|URL", help="mock --journal DIR, or its URL.")
@click.option("--only", multiple=True, metavar="NAME", help="Verify only this contract.")
@click.option(
    "--report-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("reports/journal"),
    show_default=True,
)
@click.pass_obj
def verify_journal(
    out: Output, path: Path, journal: str, only: tuple[str, ...], report_dir: Path
) -> ExitCode:
    """Turn a mock journal's verdicts (what a PBX or client sent) into the standard report."""
    from intcheck.model import Status
    from intcheck.verify import journal_report

    plan = load_plan(path)
    out.hide(plan.secrets)
    report = eventloop.run(journal_report(plan, journal, only=only))
    if write(out, plan, report, report_dir).record_lost:
        return ExitCode.INTERNAL_ERROR
    # nothing journaled for a contract asked about is not a pass either
    bad = sum(report.count(s) for s in (Status.FAILED, Status.ERRORED, Status.SKIPPED))
    return ExitCode.FINDINGS if bad else ExitCode.OK
