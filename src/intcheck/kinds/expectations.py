"""What a written case's ``expect:`` asserts beyond its status, as checks every kind shares.

A key user writes a case (``cases:`` in a contract, or a scenario step) with the answer they
expect: ``fields`` (JSON pointer -> value), ``content_type``, ``contains``, ``max_ms``. Only
these are asserted exactly, because only these were written down; each kind adds its own
conformance checks beside them. The checks read the expectation from ``case.data``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from intcheck.contracts.openapi import resolve_pointer
from intcheck.kinds.probing import Check, Exchange, Finding, Perform, ProbeCase, ProbeRequest
from intcheck.model import Operation, Severity, SourceRef


def written_status(expect: Mapping[str, Any]) -> tuple[str, ...]:
    """``expect.status`` as the probe matches it ("200", "2XX"); empty when none is written."""
    status = expect.get("status")
    return (str(status).upper(),) if status is not None else ()


def expectation_checks(expect: Mapping[str, Any]) -> tuple[Check, ...]:
    """A check for each of ``fields``, ``content_type``, ``contains`` and ``max_ms`` written."""
    checks = []
    if "fields" in expect:
        checks.append(Check(name="fields_are_as_expected", function=_fields_are_as_expected))
    if "content_type" in expect:
        checks.append(
            Check(name="content_type_is_as_expected", function=_content_type_is_as_expected)
        )
    if "contains" in expect:
        checks.append(
            Check(name="body_contains_expected_text", function=_body_contains_expected_text)
        )
    if "max_ms" in expect:
        checks.append(
            Check(
                name="latency_within_case_limit",
                function=_latency_within_case_limit,
                severity=Severity.MEDIUM,
            )
        )
    return tuple(checks)


def _fields_are_as_expected(case: ProbeCase, exchange: Exchange) -> Finding | None:
    try:
        body = json.loads(exchange.body)
    except ValueError:
        return Finding("body is not JSON, so the expected fields cannot be there")
    for pointer, wanted in case.data["fields"].items():
        try:
            got = resolve_pointer(body, "#" + pointer)
        except (KeyError, IndexError, ValueError, TypeError):
            return Finding(f"{pointer}: expected {wanted!r}, the field is missing")
        if got != wanted:
            return Finding(f"{pointer}: expected {wanted!r}, got {got!r}")
    return None


def _content_type_is_as_expected(case: ProbeCase, exchange: Exchange) -> Finding | None:
    wanted = str(case.data["content_type"]).lower()
    if media_matches(exchange.content_type, wanted):
        return None
    return Finding(f"expected content type {wanted!r}, got {exchange.content_type!r}")


def _body_contains_expected_text(case: ProbeCase, exchange: Exchange) -> Finding | None:
    if str(case.data["contains"]).encode() in exchange.body:
        return None
    return Finding(f"body does not contain {case.data['contains']!r}")


def _latency_within_case_limit(case: ProbeCase, exchange: Exchange) -> Finding | None:
    limit = float(case.data["max_ms"])
    if exchange.elapsed_ms <= limit:
        return None
    return Finding(f"answered in {exchange.elapsed_ms:.0f} ms, the case allows {limit:g} ms")


def media_matches(got: str, documented: str) -> bool:
    """Whether media type ``got`` is ``documented`` (parameters ignored, ``type/*`` allowed)."""
    documented = documented.split(";", 1)[0].strip()
    if documented in ("*/*", got):
        return True
    major, _, minor = documented.partition("/")
    return minor == "*" and got.startswith(major + "/")


def written_case(
    operation: Operation,
    item: Mapping[str, Any],
    where: SourceRef,
    request: ProbeRequest,
    *,
    checks: tuple[Check, ...] = (),
    status: tuple[str, ...] = (),
    data: Mapping[str, Any] | None = None,
    writes: bool | None = None,
    perform: Perform | None = None,
    skip: str = "",
    skipped_by: str = "case_can_be_built",
) -> ProbeCase:
    """The case of one written entry (a contract's ``cases:``, or a scenario's step).

    Its id ends with ``case:<name>`` (how a scenario finds it), its kind is ``contract``, and
    it asserts its ``expect`` exactly (``written_status`` else ``status``, and
    ``expectation_checks``) beside the kind's own ``checks``.
    """
    expect = dict(item.get("expect") or {})
    return ProbeCase(
        id=f"{operation.id}#case:{item['name']}",
        operation=operation,
        kind="contract",
        request=request,
        checks=(*checks, *expectation_checks(expect)),
        expect_status=written_status(expect) or status,
        source=where,
        data={**(data or {}), **expect},
        writes=writes,
        perform=perform,
        skip=skip,
        skipped_by=skipped_by,
    )
