"""Checks and schema judgement on hand-built cases and answers: no sockets."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from intcheck.kinds import openapi_schema
from intcheck.kinds.probing import (
    CannotEvaluate,
    Check,
    Exchange,
    Finding,
    ProbeCase,
    ProbeRequest,
    status_matches,
)
from intcheck.model import Operation, Status
from intcheck.probe.checks import curl_line, percentile, run_checks
from intcheck.redact import Redactor

OPERATION = Operation(contract="crm", name="GET /x", method="GET", path="/x")


def _case(checks: tuple[Check, ...] = (), **fields: Any) -> ProbeCase:
    request = ProbeRequest(
        method="GET", url="http://127.0.0.1:1/x", headers={"Authorization": "Bearer s3cret-token"}
    )
    return ProbeCase(
        id="crm:GET /x#positive",
        operation=OPERATION,
        kind="positive",
        request=request,
        checks=checks,
        **fields,
    )


def _exchange(status: int | None = 200, body: bytes = b"{}", error: str = "") -> Exchange:
    return Exchange(
        request=_case().request,
        status=status,
        body=body,
        elapsed_ms=12.0,
        error=error,
        headers={"content-type": "application/json"},
    )


def _valid(schema: Any, value: Any) -> bool:
    return bool(openapi_schema.validator_for(schema).is_valid(value))


@pytest.mark.parametrize(
    ("value", "step"),
    [
        (19.95, 0.01),
        (0.07, 0.01),
        (0.3, 0.1),
        (0.7, 0.1),
        (4.35, 0.05),
        (4, 2),
        (4.0, 0.5),
        (1e308, 0.01),
    ],
)
def test_float_multiple_of_has_no_false_alarm(value: float, step: float) -> None:
    assert _valid({"multipleOf": step}, value)


def test_plain_jsonschema_would_false_alarm() -> None:
    # Why the override exists: in binary floats 0.3 / 0.1 == 2.9999999999999996.
    for value, step in ((0.3, 0.1), (0.07, 0.01), (4.35, 0.05)):
        assert not Draft202012Validator({"multipleOf": step}).is_valid(value)


@pytest.mark.parametrize(("value", "step"), [(13.375, 0.01), (0.35, 0.1), (5, 2), (1e-9, 0.01)])
def test_multiple_of_still_catches_real_violations(value: float, step: float) -> None:
    assert not _valid({"multipleOf": step}, value)


@given(st.integers(min_value=-(10**9), max_value=10**9))
def test_any_cent_amount_is_a_multiple_of_a_cent(cents: int) -> None:
    assert _valid({"type": "number", "multipleOf": 0.01}, round(cents / 100, 2))


def _convert(node: Any, direction: str = "response", components: Any = None) -> Any:
    def resolve(ref: str) -> Any:
        return (components or {})[ref.rsplit("/", 1)[-1]]

    out = openapi_schema.convert(node, direction=direction, resolve=resolve)
    if components:
        out["components"] = {
            "schemas": {
                k: openapi_schema.convert(v, direction=direction, resolve=resolve)
                for k, v in components.items()
            }
        }
    return out


def test_nullable_allows_null_only_where_declared() -> None:
    assert _valid(_convert({"type": "string", "nullable": True}), None)
    assert not _valid(_convert({"type": "string"}), None)
    assert _valid(_convert({"type": "string", "enum": ["a"], "nullable": True}), None)
    ref = _convert(
        {"$ref": "#/components/schemas/A", "nullable": True}, components={"A": {"type": "integer"}}
    )
    assert _valid(ref, None)


def test_boolean_exclusive_minimum_is_rewritten() -> None:
    schema = _convert({"type": "number", "minimum": 0, "exclusiveMinimum": True})
    assert not _valid(schema, 0)
    assert _valid(schema, 0.5)


def test_read_only_is_not_required_in_requests() -> None:
    node = {
        "type": "object",
        "required": ["id", "name"],
        "properties": {"id": {"readOnly": True}, "name": {}},
    }
    assert _valid(_convert(node, "request"), {"name": "x"})
    assert not _valid(_convert(node, "response"), {"name": "x"})


def test_discriminator_picks_the_one_branch() -> None:
    components = {
        "Cat": {
            "type": "object",
            "required": ["kind"],
            "properties": {"kind": {"type": "string"}, "claws": {"type": "boolean"}},
        },
        "Dog": {
            "type": "object",
            "required": ["kind"],
            "properties": {"kind": {"type": "string"}, "bark": {"type": "string"}},
        },
    }
    pet = {
        "oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}],
        "discriminator": {"propertyName": "kind"},
    }
    schema = _convert(pet, components=components)
    # plain oneOf: both branches match {"kind": "Cat"}, so it would fail; the tag decides instead
    assert _valid(schema, {"kind": "Cat", "claws": True})
    assert not _valid(schema, {"kind": "Cat", "claws": "sharp"})
    assert not _valid(schema, {"kind": "Bird"})


def test_first_error_names_pointer_and_schema_location() -> None:
    schema = _convert(
        {"$ref": "#/components/schemas/Order"},
        components={
            "Order": {
                "type": "object",
                "properties": {"total": {"type": "number", "multipleOf": 0.01}},
            }
        },
    )
    error = openapi_schema.first_error(openapi_schema.validator_for(schema), {"total": 1.001}, "/x")
    assert error == {
        "message": "1.001 is not a multiple of 0.01",
        "instance_pointer": "/total",
        "schema_location": "#/components/schemas/Order/properties/total/multipleOf",
    }


def test_date_time_format_is_asserted() -> None:
    schema = {"type": "string", "format": "date-time"}
    assert _valid(schema, "2026-01-01T09:00:00Z")
    assert not _valid(schema, "yesterday")


@pytest.mark.parametrize(
    ("status", "patterns", "expected"),
    [
        (200, ("200",), True),
        (404, ("4XX",), True),
        (404, ("4xx",), True),
        (500, ("4XX",), False),
        (418, ("default",), True),
        (201, ("200",), False),
    ],
)
def test_status_matches(status: int, patterns: tuple[str, ...], expected: bool) -> None:
    assert status_matches(status, patterns) is expected


def test_transport_error_makes_every_check_errored() -> None:
    results = run_checks(_case(), _exchange(None, b"", "connection failed"), Redactor())
    assert results
    assert {r.status for r in results} == {Status.ERRORED}


def test_check_outcomes_map_to_statuses() -> None:
    def fails(case: ProbeCase, exchange: Exchange) -> Finding | None:
        return Finding("broken")

    def cannot(case: ProbeCase, exchange: Exchange) -> Finding | None:
        raise CannotEvaluate("refused")

    def crashes(case: ProbeCase, exchange: Exchange) -> Finding | None:
        raise ZeroDivisionError

    checks = tuple(Check(name=f.__name__, function=f) for f in (fails, cannot, crashes))
    results = {r.check: r for r in run_checks(_case(checks), _exchange(), Redactor())}
    assert results["status_is_as_expected"].status is Status.PASSED
    assert results["fails"].status is Status.FAILED
    assert results["cannot"].status is Status.ERRORED
    assert results["crashes"].status is Status.ERRORED
    assert "ZeroDivisionError" in results["crashes"].message


def test_negative_case_wants_a_4xx() -> None:
    case = ProbeCase(
        id="crm:GET /x#negative:missing:q",
        operation=OPERATION,
        kind="negative",
        request=_case().request,
        checks=(),
        documented=("200", "400"),
    )
    for status, outcome in ((400, Status.PASSED), (200, Status.FAILED), (500, Status.FAILED)):
        results = {r.check: r for r in run_checks(case, _exchange(status), Redactor())}
        assert results["invalid_request_is_rejected"].status is outcome


def test_evidence_is_redacted_and_curl_reads_secrets_from_the_environment() -> None:
    redactor = Redactor({"s3cret-token"})
    exchange = _exchange(200, b'{"echo": "s3cret-token"}')
    (result, *_) = run_checks(_case(sla_ms=1.0), exchange, redactor)
    assert result.evidence is not None
    assert "s3cret-token" not in repr(result)
    assert '"Authorization: ${INTCHECK_AUTHORIZATION}"' in result.evidence.curl


def test_curl_line_quotes_for_the_shell() -> None:
    line = curl_line("POST", "http://h/x?a=1&b=2", {"X": "it's"}, b'{"a": 1}', Redactor())
    assert line == (
        "curl -sS -i -X POST -H 'X: it'\"'\"'s' --data-binary '{\"a\": 1}' 'http://h/x?a=1&b=2'"
    )


def test_percentile_is_nearest_rank() -> None:
    assert percentile(range(1, 101), 0.95) == 95
    assert percentile([], 0.95) == 0.0


@pytest.mark.parametrize(
    ("target", "address", "expected"),
    [
        (
            "http://127.0.0.1:8080",
            "https://erp.example.com/soap/orders",
            "http://127.0.0.1:8080/soap/orders",
        ),
        (
            "https://erp-test.example.com/",
            "https://erp.example.com/soap/orders?v=1",
            "https://erp-test.example.com/soap/orders?v=1",
        ),
        (
            "http://127.0.0.1:9/order-service",
            "https://erp.example.com/soap/orders",
            "http://127.0.0.1:9/order-service",
        ),
    ],
)
def test_soap_endpoint_takes_the_target_origin(target: str, address: str, expected: str) -> None:
    from intcheck.kinds.soap.probe import endpoint_url

    assert endpoint_url(target, address) == expected


def test_dataset_index_finds_values_by_field_name() -> None:
    from intcheck.kinds.probing import DatasetIndex

    index = DatasetIndex(
        {
            "customers": ({"id": "C1", "phones": [{"type": "mobile", "number": "+491"}]},),
            "orders": ({"order_id": "O1", "customer_id": "C1", "lines": [{"sku": "K-1"}]},),
        }
    )
    assert index.candidates("phone") == ["+491"]
    assert index.candidates("CustomerId") == ["C1"]
    assert index.candidates("OrderId") == ["O1"]
    assert index.candidates("Sku") == ["K-1"]
    assert index.candidates("nothing") == []
