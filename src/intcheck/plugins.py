"""The extension points: an integration ``Kind`` and its capabilities, and the per-run ``Registry``.

A kind is one package under ``intcheck/kinds/`` that exposes ``KIND``; ``BUILTIN_KINDS`` names
the built-in ones, the way pytest names its default plugins, so adding a kind is one package
and one line here. ``Registry.default()`` imports them when a run asks (nothing is registered
at import time), and every verb reaches a kind only through this interface:

==================  =========================================================================
``Kind.read``       contract loading: the kind's documents (OpenAPI, WSDL) and operations;
                    ``vocabulary`` is the JSON Schema of the kind's own contract fields
``Kind.mock``       ``intcheck mock``: HTTP routes below ``/<contract>``, services of its own
                    (an SMTP listener, a delivery-receipt sender), admin routes
``Kind.probe``      ``intcheck probe``: cases for the real endpoint, and which of them write
``Kind.simulate``   ``intcheck simulate``: plays the other side against the system under test
``Kind.load``       ``intcheck load``: concrete requests for Locust's load steps
==================  =========================================================================

A capability a kind lacks is ``None``; the verb then reports that kind's contracts as not
covered (a SKIPPED ``integration_is_covered`` result), never silently skips them.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Literal, Protocol

from intcheck.model import Result, Severity, Status

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from intcheck.contracts.source import ContractParts, ContractSource
    from intcheck.kinds.base import MockContext, MockParts
    from intcheck.kinds.loading import LoadContext, LoadRequest
    from intcheck.kinds.probing import DatasetIndex, ProbeCase
    from intcheck.kinds.simulating import SimulationContext
    from intcheck.model import Contract, Operation, Plan

# One line per built-in kind: the package ``intcheck.kinds.<name>`` exposes ``KIND``.
BUILTIN_KINDS = ("rest", "soap", "cti", "sms", "email", "iframe")

Capability = Literal["mock", "probe", "simulate", "load"]
# The verbs that write reports, by report kind (a kind's capability, or the scenario player).
ReportKind = Literal["probe", "simulate", "load", "scenario"]
VERB_OF: Mapping[str, str] = {
    "mock": "intcheck mock",
    "probe": "intcheck probe",
    "simulate": "intcheck simulate",
    "load": "intcheck load",
    "scenario": "intcheck scenario run",
}
COVERAGE_CHECK = "integration_is_covered"
# The plan gate (``integrations[].gates``) whose evidence each verb produces.
GATE_OF: Mapping[ReportKind, str] = {
    "probe": "conformance",
    "simulate": "simulation",
    "load": "load",
    "scenario": "scenarios",
}


class Mocker(Protocol):
    """A kind that ``intcheck mock`` can serve."""

    def build_mock(self, ctx: MockContext) -> MockParts:
        """Routes below the mount point, services of the kind's own, admin routes."""
        ...


class Prober(Protocol):
    """A kind that ``intcheck probe`` can check against the real endpoint."""

    def build_cases(self, contract: Contract, target: str, index: DatasetIndex) -> list[ProbeCase]:
        """Every case for every operation of ``contract``, sent to ``target``."""
        ...

    def writes(self, operation: Operation) -> bool:
        """Whether calling ``operation`` may change the target's data (for ``--read-only``)."""
        ...


class Simulator(Protocol):
    """A kind that ``intcheck simulate`` can play against the system under test."""

    def simulate(self, ctx: SimulationContext) -> AsyncIterator[Result]:
        """Send the kind's flows (calls, messages) to ``ctx.target``; yield each judged Result."""
        ...


