"""Every request of a scenario, built up front in the parent through each step's kind.

Locust's users only send: a CTI callback's signature, a SOAP envelope, a form-encoded SMS send
are made here by the kinds (``Kind.load``), outside gevent. Each flow runs on records of the
plan's datasets — one record per flow run — so a screen pop, the lookup after it and the order
history all speak of the same customer; the step values take the record's fields. The result
goes to the Locust child as one JSON file (``write_handoff``) whose path it reads from the
environment.
"""

from __future__ import annotations

import base64
import json
import math
import random
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, unquote_plus

from intcheck.errors import ContractError, UsageError
from intcheck.kinds.loading import LoadContext, LoadRequest, PinnedIndex
from intcheck.load.templates import resolve
from intcheck.model import Diagnostic, Level
from intcheck.probe.runner import dataset_index

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from intcheck.kinds.probing import DatasetIndex
    from intcheck.load.scenario import Flow, Scenario, Shape, Step
    from intcheck.model import Contract
    from intcheck.plugins import Registry

MAX_RUNS = 200  # flow runs prepared per flow: enough variety, a handoff file of a few MB at most
VARIANTS = 64  # requests prepared per step over all runs (fresh call ids, message texts, ...)


@dataclass(frozen=True, slots=True)
class PreparedFlow:
    """A flow's covered steps and, per flow run, per step, the request variants to pick from."""

    flow: Flow
    steps: tuple[Step, ...]
    runs: tuple[tuple[tuple[LoadRequest, ...], ...], ...]


@dataclass(frozen=True, slots=True)
class Prepared:
    """What the child sends, the contracts no kind could build load for, and warnings."""

    flows: tuple[PreparedFlow, ...]
    uncovered: tuple[Contract, ...]
    warnings: tuple[Diagnostic, ...] = ()

    @property
    def operations(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.operation.id for f in self.flows for s in f.steps))


def prepare(scenario: Scenario, *, targets: Mapping[str, str], registry: Registry) -> Prepared:
    """Build every flow's requests; ContractError names the step a kind could not build."""
    known = {c.name for c in scenario.plan.contracts}
    unknown = sorted(set(targets) - known)
    if unknown:
        raise UsageError(
            f"--target names no contract of the plan: {', '.join(unknown)}; "
            f"contracts: {', '.join(sorted(known))}"
        )
    builder = _Builder(scenario, targets, registry)
    flows = tuple(f for f in (builder.flow(flow) for flow in scenario.flows) if f is not None)
    if builder.problems:
        raise ContractError(builder.problems)
    return Prepared(
        flows=flows,
        uncovered=tuple(builder.uncovered.values()),
        warnings=tuple(builder.warnings),
    )


