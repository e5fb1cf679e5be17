"""Every answer the SOAP mock gives for a real-world WSDL validates against that WSDL's own XSD.

For every operation of every SOAP port of every corpus WSDL, three requests go to the mock:

* valid: built from the XSD, read back through zeep's own types and sent by zeep's client;
* unknown key: the same with one value the mock's dataset does not hold, sent by zeep: the
  mock's not-found, which carries the declared fault's detail where the WSDL declares one;
* invalid: the valid request without its content (or with an element nothing declares), sent
  as bytes through zeep's transport, since zeep refuses to serialise it.

Each answer's Body content (the response element or rpc wrapper, or each declared element in a
fault's detail) is validated with lxml against the XSD, and a response wrapper must be the one
WS-I names. WSDL shapes we did not write: ASMX 1.1+1.2 ports, WCF SOAP 1.2 with WS-Policy,
Salesforce's declared faults and headers, GroupWise's multi-file imports, SugarCRM's rpc/encoded.
"""

from __future__ import annotations

import copy
import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
import zeep
from lxml import etree
from zeep.helpers import serialize_object
from zeep.plugins import Plugin

from intcheck.kinds.soap.envelope import SOAP12
from intcheck.kinds.soap.operations import SoapModel, SoapOperation
from tests.kinds.soap_support import Served, corpus_plan, serving, zeep_client

# file -> (SOAP ports expected, operations expected over all ports)
WSDLS = {
    "calculator-soap11and12.wsdl": (2, 8),
    "countryInformation.wsdl": (2, 42),
    "DWService_12.wsdl": (1, 9),
    "enterprise.wsdl.xml": (1, 32),
    "groupwise/groupwise.wsdl": (2, 83),
    "sugarcrm.wsdl": (1, 63),
}


@dataclass
class _Requests:
    valid: list[Any]
    unknown: list[Any] | None  # None: no value in it to make unknown
    invalid: list[Any] | None  # None: nothing makes it invalid (or SOAP-encoded)


class _Exchange(Plugin):
    """The last envelope zeep sent and the one it received (None when nothing came)."""

    sent: Any = None
    received: Any = None

    def egress(self, envelope: Any, http_headers: Any, operation: Any, binding_options: Any) -> Any:
        self.sent = envelope
        return envelope, http_headers

    def ingress(self, envelope: Any, http_headers: Any, operation: Any) -> Any:
        self.received = envelope
        return envelope, http_headers


