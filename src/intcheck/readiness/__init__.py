"""The go/no-go: gates over the reports of probe, simulate and load, and the verdict.

``evaluate_readiness`` weighs the evidence; ``write_readiness`` writes readiness.json, the
Markdown checklist, JUnit and the self-contained HTML report.
"""

from __future__ import annotations

from intcheck.readiness.evidence import parse_age
from intcheck.readiness.verdict import Readiness, Verdict, evaluate_readiness

__all__ = ["Readiness", "Verdict", "evaluate_readiness", "parse_age"]