class _Builder:
    def __init__(self, scenario: Scenario, targets: Mapping[str, str], registry: Registry) -> None:
        self.scenario, self.targets, self.registry = scenario, targets, registry
        self.index: DatasetIndex = dataset_index(scenario.plan)
        self.rng = random.Random(scenario.seed)
        self.problems: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []
        self.uncovered: dict[str, Contract] = {}

    def flow(self, flow: Flow) -> PreparedFlow | None:
        steps = []
        for step in flow.steps:
            kind = self.registry.kinds.get(step.contract.kind)
            if kind is None or kind.load is None:
                self.uncovered.setdefault(step.contract.name, step.contract)
            else:
                steps.append(step)
        if not steps:
            return None
        records: list[Mapping[str, Any]] = list(flow.records) or [{}]
        if len(records) > MAX_RUNS:
            records = self.rng.sample(records, MAX_RUNS)
        variants = max(1, math.ceil(VARIANTS / len(records)))
        runs = []
        for number, record in enumerate(records):
            run = []
            for step in steps:
                built = self.step(step, record, variants, check=number == 0)
                if built is None:
                    return None
                run.append(built)
            runs.append(tuple(run))
        return PreparedFlow(flow=flow, steps=tuple(steps), runs=tuple(runs))

    def step(
        self, step: Step, record: Mapping[str, Any], variants: int, *, check: bool
    ) -> tuple[LoadRequest, ...] | None:
        contract = step.contract
        target = self.targets.get(contract.name) or contract.target
        if not target:
            raise UsageError(
                f"{contract.name} has no target: set `target:` in {contract.source.path.name} "
                f"or pass --target {contract.name}=URL"
            )
        values = {name: resolve(v, record, self.rng) for name, v in step.values.items()}
        driver = self.registry.get(contract.kind).load
        assert driver is not None  # flow() kept only steps whose kind can load
        ctx = LoadContext(
            contract=contract,
            operation=step.operation,
            target=target,
            index=PinnedIndex(self.index, values),
            rng=self.rng,
            count=variants,
            values=values,
        )
        try:
            built = driver.load_requests(ctx)
        except Exception as exc:  # a kind's refusal is the user's to fix: say where
            self.problems.append(
                Diagnostic(
                    source=step.source,
                    field="operation",
                    message=f"cannot build load requests for {step.operation.id}: {exc}",
                    rule="load-step",
                )
            )
            return None
        if not built:
            self.problems.append(
                Diagnostic(
                    source=step.source,
                    field="operation",
                    message=f"the {contract.kind} kind built no request for {step.operation.id}",
                    rule="load-step",
                )
            )
            return None
        if step.expect_status:
            built = [replace(r, ok_statuses=step.expect_status) for r in built]
        if check:
            self.check_values(step, values, built[0])
        return tuple(built)

    def check_values(self, step: Step, values: Mapping[str, Any], request: LoadRequest) -> None:
        """Warn when a step value is nowhere in the request: a misspelt parameter name.

        A kind may write a value its own way (``+4915…`` as ``4915…`` in a Vonage send, a
        number in national form): a number counts as present when its last eight digits are.
        """
        body = request.body.decode("utf-8", "replace")
        seen = " ".join([unquote(request.url), unquote_plus(body), body, *request.headers.values()])
        digits = "".join(c for c in seen if c.isdigit())
        for name, value in values.items():
            own = "".join(c for c in str(value) if c.isdigit())
            if str(value) not in seen and not (len(own) >= 8 and own[-8:] in digits):
                self.warnings.append(
                    Diagnostic(
                        source=step.source,
                        field=f"values.{name}",
                        message=(
                            f"{value!r} does not appear in the request built for "
                            f"{step.operation.id}"
                        ),
                        hint=f"does {step.operation.id} take an input named {name!r}?",
                        level=Level.WARNING,
                        rule="load-value-unused",
                    )
                )


def write_handoff(
    path: Path,
    scenario: Scenario,
    prepared: Prepared,
    shape: Shape,
    *,
    progress: Path,
    outcome: Path,
    parent_pid: int,
    startup_s: float = 60.0,
) -> None:
    """The JSON file the Locust child reads: requests (each once), flows, shape, abort SLOs."""
    table: dict[tuple[Any, ...], int] = {}
    requests: list[list[Any]] = []

    def ref(request: LoadRequest) -> int:
        key = (
            request.name,
            request.method,
            request.url,
            tuple(request.headers.items()),
            request.body,
            request.ok_statuses,
        )
        if key not in table:
            table[key] = len(requests)
            body = base64.b64encode(request.body).decode("ascii")
            ok = list(request.ok_statuses)
            requests.append([request.name, request.method, request.url, request.headers, body, ok])
        return table[key]

    flows = [
        {
            "name": prepared_flow.flow.name,
            "weight": prepared_flow.flow.weight,
            "think": [s.think or prepared_flow.flow.think for s in prepared_flow.steps],
            "runs": [[[ref(r) for r in step] for step in run] for run in prepared_flow.runs],
        }
        for prepared_flow in prepared.flows
    ]
    ends, elapsed = [], 0.0
    for stage in shape.stages:
        elapsed += stage.duration_s
        ends.append([elapsed, stage.users, stage.spawn_rate])
    document = {
        "version": 1,
        "scenario": scenario.name,
        "seed": scenario.seed,
        "timeout_s": scenario.timeout_s,
        "stages": ends,
        "arrival_rate": shape.arrival_rate,
        "wait": list(shape.wait),
        "requests": requests,
        "flows": flows,
        "abort": [
            {"operation": slo.operation, "figure": figure, "limit": limit}
            for slo in scenario.slos
            if slo.abort
            for figure, limit in slo.limits.items()
        ],
        "warm_up_s": scenario.warm_up_s,
        "progress": str(progress),
        "outcome": str(outcome),
        "parent_pid": parent_pid,
        "startup_s": startup_s,
    }
    path.write_text(json.dumps(document, separators=(",", ":")), "utf-8")
