"""``intcheck mock``: every contract served as a live mock until Ctrl-C or SIGTERM."""

from __future__ import annotations

import contextlib
from pathlib import Path

import click

from intcheck import eventloop
from intcheck.cli.base import NO_COLOR_OPTION, PLAN_ARGUMENT, cli
from intcheck.console import Output
from intcheck.contracts import load_plan
from intcheck.errors import ExitCode
from intcheck.plugins import Registry


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

    from intcheck.mock.serving import serve

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
