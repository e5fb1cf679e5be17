"""Plain typed data shared by every part of intcheck. No I/O lives here."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceRef:
    """Where a value came from: a file, a 1-based line and column, and its JSON pointer."""

    path: Path
    line: int = 0
    col: int = 0
    pointer: str = ""

    def __str__(self) -> str:
        where = display_path(self.path)
        if self.line:
            return f"{where}:{self.line}:{self.col or 1}"
        return where


def display_path(path: Path) -> str:
    """A path relative to the working directory when it lies below it, else absolute."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


class Level(Enum):
    """How bad a diagnostic is; warnings become errors under ``--strict``."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True, kw_only=True)
class Diagnostic:
    """One problem found while loading a plan, rendered like a compiler message."""

    source: SourceRef
    field: str  # dotted path of the offending field, "" for whole-file problems
    message: str
    hint: str = ""
    level: Level = Level.ERROR
    rule: str = ""  # short stable name of the rule broken, e.g. "unknown-key"

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (str(self.source.path), self.source.line, self.source.col, self.message)

    def render(self) -> str:
        prefix = f"{self.source}: "
        if self.level is Level.WARNING:
            prefix += "warning: "
        body = f"{self.field}: {self.message}" if self.field else self.message
        text = prefix + body
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text


class Severity(Enum):
    """How much a failed check matters to the go/no-go decision."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is worse: ``CRITICAL.rank > LOW.rank``; used by readiness thresholds."""
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {
    Severity.INFO: 0,
    Severity.LOW: 1,
    Severity.MEDIUM: 2,
    Severity.HIGH: 3,
    Severity.CRITICAL: 4,
}


class Status(Enum):
    """Outcome of one check.

    FAILED: the target answered and broke the contract. ERRORED: intcheck could not evaluate
    the check (refused, timeout, bad TLS). The two are never merged.
    """

    PASSED = "passed"
    FAILED = "failed"
    ERRORED = "errored"
    SKIPPED = "skipped"


# A case's status is its worst check's (docs/report.md, "One count").
WORST_FIRST = (Status.FAILED, Status.ERRORED, Status.SKIPPED, Status.PASSED)
_STATUS_RANK = {status: rank for rank, status in enumerate(WORST_FIRST)}


def worst(statuses: Iterable[Status]) -> Status:
    """The status of a case whose checks ended with ``statuses`` (PASSED when there are none)."""
    return min(statuses, key=_STATUS_RANK.__getitem__, default=Status.PASSED)


@dataclass(frozen=True, slots=True, kw_only=True)
class Auth:
    """Credentials a client presents to a target; values come from the environment.

    ``scheme`` names the OpenAPI security scheme they serve; without it they serve the schemes
    of their type (a bearer token every http-bearer, OAuth2 and OpenID Connect scheme, an API
    key the apiKey scheme with the same header or query name).
    """

    type: str  # bearer | basic | apikey
    token: str = ""
    username: str = ""
    password: str = ""
    header: str = ""
    query: str = ""  # an API key sent as this query parameter instead of a header
    value: str = ""
    scheme: str = ""

    def headers(self) -> dict[str, str]:
        """The HTTP headers that carry these credentials."""
        import base64

        if self.type == "bearer":
            return {"Authorization": f"Bearer {self.token}"}
        if self.type == "basic":
            pair = f"{self.username}:{self.password}".encode()
            return {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}
        return {self.header: self.value} if self.header else {}

    def query_params(self) -> dict[str, str]:
        """The query parameters that carry these credentials (an API key in the query)."""
        return {self.query: self.value} if self.type == "apikey" and self.query else {}


@dataclass(frozen=True, slots=True, kw_only=True)
class Sla:
    """Service level the integration promises: 95th percentile latency and error rate."""

    p95_ms: float | None = None
    error_rate: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Latency:
    """Mock latency: a fixed delay, or a lognormal shape given by its median and p99."""

    fixed_ms: float = 0.0
    median_ms: float = 0.0
    p99_ms: float = 0.0

    @property
    def is_zero(self) -> bool:
        return self.fixed_ms == 0 and self.median_ms == 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Faults:
    """Mock fault injection: with probability ``rate`` one of ``kinds`` replaces the answer."""

    rate: float = 0.0
    kinds: tuple[str, ...] = ()


