"""Load an Integration Plan: the plan file, every contract, every document they reference.

Every problem of a run is gathered before anything is raised, so a user fixes all of them in
one pass; ``ContractError`` carries them sorted by file and line.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from intcheck.contracts import schema
from intcheck.contracts.interpolate import interpolate
from intcheck.contracts.plan_entries import PlanEntries, dates_as_text
from intcheck.contracts.source import ContractSource, credentials_of
from intcheck.contracts.yamlsrc import (
    SourceDoc,
    YamlSyntaxError,
    dotted,
    escape,
    parse_yaml,
    value_at,
)
from intcheck.errors import ContractError
from intcheck.model import (
    Contract,
    Dataset,
    Diagnostic,
    Faults,
    Integration,
    Latency,
    Level,
    MockSettings,
    Operation,
    Plan,
    Sla,
    SourceRef,
    display_path,
)
from intcheck.plugins import Registry

PLAN_FILE = "plan.yaml"

# Common fields whose values are credentials: redacted everywhere and expected to come from
# ${ENV}. A kind adds its own (``Kind.secret_fields``).
SECRET_POINTERS = ("/auth/token", "/auth/password", "/auth/value", "/signature/secret")
_CREDENTIAL_FIELDS = ("token", "password", "value")


@dataclass(slots=True)
class _Run:
    """What one load gathers: diagnostics, and datasets shared between contracts."""

    environ: Mapping[str, str]
    registry: Registry
    diagnostics: list[Diagnostic] = field(default_factory=list)
    datasets: dict[Path, Dataset] = field(default_factory=dict)

    def error(
        self, source: SourceRef, field_path: str, message: str, *, hint: str = "", rule: str = ""
    ) -> None:
        self.diagnostics.append(
            Diagnostic(source=source, field=field_path, message=message, hint=hint, rule=rule)
        )


def find_plan(path: Path) -> Path:
    """A plan file, or the ``plan.yaml`` inside a folder."""
    return path / PLAN_FILE if path.is_dir() else path


def load_plan(
    path: str | Path,
    *,
    environ: Mapping[str, str] | None = None,
    strict: bool = False,
    registry: Registry | None = None,
) -> Plan:
    """Load and check the plan at ``path`` (a file, or a folder holding ``plan.yaml``).

    Raises ``ContractError`` listing every error found (and every warning under ``strict``).
    ``registry`` holds the kinds contracts may use (default: the built-in kinds).

    >>> plan = load_plan("contracts/")            # doctest: +SKIP
    >>> [c.name for c in plan.contracts]          # doctest: +SKIP
    ['customer-master', 'order-service', ...]
    """
    run = _Run(
        environ=os.environ if environ is None else environ,
        registry=Registry.default() if registry is None else registry,
    )
    plan_path = find_plan(Path(path)).absolute()
    if not plan_path.is_file():
        where = "folder has no plan.yaml" if Path(path).is_dir() else "no such file"
        run.error(SourceRef(path=plan_path), "", f"cannot read plan: {where}", rule="missing-file")
        raise ContractError(run.diagnostics)

    doc, data = _read(plan_path, run)
    if doc is None:
        raise ContractError(run.diagnostics)
    data = doc.data = dates_as_text(data)
    plan_problems = schema.validate_plan(doc, data)
    run.diagnostics.extend(plan_problems)
    readiness = PlanEntries(doc, run.diagnostics)
    entries = data.get("integrations") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ContractError(run.diagnostics)

    integrations: list[Integration] = []
    first_seen: dict[str, SourceRef] = {}
    for index, entry in enumerate(entries):
        # A malformed entry is already reported by the schema; the others are still loaded.
        if not isinstance(entry, dict) or not isinstance(entry.get("contract"), str):
            continue
        contract_path = (plan_path.parent / entry["contract"]).resolve()
        if not contract_path.is_file():
            run.error(
                doc.ref(f"/integrations/{index}/contract"),
                f"integrations[{index}].contract",
                f"contract file not found: {entry['contract']}",
                hint=_looked_for(entry["contract"], contract_path),
                rule="missing-file",
            )
            continue
        contract = _load_contract(contract_path, run)
        if contract is None:
            continue
        if contract.name in first_seen:
            run.error(
                contract.source,
                "name",
                f"duplicate integration name {contract.name!r}",
                hint=f"first defined at {first_seen[contract.name]}; names are unique in a plan",
                rule="duplicate-name",
            )
            continue
        first_seen[contract.name] = contract.source
        # Gates, checklist and waivers are built only from a schema-valid plan; otherwise
        # the run ends with the schema's errors anyway.
        integrations.append(
            Integration(contract=contract)
            if plan_problems
            else readiness.integration(contract, entry, index)
        )

    manual = () if plan_problems else readiness.manual(data.get("manual", []), "/manual")
    errors = [d for d in run.diagnostics if d.level is Level.ERROR]
    warnings = [d for d in run.diagnostics if d.level is Level.WARNING]
    if strict and warnings:
        errors += [
            replace(w, level=Level.ERROR, hint=(w.hint or "--strict turns warnings into errors"))
            for w in warnings
        ]
    if errors:
        raise ContractError(errors)
    return Plan(
        name=str(data["name"]),
        source=doc.ref(""),
        integrations=tuple(integrations),
        datasets=dict(run.datasets),
        warnings=tuple(sorted(warnings, key=lambda d: d.sort_key)),
        manual=manual,
    )


def _read(path: Path, run: _Run) -> tuple[SourceDoc | None, Any]:
    """Parse and interpolate one YAML file, recording any problem."""
    try:
        doc = parse_yaml(path)
    except YamlSyntaxError as exc:
        run.diagnostics.append(exc.diagnostic)
        return None, None
    except OSError as exc:
        run.error(
            SourceRef(path=path), "", f"cannot read file: {exc.strerror}", rule="missing-file"
        )
        return None, None
    substituted = interpolate(doc, run.environ)
    run.diagnostics.extend(substituted.diagnostics)
    if substituted.diagnostics:
        return None, None
    doc.data = substituted.data
    doc.interpolated = substituted.interpolated
    return doc, substituted.data


def _load_contract(path: Path, run: _Run) -> Contract | None:
    doc, data = _read(path, run)
    if doc is None:
        return None
    vocabularies = {name: kind.vocabulary for name, kind in run.registry.kinds.items()}
    problems = schema.validate_contract(doc, data, vocabularies)
    run.diagnostics.extend(problems)
    if problems:
        return None

    kind = run.registry.get(data["kind"])
    parts = kind.read(ContractSource(path=path, doc=doc, data=data, diagnostics=run.diagnostics))
    if parts is None:
        return None
    _check_operation_names(doc, data, parts.operations, run)
    mock = _mock_settings(doc, data.get("mock", {}), path, run)
    if mock is None:
        return None
    # An alias (an operationId) is written wherever an operation name is: store the name.
    canonical = {alias: op.name for op in parts.operations for alias in op.aliases}
    mock = replace(mock, operations={canonical.get(k, k): v for k, v in mock.operations.items()})
    secrets = set()
    for pointer in (*_secret_pointers(data), *kind.secret_fields):
        value = value_at(data, pointer)
        if not isinstance(value, str) or not value:
            continue
        secrets.add(value)
        if pointer not in doc.interpolated:
            run.diagnostics.append(
                Diagnostic(
                    source=doc.ref(pointer),
                    field=dotted(pointer),
                    message="credential written into the contract",
                    hint="take it from the environment: ${MY_SECRET}",
                    level=Level.WARNING,
                    rule="literal-secret",
                )
            )
    credentials = credentials_of(data)
    sla = data.get("sla", {})
    settings = {
        k: v
        for k, v in data.items()
        if k not in ("kind", "name", "target", "auth", "sla", "spec", "mock")
    }
    if isinstance(settings.get("cases"), list):
        settings["cases"] = [
            {**case, "operation": canonical.get(case["operation"], case["operation"])}
            if isinstance(case, dict) and isinstance(case.get("operation"), str)
            else case
            for case in settings["cases"]
        ]
    return Contract(
        kind=kind.name,
        name=data["name"],
        source=doc.ref("/name"),
        target=data.get("target", ""),
        auth=credentials[0] if credentials else None,
        credentials=credentials,
        sla=Sla(p95_ms=sla.get("p95_ms"), error_rate=sla.get("error_rate")),
        spec=parts.spec,
        document=parts.document,
        mock=mock,
        settings=settings,
        operations=parts.operations,
        secrets=frozenset(secrets),
        case_sources=tuple(doc.ref(f"/cases/{i}") for i in range(len(data.get("cases", [])))),
    )


def _check_operation_names(
    doc: SourceDoc, data: Mapping[str, Any], operations: tuple[Operation, ...], run: _Run
) -> None:
    """A ``cases[].operation`` or ``mock.operations`` key must name an operation (or alias)."""
    known = {alias for op in operations for alias in (op.name, *op.aliases)}
    written: list[tuple[str, Any, bool]] = [
        (f"/cases/{i}/operation", case.get("operation"), False)
        for i, case in enumerate(data.get("cases", []) or [])
        if isinstance(case, dict)
    ]
    written += [
        (f"/mock/operations/{escape(str(key))}", key, True)
        for key in (data.get("mock", {}).get("operations", {}) or {})
    ]
    names = [op.name for op in operations]
    for pointer, name, is_key in written:
        if not isinstance(name, str) or name in known:
            continue
        hint = schema.did_you_mean(name, [*names, *(a for op in operations for a in op.aliases)])
        if not hint:
            shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
            hint = f"operations of this contract: {shown}" if names else ""
        run.diagnostics.append(
            Diagnostic(
                source=doc.ref(pointer, key=is_key),
                field=dotted(pointer),
                message=f"{name!r} names no operation of this contract",
                hint=hint,
                rule="unknown-operation",
            )
        )


def _mock_settings(
    doc: SourceDoc, data: Mapping[str, Any], contract_path: Path, run: _Run
) -> MockSettings | None:
    dataset_path: Path | None = None
    if "dataset" in data:
        dataset_path = (contract_path.parent / data["dataset"]).resolve()
        if not _load_dataset(dataset_path, doc.ref("/mock/dataset"), run):
            return None
    operations = {
        op_name: _behaviour(behaviour, dataset_path)
        for op_name, behaviour in data.get("operations", {}).items()
    }
    return replace(
        _behaviour(data, dataset_path),
        port=data.get("port"),
        operations=operations,
        resources=tuple(data.get("resources", ())),
    )


def _behaviour(data: Mapping[str, Any], dataset: Path | None) -> MockSettings:
    latency = data.get("latency", {})
    faults = data.get("faults", {})
    return MockSettings(
        dataset=dataset,
        latency=Latency(**latency),
        faults=Faults(
            rate=faults.get("rate", 0.0), kinds=tuple(faults.get("kinds", ("http_503",)))
        ),
        force=data.get("force"),
    )


def _load_dataset(path: Path, needed_at: SourceRef, run: _Run) -> bool:
    """Load a dataset once per run: a mapping of collection name to a list of records."""
    if path in run.datasets:
        return True
    if not path.is_file():
        run.error(
            needed_at,
            "mock.dataset",
            f"dataset file not found: {path.name}",
            hint=_looked_for(path.name, path),
            rule="missing-file",
        )
        return False
    doc, data = _read(path, run)
    if doc is None:
        return False
    if not isinstance(data, dict) or not data:
        run.error(
            doc.ref(""),
            "",
            "expected a mapping of collection name to a list of records",
            rule="dataset",
        )
        return False
    ok = True
    for collection, records in data.items():
        pointer = f"/{collection}"
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            run.error(
                doc.ref(pointer),
                str(collection),
                "expected a list of records (mappings)",
                rule="dataset",
            )
            ok = False
    if ok:
        run.datasets[path] = Dataset(
            source=doc.ref(""), records={str(k): tuple(v) for k, v in data.items()}
        )
    return ok


def _looked_for(written: str, resolved: Path) -> str:
    """A hint naming where a relative path was looked for, when that is not obvious."""
    shown = display_path(resolved)
    return "" if shown == written else f"looked for {shown}"


def _secret_pointers(data: Mapping[str, Any]) -> list[str]:
    """SECRET_POINTERS, with ``/auth/...`` repeated for each entry when ``auth`` is a list."""
    auth = data.get("auth")
    if not isinstance(auth, list):
        return list(SECRET_POINTERS)
    listed = [f"/auth/{i}/{name}" for i in range(len(auth)) for name in _CREDENTIAL_FIELDS]
    return listed + [p for p in SECRET_POINTERS if not p.startswith("/auth/")]
