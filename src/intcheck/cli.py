"""The ``intcheck`` command: one small function per verb, and the one place that exits.

Each verb parses its options, calls one library function, hands the result to ``console`` and
returns an ``ExitCode``. ``main`` maps errors to messages and exit codes.
"""

from __future__ import annotations

from pathlib import Path

import click

from intcheck import __version__, eventloop
from intcheck.console import Output
from intcheck.contracts import load_plan
from intcheck.errors import ContractError, ExitCode, IntcheckError

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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="intcheck")
@NO_COLOR_OPTION
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Is the CRM ready to go live? Contracts, mocks, probes, load and the go/no-go report."""
    ctx.ensure_object(Output)


@cli.command()
@PLAN_ARGUMENT
@NO_COLOR_OPTION
@click.option("--strict", is_flag=True, help="Treat warnings about the plan's documents as errors.")
@click.pass_obj
def validate(out: Output, path: Path, strict: bool) -> ExitCode:
    """Load the plan at PATH (a plan file or a folder with plan.yaml) and report every mistake."""
    plan = load_plan(path, strict=strict)
    out.hide(plan.secrets)
    out.diagnostics(plan.warnings)
    out.plan_table(plan)
    return ExitCode.OK


@cli.command()
@PLAN_ARGUMENT
@NO_COLOR_OPTION
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option("--seed", default=0, show_default=True, help="Seed for generated data.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@click.pass_obj
def mock(out: Output, path: Path, host: str, port: int, seed: int, workers: int) -> ExitCode:
    """Serve every contract of the plan at PATH as a live mock until Ctrl-C."""
    from intcheck.mock.server import serve

    plan = load_plan(path)
    out.hide(plan.secrets)
    out.diagnostics(plan.warnings)
    if workers > 1:
        out.line(
            f"note: the {workers} workers share the journal and behaviour switches, but each "
            "keeps its own copy of the data: a record created or changed through one worker is "
            "not seen by the others. Use --workers 1 when developing against writes."
        )
    try:
        eventloop.run(
            serve(plan, host=host, port=port, seed=seed, workers=workers, on_ready=out.served)
        )
    except KeyboardInterrupt:
        out.line("mock stopped")
    return ExitCode.OK


@cli.command()
@PLAN_ARGUMENT
@NO_COLOR_OPTION
@click.option(
    "--only", multiple=True, metavar="NAME", help="Contract, operation or case id (globs)."
)
@click.option("--target", "targets", multiple=True, metavar="NAME=URL", help="Override a target.")
@click.option(
    "--report-dir", type=click.Path(path_type=Path, file_okay=False), default=Path("reports")
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
    """Check the real endpoint of every REST and SOAP contract; write reports to --report-dir."""
    from intcheck.model import Result, Status
    from intcheck.probe import ProbeOptions, build_report, plan_cases, run_probe
    from intcheck.probe.runner import parse_targets, utc_now
    from intcheck.redact import Redactor
    from intcheck.report.writers import write_reports

    plan = load_plan(path)
    out.hide(plan.secrets)
    options = ProbeOptions(
        only=only,
        targets=parse_targets(targets),
        concurrency=concurrency,
        timeout_s=timeout_s,
        insecure=insecure,
        read_only=read_only,
    )
    cases = plan_cases(plan, options)  # bad --only/--target: exit 2 before any request
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
        written = write_reports(report, report_dir, redactor=Redactor(plan.secrets))
        out.report_summary(report, written)
    if written.record_lost:
        return ExitCode.INTERNAL_ERROR  # nothing records the verdict: a failed run
    # The verdict stands when only a rendering failed: report.json holds it.
    bad = report.count(Status.FAILED) + report.count(Status.ERRORED)
    return ExitCode.FINDINGS if bad else ExitCode.OK


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


@schema.command("contract")
@NO_COLOR_OPTION
def schema_contract() -> ExitCode:
    """The JSON Schema of contracts (one $defs entry per kind)."""
    from importlib import resources

    click.echo(
        resources.files("intcheck.contracts")
        .joinpath("schemas", "contract.schema.json")
        .read_text("utf-8"),
        nl=False,
    )
    return ExitCode.OK


def main(argv: list[str] | None = None) -> int:
    """Run the command line; the only place that turns outcomes into exit codes."""
    out = Output()
    out.take_logging()
    try:
        # One Output for the verbs and for the errors below: both honour --no-color and
        # mask the plan's secrets once it is loaded.
        code = cli.main(args=argv, prog_name="intcheck", standalone_mode=False, obj=out)
    except ContractError as exc:
        out.diagnostics(exc.diagnostics)
        return ExitCode.INVALID_INPUT
    except IntcheckError as exc:
        out.line(f"error: {exc}")
        return exc.exit_code
    except click.exceptions.Abort:
        out.line("interrupted")
        return ExitCode.INTERRUPTED
    except click.ClickException as exc:
        exc.show()
        return ExitCode.INVALID_INPUT
    except KeyboardInterrupt:
        out.line("interrupted")
        return ExitCode.INTERRUPTED
    except Exception as exc:
        log = out.crash_log(exc)
        out.line(f"internal error: intcheck crashed; details in {log}")
        return ExitCode.INTERNAL_ERROR
    if isinstance(code, int):
        return code
    return ExitCode.OK
