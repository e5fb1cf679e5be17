"""What a kind hands the probe runner: cases, the checks to run on each answer, the answer.

These types live in ``kinds`` (not ``probe``) because the kinds build cases and write their own
checks, and dependencies point from ``probe`` to ``kinds``, never back. A check is a plain
function ``(case, exchange) -> Finding | None``: ``None`` means the claim holds. A check that
cannot judge the answer (a refused XML bomb, say) raises ``CannotEvaluate`` and becomes ERRORED.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from intcheck.data import field_key
from intcheck.model import Severity, Status

if TYPE_CHECKING:
    from contextlib import AbstractAsyncContextManager
    from pathlib import Path

    from intcheck.model import Attachment, Contract, Operation, SourceRef

T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeRequest:
    """One HTTP request, fully built: absolute URL, headers (with credentials), body bytes."""

    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    # Follow a redirect on the target's own origin; False where the spec documents the 3xx
    # itself (it is then the answer to judge). Another origin is never followed.
    follow_redirects: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Exchange:
    """What came back for one request; ``error`` set means there is no usable answer."""

    request: ProbeRequest
    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""
    elapsed_ms: float = 0.0
    error: str = ""  # transport-level problem: refused, timeout, TLS, body too large, ...
    # What a kind observed beyond HTTP (an SMTP server's capabilities, a browser's rendering,
    # a screenshot's path); checks read it, and it reaches the evidence as ``details``.
    observed: Mapping[str, Any] = field(default_factory=dict)
    unreachable: bool = False  # the error says the target cannot be reached: refused, DNS, TLS
    # Files the case saved in ``PerformContext.artifacts`` (a screenshot): evidence attachments.
    attachments: tuple[Attachment, ...] = ()

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower case ("" when absent)."""
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()


@dataclass(frozen=True, slots=True)
class Finding:
    """Why a claim does not hold (FAILED), or why it does not apply (SKIPPED)."""

    message: str
    status: Status = Status.FAILED
    schema_error: Mapping[str, str] | None = None


class CannotEvaluate(Exception):
    """Raised by a check that cannot judge the answer; the result is ERRORED."""


CheckFunction = Callable[["ProbeCase", Exchange], Finding | None]


class RunResources:
    """What the cases of one probe run share, opened on first use and closed when the run ends.

    A browser costs seconds to start: the cases of a run that need one ask for it by key and get
    the same one. A resource that failed to open fails the same way for every later case,
    without a second attempt.
    """

    def __init__(self) -> None:
        self._stack = contextlib.AsyncExitStack()
        self._opened: dict[str, object] = {}
        self._failed: dict[str, BaseException] = {}
        self._lock = asyncio.Lock()

    async def get(self, key: str, opener: Callable[[], AbstractAsyncContextManager[T]]) -> T:
        """The resource called ``key``, entered from ``opener()`` the first time it is asked."""
        async with self._lock:
            if key in self._failed:
                raise self._failed[key]
            if key not in self._opened:
                try:
                    self._opened[key] = await self._stack.enter_async_context(opener())
                except Exception as exc:
                    self._failed[key] = exc
                    raise
            found: T = self._opened[key]  # type: ignore[assignment]
            return found

    async def aclose(self) -> None:
        """Close every resource opened, the last first."""
        self._opened.clear()
        await self._stack.aclose()


Send = Callable[["ProbeRequest"], Awaitable[Exchange]]


@dataclass(frozen=True, slots=True, kw_only=True)
class PerformContext:
    """What a case that is not one HTTP request (an SMTP dialogue, a browser visit) gets."""

    timeout_s: float
    insecure: bool = False
    artifacts: Path | None = None  # a folder for files the case links from its evidence
    # The probe's hardened client (timeouts, size caps, TLS) for cases that send HTTP requests
    # themselves, e.g. one hop of a redirect chain at a time; None outside a probe run.
    send: Send | None = None
    max_redirects: int = 5  # the bound the probe's own client applies
    resources: RunResources | None = None  # shared by the run's cases, closed at its end


