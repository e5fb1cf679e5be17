"""People-facing output on stderr: diagnostics, tables, progress. Data goes to stdout elsewhere.

Only this module and ``cli.py`` import rich or click. Every line goes through the plan's
``Redactor`` once the plan is known (``Output.hide``), crash logs included.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
import traceback
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
from intcheck.redact import Redactor, printable
from intcheck.report.summary import no_answer, summarize

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from intcheck.model import Contract, LoadSummary, Plan, Result
    from intcheck.plugins import Registry
    from intcheck.readiness import Readiness
    from intcheck.readiness.gates import GateOutcome
    from intcheck.report.writers import Written
    from intcheck.scenario import Outcome


def color_wanted() -> bool:
    """Colour unless NO_COLOR is set to anything but the empty string (no-color.org)."""
    return not os.environ.get("NO_COLOR")


class Output:
    """Where people-facing text goes; colour and progress follow the terminal."""

    def __init__(self, *, color: bool | None = None) -> None:
        self.interactive = sys.stderr.isatty()
        self.redactor = Redactor()
        self.err = self._console(color_wanted() if color is None else color)

    def _console(self, color: bool) -> Console:
        # In CI logs there is no terminal width to follow; a wide fixed width keeps tables whole.
        width = None if self.interactive else 160
        # Without colour, no styles either (no bold, no italics): plain text, no escape codes.
        return Console(
            stderr=True,
            color_system="auto" if color else None,
            highlight=False,
            soft_wrap=True,
            width=width,
        )

    def set_color(self, color: bool) -> None:
        """Turn colour on or off (``--no-color`` may come after the verb)."""
        self.err = self._console(color)

    def hide(self, secrets: Iterable[str]) -> None:
        """Mask ``secrets`` (the plan's) in everything printed or logged from now on."""
        self.redactor = Redactor(secrets)

    def _say(self, text: str, style: str | None = None) -> None:
        self.err.print(printable(self.redactor.text(text)), style=style, markup=False)

    def line(self, text: str) -> None:
        self._say(text)

    def take_logging(self) -> None:
        """Route warnings that libraries log (zeep, aiohttp, ours) through this, redacted."""
        root = logging.getLogger()
        for old in [h for h in root.handlers if isinstance(h, _Lines)]:
            root.removeHandler(old)  # an earlier Output's (main() called again, in tests)
        handler = _Lines(self)
        handler.setLevel(logging.WARNING)
        root.addHandler(handler)

    def crash_log(self, exc: BaseException) -> str:
        """Write ``exc``'s traceback, redacted, to a temporary file and return its path."""
        text = "".join(traceback.format_exception(exc))
        with tempfile.NamedTemporaryFile(
            "w", prefix="intcheck-crash-", suffix=".log", delete=False, encoding="utf-8"
        ) as log:
            log.write(printable(self.redactor.text(text)))
        return log.name

    def diagnostics(self, diagnostics: Iterable[Diagnostic]) -> None:
        items = list(diagnostics)
        for d in items:
            style = "yellow" if d.level is Level.WARNING else "red"
            head, _, hint = d.render().partition("\n")
            self._say(head, style)
            if hint:
                self._say(hint, "dim")
        errors = sum(1 for d in items if d.level is Level.ERROR)
        warnings = len(items) - errors
        if errors:
            self._say(
                f"{errors} error{'s' * (errors != 1)}"
                + (f", {warnings} warning{'s' * (warnings != 1)}" if warnings else ""),
                "bold red",
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
                printable(self.redactor.text(c.target)) or "-",
                ", ".join(integration.gates),
                ", ".join(registry.get(c.kind).capabilities) or "validate only",
            )
        self.err.print(table)

    def not_covered(self, verb: str, contracts: Iterable[Contract]) -> None:
        """Say which contracts ``verb`` leaves out: never skip an integration silently."""
        names = [f"{c.name} ({c.kind})" for c in contracts]
        if names:
            self._say(
                f"not covered by {verb} (reported as not tested): {', '.join(names)}", "yellow"
            )

    def served(self, endpoints: Iterable[tuple[str, str, str]]) -> None:
        for name, kind, url in endpoints:
            self._say(f"{name:<24} {kind:<7} {url}")

    def result(self, result: Result) -> None:
        """One line per result that needs attention; passes are counted, not printed."""
        if result.status in (Status.FAILED, Status.ERRORED):
            style = "red" if result.status is Status.FAILED else "magenta"
            self._say(
                f"{result.status.value.upper():<8} {result.case} [{result.check}] {result.message}",
                style,
            )

    def untested(self, verb: str, gate: str, names: list[str]) -> None:
        """Name the integrations whose required evidence the run could not produce."""
        if names:
            self._say(
                f"NOT TESTED: the plan needs {gate} evidence of {', '.join(names)}, "
                f"which {verb} cannot produce for their kind",
                "bold red",
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

    def report_summary(self, report: Report, written: Written) -> None:
        """Outages first, then the counts every report file shows, then the files."""
        summary = summarize(report)
        for outage in summary.outages:
            self._say(outage.line(), "magenta")
        state = "" if report.complete else " (INCOMPLETE: interrupted)"
        self._say(summary.cases.sentence("case") + state)
        self._say(summary.results.sentence("result"))
        for path in written.paths:
            self._say(f"  wrote {path}", "dim")
        for name, exc in written.failures:
            log = self.crash_log(exc)
            self._say(
                f"  could not write {name}: {type(exc).__name__}: {exc} (details in {log})",
                "bold red",
            )

    def scenarios(self, outcomes: Iterable[Outcome]) -> None:
        """One row per scenario played: its verdict and the first step that did not pass."""
        table = Table(title="scenarios", title_justify="left")
        for column in ("scenario", "story", "verdict", "steps passed", "first step not passed"):
            table.add_column(column)
        for outcome in outcomes:
            passed = sum(1 for step in outcome.steps if step["status"] == "passed")
            stuck = next((s for s in outcome.steps if s["status"] != "passed"), None)
            table.add_row(
                outcome.name,
                outcome.title,
                Text("passed", style="green") if outcome.passed else Text("FAILED", style="red"),
                f"{passed}/{len(outcome.steps)}",
                f"{stuck['number']}. {stuck['name']} ({stuck['status']})" if stuck else "-",
            )
        self.err.print(table)

    def readiness(self, readiness: Readiness, files: Iterable[str]) -> None:
        """The verdict table, the reasons, what changed, and where the outputs are."""
        style = _VERDICT_STYLE[readiness.verdict.value]
        table = Table(
            title=f"{readiness.plan_name}: {readiness.verdict.value}",
            title_justify="left",
            title_style=style,
        )
        gates = readiness.gate_names
        for column in ("integration", "criticality", "owner", "verdict", *gates):
            table.add_column(column)
        for v in readiness.integrations:
            cells = [_gate_cell(v.gate(gate)) for gate in gates]
            table.add_row(
                v.name,
                v.integration.criticality,
                v.integration.owner or "-",
                Text(v.verdict.value, style=_VERDICT_STYLE[v.verdict.value]),
                *cells,
            )
        self.err.print(table)
        if not readiness.reports:
            self.line("no report.json was found: every gate that needs evidence is NOT TESTED")
        if readiness.rollout_manual:
            self.line(f"rollout checklist: {readiness.rollout.summary}")
        for reason in readiness.reasons[:12]:
            self.err.print(f"  {reason}", style=style, markup=False)
        if len(readiness.reasons) > 12:
            self.line(f"  …and {len(readiness.reasons) - 12} more in readiness.md")
        changes = readiness.changes
        if changes is not None:
            moved = "; ".join(f"{c.name} {c.before} -> {c.after}" for c in changes.verdicts)
            self.line(
                f"since {changes.previous}: {len(changes.fixed)} fixed, {len(changes.new)} new, "
                f"{len(changes.still_open)} still open" + (f"; {moved}" if moved else "")
            )
        for path in files:
            self.err.print(f"  wrote {path}", style="dim", markup=False)
        self.err.print(
            f"verdict: {readiness.verdict.value} (exit {int(readiness.exit_code)})",
            style=style,
            markup=False,
        )


_VERDICT_STYLE = {"GO": "bold green", "GO WITH RISKS": "bold yellow", "NO-GO": "bold red"}


class _Lines(logging.Handler):
    """A logging handler that prints each record as one line of an ``Output``."""

    def __init__(self, output: Output) -> None:
        super().__init__()
        self.output = output
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.output.line(self.format(record))
        except Exception:  # a log line must never break the verb that logged it
            self.handleError(record)


def _gate_cell(outcome: GateOutcome | None) -> Text:
    """A gate's status for the verdict table; NOT TESTED shouts, as it blocks like a failure."""
    status = outcome.status.value if outcome is not None else "not required"
    if status == "not required":
        return Text("-", style="dim")
    if outcome is not None and not outcome.required:
        status += " (advisory)"
    style = {"met": "green", "met with risks": "yellow"}.get(status, "red")
    return Text(status.upper() if status == "not tested" else status, style=style)


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
        # A target that does not answer errs on every check of every case for one reason:
        # say it once per integration (the summary counts them), not hundreds of times.
        # A case that errs on every check for one reason is said once per case.
        outage = no_answer(result)
        said = (result.integration if outage else result.case, result.message)
        if result.status is not Status.ERRORED:
            self.output.result(result)
        elif said not in self._said:
            self._said.add(said)
            self.output.result(result)
            if outage:
                self.output.line(
                    f"         (further checks of {result.integration} without an answer for"
                    " this reason are counted, not printed)"
                )
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
        self._said = ""  # the last line printed for good (not the live one)

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
        if self._text and self._text != self._said:
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
            self._said = self._text
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
