"""People-facing output on stderr: diagnostics, tables, progress. Data goes to stdout elsewhere.

Only this module and ``cli.py`` import rich or click.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.live import Live
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from intcheck.model import Diagnostic, Level, Report, Status
from intcheck.plugins import COVERAGE_CHECK

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from intcheck.model import Contract, LoadSummary, Plan, Result
    from intcheck.plugins import Registry


class Output:
    """Where people-facing text goes; colour and progress follow the terminal."""

    def __init__(self, *, color: bool = True) -> None:
        self.interactive = sys.stderr.isatty()
        # In CI logs there is no terminal width to follow; a wide fixed width keeps tables whole.
        width = None if self.interactive else 160
        self.err = Console(
            stderr=True, no_color=not color, highlight=False, soft_wrap=True, width=width
        )

    def line(self, text: str) -> None:
        self.err.print(text, markup=False)

    def diagnostics(self, diagnostics: Iterable[Diagnostic]) -> None:
        items = list(diagnostics)
        for d in items:
            style = "yellow" if d.level is Level.WARNING else "red"
            head, _, hint = d.render().partition("\n")
            self.err.print(head, style=style, markup=False)
            if hint:
                self.err.print(hint, style="dim", markup=False)
        errors = sum(1 for d in items if d.level is Level.ERROR)
        warnings = len(items) - errors
        if errors:
            self.err.print(
                f"{errors} error{'s' * (errors != 1)}"
                + (f", {warnings} warning{'s' * (warnings != 1)}" if warnings else ""),
                style="bold red",
                markup=False,
            )

    def plan_table(self, plan: Plan, registry: Registry) -> None:
        table = Table(
            title=f"{plan.name}: {len(plan.integrations)} integrations", title_justify="left"
        )
        for column in ("integration", "kind", "operations", "target", "gates", "intcheck can"):
            table.add_column(column)
        for integration in plan.integrations:
            c = integration.contract
            table.add_row(
                c.name,
                c.kind,
                str(len(c.operations)),
                c.target or "-",
                ", ".join(integration.gates),
                ", ".join(registry.get(c.kind).capabilities) or "validate only",
            )
        self.err.print(table)

    def not_covered(self, verb: str, contracts: Iterable[Contract]) -> None:
        """Say which contracts ``verb`` leaves out: never skip an integration silently."""
        names = [f"{c.name} ({c.kind})" for c in contracts]
        if names:
            self.err.print(
                f"not covered by {verb} (reported as not tested): {', '.join(names)}",
                style="yellow",
                markup=False,
            )

    def served(self, endpoints: Iterable[tuple[str, str, str]]) -> None:
        for name, kind, url in endpoints:
            self.err.print(f"{name:<24} {kind:<7} {url}", markup=False)

    def result(self, result: Result) -> None:
        """One line per result that needs attention; passes are counted, not printed."""
        if result.status in (Status.FAILED, Status.ERRORED):
            style = "red" if result.status is Status.FAILED else "magenta"
            self.err.print(
                f"{result.status.value.upper():<8} {result.case} [{result.check}] {result.message}",
                style=style,
                markup=False,
            )

    def untested(self, verb: str, gate: str, names: list[str]) -> None:
        """Name the integrations whose required evidence the run could not produce."""
        if names:
            self.err.print(
                f"NOT TESTED: the plan needs {gate} evidence of {', '.join(names)}, "
                f"which {verb} cannot produce for their kind",
                style="bold red",
                markup=False,
            )

    def probe_progress(self, total: int) -> ProbeProgress:
        """A context manager counting checked cases out of ``total``."""
        return ProbeProgress(self, total)

    def simulation_progress(self, contracts: list[str]) -> SimulationProgress:
        """A context manager counting judged exchanges per simulated contract."""
        return SimulationProgress(self, contracts)

    def load_progress(self, duration_s: float) -> LoadProgress:
        """A context manager showing the live line of a load run."""
        return LoadProgress(self, duration_s)

    def report_summary(self, report: Report, files: Iterable[str]) -> None:
        counts = ", ".join(f"{report.count(s)} {s.value}" for s in Status)
        state = "" if report.complete else " (INCOMPLETE: interrupted)"
        self.err.print(f"{len(report.results)} results: {counts}{state}", markup=False)
        for path in files:
            self.err.print(f"  wrote {path}", style="dim", markup=False)


class ProbeProgress:
    """Progress of a probe: a rich bar on a terminal, plain lines in CI logs."""

    def __init__(self, output: Output, total: int) -> None:
        self.output = output
        self.total = total
        self.cases: set[str] = set()
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        self._next_line = 0
        self._said: set[tuple[str, str]] = set()

    def __enter__(self) -> ProbeProgress:
        if self.output.interactive:
            self._bar = Progress(
                TextColumn("probing"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=self.output.err,
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task("probe", total=self.total)
        else:
            self.output.line(f"probing {self.total} cases")
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def update(self, result: Result) -> None:
        """Count ``result``'s case once, and print the result if it needs attention."""
        # A case nobody answered errs on every check for one reason: say it once.
        said = (result.case, result.message)
        if result.status is not Status.ERRORED or said not in self._said:
            self._said.add(said)
            self.output.result(result)
        if (
            result.case in self.cases
            or "#" not in result.case
            or result.case.endswith("#p95")
            or result.check == COVERAGE_CHECK
        ):
            return
        self.cases.add(result.case)
        done = len(self.cases)
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, completed=done)
        elif done >= self._next_line or done == self.total:
            # In CI, a line every tenth of the run: enough to see it moves, not a flood.
            self.output.line(f"  {done}/{self.total} cases checked")
            self._next_line = done + max(1, self.total // 10)


class SimulationProgress:
    """Progress of a simulation: exchanges judged per contract, a line every few seconds."""

    def __init__(self, output: Output, contracts: list[str]) -> None:
        self.output = output
        self.contracts = contracts
        self.cases: dict[str, set[str]] = {name: set() for name in contracts}
        self.bad = 0
        self._last = 0.0

    def __enter__(self) -> SimulationProgress:
        self.output.line(f"simulating {', '.join(self.contracts) or 'nothing'}")
        self._last = time.monotonic()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._say()

    def update(self, result: Result) -> None:
        self.output.result(result)
        if result.check == COVERAGE_CHECK:
            return  # said once before the run began
        if result.status in (Status.FAILED, Status.ERRORED):
            self.bad += 1
        self.cases.setdefault(result.integration, set()).add(result.case)
        if time.monotonic() - self._last >= 2.0:
            self._say()

    def _say(self) -> None:
        self._last = time.monotonic()
        done = ", ".join(f"{name} {len(cases)}" for name, cases in self.cases.items())
        self.output.line(f"  exchanges judged: {done}; {self.bad} findings")


class LoadProgress:
    """The live line of a load run: users, RPS, p95, failures; on a terminal one line that
    changes in place, in CI logs a plain line every five seconds."""

    def __init__(self, output: Output, duration_s: float) -> None:
        self.output = output
        self.duration_s = duration_s
        self._live: Live | None = None
        self._last_said = -5.0
        self._text = ""

    def __enter__(self) -> LoadProgress:
        if self.output.interactive:
            self._live = Live(
                Text("starting Locust ..."),
                console=self.output.err,
                refresh_per_second=4,
                transient=True,
            )
            self._live.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._live is not None:
            self._live.stop()
        if self._text:
            self.output.line(self._text)

    def update(self, sample: Mapping[str, Any]) -> None:
        """Show one sample of the locustfile's sampler."""
        requests = int(sample.get("requests", 0))
        failures = int(sample.get("failures", 0))
        share = failures / requests * 100 if requests else 0.0
        self._text = (
            f"  {sample['t_s']:>5.0f}s/{self.duration_s:.0f}s  users {sample['users']:>5}  "
            f"rps {sample['rps']:>8.1f}  p95 {sample['p95_ms']:>6.0f} ms  "
            f"requests {requests:,}  failures {failures:,} ({share:.2f} %)"
        )
        if self._live is not None:
            self._live.update(Text(self._text))
        elif float(sample["t_s"]) - self._last_said >= 5.0:
            self._last_said = float(sample["t_s"])
            self.output.line(self._text)


def load_table(output: Output, summary: LoadSummary) -> None:
    """Per operation and in total: requests, failures, RPS and the percentiles."""
    table = Table(title=f"load: {summary.scenario}, {summary.users} users", title_justify="left")
    columns = ("operation", "requests", "failures", "rps", "p50", "p90", "p95", "p99", "max")
    for column in columns:
        table.add_column(column, justify="left" if column == "operation" else "right")
    for name, figures in summary.operations.items():
        table.add_row(
            name,
            f"{figures['requests']:,.0f}",
            f"{figures['failures']:,.0f}",
            f"{figures['rps']:,.1f}",
            *(f"{figures[k]:,.0f} ms" for k in ("p50_ms", "p90_ms", "p95_ms", "p99_ms", "max_ms")),
        )
    output.err.print(table)
