"""REST probe: every case of a contract, and the linked cases that reach real records.

Cases per operation, each with a stable id ``<operation id>#<what>`` (``cases.py``):

* ``#case:<name>``       written in the contract (``cases:``): the only exact expectations
* ``#example:<name>``    every documented example (response examples fill the parameters)
* ``#positive``          a valid request: ``probe.data``, the datasets, examples, generated
* ``#negative:<what>``   a missing required parameter, a wrong type, a body breaking the schema
* ``#auth:missing-credentials``, ``#auth:without:<scheme>``  credentials left out
* ``#link:<source>``     the positive request addressing a record the target itself named:
  values taken from the answer to an earlier case (``links.py``), sent after it by the runner

A service with its own data answers generated ids with 404; the linked cases are how the probe
reaches its real records, and ``record_exists`` (the runner) says per operation whether it did.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from intcheck.contracts.security import security_schemes
from intcheck.kinds.probing import Need, ProbeCase, unbuildable, written_cases
from intcheck.kinds.rest.cases import OperationCases
from intcheck.kinds.rest.described import SpecView, describe
from intcheck.kinds.rest.links import etag, find_links, path_params

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from intcheck.kinds.probing import DatasetIndex, Exchange, ProbeRequest
    from intcheck.kinds.rest.links import Link
    from intcheck.model import Contract, Operation

# Within one round of links, reads go before the writes that need their ETag.
_METHOD_ORDER = {"GET": 0, "HEAD": 0, "POST": 1, "PUT": 2, "PATCH": 2, "DELETE": 3}


def writes(operation: Operation) -> bool:
    """Every method but GET, HEAD and OPTIONS may change data."""
    return operation.method not in ("GET", "HEAD", "OPTIONS", "TRACE")


def build_cases(contract: Contract, base_url: str, index: DatasetIndex) -> list[ProbeCase]:
    """Every case for every operation of a REST ``contract``, against ``base_url``."""
    spec = SpecView(contract.document)
    schemes = security_schemes(contract.document)
    written = written_cases(contract)
    builders: dict[str, OperationCases] = {}
    cases: list[ProbeCase] = []
    for operation in contract.operations:
        try:
            op = describe(spec, operation)
            builder = OperationCases(spec, op, contract, base_url, schemes, index)
            built = builder.own_cases(written)
            if builder.sendable:
                builders[operation.name] = builder
        except Exception as exc:  # real-world specs break in many ways; one must not stop all
            built = [unbuildable(operation, exc)]
        cases += built
    cases += _linked_cases(spec, builders)
    return _unique(cases)


def _unique(cases: list[ProbeCase]) -> list[ProbeCase]:
    """Case ids are keys everywhere: two examples with one name get ``~2``, ``~3``..."""
    seen: dict[str, int] = {}
    out = []
    for case in cases:
        count = seen[case.id] = seen.get(case.id, 0) + 1
        out.append(case if count == 1 else replace(case, id=f"{case.id}~{count}"))
    return out


def _linked_cases(spec: SpecView, builders: dict[str, OperationCases]) -> list[ProbeCase]:
    """Cases that address records named by earlier answers, source by source.

    Rounds follow the chain: operations without path parameters answer first (their
    positive case is the source), then those their answers address, and so on; each operation
    is linked from the sources of the first round that reaches it.
    """
    try:
        links = find_links(spec, [b.op for b in builders.values()])
    except Exception:  # a spec the link finder trips over still gets every other case
        return []
    source_case = {n: b.case_id("positive") for n, b in builders.items() if not path_params(b.op)}
    made: dict[tuple[str, str], str] = {}  # (target, source operation) -> linked case id
    pending = {name: found for name, found in links.items() if name in builders}
    cases: list[ProbeCase] = []
    while pending:
        ready = {
            name: [link for link in found if link.source.operation.name in source_case]
            for name, found in pending.items()
        }
        ready = {name: found for name, found in ready.items() if found}
        if not ready:
            break
        order = sorted(ready, key=lambda n: _METHOD_ORDER.get(builders[n].op.operation.method, 1))
        for name in order:
            for link in _usable(builders[name], ready[name]):
                try:
                    case = _linked(builders[name], link, source_case, made)
                except Exception:  # one link that cannot be built leaves the others
                    continue
                made[(name, link.source.operation.name)] = case.id
                cases.append(case)
            del pending[name]
        for name in order:
            first = next((made[key] for key in made if key[0] == name), None)
            if first is not None:
                source_case.setdefault(name, first)
    return cases


def _usable(builder: OperationCases, links: list[Link]) -> list[Link]:
    """The links a case is made for: a DELETE erases only what the probe created itself, an
    update prefers a record the probe created over one it merely found."""
    method = builder.op.operation.method
    creates = [link for link in links if link.source.operation.method == "POST"]
    if method == "DELETE":
        return creates
    if method in ("PUT", "PATCH"):
        return creates or links[:1]
    return links


def _linked(
    builder: OperationCases,
    link: Link,
    source_case: Mapping[str, str],
    made: Mapping[tuple[str, str], str],
) -> ProbeCase:
    """The positive request with the values ``link`` supplies from its source's answer.

    A required ``If-Match`` takes the ETag of the freshest answer about the same record: the
    update's (for a delete), a read's, or the create's.
    """
    source = source_case[link.source.operation.name]
    needs = [
        Need(
            slot=s.slot,
            sources=(source,),
            take=_fitting(builder, s.slot, s.take),
            what=f"{s.what} that fits its parameter's schema",
            names_record=s.names_record,
        )
        for s in link.supplies
    ]
    op = builder.op
    condition = next(
        (p for p in op.params if p.get("in") == "header" and p["name"].lower() == "if-match"),
        None,
    )
    if condition is not None and not any(n.slot.lower() == "header:if-match" for n in needs):
        path, via = op.operation.path, link.source.operation.name
        fresher = ("PATCH", "PUT") if op.operation.method == "DELETE" else ()
        sources = [
            made[(f"{method} {path}", via)]
            for method in (*fresher, "GET")
            if (f"{method} {path}", via) in made
        ]
        if link.source.operation.method == "POST":
            sources.append(source)
        if sources or condition.get("required"):
            needs.append(
                Need(
                    slot=f"header:{condition['name']}",
                    sources=tuple(sources),
                    take=etag,
                    what=f"{condition['name']} (the ETag of a read of the record)",
                )
            )
    params, body = builder.values.params(), builder.values.body()
    return builder.case(
        f"link:{link.label}",
        "linked",
        builder.request(params, body),
        needs=tuple(needs),
        build=functools.partial(_linked_request, builder, params, body),
    )


def _fitting(
    builder: OperationCases, slot: str, take: Callable[[Exchange], Any]
) -> Callable[[Exchange], Any]:
    """``take``, keeping only a value the target parameter's schema accepts: a field found by
    name (an ``ext-123`` for an integer id) is not the value meant when it does not fit."""
    where, _, name = slot.partition(":")
    param = builder.op.param(name, where)
    if param is None:
        return take
    validator = builder.values.param_validator(param)

    def fitting(exchange: Exchange) -> Any:
        value = take(exchange)
        if value is None:
            return None
        # a path, query or header value travels as text: 42 and "42" are the same value there
        forms = [value, str(value)] if isinstance(value, int) else [value]
        if isinstance(value, str) and value.isascii() and value.lstrip("-").isdigit():
            forms.append(int(value))
        return value if any(validator.is_valid(form) for form in forms) else None

    return fitting


def _linked_request(
    builder: OperationCases,
    params: dict[tuple[str, str], Any],
    body: Any,
    found: Mapping[str, Any],
) -> ProbeRequest:
    values = dict(params)
    for slot, value in found.items():
        where, _, name = slot.partition(":")
        values[(name, where)] = value
    return builder.request(values, body)
