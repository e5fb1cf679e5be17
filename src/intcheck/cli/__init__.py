"""The ``intcheck`` command: one module per verb, and the one place that exits.

Each verb parses its options, calls one library function, hands the result to ``console`` and
returns an ``ExitCode``. ``main`` maps errors to messages and exit codes; ``base`` holds the
group and what verbs share. Importing this package registers every verb on the group.
"""

from __future__ import annotations

import click

from intcheck.cli import (  # noqa: F401  (each module registers its verb on the group)
    demo,
    journal,
    load,
    mock,
    probe,
    readiness,
    scenario,
    schema,
    simulate,
    validate,
)
from intcheck.cli.base import cli
from intcheck.console import Output
from intcheck.errors import ContractError, ExitCode, IntcheckError

__all__ = ["cli", "main"]


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
