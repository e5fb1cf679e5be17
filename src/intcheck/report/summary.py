"""The one count every rendering shows: results by status, cases by their worst check, outages.

A case's status is its worst check's: FAILED before ERRORED before SKIPPED before PASSED. A
case counts as passed only when every check on it passed; one check that could not be
evaluated or was not applicable keeps it from passing. The console, JUnit, Markdown, HTML and
the JSON document all take their figures from ``summarize``, so they cannot disagree.

An *outage* is what an unreachable (or silent) target looks like: ERRORED results of one
integration that got no answer at all and share one error. People get it as one line at the
top ("order-service: target unreachable: …, 152 checks on 40 cases not evaluated") instead of
one row per check.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from intcheck.model import Status, worst

if TYPE_CHECKING:
    from intcheck.model import Report, Result


@dataclass(frozen=True, slots=True)
class Counts:
    """How many of something ended with each status."""

    passed: int = 0
    failed: int = 0
    errored: int = 0
    skipped: int = 0

    @classmethod
    def of(cls, statuses: Iterable[Status]) -> Counts:
        tally = dict.fromkeys((s.value for s in Status), 0)
        for status in statuses:
            tally[status.value] += 1
        return cls(**tally)

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.errored + self.skipped

    def get(self, status: Status) -> int:
        count: int = getattr(self, status.value)
        return count

    def as_dict(self) -> dict[str, int]:
        return {status.value: self.get(status) for status in Status}

    def sentence(self, noun: str) -> str:
        """``12 cases: 8 passed, 2 failed, 1 errored, 1 skipped``: the console's words."""
        figures = ", ".join(f"{self.get(s)} {s.value}" for s in Status)
        return f"{self.total} {noun if self.total == 1 else noun + 's'}: {figures}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Outage:
    """ERRORED results of one integration that got no answer, all for the same reason."""

    integration: str
    reason: str
    checks: int
    cases: tuple[str, ...]
    every_case: bool  # no case of the integration that was sent got an answer

    def line(self) -> str:
        """The one line people read, e.g. ``crm: target unreachable: refused (9 checks …)``."""
        cases = len(self.cases)
        scope = (
            f"{cases} case{'s' * (cases != 1)}, {self.checks} check{'s' * (self.checks != 1)}"
            " not evaluated"
        )
        if self.every_case:
            return f"{self.integration}: target unreachable: {self.reason} ({scope})"
        return f"{self.integration}: no answer: {self.reason} ({scope})"


@dataclass(frozen=True, slots=True, kw_only=True)
class Summary:
    """Every figure a rendering shows, computed once from a report."""

    results: Counts
    cases: Counts
    case_status: Mapping[str, Status]  # case id -> its worst check, in report order
    integrations: Mapping[str, tuple[Counts, Counts]]  # name -> (cases, results), sorted
    outages: tuple[Outage, ...] = ()


def no_answer(result: Result) -> bool:
    """ERRORED because nothing came back (refused, DNS, TLS, timeout), not a bad answer.

    Every such result belongs to one ``Outage``: renderings tell it there, not on its own.
    """
    return result.status is Status.ERRORED and (
        result.evidence is None or result.evidence.status is None
    )


def told_by_outage(results: Iterable[Result]) -> bool:
    """Whether a case is told by an outage line: nothing on it but no-answers and skips."""
    items = list(results)
    return any(no_answer(r) for r in items) and all(
        no_answer(r) or r.status is Status.SKIPPED for r in items
    )


def by_case(results: Iterable[Result]) -> dict[str, list[Result]]:
    """Results grouped by case id, cases in the order they first appear."""
    cases: dict[str, list[Result]] = defaultdict(list)
    for result in results:
        cases[result.case].append(result)
    return dict(cases)


def summarize(report: Report) -> Summary:
    """The counts of ``report`` by result and by case, per integration, and its outages."""
    cases = by_case(report.results)
    case_status = {case: worst(r.status for r in results) for case, results in cases.items()}
    per_integration: dict[str, list[str]] = defaultdict(list)
    for case, results in cases.items():
        per_integration[results[0].integration].append(case)
    integrations = {
        name: (
            Counts.of(case_status[c] for c in names),
            Counts.of(r.status for c in names for r in cases[c]),
        )
        for name, names in sorted(per_integration.items())
    }
    return Summary(
        results=Counts.of(r.status for r in report.results),
        cases=Counts.of(case_status.values()),
        case_status=case_status,
        integrations=integrations,
        outages=_outages(report.results, cases, per_integration),
    )


def _outages(
    results: Iterable[Result],
    cases: Mapping[str, list[Result]],
    per_integration: Mapping[str, list[str]],
) -> tuple[Outage, ...]:
    groups: dict[tuple[str, str], list[Result]] = defaultdict(list)
    for result in results:
        if no_answer(result):
            groups[(result.integration, result.message)].append(result)
    outages = []
    for (integration, reason), members in groups.items():
        hit = tuple(dict.fromkeys(r.case for r in members))
        sent = [
            c
            for c in per_integration[integration]
            if any(r.status is not Status.SKIPPED for r in cases[c])
        ]
        outages.append(
            Outage(
                integration=integration,
                reason=reason or "no answer",
                checks=len(members),
                cases=hit,
                every_case=set(hit) >= set(sent),
            )
        )
    outages.sort(key=lambda o: (o.integration, -o.checks))
    return tuple(outages)
