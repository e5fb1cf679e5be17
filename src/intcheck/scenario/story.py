"""Test scenarios (``scenarios/*.yaml``) read and checked against their plan, with file:line errors.

A scenario is a key user's story across integrations — "a known customer calls from their mobile,
the CRM pops the record, the agent opens the order history, the CRM confirms by SMS". Each step
is one *written case* of its contract's kind, in the same vocabulary as that contract's
``cases:`` entries, so a step is validated by the kind's own schema and built by the kind's own
prober. ``save`` keeps a value from a step's answer; later steps use it as ``{name}``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from intcheck.contracts import load_plan
from intcheck.contracts.interpolate import interpolate
from intcheck.contracts.schema import diagnose, did_you_mean
from intcheck.contracts.yamlsrc import SourceDoc, YamlSyntaxError, dotted, escape, parse_yaml
from intcheck.errors import ContractError, UsageError
from intcheck.model import Diagnostic, Plan, SourceRef
from intcheck.plugins import Registry, common_contract_schema

# A value saved by an earlier step, used in a later one: {customer_id}.
PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One step of a story: a written case of ``contract``'s kind, and what to keep from it."""

    number: int  # 1-based
    name: str
    contract: str
    case: Mapping[str, Any]  # the kind's written-case entry; its name is "step-<number>"
    save: Mapping[str, str] = field(default_factory=dict)  # value name -> pointer
    needs: frozenset[str] = frozenset()  # the saved values its case uses
    source: SourceRef


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    """A key user's test story, played in order against the plan's targets."""

    name: str
    title: str
    plan: Plan
    steps: tuple[Step, ...]
    source: SourceRef
    description: str = ""
    owner: str = ""


@cache
def _scenario_validator() -> Draft202012Validator:
    text = resources.files("intcheck.scenario").joinpath("scenario.schema.json")
    return Draft202012Validator(json.loads(text.read_text("utf-8")))


def scenario_files(path: Path) -> list[Path]:
    """The scenario at ``path``, or every ``*.yaml``/``*.yml`` in the folder, sorted."""
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
    return [path]


def load_scenarios(
    path: str | Path,
    *,
    registry: Registry | None = None,
    environ: Mapping[str, str] | None = None,
) -> list[Scenario]:
    """Every scenario at ``path`` (a file or a folder), each checked against its plan.

    Raises ``ContractError`` with every problem of every file, sorted by file and line.
    """
    registry = Registry.default() if registry is None else registry
    environ = os.environ if environ is None else environ
    files = scenario_files(Path(path))
    problems: list[Diagnostic] = []
    if not files:
        where = SourceRef(path=Path(path).absolute())
        reason = "no such file or folder" if not Path(path).exists() else "no *.yaml scenarios"
        raise ContractError([_error(where, "", f"cannot read scenarios: {reason}", "missing-file")])
    plans: dict[Path, Plan | None] = {}
    scenarios = [
        scenario
        for file in files
        if (scenario := _load(file.absolute(), registry, environ, plans, problems)) is not None
    ]
    if problems:
        raise ContractError(sorted(problems, key=lambda d: d.sort_key))
    return scenarios


def _load(
    path: Path,
    registry: Registry,
    environ: Mapping[str, str],
    plans: dict[Path, Plan | None],
    problems: list[Diagnostic],
) -> Scenario | None:
    try:
        doc = parse_yaml(path)
    except YamlSyntaxError as exc:
        problems.append(exc.diagnostic)
        return None
    except OSError as exc:
        problems.append(
            _error(SourceRef(path=path), "", f"cannot read file: {exc}", "missing-file")
        )
        return None
    substituted = interpolate(doc, environ)
    problems.extend(substituted.diagnostics)
    found = diagnose(_scenario_validator(), doc, substituted.data)
    problems.extend(found)
    if substituted.diagnostics or found:
        return None
    data: dict[str, Any] = substituted.data
    plan = _plan(path, data["plan"], doc, registry, plans, problems)
    if plan is None:
        return None
    steps: list[Step] = []
    saved: set[str] = set()
    for index, entry in enumerate(data["steps"]):
        step = _step(index, entry, doc, plan, registry, saved, problems)
        if step is not None:
            steps.append(step)
        saved |= set(entry.get("save", {}))
    if len(steps) != len(data["steps"]):
        return None
    return Scenario(
        name=data["name"],
        title=data["title"],
        description=data.get("description", ""),
        owner=data.get("owner", ""),
        plan=plan,
        steps=tuple(steps),
        source=doc.ref("/name"),
    )


def _plan(
    path: Path,
    written: str,
    doc: SourceDoc,
    registry: Registry,
    plans: dict[Path, Plan | None],
    problems: list[Diagnostic],
) -> Plan | None:
    """The scenario's plan, loaded once per run however many scenarios name it."""
    plan_path = (path.parent / written).resolve()
    if plan_path not in plans:
        if not plan_path.exists():
            problems.append(
                _error(doc.ref("/plan"), "/plan", f"plan not found: {written}", "missing-file")
            )
            plans[plan_path] = None
        else:
            try:
                plans[plan_path] = load_plan(plan_path, registry=registry)
            except ContractError as exc:
                problems.extend(exc.diagnostics)
                plans[plan_path] = None
    return plans[plan_path]


