"""Conformance probe: contract-driven requests to real endpoints, checked, as Results."""

from __future__ import annotations

from intcheck.probe.runner import ProbeOptions, build_report, plan_cases, run_probe
from intcheck.probe.transport import Timeouts

__all__ = ["ProbeOptions", "Timeouts", "build_report", "plan_cases", "run_probe"]
