"""intcheck: go-live readiness for CRM integrations.

One declarative Integration Plan drives mocks, conformance probes, simulators, load and the
go/no-go report. The public library API is ``__all__`` below.
"""

from __future__ import annotations

__version__ = "0.1.0"

from intcheck.contracts import load_plan
from intcheck.errors import (
    ContractError,
    ExitCode,
    IntcheckError,
    LoadError,
    TargetError,
    UsageError,
)
from intcheck.model import Contract, Operation, Plan, Report, Result, Severity, Status
from intcheck.readiness import Readiness, Verdict, evaluate_readiness

__all__ = [
    "Contract",
    "ContractError",
    "ExitCode",
    "IntcheckError",
    "LoadError",
    "Operation",
    "Plan",
    "Readiness",
    "Report",
    "Result",
    "Severity",
    "Status",
    "TargetError",
    "UsageError",
    "Verdict",
    "__version__",
    "evaluate_readiness",
    "load_plan",
]
