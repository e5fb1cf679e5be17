"""``intcheck schema``: the JSON Schemas intcheck ships."""

from __future__ import annotations

import click

from intcheck.cli.base import NO_COLOR_OPTION, cli
from intcheck.errors import ExitCode
from intcheck.plugins import Registry


@cli.group()
@NO_COLOR_OPTION
def schema() -> None:
    """Print the JSON Schemas intcheck ships."""


@schema.command("report")
@NO_COLOR_OPTION
def schema_report() -> ExitCode:
    """The JSON Schema of report.json, which probe, simulate and load write."""
    from intcheck.report.document import schema_text

    click.echo(schema_text(), nl=False)
    return ExitCode.OK


@schema.command("readiness")
def schema_readiness() -> ExitCode:
    """The JSON Schema of readiness.json, which readiness writes."""
    from intcheck.readiness.document import schema_text

    click.echo(schema_text(), nl=False)
    return ExitCode.OK


@schema.command("contract")
@NO_COLOR_OPTION
def schema_contract() -> ExitCode:
    """The JSON Schema of contracts (one $defs entry per kind)."""
    import json

    click.echo(json.dumps(Registry.default().contract_schema(), indent=2, ensure_ascii=False))
    return ExitCode.OK