FAULT_KINDS = ("http_500", "http_503", "timeout", "reset", "malformed", "slow_body")


@dataclass(frozen=True, slots=True, kw_only=True)
class MockSettings:
    """How the mock of one contract behaves; ``operations`` overrides per operation name."""

    dataset: Path | None = None
    port: int | None = None
    latency: Latency = field(default_factory=Latency)
    faults: Faults = field(default_factory=Faults)
    # Answer every request the same way: {status, example, body, fault}; see contract schema.
    force: Mapping[str, Any] | None = None
    # Which dataset collection backs which paths: {collection, path, id, lookups}.
    resources: tuple[Mapping[str, Any], ...] = ()
    operations: Mapping[str, MockSettings] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Operation:
    """One thing an integration does, with a stable id such as ``crm:GET /customers/{id}``."""

    contract: str
    name: str  # unique inside the contract: "GET /customers/{id}", "GetCustomer", "answered"
    summary: str = ""
    method: str = ""  # HTTP method for rest/cti/sms, empty where not HTTP
    path: str = ""  # path template below the contract's mount point
    source: SourceRef | None = None
    aliases: tuple[str, ...] = ()  # other names users may write, e.g. the OpenAPI operationId

    @property
    def id(self) -> str:
        return f"{self.contract}:{self.name}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Contract:
    """One integration described declaratively; ``settings`` holds the kind's own fields."""

    kind: str
    name: str
    source: SourceRef
    target: str = ""
    auth: Auth | None = None  # the first of ``credentials``
    credentials: tuple[Auth, ...] = ()  # every credential ``auth:`` gives, in written order
    sla: Sla = field(default_factory=Sla)
    spec: Path | None = None
    document: Any = None  # the loaded OpenAPI dict or zeep WSDL document
    mock: MockSettings = field(default_factory=MockSettings)
    settings: Mapping[str, Any] = field(default_factory=dict)
    operations: tuple[Operation, ...] = ()
    secrets: frozenset[str] = frozenset()  # values that must never appear in output
    case_sources: tuple[SourceRef, ...] = ()  # where each entry of ``cases:`` was written

    def operation(self, name: str) -> Operation | None:
        """The operation called ``name``, or known by it as an alias (an OpenAPI operationId)."""
        for operation in self.operations:
            if name == operation.name or name in operation.aliases:
                return operation
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Thresholds:
    """When findings in an integration's evidence block its go-live (plan ``thresholds:``).

    A FAILED result of severity ``fail_on`` or worse blocks, milder ones are risks; more than
    ``max_errored`` cases that could not be judged block; a breached SLO (``slo_*`` check)
    blocks whatever its severity unless ``slo_breach_blocks`` is false.
    """

    fail_on: Severity = Severity.HIGH
    max_errored: int = 0
    slo_breach_blocks: bool = True


