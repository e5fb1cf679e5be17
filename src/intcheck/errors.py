"""Errors and exit codes.

The tree::

    IntcheckError                 anything intcheck reports to a person and exits on
    ├── ContractError             the plan, a contract or a referenced document is wrong;
    │                             carries every Diagnostic found in the run, sorted
    ├── UsageError                the command line asks for something impossible
    ├── TargetError               could not talk to a target at all (refused, DNS, TLS)
    └── LoadError                 Locust failed to start or finish

A check that fails is never an exception: it becomes a ``Result``. ``TargetError`` is for
set-up steps (fetching a WSDL from a target, say) that make a whole run impossible.
"""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    from intcheck.model import Diagnostic


class ExitCode(IntEnum):
    """Process exit codes, the same for every verb."""

    OK = 0  # all checks passed, verdict GO
    FINDINGS = 1  # a check failed or errored, verdict NO-GO
    INVALID_INPUT = 2  # bad plan, contract or command line
    INTERNAL_ERROR = 3  # a bug in intcheck; a crash log names the details
    INTERRUPTED = 130  # Ctrl-C; a partial report was written


class IntcheckError(Exception):
    """Base of every error intcheck reports to a person."""

    exit_code: ExitCode = ExitCode.INTERNAL_ERROR


class ContractError(IntcheckError):
    """One or more problems in the plan, its contracts or the documents they reference."""

    exit_code = ExitCode.INVALID_INPUT

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = sorted(diagnostics, key=lambda d: d.sort_key)
        super().__init__("\n".join(d.render() for d in self.diagnostics))


class UsageError(IntcheckError):
    """The command line asks for something that cannot be done."""

    exit_code = ExitCode.INVALID_INPUT


class TargetError(IntcheckError):
    """A target could not be reached at all (refused, DNS, TLS, timeout)."""

    exit_code = ExitCode.FINDINGS


class LoadError(IntcheckError):
    """Locust failed to start or to finish."""

    exit_code = ExitCode.FINDINGS