@pytest.mark.corpus
@pytest.mark.parametrize("name", sorted(WSDLS))
def test_every_mock_answer_to_a_corpus_wsdl_validates_against_its_xsd(
    corpus: Path, tmp_path: Path, name: str
) -> None:
    spec = corpus / "wsdl" / name
    (tmp_path / "plain").mkdir()
    model = SoapModel.compile(corpus_plan(tmp_path / "plain", spec).contract("x"))
    assert model.schemas.schema is not None, model.schemas.error
    built = _requests(model)
    counts: Counter[str] = Counter()
    problems: list[str] = []
    plan = corpus_plan(tmp_path, spec, dataset=_dataset(built))
    with serving(plan, "x") as mock, zeep_client(mock) as (client, _):
        history = _Exchange()
        client.plugins.append(history)
        ports = 0
        for service in client.wsdl.services.values():
            for port_name, port in service.ports.items():
                if type(port.binding).__name__ not in ("Soap11Binding", "Soap12Binding"):
                    continue
                ports += 1
                proxy = client.bind(service.name, port_name)
                binding = etree.QName(port.binding.name).localname
                for op in (op for op in model.operations if op.binding == binding):
                    counts["operations called"] += 1
                    requests = built[(op.binding, op.name)]
                    zop = port.binding._operations[op.name]
                    for kind in ("valid", "unknown", "invalid"):
                        payload = getattr(requests, kind)
                        if payload is None:
                            continue
                        if kind == "invalid":
                            answer = _send_raw(client, mock, op, payload)
                        else:
                            answer = _call(proxy, zop, client, history, mock, op, payload, counts)
                        counts[f"{kind} requests"] += 1
                        where = f"{op.binding}.{op.name} ({kind})"
                        problems += _judge(model, op, kind, answer, counts, where)
    assert problems == []
    assert (ports, counts["operations called"]) == WSDLS[name]
    assert [seen for seen in mock.seen if seen[1] == "internal-error"] == []
    print(f"\n{name}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))


def _requests(model: SoapModel) -> dict[tuple[str, str], _Requests]:
    """The three requests of every operation, built before the mock runs (its dataset holds
    the valid requests' keys, so an unknown key must be none of them)."""
    builder = model.builder(random.Random(5), optional_depth=0)
    valid = {
        (op.binding, op.name): model.build_body(builder, op.input, None, None)
        for op in model.operations
    }
    keys = _key_values(valid.values())
    return {
        (op.binding, op.name): _Requests(
            payload := valid[(op.binding, op.name)],
            _unknown(model, op, payload, keys),
            _invalid(model, op, payload),
        )
        for op in model.operations
    }


def _key(payload: list[Any], excluded: frozenset[str] = frozenset()) -> Any:
    """The first leaf with a word in its text: the key the unknown request changes."""
    for root in payload:
        for element in root.iter():
            text = (element.text or "").strip()
            name = etree.QName(element).localname
            if len(element) or name.lower() == "id" or name in excluded:
                continue
            if any(c.isalpha() for c in text) and text not in ("true", "false"):
                return element
    return None


def _unknown(
    model: SoapModel, op: SoapOperation, valid: list[Any], keys: dict[str, set[str]]
) -> list[Any] | None:
    changed = copy.deepcopy(valid)
    key = next(
        (e for root in changed for e in root.iter() if etree.QName(e).localname in keys), None
    )
    if key is None:
        return None
    known = keys[etree.QName(key).localname]
    text = key.text.strip()
    for unknown in ("unknown-" + text, text + "x", text[:-1] + ("0" if text[-1] != "0" else "1")):
        if unknown in known:
            continue
        key.text = unknown
        if op.encoded or not [e for p in changed for e in model.errors(op.input, p)]:
            return changed
    return None


def _invalid(model: SoapModel, op: SoapOperation, valid: list[Any]) -> list[Any] | None:
    if op.encoded or not valid:
        return None  # SOAP-encoded requests are read permissively by the mock
    emptied = copy.deepcopy(valid)
    for child in list(emptied[0]):
        emptied[0].remove(child)
    if model.errors(op.input, emptied[0]):
        return emptied
    extended = copy.deepcopy(valid)
    extended[0].insert(0, etree.Element("{urn:intcheck:test}Unexpected"))
    return extended if model.errors(op.input, extended[0]) else None


def _key_values(payloads: Iterable[list[Any]]) -> dict[str, set[str]]:
    """Every value sent under each key name (the first leaf of some operation's request).

    A name that is also sent empty or with children somewhere cannot be a key: the mock would
    look that value up too.
    """
    payloads = list(payloads)
    unfit = frozenset(
        etree.QName(element).localname
        for payload in payloads
        for root in payload
        for element in root.iter()
        if len(element) or not (element.text or "").strip()
    )
    names = {etree.QName(k).localname for p in payloads if (k := _key(p, unfit)) is not None}
    values: dict[str, set[str]] = {name: set() for name in names}
    for payload in payloads:
        for root in payload:
            for element in root.iter():
                name = etree.QName(element).localname
                if name in values and element.text:
                    values[name].add(element.text.strip())
    return values


def _dataset(built: dict[tuple[str, str], _Requests]) -> str:
    """One collection per key name, holding every value the valid requests send under it."""
    values = _key_values(requests.valid for requests in built.values())
    collections = {
        f"keys{index}": [{name: value} for value in sorted(values[name])]
        for index, name in enumerate(sorted(values))
    }
    return yaml.safe_dump(collections) if collections else ""


def _call(
    proxy: Any,
    zop: Any,
    client: zeep.Client,
    history: _Exchange,
    mock: Served,
    op: SoapOperation,
    payload: list[Any],
    counts: Counter[str],
) -> Any:
    """Send ``payload`` through zeep's client: its values read by zeep's types, then serialised
    by zeep. Where zeep cannot serialise what it read (an empty complex element reads as None),
    the bytes go through zeep's transport instead."""
    parsed = serialize_object(zop.input.body.parse(payload[0], client.wsdl.types), dict)
    history.sent = history.received = None
    try:
        if isinstance(parsed, dict):
            proxy[op.name](**parsed)
        elif parsed is None:
            proxy[op.name]()
        else:
            proxy[op.name](parsed)
    except zeep.exceptions.Fault:
        pass  # judged from the envelope, like any answer
    except (zeep.exceptions.ValidationError, TypeError):
        if history.sent is not None:
            raise
        counts["sent as bytes (zeep refused its own reading)"] += 1
        return _send_raw(client, mock, op, payload)
    counts["sent by zeep"] += 1
    return history.received


def _send_raw(client: zeep.Client, mock: Served, op: SoapOperation, payload: list[Any]) -> Any:
    ns = op.version.envelope_ns
    envelope = etree.Element(f"{{{ns}}}Envelope", nsmap={"e": ns})
    etree.SubElement(envelope, f"{{{ns}}}Body").extend(payload)
    if op.version is SOAP12:
        headers = {"Content-Type": f'{SOAP12.content_type}; action="{op.action}"'}
    else:
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{op.action}"'}
    reply = client.transport.post(mock.base, etree.tostring(envelope), headers)
    return etree.fromstring(reply.content) if reply.content else None


def _judge(
    model: SoapModel, op: SoapOperation, kind: str, answer: Any, counts: Counter[str], where: str
) -> list[str]:
    if answer is None:  # a one-way operation's empty acknowledgement
        if op.output is not None:
            return [f"{where}: no answer"]
        counts["one-way acknowledgements"] += 1
        return []
    body = answer.find(f"{{{op.version.envelope_ns}}}Body")
    first = next(child for child in body if isinstance(child.tag, str))
    if etree.QName(first).localname != "Fault":
        if kind != "valid":
            return [f"{where}: answered without a fault"]
        assert op.output is not None
        if first.tag != op.output.body_tag:
            return [f"{where}: answered <{first.tag}>, expected <{op.output.body_tag}>"]
        counts["responses validated"] += 1
        errors = model.errors(op.output, copy.deepcopy(first))
        return [f"{where}: {error}" for error in errors]
    detail = (
        first.find("detail")
        if op.version.name == "1.1"
        else first.find(f"{{{SOAP12.envelope_ns}}}Detail")
    )
    declared = [d for d in (detail if detail is not None else []) if model.types.declares(d.tag)]
    problems = []
    if kind == "unknown" and any(f.element for f in op.faults) and not declared:
        problems.append(f"{where}: a declared fault's detail is missing")
    for element in declared:
        counts["fault details validated"] += 1
        problems += [f"{where}: {e}" for e in model.schemas.errors(copy.deepcopy(element))]
    if not declared:
        counts["faults without detail"] += 1
    if kind == "valid":
        problems.append(f"{where}: a valid request got {etree.tostring(first)[:300]!r}")
    return problems