Perform = Callable[[PerformContext], Awaitable[Exchange]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Check:
    """A named claim about an answer, e.g. ``body_matches_schema``."""

    name: str
    function: CheckFunction
    severity: Severity = Severity.HIGH


@dataclass(frozen=True, slots=True, kw_only=True)
class Need:
    """A value a linked case takes from the answer to an earlier case.

    ``sources`` are case ids tried in order (the freshest answer first); ``take`` finds the value
    in one answer, or returns None. ``slot`` says which part of the request the value fills
    (``path:id``, ``header:If-Match``); ``what`` names it in messages.
    """

    slot: str
    sources: tuple[str, ...]
    take: Callable[[Exchange], Any]
    what: str
    # The value names the very record the request addresses (``/customers/{id}``, not the
    # parent in ``/orders/{order_id}/delivery``): "not found" for it is then a finding.
    names_record: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeCase:
    """One concrete request built from an operation, and what its answer must satisfy.

    ``id`` is stable and readable: ``customer-master:GET /customers/{id}#example:vip``.
    ``expect_status`` holds codes or classes ("200", "4XX"); empty means any documented
    status below 500. ``documented`` lists the statuses the spec documents ("default" too).
    """

    id: str
    operation: Operation
    kind: str  # contract | example | positive | linked | negative | auth | fault | unbuildable
    request: ProbeRequest
    checks: tuple[Check, ...]
    expect_status: tuple[str, ...] = ()
    documented: tuple[str, ...] = ()
    sla_ms: float | None = None  # the SLA p95, for reference: the runner judges it over the run
    source: SourceRef | None = None
    data: Mapping[str, Any] = field(default_factory=dict)  # kind-specific expectations
    skip: str = ""  # why this case is not sent; the runner reports it SKIPPED
    skipped_by: str = "case_can_be_built"  # the check named in that SKIPPED result
    # For a generated positive case: whether an answer means "the target has no such record"
    # (a 404/410, a declared SOAP fault). Such an answer is conformant; the runner sums these
    # up once per operation (``record_exists``): SKIPPED when every positive case got one and
    # none carried a known record, FAILED when a known record did. None: not applicable.
    not_found: Callable[[Exchange], bool] | None = None
    # A case that is not one HTTP request performs itself; ``request`` then only describes it
    # (method "SMTP", url "smtp://host:port") for reports. None: the runner sends ``request``.
    perform: Perform | None = None
    # Where the values came from when they are real: "" for generated or dataset values,
    # "probe.data" for the contract's known test data, "harvested from <case id>" for values
    # taken from the target's own answers.
    data_origin: str = ""
    # Real data names the record this request addresses: "not found" is then a finding (the
    # target denies a record it named itself, or one the user wrote down), not a SKIPPED.
    record_is_known: bool = False
    # A linked case: the runner sends it after the cases in ``needs``, with ``build`` making
    # the request from the values found (slot -> value). ``request`` is then a placeholder.
    needs: tuple[Need, ...] = ()
    build: Callable[[Mapping[str, Any]], ProbeRequest] | None = None
    # Cases of a later stage go after every case of the earlier ones (deletes come last).
    stage: int = 0
    # Whether sending this case may change the target's data (``--read-only`` holds it back);
    # None: as the kind's ``writes(operation)`` says. An SMS send refused by design (invalid
    # recipient) writes nothing, one to a test number sends a real message.
    writes: bool | None = None

    @property
    def integration(self) -> str:
        return self.operation.contract


class CaseBuilder(Protocol):
    """A kind the probe can check: it turns a contract into cases (kinds/rest/probe.py)."""

    def build_cases(self, contract: Contract, target: str, index: DatasetIndex) -> list[ProbeCase]:
        """Every case for every operation of ``contract``, sent to ``target``."""
        ...

    def writes(self, operation: Operation) -> bool:
        """Whether calling ``operation`` may change the target's data (for ``--read-only``)."""
        ...


def unbuildable(operation: Operation, error: Exception, suffix: str = "") -> ProbeCase:
    """A placeholder case for an operation whose requests could not be built from the spec."""
    reason = f"no request could be built from the spec: {type(error).__name__}: {error}"
    return ProbeCase(
        id=f"{operation.id}#{suffix}unbuildable",
        operation=operation,
        kind="unbuildable",
        request=ProbeRequest(method=operation.method or "POST", url=""),
        checks=(),
        source=operation.source,
        skip=reason[:500],
    )


def status_matches(status: int, patterns: tuple[str, ...]) -> bool:
    """Whether ``status`` is one of ``patterns`` ("404", "4XX", "default" matches anything)."""
    for pattern in patterns:
        text = pattern.upper()
        if text == "DEFAULT" or text == str(status):
            return True
        if len(text) == 3 and text.endswith("XX") and text[0] == str(status)[0]:
            return True
    return False


class DatasetIndex:
    """Known values from the plan's datasets by normalised field name, in dataset order.

    ``customers[].id`` is found as ``id`` and ``customerid``; ``phones[].number`` as ``phone``
    and ``number``, so a ``phone`` parameter or a ``CustomerId`` element gets real values.
    """

    def __init__(self, collections: Mapping[str, tuple[Mapping[str, Any], ...]]) -> None:
        self.values: dict[str, list[Any]] = {}
        self.collections = collections
        for collection, records in collections.items():
            singular = field_key(collection).removesuffix("s")
            for record in records:
                for key, value in record.items():
                    name = field_key(key)
                    self._add(name, value)
                    if name == "id":
                        self._add(singular + "id", value)
                    if isinstance(value, list):
                        for item in value:
                            self._add(name.removesuffix("s"), item)

    def _add(self, name: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for key, inner in value.items():
                if isinstance(inner, str | int | float | bool):
                    self._add(field_key(key), inner)
            number = value.get("number", value.get("value"))
            if isinstance(number, str | int):
                self._add(name, number)
            return
        if isinstance(value, str | int | float | bool) and value not in self.values.get(name, ()):
            self.values.setdefault(name, []).append(value)

    def candidates(self, name: str) -> list[Any]:
        key = field_key(name)
        return self.values.get(key, []) + self.values.get(key + "s", [])

    def candidates_in(self, collection: str, name: str) -> list[Any]:
        """Values of ``name`` in the records of the collection named like ``collection``
        (``delivery`` finds ``deliveries``), in dataset order."""
        wanted, key = _stem(field_key(collection)), field_key(name)
        found: list[Any] = []
        for title, records in self.collections.items():
            if _stem(field_key(title)) != wanted:
                continue
            for record in records:
                for field_name, value in record.items():
                    if field_key(field_name) == key and value not in found:
                        found.append(value)
        return found

    def records_like(self, fields: set[str]) -> Mapping[str, Any] | None:
        """The first record sharing the most field names with ``fields`` (at least two)."""
        best: tuple[int, Mapping[str, Any] | None] = (1, None)
        for records in self.collections.values():
            for record in records[:1]:
                score = len(fields & set(record))
                if score > best[0]:
                    best = (score, record)
        return best[1]


def _stem(noun: str) -> str:
    """A collection name without its plural ending: deliveries, delivery -> deliver."""
    for ending in ("ies", "y", "es", "s"):
        if noun.endswith(ending) and len(noun) > len(ending) + 2:
            return noun[: -len(ending)]
    return noun


def written_cases(contract: Contract) -> list[tuple[dict[str, Any], SourceRef]]:
    """The contract's ``cases:`` entries, each with the line it was written on."""
    entries = contract.settings.get("cases", []) or []
    return [
        (entry, where)
        for entry, where in zip(entries, contract.case_sources, strict=True)
        if isinstance(entry, dict)
    ]