class ManualStatus(Enum):
    """Where a manual checklist item stands; only ``done`` closes it."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"


@dataclass(frozen=True, slots=True, kw_only=True)
class ManualItem:
    """A go-live step no tool can check, e.g. "softphone installed on agent desktops"."""

    item: str
    owner: str = ""
    status: ManualStatus = ManualStatus.OPEN
    blocking: bool = True  # an open blocking item makes the verdict NO-GO
    due: date | None = None
    note: str = ""
    source: SourceRef | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Waiver:
    """A finding accepted as a known risk: which one (globs), why, by whom, until when.

    ``operation`` and ``case`` match the full id or the part after ``<contract>:``; an empty
    pattern matches everything. A waiver is valid through its ``until`` day.
    """

    operation: str = ""
    case: str = ""
    check: str = ""
    reason: str
    accepted_by: str
    until: date
    source: SourceRef | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Integration:
    """A contract as the plan uses it: who owns it and which gates decide it."""

    contract: Contract
    owner: str = ""
    gates: tuple[str, ...] = ("conformance",)  # evidence needed: conformance, simulation, load
    criticality: str = "medium"  # critical | high | medium | low; low never blocks the go-live
    thresholds: Thresholds = field(default_factory=Thresholds)
    manual: tuple[ManualItem, ...] = ()
    waivers: tuple[Waiver, ...] = ()
    source: SourceRef | None = None  # the plan entry


@dataclass(frozen=True, slots=True, kw_only=True)
class Dataset:
    """Shared fake master data: customers, products, orders, loaded from ``mocks/``."""

    source: SourceRef
    records: Mapping[str, tuple[Mapping[str, Any], ...]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """The Integration Plan: every integration and the datasets their mocks share."""

    name: str
    source: SourceRef
    integrations: tuple[Integration, ...]
    datasets: Mapping[Path, Dataset] = field(default_factory=dict)
    warnings: tuple[Diagnostic, ...] = ()
    manual: tuple[ManualItem, ...] = ()  # rollout-wide checklist, e.g. scenarios signed off

    @property
    def contracts(self) -> tuple[Contract, ...]:
        return tuple(i.contract for i in self.integrations)

    def contract(self, name: str) -> Contract:
        for contract in self.contracts:
            if contract.name == name:
                return contract
        raise KeyError(name)

    @property
    def secrets(self) -> frozenset[str]:
        return frozenset().union(*(c.secrets for c in self.contracts))


@dataclass(frozen=True, slots=True, kw_only=True)
class Attachment:
    """A file kept beside a report as evidence, e.g. a browser screenshot of an iframe check.

    ``path`` is relative to the folder of the report.json that names it.
    """

    kind: str  # screenshot | har | log
    path: str
    title: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Evidence:
    """What was sent and received for one case, already redacted."""

    request: Mapping[str, Any] = field(default_factory=dict)
    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    body: str = ""  # truncated
    elapsed_ms: float | None = None
    schema_error: Mapping[str, str] | None = None  # message, instance pointer, schema location
    curl: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)  # what a kind observed beyond HTTP
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Result:
    """The outcome of one check on one case."""

    integration: str
    operation: str  # operation id
    case: str  # case id
    check: str
    status: Status
    severity: Severity = Severity.MEDIUM
    message: str = ""
    duration_ms: float = 0.0
    evidence: Evidence | None = None
    source: SourceRef | None = None  # the contract line that set the expectation


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadSample:
    """One point of a load run over time (Locust's stats history), for charts."""

    t_s: float  # seconds since the run started
    users: int
    rps: float
    failures_per_s: float
    p50_ms: float
    p95_ms: float


@dataclass(frozen=True, slots=True, kw_only=True)
class LatencyBucket:
    """How many requests took between ``from_ms`` (exclusive) and ``to_ms`` (inclusive)."""

    from_ms: float
    to_ms: float
    count: int


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadSummary:
    """The figures of one Locust run, per operation and in total.

    ``series`` and ``histogram`` are optional (report schema 1.1) and feed the readiness charts.
    """

    users: int
    duration_s: float
    requests: int
    failures: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    operations: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    scenario: str = ""  # name of the load scenario
    series: tuple[LoadSample, ...] = ()
    histogram: tuple[LatencyBucket, ...] = ()


REPORT_SCHEMA_VERSION = "1.1"  # 1.1 added `cases`, contract digests, attachments, load series


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    """What one probe, simulate or load run found; the interchange format readiness reads."""

    kind: str  # probe | simulate | load
    plan_name: str
    plan_path: str
    started_at: str  # ISO-8601 UTC
    finished_at: str
    complete: bool = True  # False when interrupted: the results are what was done
    environment: Mapping[str, Any] = field(default_factory=dict)
    results: tuple[Result, ...] = ()
    load: tuple[LoadSummary, ...] = ()
    schema_version: str = REPORT_SCHEMA_VERSION

    def count(self, status: Status) -> int:
        return sum(1 for r in self.results if r.status is status)
