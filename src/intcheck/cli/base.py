"""What every verb shares: the ``intcheck`` group, the common options, and how a verb that
checks something writes its reports and turns them into an exit code."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from intcheck import __version__, eventloop
from intcheck.console import Output
from intcheck.errors import ExitCode
from intcheck.plugins import GATE_OF, VERB_OF, untested_but_required

if TYPE_CHECKING:
    from intcheck.model import Plan, Report
    from intcheck.plugins import ReportKind
    from intcheck.report.writers import Written


PLAN_ARGUMENT = click.argument("path", type=click.Path(path_type=Path), default=Path("contracts"))


def _no_color(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.ensure_object(Output).set_color(False)


# Accepted before the verb and after it (`intcheck probe --no-color …`), on every command.
NO_COLOR_OPTION = click.option(
    "--no-color",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_no_color,
    help="Plain text on stderr (also: NO_COLOR=1).",
)


# The options every verb that sends requests shares, said the same way everywhere.
TARGET_OPTION = click.option(
    "--target", "targets", multiple=True, metavar="NAME=URL", help="Override a contract's target."
)
TIMEOUT_OPTION = click.option(
    "--timeout",
    "timeout_s",
    type=click.FloatRange(0, min_open=True),
    default=10.0,
    show_default=True,
    help="Seconds one exchange may take.",
)
INSECURE_OPTION = click.option("--insecure", is_flag=True, help="Do not verify TLS certificates.")


def report_dir_option(default: str) -> Callable[[Any], Any]:
    """``--report-dir``, defaulting to the verb's own folder below ``reports/``."""
    return click.option(
        "--report-dir",
        type=click.Path(path_type=Path, file_okay=False),
        default=Path(default),
        show_default=True,
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="intcheck")
@NO_COLOR_OPTION
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Is the CRM ready to go live? Contracts, mocks, probes, load and the go/no-go report."""
    ctx.ensure_object(Output)


def write(out: Output, plan: Plan, report: Report, report_dir: Path) -> Written:
    """Every report format, each on its own, redacted; the summary on stderr."""
    from intcheck.redact import Redactor
    from intcheck.report.writers import write_reports

    written = write_reports(report, report_dir, redactor=Redactor(plan.secrets))
    out.report_summary(report, written)
    return written


def verdict(
    out: Output, plan: Plan, report: Report, written: Written, capability: ReportKind
) -> ExitCode:
    """A verb's exit code: findings, or integrations the plan needs but it could not test."""
    from intcheck.model import Status

    if written.record_lost:
        return ExitCode.INTERNAL_ERROR  # nothing records the verdict: a failed run
    # The verdict stands when only a rendering failed: report.json holds it.
    untested = untested_but_required(plan, report.results, capability)
    out.untested(VERB_OF[capability], GATE_OF[capability], untested)
    bad = report.count(Status.FAILED) + report.count(Status.ERRORED) + len(untested)
    return ExitCode.FINDINGS if bad else ExitCode.OK


def run_and_report(
    out: Output,
    plan: Plan,
    collect: Coroutine[Any, Any, None],
    report_of: Callable[[str, bool], Report],
    report_dir: Path,
    kind: ReportKind,
) -> ExitCode:
    """Run ``collect`` on intcheck's loop; whatever happens (Ctrl-C too), write the report of
    what was collected (``report_of(started_at, complete)``), then pick the exit code."""
    from intcheck.probe.runner import utc_now

    started, complete = utc_now(), False
    try:
        eventloop.run(collect)
        complete = True
    finally:
        report = report_of(started, complete)
        written = write(out, plan, report, report_dir)
    return verdict(out, plan, report, written, kind)
