"""``run_scenarios``: each story played step by step against the plan's targets (or the mocks).

A step is built by its contract's kind, exactly as the probe builds the contract's own written
cases (``Prober.build_cases`` on the contract with the step as its one ``cases:`` entry), sent
through the probe's hardened client and judged by the probe's checks, so a scenario's evidence
reads like a probe's. Values a step saves feed the later steps; a step whose values an earlier
step could not give is SKIPPED, saying which.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from intcheck.kinds.probing import PerformContext
from intcheck.model import Evidence, Result, Severity, Status, worst
from intcheck.plugins import Registry
from intcheck.probe.checks import run_checks
from intcheck.probe.runner import dataset_index
from intcheck.probe.transport import Timeouts, create_session, send
from intcheck.redact import Redactor
from intcheck.scenario.answers import NotInAnswer, extract
from intcheck.scenario.story import PLACEHOLDER

if TYPE_CHECKING:
    from pathlib import Path

    import aiohttp

    from intcheck.kinds.probing import Exchange, ProbeCase
    from intcheck.scenario.story import Scenario, Step

STEP_CHECK = "step_can_run"
SAVE_CHECK = "answer_gives_saved_value"


@dataclass(frozen=True, slots=True, kw_only=True)
class ScenarioOptions:
    """Which scenarios to play, against which targets, how patiently."""

    only: tuple[str, ...] = ()  # scenario names; all when empty
    targets: Mapping[str, str] = field(default_factory=dict)  # contract name -> URL
    timeout_s: float = 10.0
    insecure: bool = False
    registry: Registry = field(default_factory=Registry.default)
    artifacts: Path | None = None


@dataclass(slots=True)
class Outcome:
    """How one scenario went, step by step, for the report's ``environment.scenarios``."""

    name: str
    title: str
    owner: str
    steps: list[dict[str, Any]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(step["status"] == Status.PASSED.value for step in self.steps)

    def as_dict(self) -> dict[str, Any]:
        verdict = "passed" if self.passed else "failed"
        return {"name": self.name, "title": self.title, "owner": self.owner, "verdict": verdict,
                "steps": self.steps}  # fmt: skip


async def run_scenarios(
    scenarios: list[Scenario], options: ScenarioOptions, outcomes: list[Outcome] | None = None
) -> AsyncIterator[Result]:
    """Play every selected scenario in order; yield each step's Results as it is judged.

    ``outcomes`` (when given) receives one ``Outcome`` per scenario played.
    """
    timeouts = Timeouts.from_total(options.timeout_s)
    async with create_session(timeouts, insecure=options.insecure, concurrency=4) as session:
        for scenario in scenarios:
            if options.only and scenario.name not in options.only:
                continue
            outcome = Outcome(scenario.name, scenario.title, scenario.owner)
            if outcomes is not None:
                outcomes.append(outcome)
            player = _Player(scenario, options, session, timeouts)
            for step in scenario.steps:
                results = await player.play(step)
                outcome.steps.append(
                    {
                        "number": step.number,
                        "name": step.name,
                        "contract": step.contract,
                        "status": worst(r.status for r in results).value,
                    }
                )
                for result in results:
                    yield result


class _Player:
    """One scenario's run: its plan, the values saved so far, and the client."""

    def __init__(
        self,
        scenario: Scenario,
        options: ScenarioOptions,
        session: aiohttp.ClientSession,
        timeouts: Timeouts,
    ) -> None:
        self.scenario = scenario
        self.options = options
        self.session = session
        self.timeouts = timeouts
        self.redactor = Redactor(scenario.plan.secrets)
        self.index = dataset_index(scenario.plan)
        self.values: dict[str, Any] = {}

    async def play(self, step: Step) -> list[Result]:
        missing = sorted(step.needs - set(self.values))
        if missing:
            return [self._skipped(step, f"needs {', '.join(missing)}, which no earlier step gave")]
        case = self._build(step)
        if case is None:
            return [self._skipped(step, "its kind built no request from this step")]
        if case.perform is not None:
            context = PerformContext(
                timeout_s=self.options.timeout_s,
                insecure=self.options.insecure,
                artifacts=self.options.artifacts,
            )
            exchange = await case.perform(context)
        else:
            exchange = await send(self.session, case.request, self.timeouts)
        results = [self._relabel(step, r) for r in run_checks(case, exchange, self.redactor)]
        if not exchange.error:
            results += self._save(step, case, exchange)
        return results

    def _build(self, step: Step) -> ProbeCase | None:
        """The step as its kind builds a written case, with the saved values put in."""
        contract = self.scenario.plan.contract(step.contract)
        entry = _substituted(step.case, self.values)
        written = replace(
            contract,
            settings={**contract.settings, "cases": [entry]},
            case_sources=(step.source,),
        )
        target = self.options.targets.get(contract.name) or contract.target
        prober = self.options.registry.get(contract.kind).probe
        if prober is None:
            return None
        name = f"case:{entry['name']}"
        built = prober.build_cases(written, target, self.index)
        return next((c for c in built if c.id.endswith(name) and not c.skip), None)

    def _save(self, step: Step, case: ProbeCase, exchange: Exchange) -> list[Result]:
        results = []
        for name, pointer in step.save.items():
            try:
                self.values[name] = extract(exchange.body, exchange.content_type, pointer)
            except NotInAnswer as exc:
                results.append(
                    self._result(step, SAVE_CHECK, Status.FAILED, f"cannot save {name}: {exc}")
                )
            else:
                shown = self.redactor.text(str(self.values[name]))
                results.append(
                    self._result(step, SAVE_CHECK, Status.PASSED, f"saved {name} = {shown}")
                )
        return results

    def _case_id(self, step: Step) -> str:
        return f"{step.contract}:scenario:{self.scenario.name}#{step.number}"

    def _relabel(self, step: Step, result: Result) -> Result:
        return replace(result, case=self._case_id(step), source=step.source)

    def _skipped(self, step: Step, why: str) -> Result:
        return self._result(step, STEP_CHECK, Status.SKIPPED, f"step {step.number} not sent: {why}")

    def _result(self, step: Step, check: str, status: Status, message: str) -> Result:
        contract = self.scenario.plan.contract(step.contract)
        operation = contract.operation(str(step.case.get("operation", "")))
        return Result(
            integration=step.contract,
            operation=operation.id if operation else f"{step.contract}:*",
            case=self._case_id(step),
            check=check,
            status=status,
            severity=Severity.HIGH if status is Status.FAILED else Severity.INFO,
            message=message,
            source=step.source,
            evidence=Evidence(details={"scenario": self.scenario.name, "step": step.name}),
        )


def _substituted(value: Any, values: Mapping[str, Any]) -> Any:
    """``value`` with every ``{name}`` replaced; a string that is only one keeps its type."""
    if isinstance(value, str):
        whole = PLACEHOLDER.fullmatch(value)
        if whole and whole.group(1) in values:
            return values[whole.group(1)]
        return PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), value)
    if isinstance(value, Mapping):
        return {
            key: inner if key == "operation" else _substituted(inner, values)
            for key, inner in value.items()
        }
    if isinstance(value, list):
        return [_substituted(inner, values) for inner in value]
    return value


__all__ = ["Outcome", "ScenarioOptions", "run_scenarios"]
