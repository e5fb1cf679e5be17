"""The SOAP probe: what its cases send and what they may assert. No sockets.

Each test is named after a mistake that made the probe cry wolf on a correct service, or send
something a correct service must refuse.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from intcheck.contracts import load_plan
from intcheck.errors import ContractError
from intcheck.kinds.probing import Exchange, ProbeCase
from intcheck.kinds.soap.envelope import SOAP11, SOAP12, build_fault
from intcheck.model import Plan, Status
from intcheck.probe import ProbeOptions, plan_cases
from intcheck.probe.checks import run_checks
from intcheck.redact import Redactor

REPO = Path(__file__).resolve().parents[2]
SPECS = REPO / "contracts" / "specs"
RPC_WSDL = REPO / "tests" / "data" / "soap" / "rpc-literal.wsdl"
TNS = "urn:example:orders:v1"


def _plan(tmp_path: Path, extra: str = "", spec: Path = SPECS / "order-service.wsdl") -> Plan:
    (tmp_path / "c.yaml").write_text(
        f"kind: soap\nname: orders\nspec: {spec}\ntarget: http://127.0.0.1:9\n{extra}"
    )
    (tmp_path / "plan.yaml").write_text("name: p\nintegrations:\n  - contract: c.yaml\n")
    return load_plan(tmp_path)


def _cases(plan: Plan, only: str) -> dict[str, ProbeCase]:
    return {c.id.rpartition("#")[2]: c for c in plan_cases(plan, ProbeOptions(only=(only,)))}


def _payload(case: ProbeCase) -> Any:
    return etree.fromstring(case.request.body).find("{*}Body")[0]


def test_contract_test_data_comes_before_generated_values(tmp_path: Path) -> None:
    plan = _plan(tmp_path, "probe:\n  data:\n    OrderId: [X-not-an-id, O20264242]\n")
    valid = _payload(_cases(plan, "orders:GetOrder#soap11:*")["soap11:valid"])
    # the first value breaks the XSD pattern O[0-9]{8}, so the second is sent
    assert valid.findtext(f"{{{TNS}}}OrderId") == "O20264242"
    unknown = _payload(_cases(plan, "orders:GetOrder#soap11:*")["soap11:unknown-id"])
    assert unknown.findtext(f"{{{TNS}}}OrderId") == "O99999999"


def test_test_data_of_the_wrong_shape_is_a_contract_error(tmp_path: Path) -> None:
    with pytest.raises(ContractError) as raised:
        _plan(tmp_path, "probe:\n  data:\n    OrderId: O20264242\n")
    text = str(raised.value)
    assert "c.yaml:" in text and "probe.data.OrderId" in text


@pytest.mark.parametrize("port", ["soap11", "soap12"])
def test_rpc_literal_request_wrapper_is_operation_name(tmp_path: Path, port: str) -> None:
    plan = _plan(tmp_path, spec=RPC_WSDL)
    wrapper = _payload(_cases(plan, f"orders:GetQuote#{port}:*")[f"{port}:valid"])
    # WS-I BP: the operation's name in the soap:body namespace, not the input message's name
    assert wrapper.tag == "{urn:example:rpc}GetQuote"
    assert [child.tag for child in wrapper] == ["code", "days"]  # unqualified accessors


def _answer(case: ProbeCase, body: bytes, status: int, version: Any = SOAP11) -> dict[str, Any]:
    exchange = Exchange(
        request=case.request,
        status=status,
        headers={"content-type": version.content_type},
        body=body,
    )
    results = run_checks(case, exchange, Redactor(()))
    return {r.check: (r.status, r.message) for r in results}


def _response(version: Any, payload: str) -> bytes:
    ns = version.envelope_ns
    return f'<e:Envelope xmlns:e="{ns}"><e:Body>{payload}</e:Body></e:Envelope>'.encode()


@pytest.mark.parametrize("port", ["soap11", "soap12"])
def test_rpc_literal_response_wrapper_is_operation_name_plus_response(
    tmp_path: Path, port: str
) -> None:
    version = SOAP11 if port == "soap11" else SOAP12
    case = _cases(_plan(tmp_path, spec=RPC_WSDL), f"orders:GetQuote#{port}:*")[f"{port}:valid"]
    quote = (
        "<quote><r:code>AB12</r:code><r:price>1.50</r:price>"
        "<r:at>2026-01-01T00:00:00Z</r:at></quote>"
    )
    good = _response(
        version, f'<r:GetQuoteResponse xmlns:r="urn:example:rpc">{quote}</r:GetQuoteResponse>'
    )
    checked = _answer(case, good, 200, version)
    assert {k: v for k, v in checked.items() if v[0] is not Status.PASSED} == {}
    # the output message's name is what zeep (and the probe, once) expected: not WS-I
    named_after_message = good.replace(b"GetQuoteResponse", b"GetQuoteOut")
    checked = _answer(case, named_after_message, 200, version)
    assert checked["outcome_is_as_expected"][0] is Status.FAILED
    assert "GetQuoteResponse" in checked["outcome_is_as_expected"][1]


def _declared_fault(version: Any) -> bytes:
    detail = etree.fromstring(
        f'<NotFoundFault xmlns="{TNS}"><Code>NF</Code><Message>no</Message><Key>k</Key>'
        "</NotFoundFault>"
    )
    return build_fault(version, version.receiver, "no such order", detail=[detail])


@pytest.mark.parametrize("port", ["soap11", "soap12"])
def test_declared_fault_to_a_generated_case_is_conformant_not_found(
    tmp_path: Path, port: str
) -> None:
    version = SOAP11 if port == "soap11" else SOAP12
    cases = _cases(_plan(tmp_path), f"orders:GetOrder#{port}:*")
    valid = cases[f"{port}:valid"]
    answer = _declared_fault(version)
    checked = _answer(valid, answer, 500, version)
    assert {k: v for k, v in checked.items() if v[0] is not Status.PASSED} == {}
    assert valid.not_found is not None
    exchange = Exchange(request=valid.request, status=500, body=answer)
    assert valid.not_found(exchange)
    sender = build_fault(version, version.sender, "unknown order")
    assert valid.not_found(Exchange(request=valid.request, status=500, body=sender))
    ok = _response(version, f'<GetOrderResponse xmlns="{TNS}"/>')
    assert not valid.not_found(Exchange(request=valid.request, status=200, body=ok))


def test_undeclared_server_fault_to_a_valid_request_is_a_finding(tmp_path: Path) -> None:
    valid = _cases(_plan(tmp_path), "orders:GetOrder#soap11:*")["soap11:valid"]
    checked = _answer(valid, build_fault(SOAP11, "Server", "NullReferenceException"), 500)
    assert checked["outcome_is_as_expected"][0] is Status.FAILED
    assert valid.not_found is not None
    server = build_fault(SOAP11, "Server", "boom")
    assert not valid.not_found(Exchange(request=valid.request, status=500, body=server))


def test_only_a_written_case_asserts_an_exact_fault(tmp_path: Path) -> None:
    extra = (
        "cases:\n  - name: known\n    operation: GetOrder\n    body: {OrderId: O20260001}\n"
        "    expect: {fault: false}\n"
    )
    cases = _cases(_plan(tmp_path, extra), "orders:GetOrder#soap11:*")
    written = cases["soap11:case:known"]
    assert _payload(written).findtext(f"{{{TNS}}}OrderId") == "O20260001"
    assert written.not_found is None  # the user said there is such a record
    checked = _answer(written, _declared_fault(SOAP11), 500)
    assert checked["outcome_is_as_expected"][0] is Status.FAILED


def test_invalid_case_is_invalid_against_the_xsd(tmp_path: Path) -> None:
    from intcheck.kinds.soap.operations import SoapModel

    plan = _plan(tmp_path)
    model = SoapModel.compile(plan.contract("orders"))
    op = next(op for op in model.operations if op.name == "PlaceOrder")
    for case in _cases(plan, "orders:PlaceOrder#*").values():
        errors = model.errors(op.input, _payload(case))
        assert bool(errors) == case.id.endswith(":invalid"), case.id


def test_a_written_case_asserts_what_its_expect_says_beyond_the_fault(tmp_path: Path) -> None:
    extra = (
        "cases:\n  - name: known\n    operation: GetOrder\n    body: {OrderId: O20260001}\n"
        "    expect: {fault: false, contains: O20260001, max_ms: 50, fields: {/a: 1}}\n"
    )
    case = _cases(_plan(tmp_path, extra), "orders:GetOrder#soap11:*")["soap11:case:known"]
    answer = _response(
        SOAP11, f'<GetOrderResponse xmlns="{TNS}"><x>O20269999</x></GetOrderResponse>'
    )
    checked = _answer(case, answer, 200)
    assert checked["body_contains_expected_text"][0] is Status.FAILED
    assert checked["latency_within_case_limit"][0] is Status.PASSED
    # JSON pointers cannot address a SOAP answer: said, never judged
    assert checked["fields_are_as_expected"][0] is Status.SKIPPED


def test_a_written_case_sends_what_it_says_and_no_optional_dataset_value(tmp_path: Path) -> None:
    """An optional filter the datasets could fill (Status: open) would narrow the answer and
    make the user's case pass or fail for a reason they never wrote."""
    plan = _plan(
        tmp_path,
        "mock: {dataset: " + str(REPO / "mocks" / "master-data.yaml") + "}\n"
        "cases:\n  - name: orders-of-jonas\n    operation: ListCustomerOrders\n"
        "    body: {CustomerId: C000002}\n",
    )
    written = _payload(
        _cases(plan, "orders:ListCustomerOrders#soap11:*")["soap11:case:orders-of-jonas"]
    )
    assert written.findtext(f"{{{TNS}}}CustomerId") == "C000002"
    assert written.find(f"{{{TNS}}}Status") is None
    # a generated case still draws optional values from the datasets
    valid = _payload(_cases(plan, "orders:ListCustomerOrders#soap11:*")["soap11:valid"])
    assert valid.find(f"{{{TNS}}}CustomerId") is not None
