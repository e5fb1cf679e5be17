"""The evidence readiness weighs: report.json files found, read, matched to integrations.

Each gate takes one report: the newest of its kind that covers the integration. A report that
cannot serve (made for another plan, superseded, naming only unknown integrations) is kept
with the reason, so the readiness output can say why it was not used instead of hiding it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from intcheck.errors import UsageError
from intcheck.model import Status, display_path
from intcheck.plugins import COVERAGE_CHECK, GATE_OF
from intcheck.report.document import read_report

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from intcheck.model import Plan, Report, Result

REPORT_FILE = "report.json"
MAX_REPORTS = 1000  # a --reports folder is a folder of runs, not a file system to crawl

# Which report kind brings which gate's evidence: a report's kind is the verb's capability.
EVIDENCE_KINDS: Mapping[str, str] = {gate: capability for capability, gate in GATE_OF.items()}

_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
_AGE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_age(text: str) -> timedelta:
    """``--max-age`` text such as ``7d``, ``36h``, ``90m`` or ``2w`` as a timedelta."""
    match = _AGE.match(text)
    if match is None:
        raise UsageError(f"--max-age {text!r}: expected a number and a unit, e.g. 7d, 36h, 90m, 2w")
    return timedelta(seconds=float(match.group(1)) * _AGE_UNITS[match.group(2)])


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportFile:
    """One report.json as read, with when it was finished."""

    path: Path
    report: Report
    finished: datetime

    @property
    def folder(self) -> Path:
        return self.path.parent


@dataclass(frozen=True, slots=True, kw_only=True)
class Coverage:
    """What one report holds about one integration."""

    source: ReportFile
    integration: str
    results: tuple[Result, ...]  # the integration's results, "not covered" markers left out
    load_operations: Mapping[str, Mapping[str, float]] = field(default_factory=dict)

    @property
    def judged(self) -> tuple[Result, ...]:
        """Results that passed, failed or errored: what was really tested."""
        return tuple(r for r in self.results if r.status is not Status.SKIPPED)


@dataclass(frozen=True, slots=True, kw_only=True)
class Selection:
    """The report a gate uses for one integration, or why there is none."""

    coverage: Coverage | None
    not_covered: tuple[str, ...] = ()  # "reason (report.json)" of reports that say so


@dataclass(frozen=True, slots=True, kw_only=True)
class Unused:
    """A report that was read and not used, and why."""

    path: Path
    reason: str


def find_reports(locations: Sequence[Path]) -> list[Path]:
    """Every report.json at or below ``locations`` (files or folders), each once, sorted."""
    found: set[Path] = set()
    for location in locations:
        if location.is_file():
            found.add(location.resolve())
            continue
        if not location.is_dir():
            raise UsageError(f"--reports {location}: no such file or folder")
        for path in location.rglob(REPORT_FILE):
            if not any(part.startswith(".") for part in path.relative_to(location).parts):
                found.add(path.resolve())
            if len(found) > MAX_REPORTS:
                raise UsageError(
                    f"--reports {location}: more than {MAX_REPORTS} report.json files below it; "
                    "point at the folders of the runs to weigh"
                )
    return sorted(found)


def read_reports(paths: Iterable[Path]) -> list[ReportFile]:
    """Read and schema-check each report; a broken one is a UsageError naming its file."""
    files = []
    for path in paths:
        report = read_report(path)
        files.append(ReportFile(path=path, report=report, finished=_finished(path, report)))
    return files


def _finished(path: Path, report: Report) -> datetime:
    try:
        finished = datetime.fromisoformat(report.finished_at)
    except ValueError:
        raise UsageError(
            f"{path}: finished_at {report.finished_at!r} is not an ISO-8601 time"
        ) from None
    if finished.tzinfo is None:
        raise UsageError(f"{path}: finished_at {report.finished_at!r} has no time zone")
    return finished


class EvidenceIndex:
    """The reports of one readiness run, indexed by kind and integration."""

    def __init__(self, plan: Plan, files: Sequence[ReportFile]) -> None:
        names = {c.name for c in plan.contracts}
        self.unused: list[Unused] = []
        self.unknown: dict[Path, set[str]] = {}  # integrations a report names that the plan lacks
        self._coverage: dict[tuple[str, str], list[Coverage]] = {}
        self._not_covered: dict[tuple[str, str], list[str]] = {}
        for file in files:
            if file.report.plan_name != plan.name:
                self.unused.append(
                    Unused(
                        path=file.path,
                        reason=f"made for the plan {file.report.plan_name!r}, not {plan.name!r}",
                    )
                )
                continue
            if not self._index(file, names):
                self.unused.append(
                    Unused(path=file.path, reason="holds no results for this plan's integrations")
                )
        newest = set()
        for candidates in self._coverage.values():
            candidates.sort(key=lambda c: c.source.finished, reverse=True)
            newest.add(candidates[0].source.path)
        superseded = {
            c.source.path: c.source.report.kind
            for candidates in self._coverage.values()
            for c in candidates[1:]
            if c.source.path not in newest
        }
        for path, kind in sorted(superseded.items()):
            self.unused.append(
                Unused(path=path, reason=f"a newer {kind} report covers each of its integrations")
            )

    def _index(self, file: ReportFile, names: set[str]) -> bool:
        kind = file.report.kind
        by_name: dict[str, list[Result]] = {}
        for result in file.report.results:
            if result.integration not in names:
                self.unknown.setdefault(file.path, set()).add(result.integration)
            elif result.check == COVERAGE_CHECK and result.status is Status.SKIPPED:
                told = result.message.removeprefix("not tested: ") or f"{kind} does not cover it"
                reason = f"{told} ({display_path(file.path)})"
                self._not_covered.setdefault((kind, result.integration), []).append(reason)
            else:
                by_name.setdefault(result.integration, []).append(result)
        load_ops = _load_operations(file.report, names)
        for name in sorted(set(by_name) | set(load_ops)):
            coverage = Coverage(
                source=file,
                integration=name,
                results=tuple(by_name.get(name, ())),
                load_operations=load_ops.get(name, {}),
            )
            self._coverage.setdefault((kind, name), []).append(coverage)
        return bool(by_name or load_ops)

    def select(self, integration: str, gate: str) -> Selection:
        """The newest report of the gate's kind covering ``integration``."""
        kind = EVIDENCE_KINDS[gate]
        candidates = self._coverage.get((kind, integration), [])
        return Selection(
            coverage=candidates[0] if candidates else None,
            not_covered=tuple(self._not_covered.get((kind, integration), ())),
        )

    def used(self) -> list[ReportFile]:
        """Every report some gate takes its evidence from, oldest first."""
        files = {c[0].source.path: c[0].source for c in self._coverage.values() if c}
        return sorted(files.values(), key=lambda f: f.finished)


def _load_operations(report: Report, names: set[str]) -> dict[str, dict[str, Mapping[str, float]]]:
    """Per integration, the per-operation figures of the report's load runs."""
    found: dict[str, dict[str, Mapping[str, float]]] = {}
    for summary in report.load:
        for operation, figures in summary.operations.items():
            name = operation.split(":", 1)[0]
            if name in names:
                found.setdefault(name, {})[operation] = figures
    return found
