"""A load scenario (``load/*.yaml``): flows of contract operations, the load shape, the SLOs.

The file is checked like a contract: its own JSON Schema (``scenario.schema.json``, shipped in
the package) with the same ``file:line:col: field: expected …, got …`` messages, then what a
schema cannot say — that each step names an operation of the plan, that a flow's ``data`` is a
collection of the plan's datasets whose records have the fields the step values take, that the
shape is either users for a duration or stages. Every problem is gathered and raised once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from intcheck.contracts import load_plan
from intcheck.contracts.schema import diagnose, did_you_mean
from intcheck.contracts.yamlsrc import SourceDoc, YamlSyntaxError, dotted, escape, parse_yaml
from intcheck.data import merged_collections
from intcheck.errors import ContractError, UsageError
from intcheck.load.templates import TemplateError, fields_of, resolve
from intcheck.model import Contract, Diagnostic, Operation, Plan, SourceRef
from intcheck.plugins import Registry

_DURATION = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)$")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_HINTS = {
    "plan": "the plan this scenario loads, relative to this file: plan: ../contracts/",
    "flows": "list the user flows: flows: [{name: lookup, steps: [{operation: ...}]}]",
    "shape": "say how much load: shape: {users: 50, spawn_rate: 10, duration: 30s}",
    "steps": "each flow is a list of steps: steps: [{operation: customer-master:GET /customers}]",
}
FIGURES = ("p50_ms", "p90_ms", "p95_ms", "p99_ms", "max_ms", "error_rate", "min_rps")


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One call of a flow: an operation, the values it sends (templates over the flow record)."""

    contract: Contract
    operation: Operation
    values: Mapping[str, Any] = field(default_factory=dict)
    expect_status: tuple[int, ...] = ()
    think: tuple[float, float] | None = None  # pause after this step instead of the flow's
    source: SourceRef


@dataclass(frozen=True, slots=True, kw_only=True)
class Flow:
    """What one user does in one go, e.g. a screen pop, the lookup and the order history."""

    name: str
    weight: float
    steps: tuple[Step, ...]
    records: tuple[Mapping[str, Any], ...] = ()  # the flow's data; empty without ``data``
    collection: str = ""
    think: tuple[float, float] = (0.0, 0.0)
    source: SourceRef


@dataclass(frozen=True, slots=True, kw_only=True)
class Stage:
    """Hold ``users`` for ``duration_s``, starting or stopping ``spawn_rate`` of them a second."""

    duration_s: float
    users: int
    spawn_rate: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Shape:
    """The load over time; ``arrival_rate`` (flows/s over all users) makes it an open model."""

    stages: tuple[Stage, ...]
    arrival_rate: float | None = None
    wait: tuple[float, float] = (0.0, 0.0)

    @property
    def duration_s(self) -> float:
        return sum(stage.duration_s for stage in self.stages)

    @property
    def peak_users(self) -> int:
        return max(stage.users for stage in self.stages)

    def lasting(self, duration_s: float) -> Shape:
        """The same shape stretched or shrunk to ``duration_s`` (``--duration``)."""
        factor = duration_s / self.duration_s
        stages = tuple(replace(s, duration_s=s.duration_s * factor) for s in self.stages)
        return replace(self, stages=stages)


@dataclass(frozen=True, slots=True, kw_only=True)
class Slo:
    """Limits for one operation (``operation`` set) or for the whole run."""

    operation: str = ""  # operation id; "" for the whole run
    limits: Mapping[str, float] = field(default_factory=dict)  # figure -> limit
    abort: bool = False
    source: SourceRef | None = None
    origin: str = "scenario"  # or "contract sla" when taken from the contract


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    """A checked scenario and the plan it runs against."""

    name: str
    path: Path
    plan: Plan
    flows: tuple[Flow, ...]
    shape: Shape
    slos: tuple[Slo, ...] = ()
    seed: int = 0
    timeout_s: float = 10.0
    warm_up_s: float = 5.0
    description: str = ""

    @property
    def steps(self) -> tuple[Step, ...]:
        return tuple(step for flow in self.flows for step in flow.steps)