def _step(
    index: int,
    entry: Mapping[str, Any],
    doc: SourceDoc,
    plan: Plan,
    registry: Registry,
    saved: set[str],
    problems: list[Diagnostic],
) -> Step | None:
    at = f"/steps/{index}"
    names = [c.name for c in plan.contracts]
    if entry["contract"] not in names:
        hint = did_you_mean(entry["contract"], names) or f"the plan's contracts: {', '.join(names)}"
        problems.append(
            _error(
                doc.ref(f"{at}/contract"),
                f"{at}/contract",
                f"{entry['contract']!r} is no contract of plan {plan.name!r}",
                "unknown-contract",
                hint,
            )
        )
        return None
    contract = plan.contract(entry["contract"])
    kind = registry.get(contract.kind)
    written = kind.vocabulary.get("properties", {}).get("cases", {}).get("items")
    if kind.probe is None or not isinstance(written, dict):
        problems.append(
            _error(
                doc.ref(f"{at}/contract"),
                f"{at}/contract",
                f"{contract.kind} contracts take no written cases yet, so a step cannot go "
                f"through {contract.name}",
                "not-covered",
            )
        )
        return None
    case = {"name": f"step-{index + 1}", **entry["case"]}
    found = diagnose(_case_validator(contract.kind, written), doc, case, prefix=f"{at}/case")
    problems.extend(found)
    if found:
        return None
    operation = case.get("operation")
    named = contract.operation(operation) if isinstance(operation, str) else None
    if named is not None:
        case["operation"] = named.name  # an operationId is written where a name is: keep the name
    elif isinstance(operation, str):
        known = [op.name for op in contract.operations]
        problems.append(
            _error(
                doc.ref(f"{at}/case/operation"),
                f"{at}/case/operation",
                f"{operation!r} names no operation of {contract.name}",
                "unknown-operation",
                did_you_mean(operation, known) or f"operations: {', '.join(known)}",
            )
        )
        return None
    needs: set[str] = set()
    for pointer, text in _strings(entry["case"], f"{at}/case"):
        for name in PLACEHOLDER.findall(text):
            if name not in saved:
                hint = f"saved so far: {', '.join(sorted(saved))}" if saved else ""
                problems.append(
                    _error(
                        doc.ref(pointer),
                        pointer,
                        f"{{{name}}} is not saved by an earlier step",
                        "unknown-placeholder",
                        hint or "save it first: save: {" + name + ": /pointer/in/the/answer}",
                    )
                )
            needs.add(name)
    return Step(
        number=index + 1,
        name=entry["name"],
        contract=contract.name,
        case=case,
        save=dict(entry.get("save", {})),
        needs=frozenset(needs),
        source=doc.ref(at),
    )


_CASE_VALIDATORS: dict[tuple[str, str], Draft202012Validator] = {}


def _case_validator(kind: str, written: Mapping[str, Any]) -> Draft202012Validator:
    """The kind's ``cases[]`` schema, with the shared definitions it refers to."""
    key = (kind, json.dumps(written, sort_keys=True))
    if key not in _CASE_VALIDATORS:
        schema = {**written, "$defs": common_contract_schema()["$defs"]}
        _CASE_VALIDATORS[key] = Draft202012Validator(schema)
    return _CASE_VALIDATORS[key]


def _strings(value: Any, pointer: str) -> Iterator[tuple[str, str]]:
    """Every string in a case with its pointer; ``operation`` is a template, not a value."""
    if isinstance(value, str):
        yield pointer, value
    elif isinstance(value, Mapping):
        for key, inner in value.items():
            if key != "operation":
                yield from _strings(inner, f"{pointer}/{escape(str(key))}")
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _strings(inner, f"{pointer}/{index}")


def _error(source: SourceRef, pointer: str, message: str, rule: str, hint: str = "") -> Diagnostic:
    return Diagnostic(source=source, field=dotted(pointer), message=message, hint=hint, rule=rule)


def shared_plan(scenarios: list[Scenario], only: tuple[str, ...] = ()) -> Plan:
    """The one plan the selected scenarios play against (a report is about one plan).

    UsageError when ``only`` names no scenario, or the selected ones name different plans.
    """
    names = [s.name for s in scenarios]
    unknown = sorted(set(only) - set(names))
    if unknown:
        raise UsageError(f"--only names no scenario: {', '.join(unknown)}; scenarios: "
                         + ", ".join(names))  # fmt: skip
    chosen = [s for s in scenarios if not only or s.name in only]
    plans = {s.plan.source.path: s.plan for s in chosen}
    if len(plans) != 1:
        shown = ", ".join(sorted(str(path) for path in plans))
        raise UsageError(f"the scenarios name different plans ({shown}): play them separately")
    return next(iter(plans.values()))
