"""``intcheck readiness``: the go/no-go verdict over the reports."""

from __future__ import annotations

from pathlib import Path

import click

from intcheck.cli.base import NO_COLOR_OPTION, PLAN_ARGUMENT, cli
from intcheck.console import Output
from intcheck.contracts import load_plan
from intcheck.errors import ExitCode


@cli.command()
@PLAN_ARGUMENT
@NO_COLOR_OPTION
@click.option(
    "--reports",
    multiple=True,
    type=click.Path(path_type=Path),
    default=(Path("reports"),),
    show_default=True,
    metavar="DIR",
    help="A folder searched for report.json files, or one report.json; repeatable.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("reports/readiness"),
    show_default=True,
)
@click.option(
    "--previous",
    type=click.Path(path_type=Path, dir_okay=False),
    help="An earlier readiness.json: say what was fixed, what is new, what is still open.",
)
@click.option("--max-age", default="7d", show_default=True, help="Older reports are stale.")
@click.pass_obj
def readiness(
    out: Output,
    path: Path,
    reports: tuple[Path, ...],
    out_dir: Path,
    previous: Path | None,
    max_age: str,
) -> ExitCode:
    """Weigh the reports against the plan's gates: GO, GO WITH RISKS or NO-GO (exit 1)."""
    from intcheck.readiness import evaluate_readiness, parse_age
    from intcheck.readiness.writers import write_readiness

    plan = load_plan(path)
    age = parse_age(max_age)  # a bad --max-age: exit 2 before any report is read
    result = evaluate_readiness(plan, list(reports), max_age=age, previous=previous)
    out.readiness(result, [str(p) for p in write_readiness(result, out_dir)])
    return result.exit_code
