"""The ``intcheck`` command: one small function per verb, and the one place that exits.

Each verb parses its options, calls one library function, hands the result to ``console`` and
returns an ``ExitCode``. ``main`` maps errors to messages and exit codes.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from intcheck import __version__, eventloop
from intcheck.console import Output
from intcheck.contracts import load_plan
from intcheck.errors import ContractError, ExitCode, IntcheckError
from intcheck.plugins import GATE_OF, VERB_OF, Registry, untested_but_required

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
    registry = Registry.default()
    plan = load_plan(path, strict=strict, registry=registry)
    out.hide(plan.secrets)
    out.diagnostics(plan.warnings)
    out.plan_table(plan, registry)
    return ExitCode.OK


@cli.command()
@PLAN_ARGUMENT
@NO_COLOR_OPTION
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option("--seed", default=0, show_default=True, help="Seed for generated data.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--journal",
    "journal",
    type=click.Path(path_type=Path, file_okay=False),
    help="Keep the request journal in this folder (default: a temporary one, removed at exit).",
)
@click.option(
    "--journal-max-mb",
    type=click.IntRange(min=1),
    default=256,
    show_default=True,
    help="Disk the journal may take per worker; the oldest entries beyond it are dropped, counted.",
)
@click.pass_obj
def mock(
    out: Output,
    path: Path,
    host: str,
    port: int,
    seed: int,
    workers: int,
    journal: Path | None,
    journal_max_mb: int,
) -> ExitCode:
    """Serve every contract of the plan at PATH as a live mock until Ctrl-C or SIGTERM."""
    import signal

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
    out.not_covered("intcheck mock", Registry.default().uncovered(plan, "mock"))
    with contextlib.suppress(KeyboardInterrupt):
        eventloop.run(
            serve(
                plan,
                host=host,
                port=port,
                seed=seed,
                workers=workers,
                on_ready=out.served,
                journal_path=journal,
                journal_max_bytes=journal_max_mb * 1024 * 1024,
                stop_signals=(signal.SIGTERM,),
            )
        )
    out.line("mock stopped" + (f"; journal kept in {journal}" if journal else ""))
    return ExitCode.OK


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
        written = _write(out, plan, report, report_dir)
    return _verdict(out, plan, report, written, "probe")


@cli.command()
@PLAN_ARGUMENT
@NO_COLOR_OPTION
@click.option("--only", multiple=True, metavar="NAME", help="Simulate only this contract.")
@click.option("--target", "targets", multiple=True, metavar="NAME=URL", help="Override a target.")
@click.option(
    "--flows",
    "--calls",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="Call flows (CTI) or messages (SMS, email) per contract.",
)
@click.option("--concurrency", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("--chaos", is_flag=True, help="Also send duplicates, reordered and forged events.")
@click.option(
    "--pace",
    type=click.FloatRange(0),
    default=1.0,
    show_default=True,
    help="Scale of the gaps between a flow's events; 0 sends back to back.",
)
@click.option("--seed", default=0, show_default=True, help="Seed for callers, messages, timing.")
@click.option(
    "--report-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("reports/simulate"),
    show_default=True,
)
@click.option(
    "--timeout",
    "timeout_s",
    type=click.FloatRange(0, min_open=True),
    default=10.0,
    show_default=True,
)
@click.option("--insecure", is_flag=True, help="Do not verify TLS certificates.")
@click.pass_obj
def simulate(
    out: Output,
    path: Path,
    only: tuple[str, ...],
    targets: tuple[str, ...],
    flows: int,
    concurrency: int,
    chaos: bool,
    pace: float,
    seed: int,
    report_dir: Path,
    timeout_s: float,
    insecure: bool,
) -> ExitCode:
    """Play the other side (phone system, SMS gateway, mail) against the CRM; write reports."""
    from intcheck.model import Result
    from intcheck.probe.runner import build_report, parse_targets, utc_now
    from intcheck.simulate import SimulationOptions, run_simulation, selected_contracts

    registry = Registry.default()
    plan = load_plan(path, registry=registry)
    out.hide(plan.secrets)
    overrides = parse_targets(targets)
    chosen = selected_contracts(plan, only=only, targets=overrides, registry=registry)
    out.not_covered(
        "intcheck simulate",
        [c for c in registry.uncovered(plan, "simulate") if not only or c.name in only],
    )
    options = SimulationOptions(
        flows=flows, concurrency=concurrency, chaos=chaos, seed=seed, timeout_s=timeout_s, pace=pace
    )
    results: list[Result] = []  # owned here, so Ctrl-C still leaves what was done

    async def collect() -> None:
        with out.simulation_progress([c.name for c in chosen]) as progress:
            async for result in run_simulation(
                plan,
                options,
                only=only,
                targets=overrides,
                insecure=insecure,
                registry=registry,
                artifacts=report_dir,
            ):
                results.append(result)
                progress.update(result)

    started, complete = utc_now(), False
    try:
        eventloop.run(collect())
        complete = True
    finally:
        report = build_report(
            plan,
            results,
            started_at=started,
            complete=complete,
            targets=overrides,
            kind="simulate",
        )
        written = _write(out, plan, report, report_dir)
    return _verdict(out, plan, report, written, "simulate")


def _write(out: Output, plan: Plan, report: Report, report_dir: Path) -> Written:
    """Every report format, each on its own, redacted; the summary on stderr."""
    from intcheck.redact import Redactor
    from intcheck.report.writers import write_reports

    written = write_reports(report, report_dir, redactor=Redactor(plan.secrets))
    out.report_summary(report, written)
    return written


def _verdict(
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


@cli.command()
@click.argument("scenario_path", metavar="SCENARIO", type=click.Path(path_type=Path))
@NO_COLOR_OPTION
@click.option("--target", "targets", multiple=True, metavar="NAME=URL", help="Override a target.")
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
    written = _write(out, scenario.plan, run.report, how["report_dir"])
    code = _verdict(out, scenario.plan, run.report, written, "load")
    return ExitCode.INTERRUPTED if run.interrupted else code


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
    if _write(out, plan, report, report_dir).record_lost:
        return ExitCode.INTERNAL_ERROR
    # nothing journaled for a contract asked about is not a pass either
    bad = sum(report.count(s) for s in (Status.FAILED, Status.ERRORED, Status.SKIPPED))
    return ExitCode.FINDINGS if bad else ExitCode.OK


@cli.command()
@PLAN_ARGUMENT
@NO_COLOR_OPTION
@click.option("--break", "broken", is_flag=True, help="Switch faults on in the mocks: see a NO-GO.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("reports/demo"),
    show_default=True,
)
@click.option(
    "--scenarios",
    type=click.Path(path_type=Path),
    default=Path("scenarios"),
    show_default=True,
    help="The key users' scenarios to play.",
)
@click.pass_obj
def demo(out: Output, path: Path, broken: bool, out_dir: Path, scenarios: Path) -> ExitCode:
    """The example plan end to end: mocks, probe, simulate, scenarios, load, and the verdict."""
    from intcheck.demo import run_demo

    started = time.monotonic()
    run = eventloop.run(run_demo(path, out_dir, scenarios=scenarios, broken=broken, say=out.line))
    assert run.readiness is not None  # run_demo always judges
    out.readiness(run.readiness, [str(p) for p in run.readiness_files])
    out.line(f"demo done in {time.monotonic() - started:.0f} s")
    return run.readiness.exit_code


@cli.group()
@NO_COLOR_OPTION
def scenario() -> None:
    """Key users' test scenarios: stories across integrations (scenarios/*.yaml)."""


@scenario.command("run")
@click.argument("path", type=click.Path(path_type=Path), default=Path("scenarios"))
@NO_COLOR_OPTION
@click.option("--only", multiple=True, metavar="NAME", help="Play only this scenario.")
@click.option("--target", "targets", multiple=True, metavar="NAME=URL", help="Override a target.")
@click.option(
    "--report-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("reports/scenarios"),
    show_default=True,
)
@click.option(
    "--timeout",
    "timeout_s",
    type=click.FloatRange(0, min_open=True),
    default=10.0,
    show_default=True,
)
@click.option("--insecure", is_flag=True, help="Do not verify TLS certificates.")
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
    from intcheck.model import Result
    from intcheck.probe.runner import build_report, parse_targets, utc_now
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

    started, complete = utc_now(), False
    try:
        eventloop.run(collect())
        complete = True
    finally:
        report = build_report(
            plan,
            results,
            started_at=started,
            complete=complete,
            targets=options.targets,
            kind="scenario",
            environment={"scenarios": [o.as_dict() for o in outcomes]},
        )
        out.scenarios(outcomes)
        written = _write(out, plan, report, report_dir)
    return _verdict(out, plan, report, written, "scenario")


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
