"""Pieces of the SOAP mock without a socket: envelopes, faults, patterns, facets, dataset names."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from intcheck.contracts import load_plan
from intcheck.data import DataStore, field_key
from intcheck.kinds.probing import DatasetIndex
from intcheck.kinds.soap.components import Element, ElementUse, SimpleType
from intcheck.kinds.soap.dataset import DatasetAnswers, field_of
from intcheck.kinds.soap.envelope import (
    SOAP11,
    SOAP12,
    BadRequest,
    build_fault,
    parse_envelope,
    version_from_content_type,
)
from intcheck.kinds.soap.operations import SoapModel
from intcheck.kinds.soap.probe import TestData
from intcheck.kinds.soap.service import SoapService
from intcheck.kinds.soap.values import DocumentIds, SimpleValues, generate_from_pattern

SPEC = Path(__file__).resolve().parents[2] / "contracts" / "specs" / "order-service.wsdl"


@pytest.mark.parametrize(
    ("header", "version", "action"),
    [
        ("text/xml; charset=utf-8", SOAP11, ""),
        ('application/soap+xml; charset=utf-8; action="urn:a/B"', SOAP12, "urn:a/B"),
        ("Application/SOAP+XML;action=urn:x", SOAP12, "urn:x"),
        ("application/json", None, ""),
    ],
)
def test_version_from_content_type(header: str, version: object, action: str) -> None:
    assert version_from_content_type(header) == (version, action)


@pytest.mark.parametrize(
    "body",
    [
        b'<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>',
        '<?xml version="1.0" encoding="utf-16"?><!DOCTYPE x><x/>'.encode("utf-16"),
        '<?xml version="1.0" encoding="utf-16"?><!DOCTYPE x><x/>'.encode("utf-16-be"),
        '<?xml version="1.0" encoding="UTF-32"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>'.encode(
            "utf-32"
        ),
    ],
    ids=["utf-8", "utf-16", "utf-16-be", "utf-32"],
)
def test_any_doctype_is_refused_before_parsing(body: bytes) -> None:
    # the byte scan covers ASCII-compatible encodings and UTF-16; anything else is checked
    # again on the parsed tree (or fails to parse), never accepted
    with pytest.raises(BadRequest) as raised:
        parse_envelope(body)
    assert raised.value.rule in ("doctype-refused", "malformed-xml")


def test_soap11_fault_shape() -> None:
    detail = etree.Element("{urn:x}Why")
    root = etree.fromstring(build_fault(SOAP11, "Client", "bad", detail=[detail]))
    fault = root.find("{*}Body/{*}Fault")
    assert [child.tag for child in fault] == ["faultcode", "faultstring", "detail"]
    assert fault.findtext("faultcode") == "soap:Client"
    assert fault.find("detail/{urn:x}Why") is not None
    assert SOAP11.status_for("Client") == 500


def test_soap12_fault_shape_and_status() -> None:
    ns = {"env": SOAP12.envelope_ns}
    root = etree.fromstring(build_fault(SOAP12, "Sender", "bad", subcode=("urn:x", "Invalid")))
    assert root.findtext(".//env:Code/env:Value", namespaces=ns) == "env:Sender"
    assert root.findtext(".//env:Code/env:Subcode/env:Value", namespaces=ns) == "sub:Invalid"
    text = root.find(".//env:Reason/env:Text", namespaces=ns)
    assert (text.text, text.get("{http://www.w3.org/XML/1998/namespace}lang")) == ("bad", "en")
    assert (SOAP12.status_for("Sender"), SOAP12.status_for("Receiver")) == (400, 500)


@pytest.mark.parametrize(
    "pattern",
    [
        "O[0-9]{8}",
        "[A-Z]{3}-[0-9]{4}",
        r"\d{3,5}(-[a-z]+)?",
        "(EUR|USD|GBP)",
        r"[^0-9]{2}\w+",
        r"\p{Lu}{2}",
        r"\i\c*",
    ],
)
def test_pattern_generator_matches(pattern: str) -> None:
    rng = random.Random(5)
    made = generate_from_pattern(pattern, rng)
    assert made is not None
    translated = (
        pattern.replace(r"\p{Lu}", "[A-Za-z]")
        .replace(r"\i", "[A-Za-z_:]")
        .replace(r"\c", "[A-Za-z0-9._:-]")
    )
    assert re.fullmatch(translated, made)


def test_generated_values_respect_facets_and_validate() -> None:
    plan = load_plan(SPEC.parents[1])
    model = SoapModel.compile(plan.contract("order-service"))
    for seed in range(5):
        builder = model.builder(random.Random(seed))
        for op in model.operations:
            for message in (op.input, op.output):
                assert message is not None
                for element in model.build_body(builder, message, None, None):
                    assert model.errors(message, element) == [], (op.name, seed)


def test_names_match_ignoring_case_underscores_and_plurals() -> None:
    record = {"order_id": 1, "lines": [], "in_stock": 3}
    assert field_key("Order-Id") == field_key("order_id") == "orderid"
    assert field_of(record, "OrderId") == "order_id"
    assert field_of(record, "Line") == "lines"
    assert field_of(record, "InStock") == "in_stock"
    assert field_of(record, "Price") is None


def test_keys_are_first_fields_or_singular_plus_id() -> None:
    store = DataStore(
        {
            "customers": ({"id": "C1", "name": "A"},),
            "orders": ({"order_id": "O1", "customer_id": "C1"},),
        }
    )
    answers = DatasetAnswers(store)
    assert answers.key_for("CustomerId") == ("customers", "id")
    assert answers.key_for("OrderId") == ("orders", "order_id")
    assert answers.key_for("Id") is None  # too vague to be a key
    assert answers.key_for("Name") is None


_ENVELOPES = [
    SOAP11.envelope_ns,
    SOAP12.envelope_ns,
    "urn:example:orders:v1",
]


@pytest.fixture(scope="module")
def service() -> SoapService:
    plan = load_plan(SPEC.parents[1])
    return SoapService(plan.contract("order-service"), DataStore.for_plan(plan), random.Random(0))


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    content_type=st.sampled_from(["text/xml", "application/soap+xml", "text/plain", ""]),
    action=st.one_of(st.none(), st.text(max_size=40)),
    body=st.one_of(
        st.binary(max_size=300),
        st.builds(
            lambda ns, inner: (
                f'<e:Envelope xmlns:e="{ns}" xmlns:o="urn:example:orders:v1"><e:Body>{inner}'
                "</e:Body></e:Envelope>"
            ).encode(),
            st.sampled_from(_ENVELOPES),
            st.sampled_from(
                [
                    "",
                    "<o:GetOrder/>",
                    "<o:GetOrder><o:OrderId>O20260001</o:OrderId></o:GetOrder>",
                    "<o:PlaceOrder><o:CustomerId>C000001</o:CustomerId></o:PlaceOrder>",
                    "<o:ListCustomerOrders><o:CustomerId>C1</o:CustomerId></o:ListCustomerOrders>",
                    "<o:GetProduct><o:Sku>&amp;</o:Sku><o:Sku/></o:GetProduct>",
                    "text",
                ]
            ),
        ),
    ),
)
def test_any_request_gets_a_soap_answer(
    service: SoapService, content_type: str, action: str | None, body: bytes
) -> None:
    reply = service.answer(content_type, action, body)
    assert reply.status in (200, 400, 413, 415, 500)
    assert reply.validation != "internal-error", reply.body
    root = etree.fromstring(reply.body)
    assert etree.QName(root).localname == "Envelope"
    if reply.status != 200:
        assert root.find("{*}Body/{*}Fault") is not None


def test_probe_values_read_xsd_patterns_with_xsd_escapes() -> None:
    # \i and \c are XSD's, not Python's: a probe reading them as Python regexes raised re.error
    # and lost every case of the operation
    values = SimpleValues(random.Random(0), first=True)
    name = SimpleType(builtin="string", patterns=((r"\i\c*",),))
    use = ElementUse(Element(name="Ref", type=name))
    data = TestData({}, DatasetIndex({"refs": ({"ref": "12-not-a-name"}, {"ref": "order-1"})}))
    offer = data.child(use, None)
    assert offer is not None
    fitting = [v for v in offer[0].values if values.fits(name, str(v))]
    assert fitting == ["order-1"]
    made = values.generate(name, "Ref", DocumentIds())
    assert re.fullmatch(r"[A-Za-z_:][A-Za-z0-9._:-]*", made)
