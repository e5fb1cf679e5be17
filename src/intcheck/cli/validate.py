"""``intcheck validate``: the plan, every contract and document, every mistake at once."""

from __future__ import annotations

from pathlib import Path

import click

from intcheck.cli.base import NO_COLOR_OPTION, PLAN_ARGUMENT, cli
from intcheck.console import Output
from intcheck.contracts import load_plan
from intcheck.errors import ExitCode
from intcheck.plugins import Registry


@cli.command()
@PLAN_ARGUMENT
@NO_COLOR_OPTION
@click.option("--strict", is_flag=True, help="Treat warnings about the plan's documents as errors.")
@click.pass_obj
def validate(out: Output, path: Path, strict: bool) -> ExitCode:
    """Load the plan at PATH (a plan file or a folder with plan.yaml) and report every mistake."""
    registry = Registry.default()
    plan = load_plan(path, strict=strict, registry=registry)
    out.hide(plan.secrets)
    out.diagnostics(plan.warnings)
    out.plan_table(plan, registry)
    return ExitCode.OK
