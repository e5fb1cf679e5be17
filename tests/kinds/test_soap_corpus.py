"""The SOAP mock of real-world WSDLs: zeep loads the mock's WSDL and calls every operation.

Request arguments come from the same XSD value generator the mock answers with, built from the
original files, so the round trip exercises the mock's dispatch, validation and serialization on
WSDL shapes we did not write: ASMX 1.1+1.2 ports, WCF SOAP 1.2 with WS-Policy, Salesforce's
abstract sObjects and headers, GroupWise's multi-file imports, SugarCRM's rpc/encoded arrays.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from intcheck.kinds.soap.documents import SpecFiles
from intcheck.kinds.soap.schemas import SchemaSet
from intcheck.kinds.soap.values import ValueFactory, is_complex
from tests.kinds.soap_support import corpus_plan, serving, zeep_client

# file -> (SOAP ports expected, operations expected over all ports)
WSDLS = {
    "calculator-soap11and12.wsdl": (2, 8),
    "countryInformation.wsdl": (2, 42),
    "DWService_12.wsdl": (1, 9),
    "enterprise.wsdl.xml": (1, 32),
    "groupwise/groupwise.wsdl": (2, 83),
    "sugarcrm.wsdl": (1, 63),
}


@pytest.mark.corpus
@pytest.mark.parametrize("name", sorted(WSDLS))
def test_zeep_calls_every_operation_of_a_corpus_wsdl(
    tmp_path: Path, corpus: Path, name: str
) -> None:
    spec = corpus / "wsdl" / name
    plan = corpus_plan(tmp_path, spec)
    schemas = SchemaSet.build(SpecFiles.collect(spec))
    assert schemas.schema is not None, schemas.error
    arguments = ValueFactory(schemas.facets, random.Random(3))
    calls: list[str] = []
    with serving(plan, "x") as mock, zeep_client(mock) as (client, history):
        ports = 0
        for service in client.wsdl.services.values():
            for port_name, port in service.ports.items():
                if type(port.binding).__name__ not in ("Soap11Binding", "Soap12Binding"):
                    continue
                ports += 1
                assert port.binding_options["address"] == mock.base
                proxy = client.bind(service.name, port_name)
                for op_name, operation in port.binding._operations.items():
                    body = operation.input.body
                    if body is not None and not is_complex(body.type):
                        proxy[op_name](arguments.one(body))
                    else:
                        proxy[op_name](
                            **(arguments.complex_value(body.type) if body is not None else {})
                        )
                    calls.append(op_name)
                    received = history.last_received["envelope"]
                    answer = received.find("{*}Body")[0]
                    if operation.style == "document":
                        assert schemas.errors(answer) == [], f"{op_name} response"
    assert (ports, len(calls)) == WSDLS[name]
    assert [seen for seen in mock.seen if seen[1] != "ok"] == []
    assert sum(1 for op, _ in mock.seen if op not in ("GET ?wsdl", "GET ?xsd")) == len(calls)