@cache
def scenario_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file, as shipped in the package."""
    text = resources.files("intcheck.load").joinpath("scenario.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def seconds(value: Any) -> float:
    """``30s``, ``500ms``, ``2m``, ``1.5h`` or a bare number of seconds, in seconds.

    UsageError for anything else (a YAML value has passed the schema already; this is for
    ``--duration``).
    """
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    match = _DURATION.match(text)
    if match is None and re.fullmatch(r"[0-9]+(\.[0-9]+)?", text):
        return float(text)
    if match is None or float(match.group(1)) <= 0:
        raise UsageError(f"{value!r} is not a duration: write 30s, 500ms, 2m or 1.5h")
    return float(match.group(1)) * _UNIT_S[match.group(2)]


def _pause(value: Any) -> tuple[float, float]:
    if isinstance(value, list):
        return (seconds(value[0]), seconds(value[1]))
    return (seconds(value), seconds(value))


def load_scenario(path: Path, *, registry: Registry | None = None) -> Scenario:
    """Read and check the scenario at ``path`` and the plan it names; ContractError lists all."""
    registry = Registry.default() if registry is None else registry
    try:
        doc = parse_yaml(path)
    except YamlSyntaxError as exc:
        raise ContractError([exc.diagnostic]) from None
    except OSError as exc:
        where = SourceRef(path=path)
        raise ContractError(
            [Diagnostic(source=where, field="", message=f"cannot read the scenario: {exc}")]
        ) from None
    validator = Draft202012Validator(scenario_schema())
    problems = diagnose(validator, doc, doc.data, dict(_HINTS))
    if problems:
        raise ContractError(problems)
    data: dict[str, Any] = doc.data
    plan_path = path.parent / data["plan"]
    if not plan_path.exists():
        raise ContractError(
            [
                Diagnostic(
                    source=doc.ref("/plan"),
                    field="plan",
                    message=f"no plan at {data['plan']!r} (relative to this file)",
                    hint="name a plan file or a folder with plan.yaml, e.g. plan: ../contracts/",
                    rule="missing-file",
                )
            ]
        )
    plan = load_plan(plan_path, registry=registry)
    return _Reader(doc, plan).scenario()


class _Reader:
    """What the schema cannot say, checked against the plan; diagnostics gathered."""

    def __init__(self, doc: SourceDoc, plan: Plan) -> None:
        self.doc, self.plan = doc, plan
        self.problems: list[Diagnostic] = []
        self.collections = merged_collections(plan)

    def error(self, pointer: str, message: str, *, hint: str = "", key: bool = False) -> None:
        self.problems.append(
            Diagnostic(
                source=self.doc.ref(pointer, key=key),
                field=dotted(pointer),
                message=message,
                hint=hint,
                rule="scenario",
            )
        )

    def scenario(self) -> Scenario:
        data = self.doc.data
        flows = tuple(self.flow(item, f"/flows/{i}") for i, item in enumerate(data["flows"]))
        names = [flow.name for flow in flows]
        for i, name in enumerate(names):
            if name in names[:i]:
                self.error(f"/flows/{i}/name", f"a second flow named {name!r}")
        shape = self.shape(data["shape"])
        slos_data = data.get("slos") or {}
        slos = self.slos(slos_data, flows)
        if self.problems:
            raise ContractError(self.problems)
        return Scenario(
            name=data["name"],
            description=data.get("description", ""),
            path=self.doc.path,
            plan=self.plan,
            flows=flows,
            shape=shape,
            slos=slos,
            seed=int(data.get("seed", 0)),
            timeout_s=seconds(data.get("timeout", 10)),
            warm_up_s=seconds(slos_data.get("warm_up", 5)),
        )

    def flow(self, item: Mapping[str, Any], where: str) -> Flow:
        collection = item.get("data", "")
        records: tuple[Mapping[str, Any], ...] = ()
        if collection:
            records = self.records(collection, item.get("where") or {}, where)
        steps = []
        for i, entry in enumerate(item["steps"]):
            step = self.step(entry, f"{where}/steps/{i}", collection, records)
            if step is not None:
                steps.append(step)
                records = self.usable(records, step, f"{where}/steps/{i}")
        return Flow(
            name=item["name"],
            weight=float(item.get("weight", 1)),
            steps=tuple(steps),
            records=records,
            collection=collection,
            think=_pause(item["think"]) if "think" in item else (0.0, 0.0),
            source=self.doc.ref(where),
        )

    def records(
        self, collection: str, where_fields: Mapping[str, Any], where: str
    ) -> tuple[Mapping[str, Any], ...]:
        if collection not in self.collections:
            known = sorted(self.collections)
            self.error(
                f"{where}/data",
                f"no collection {collection!r} in the plan's datasets",
                hint=did_you_mean(collection, known) or f"collections: {', '.join(known)}",
            )
            return ()
        chosen = tuple(
            record
            for record in self.collections[collection]
            if all(record.get(k) == v for k, v in where_fields.items())
        )
        if not chosen:
            self.error(f"{where}/where", f"no record of {collection} has all of {where_fields}")
        return chosen

    def usable(
        self, records: tuple[Mapping[str, Any], ...], step: Step, where: str
    ) -> tuple[Mapping[str, Any], ...]:
        """The records every template of ``step`` can be filled from."""
        if not records:
            return records
        kept = []
        for record in records:
            try:
                for value in step.values.values():
                    resolve(value, record, None)
                kept.append(record)
            except TemplateError:
                continue
        if not kept:
            for name, value in step.values.items():
                try:
                    resolve(value, records[0], None)
                except TemplateError as exc:
                    sample = ", ".join(sorted(str(k) for k in records[0]))
                    self.error(
                        f"{where}/values/{escape(name)}",
                        f"{exc} in the flow's records",
                        hint=f"fields of these records: {sample}",
                    )
        return tuple(kept)

    def step(
        self,
        entry: Mapping[str, Any],
        where: str,
        collection: str,
        records: tuple[Mapping[str, Any], ...],
    ) -> Step | None:
        found = self.operation(entry["operation"], f"{where}/operation")
        values = dict(entry.get("values") or {})
        for name, value in values.items():
            if fields_of(value) and not collection:
                self.error(
                    f"{where}/values/{escape(name)}",
                    f"{value!r} takes a field of the flow's record, but the flow has no `data:`",
                    hint="add data: customers (or another collection) to the flow",
                )
        if found is None:
            return None
        contract, operation = found
        return Step(
            contract=contract,
            operation=operation,
            values=values,
            expect_status=tuple(entry.get("expect_status") or ()),
            think=_pause(entry["think"]) if "think" in entry else None,
            source=self.doc.ref(where),
        )

    def operation(self, ref: str, where: str) -> tuple[Contract, Operation] | None:
        """``<contract>:<operation>`` as a contract and one of its operations."""
        name, _, op_name = ref.partition(":")
        contracts = {c.name: c for c in self.plan.contracts}
        contract = contracts.get(name)
        if contract is None:
            self.error(
                where,
                f"no contract named {name!r} in the plan",
                hint=did_you_mean(name, sorted(contracts)) or f"contracts: {', '.join(contracts)}",
            )
            return None
        operation = contract.operation(op_name)
        if operation is None:
            known = [op.name for op in contract.operations]
            aliases = [alias for op in contract.operations for alias in op.aliases]
            listed = ", ".join(known[:12]) + (" ..." if len(known) > 12 else "")
            self.error(
                where,
                f"{name} has no operation {op_name!r}",
                hint=did_you_mean(op_name, known + aliases) or f"operations: {listed}",
            )
            return None
        return contract, operation

    def shape(self, data: Mapping[str, Any]) -> Shape:
        wait = _pause(data["wait"]) if "wait" in data else (0.0, 0.0)
        rate = data.get("arrival_rate")
        if "stages" in data:
            for key in ("users", "duration", "spawn_rate"):
                if key in data:
                    self.error(
                        f"/shape/{key}",
                        "stages say the users over time: leave out users, spawn_rate and duration",
                        key=True,
                    )
            if rate is not None:
                self.error(
                    "/shape/arrival_rate",
                    "an arrival rate needs a constant number of users: use users and duration",
                    key=True,
                )
            stages = tuple(
                Stage(
                    duration_s=seconds(s["duration"]),
                    users=s["users"],
                    spawn_rate=float(s.get("spawn_rate", max(s["users"], 1))),
                )
                for s in data["stages"]
            )
            if all(stage.users == 0 for stage in stages):
                self.error("/shape/stages", "every stage has 0 users: nothing would be sent")
            return Shape(stages=stages, wait=wait)
        for key in ("users", "duration"):
            if key not in data:
                self.error("/shape", f"{key}: missing: give users and duration, or stages")
        if rate is not None and "wait" in data:
            self.error(
                "/shape/wait",
                "with an arrival_rate users wait to keep the rate; leave out wait",
                key=True,
            )
        users = int(data.get("users", 1))
        stage = Stage(
            duration_s=seconds(data.get("duration", 1)),
            users=users,
            spawn_rate=float(data.get("spawn_rate", users)),
        )
        return Shape(stages=(stage,), arrival_rate=rate, wait=wait)

    def slos(self, data: Mapping[str, Any], flows: tuple[Flow, ...]) -> tuple[Slo, ...]:
        called = {step.operation.id: step for flow in flows for step in flow.steps}
        found: list[Slo] = []
        if "overall" in data:
            found.append(self.slo("", data["overall"], "/slos/overall"))
        for ref, limits in (data.get("operations") or {}).items():
            where = f"/slos/operations/{escape(ref)}"
            located = self.operation(ref, where) if ":" in ref else None
            if ":" not in ref:
                self.error(where, f"{ref!r}: expected <contract>:<operation>", key=True)
            if located is None:
                continue
            operation = located[1]
            if operation.id not in called:
                self.error(
                    where,
                    f"no step calls {operation.id}: this SLO could never be judged",
                    hint="steps call: " + ", ".join(sorted(called)),
                    key=True,
                )
                continue
            found.append(self.slo(operation.id, limits, where))
        if data.get("contract_sla", True):
            found += self.contract_slas(called, {s.operation for s in found})
        return tuple(found)

    def slo(self, operation: str, data: Mapping[str, Any], where: str) -> Slo:
        limits = {k: float(v) for k, v in data.items() if k in FIGURES}
        if not limits:
            self.error(where, "no limit given", hint="set one of " + ", ".join(FIGURES))
        return Slo(
            operation=operation,
            limits=limits,
            abort=bool(data.get("abort", False)),
            source=self.doc.ref(where),
        )

    @staticmethod
    def contract_slas(called: Mapping[str, Step], own: set[str]) -> list[Slo]:
        """Each called operation's contract ``sla``, where the scenario sets no SLO of its own."""
        out = []
        for operation_id, step in called.items():
            sla = step.contract.sla
            limits = {
                k: float(v)
                for k, v in (("p95_ms", sla.p95_ms), ("error_rate", sla.error_rate))
                if v is not None
            }
            if limits and operation_id not in own:
                out.append(
                    Slo(
                        operation=operation_id,
                        limits=limits,
                        source=step.contract.source,
                        origin="contract sla",
                    )
                )
        return out