class LoadDriver(Protocol):
    """A kind whose operations can be load steps of ``intcheck load``."""

    def load_requests(self, ctx: LoadContext) -> list[LoadRequest]:
        """Concrete requests for one step (the child Locust process sends them as they are)."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Kind:
    """One integration kind and what it can do; ``None`` marks a capability it lacks."""

    name: str
    summary: str
    vocabulary: Mapping[str, Any]  # JSON Schema: {"required": [...], "properties": {...}}
    read: Callable[[ContractSource], ContractParts | None]
    # JSON pointers of the kind's own credential fields (redacted everywhere, ${ENV} expected)
    secret_fields: tuple[str, ...] = ()
    mock: Mocker | None = None
    probe: Prober | None = None
    simulate: Simulator | None = None
    load: LoadDriver | None = None

    def capability(self, name: Capability) -> object | None:
        capabilities = {
            "mock": self.mock,
            "probe": self.probe,
            "simulate": self.simulate,
            "load": self.load,
        }
        return capabilities[name]

    @property
    def capabilities(self) -> tuple[Capability, ...]:
        every: tuple[Capability, ...] = ("mock", "probe", "simulate", "load")
        return tuple(c for c in every if self.capability(c) is not None)


@dataclass(frozen=True, slots=True)
class Registry:
    """The kinds one run knows, by name. Build it with ``default()`` (or ``of`` in tests)."""

    kinds: Mapping[str, Kind] = field(default_factory=dict)

    @classmethod
    def default(cls) -> Registry:
        """The built-in kinds."""
        return cls.of(
            importlib.import_module(f"intcheck.kinds.{name}").KIND for name in BUILTIN_KINDS
        )

    @classmethod
    def of(cls, kinds: Iterable[Kind]) -> Registry:
        return cls({kind.name: kind for kind in kinds})

    def names(self) -> tuple[str, ...]:
        return tuple(self.kinds)

    def get(self, name: str) -> Kind:
        return self.kinds[name]

    def with_kind(self, kind: Kind) -> Registry:
        """A registry with ``kind`` added (or replacing the kind of the same name)."""
        return Registry({**self.kinds, kind.name: kind})

    def covers(self, contract: Contract, capability: Capability) -> bool:
        kind = self.kinds.get(contract.kind)
        return kind is not None and kind.capability(capability) is not None

    def uncovered(self, plan: Plan, capability: Capability) -> list[Contract]:
        """The plan's contracts whose kind lacks ``capability``, in plan order."""
        return [c for c in plan.contracts if not self.covers(c, capability)]

    def contract_schema(self) -> dict[str, Any]:
        """The shipped common contract schema with every kind's vocabulary as ``$defs.<kind>``."""
        common = dict(common_contract_schema())
        common["properties"] = {
            **common["properties"],
            "kind": {"enum": list(self.kinds)},
        }
        vocabularies = {name: dict(kind.vocabulary) for name, kind in self.kinds.items()}
        common["$defs"] = {**common["$defs"], **vocabularies}
        return common


@cache
def common_contract_schema() -> Mapping[str, Any]:
    """The fields every contract has, and the definitions kinds share (``expect``, ...)."""
    text = resources.files("intcheck.contracts").joinpath("schemas", "contract.schema.json")
    schema: dict[str, Any] = json.loads(text.read_text("utf-8"))
    return schema


def read_vocabulary(package: str) -> Mapping[str, Any]:
    """A kind package's ``vocabulary.json``: the JSON Schema of its own contract fields."""
    text = resources.files(package).joinpath("vocabulary.json").read_text("utf-8")
    vocabulary: dict[str, Any] = json.loads(text)
    return vocabulary


def not_covered(contract: Contract, capability: Capability) -> Result:
    """The SKIPPED result that says a verb did not test ``contract`` because of its kind."""
    verb = VERB_OF[capability]
    return Result(
        integration=contract.name,
        operation=f"{contract.name}:*",
        case=f"{contract.name}:*#not-covered",
        check=COVERAGE_CHECK,
        status=Status.SKIPPED,
        severity=Severity.HIGH,
        message=f"not tested: {verb} does not cover {contract.kind} contracts yet",
        source=contract.source,
    )


def untested_but_required(
    plan: Plan, results: Iterable[Result], capability: ReportKind
) -> list[str]:
    """Integrations the verb could not test although the plan asks for its evidence.

    A verb's exit code counts them as findings: a plan that needs conformance evidence of a
    critical integration the probe cannot check is not a green run.
    """
    gate = GATE_OF[capability]
    needed = {i.contract.name for i in plan.integrations if gate in i.gates}
    return sorted(
        {r.integration for r in results if r.check == COVERAGE_CHECK and r.integration in needed}
    )
