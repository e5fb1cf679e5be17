"""The SOAP mock answers within its own XSD, construct by construct (tests/data/soap).

Each test is named after a way an answer used to break the WSDL's schema. The oracle is
libxml2 reading the WSDL's own schemas, compiled independently of the mock.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import zeep
from lxml import etree

from intcheck.kinds.soap.envelope import SOAP11_ENV, SOAP12_ENV
from intcheck.kinds.soap.operations import SoapModel
from tests.kinds.soap_support import Served, corpus_plan, post, serving, zeep_client

SHAPES = Path(__file__).resolve().parents[1] / "data" / "soap" / "schema-shapes.wsdl"
NS = "urn:example:shapes"
COMMON = "urn:example:shapes:common"
PORTS = ("Shapes11Port", "Shapes12Port")
DATASET = "codes:\n  - by_code: AB-1234\n    by_name: Alpha\n"


@pytest.fixture(scope="module")
def xsd() -> etree.XMLSchema:
    """The WSDL's two embedded schemas, compiled by lxml as they are written."""
    root = etree.parse(str(SHAPES)).getroot()
    schemas = root.findall(".//{http://www.w3.org/2001/XMLSchema}schema")
    common, main = (etree.fromstring(etree.tostring(s)) for s in schemas)
    main.find("{http://www.w3.org/2001/XMLSchema}import").set("schemaLocation", "common.xsd")

    class Common(etree.Resolver):
        def resolve(self, url: str, pubid: str, context: Any) -> Any:
            if url.endswith("common.xsd"):
                return self.resolve_string(etree.tostring(common), context)
            return None

    parser = etree.XMLParser()
    parser.resolvers.add(Common())
    return etree.XMLSchema(etree.fromstring(etree.tostring(main), parser, base_url="main.xsd"))


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> SoapModel:
    folder = tmp_path_factory.mktemp("shapes")
    return SoapModel.compile(corpus_plan(folder, SHAPES, "shapes").contract("shapes"))


@pytest.fixture
def mock(tmp_path: Path) -> Iterator[Served]:
    with serving(corpus_plan(tmp_path, SHAPES, "shapes", dataset=DATASET), "shapes") as served:
        yield served


def _answer(mock: Served, port: str, **request: str) -> Any:
    """The Body content of the mock's answer to a Lookup (raw HTTP: zeep cannot read every
    construct of this schema, a list type restricted by length among them)."""
    version = "1.1" if port == PORTS[0] else "1.2"
    envelope = SOAP11_ENV if version == "1.1" else SOAP12_ENV
    inner = "".join(f"<s:{name}>{value}</s:{name}>" for name, value in request.items())
    body = (
        f'<e:Envelope xmlns:e="{envelope}" xmlns:s="{NS}">'
        f"<e:Body><s:Lookup>{inner}</s:Lookup></e:Body></e:Envelope>"
    )
    reply = post(mock, body, version=version, action="urn:example:shapes/Lookup")
    return etree.fromstring(reply.content).find(f"{{{envelope}}}Body")[0]


@pytest.mark.parametrize("port", PORTS)
def test_fixed_value_is_answered_verbatim(mock: Served, port: str, xsd: Any) -> None:
    answer = _answer(mock, port, ByCode="AB-1234")
    assert xsd.validate(answer), xsd.error_log
    assert answer.findtext(f"{{{NS}}}Version") == "3.0"  # element fixed="3.0"
    assert answer.get("schemaVersion") == "2.1"  # attribute fixed="2.1", via an attributeGroup
    assert {line.get("status") for line in answer.iter(f"{{{NS}}}Line")} == {"active"}


def test_default_value_is_answered_when_nothing_else_is_known(mock: Served, xsd: Any) -> None:
    answer = _answer(mock, PORTS[0], ByCode="AB-1234")
    assert answer.findtext(f"{{{NS}}}Channel") == "phone"
    assert xsd.validate(answer)


def test_abstract_element_and_type_are_answered_by_a_concrete_substitute(
    mock: Served, xsd: Any
) -> None:
    answer = _answer(mock, PORTS[1], ByName="Alpha")
    assert answer.find(f"{{{COMMON}}}Party") is None  # abstract: never on the wire
    assert answer.find(f"{{{COMMON}}}Person/{{{COMMON}}}Born") is not None
    assert xsd.validate(answer), xsd.error_log


def test_ids_are_unique_within_an_answer(mock: Served, xsd: Any) -> None:
    answer = _answer(mock, PORTS[0], ByCode="AB-1234")
    ids = [line.get("id") for line in answer.iter(f"{{{NS}}}Line")]
    ids.append(answer.find(f"{{{COMMON}}}Person").get("ref"))
    assert len(ids) == len(set(ids)) >= 3  # minOccurs="2" lines and a person
    assert xsd.validate(answer)


@pytest.mark.parametrize(("port", "code"), [(PORTS[0], "soap:Client"), (PORTS[1], "env:Sender")])
def test_declared_fault_carries_detail(mock: Served, port: str, code: str, xsd: Any) -> None:
    with zeep_client(mock) as (client, _), pytest.raises(zeep.exceptions.Fault) as raised:
        client.bind("ShapeService", port).Lookup(ByCode="AC-0001")  # no such code
    assert raised.value.code == code
    detail = raised.value.detail.find(f"{{{NS}}}UnknownCode")
    assert detail is not None, etree.tostring(raised.value.detail)
    assert xsd.validate(detail), xsd.error_log  # valid against the fault message's element
    assert detail.findtext(f"{{{NS}}}Severity") == "2"  # fixed values in a detail too
    assert detail.get("retryable") == "false"
    assert "AC-0001" in raised.value.message
    fault = _answer(mock, port, ByCode="AC-0001")
    assert etree.QName(fault).localname == "Fault"


@pytest.mark.parametrize("seed", range(20))
def test_every_schema_construct_is_built_valid_whatever_the_draw(
    seed: int, xsd: Any, model: SoapModel
) -> None:
    # choice, occurrences, nillable, list and union types, facets over two derivation steps,
    # attribute groups, strict and lax wildcards, abstract elements and types, imports
    builder = model.builder(random.Random(seed))
    for op in model.operations:
        for message in (op.input, op.output):
            assert message is not None
            for element in model.build_body(builder, message, None, None):
                assert xsd.validate(element), (seed, xsd.error_log, etree.tostring(element))
        for fault in op.faults:
            declared = model.types.element(fault.element)
            assert declared is not None
            assert xsd.validate(builder.element(declared)), xsd.error_log


@pytest.mark.parametrize("port", PORTS)
def test_answers_are_valid_whichever_branch_the_request_chooses(
    mock: Served, port: str, xsd: Any
) -> None:
    for request in ({"ByCode": "AB-1234"}, {"ByName": "Alpha"}):
        answer = _answer(mock, port, **request)
        assert etree.QName(answer).localname == "LookupResponse"
        assert xsd.validate(answer), xsd.error_log
