"""SOAP probe: cases for every operation on every port of the WSDL.

Per operation and port (ids like ``order-service:GetOrder#soap12:valid``):

* ``case:<name>``   written in the contract (``cases:``), on its binding or on every one: the
                    only cases that assert an exact outcome (``expect: {fault: ...}``)
* ``valid``         a request valid against the XSD, values from the contract's ``probe.data``,
                    then the plan's datasets, else generated; any conformant answer passes,
                    a declared fault or a Client/Sender fault counts as "no such record"
* ``invalid``       the request made invalid against the XSD: expects a Client/Sender fault
* ``unknown-id``    known ids turned into unknown ones: any conformant answer passes
* ``auth:missing-credentials``  the valid request without credentials: expects 401/403

Requests are built from the same ``SoapModel`` the mock answers from, so both read the WSDL
alike. The endpoint is each port's ``soap:address`` with its origin taken from the probe target
(or the target itself when it has a path), so one target serves every port.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from lxml import etree
from yarl import URL
from zeep.wsse.username import UsernameToken

from intcheck.data import field_key
from intcheck.kinds.expectations import expectation_checks
from intcheck.kinds.probing import (
    Check,
    Exchange,
    Finding,
    ProbeCase,
    ProbeRequest,
    unbuildable,
    written_cases,
)
from intcheck.kinds.soap.checks import answer_is_not_found, soap_checks
from intcheck.kinds.soap.components import (
    Attribute,
    ComplexType,
    ElementUse,
    SimpleType,
    local_name,
)
from intcheck.kinds.soap.dataset import WRITE_VERBS, field_of
from intcheck.kinds.soap.documents import XSD_NS, SpecFiles
from intcheck.kinds.soap.envelope import SOAP11, SOAP12, serialize
from intcheck.kinds.soap.instances import Offer
from intcheck.kinds.soap.operations import Port, SoapModel, SoapOperation
from intcheck.model import Operation, Status, display_path

if TYPE_CHECKING:
    from pathlib import Path

    from intcheck.kinds.probing import DatasetIndex
    from intcheck.model import Contract, SourceRef

# built-ins whose values may be ids: only these are turned into unknown ids
_ID_LIKE = {"string", "token", "normalizedString", "NCName", "Name", "NMTOKEN", "anyURI"}


def endpoint_url(target: str, address: str) -> str:
    """Where to POST: ``address`` with the target's origin, or the target itself if it has a path.

    A bare origin (``https://erp-test.example.com``) keeps each port's own path; a target with a
    path (``http://127.0.0.1:8080/order-service``, how intcheck's mock mounts a contract) is
    the endpoint of every port.
    """
    base, where = URL(target), URL(address)
    if base.path not in ("", "/"):
        return target
    return str(base.origin().with_path(where.path or "/").with_query(where.query_string or None))


def writes(operation: Operation) -> bool:
    """Operations named for a write (Create…, Update…, Place…, Delete…) may change data."""
    return field_key(operation.name).startswith(WRITE_VERBS)


def build_cases(contract: Contract, target: str, index: DatasetIndex) -> list[ProbeCase]:
    """Every case for every operation of a SOAP ``contract`` on every port."""
    model = SoapModel.compile(contract)
    declarations = declaration_lines(model.files, contract.spec) if contract.spec else {}
    auth = contract.auth.headers() if contract.auth else {}
    operations = {op.name: op for op in contract.operations}
    written = written_cases(contract)
    known = TestData(_contract_data(contract), index)
    cases: list[ProbeCase] = []
    for port in model.ports:
        url = endpoint_url(target, port.address)
        for name, op in port.operations.items():
            operation = operations.get(name) or Operation(contract=contract.name, name=name)
            try:
                maker = _Maker(contract, operation, port, op, model, url, auth, known, declarations)
                mine = [
                    (item, where)
                    for item, where in written
                    if item.get("operation") == name and item.get("binding") in (None, port.label)
                ]
                cases += maker.all_cases(mine)
            except Exception as exc:  # odd WSDLs fail in many ways; one must not stop all
                cases.append(unbuildable(operation, exc, f"{port.label}:"))
    return cases


def _contract_data(contract: Contract) -> Mapping[str, Sequence[Any]]:
    probe = contract.settings.get("probe") or {}
    data = probe.get("data") if isinstance(probe, Mapping) else None
    return data if isinstance(data, Mapping) else {}


class TestData:
    """Values the probe may send, by element name: the contract's ``probe.data`` first (the
    target's own records), then the plan's datasets.

    It is the instance builder's ``Filler``: ``scope`` is a mapping of values written in a
    contract case (sent as written), or None.
    """

    __test__ = False  # not a pytest class, whatever its name

    def __init__(
        self,
        contract_data: Mapping[str, Sequence[Any]],
        index: DatasetIndex,
        *,
        unknown: bool = False,
    ) -> None:
        self.contract = {field_key(name): list(values) for name, values in contract_data.items()}
        self.index = index
        self.unknown = unknown  # offer every id-like value with its digits turned into 9s

    def made_unknown(self) -> TestData:
        """The same values with every id-like one made unknown (its digits turned into 9s)."""
        twin = TestData({}, self.index, unknown=True)
        twin.contract = self.contract
        return twin

    def names_known_record(self, payload: list[Any]) -> bool:
        """Whether ``payload`` sends a value of the contract's ``probe.data`` (a record the
        user says the target holds)."""
        for root in payload:
            for element in root.iter():
                given = self.contract.get(field_key(etree.QName(element).localname))
                if given and not len(element) and (element.text or "").strip() in map(str, given):
                    return True
        return False

    def candidates(self, name: str) -> list[Any]:
        key = field_key(name)
        return [*self.contract.get(key, ()), *self.index.candidates(name)]

    def child(self, use: ElementUse, scope: Any) -> Sequence[Any] | None:
        element = use.element
        name = local_name(element.name)
        complex_ = isinstance(element.type, ComplexType) and element.type.simple is None
        if isinstance(scope, Mapping):
            field = field_of(scope, name)
            if field is not None:
                items = scope[field] if isinstance(scope[field], list) else [scope[field]]
                if complex_:
                    return [item if isinstance(item, Mapping) else None for item in items]
                return [Offer((item,), forced=True) for item in items]
            if use.min_occurs == 0:
                # a written case sends what it says and what the schema requires, nothing the
                # datasets could add: an optional filter (a Status) could make it pass wrongly
                return None
        if complex_:
            return None
        found = self.candidates(name)
        if not found:
            return None
        stype = element.type
        if self.unknown and isinstance(stype, SimpleType) and stype.builtin in _ID_LIKE:
            found = [_nines(value) for value in found]
        return [Offer(tuple(found))]

    def attribute(self, attribute: Attribute, scope: Any) -> Any:
        found = self.candidates(local_name(attribute.name))
        return found[0] if found else None

    def rendering_key(self, scope: Any) -> None:
        return None  # built once per request anyway


class _Maker:
    """Builds the requests and cases of one operation on one port."""

    def __init__(
        self,
        contract: Contract,
        operation: Operation,
        port: Port,
        op: SoapOperation,
        model: SoapModel,
        url: str,
        auth: dict[str, str],
        known: TestData,
        declarations: dict[str, str],
    ) -> None:
        self.contract, self.operation, self.port, self.op = contract, operation, port, op
        self.model, self.url, self.auth, self.known = model, url, auth, known
        self.checks = soap_checks(op, model, declarations)

    def payload(self, scope: Any = None, *, unknown: bool = False) -> list[Any]:
        """The Body children of a request, the same every run (seeded)."""
        builder = self.model.builder(random.Random(0), optional_depth=0)
        filler = self.known.made_unknown() if unknown else self.known
        return self.model.build_body(builder, self.op.input, scope, filler)

    def all_cases(self, written: list[tuple[dict[str, Any], SourceRef]]) -> list[ProbeCase]:
        """The contract's cases for this port, then valid, invalid, unknown-id and auth."""
        cases = [self.written(item, where) for item, where in written]
        valid = self.payload()
        known = self.known.names_known_record(valid)
        cases.append(
            self.case("valid", self.envelope(valid), {"outcome": "conformant"}, known=known)
        )
        invalid = self.invalid(valid)
        if invalid is not None:
            cases.append(self.case("invalid", self.envelope(invalid), {"outcome": "client-fault"}))
        unknown = self.payload(unknown=True)
        if _bytes(unknown) != _bytes(valid) and not self._errors(unknown):
            cases.append(self.case("unknown-id", self.envelope(unknown), {"outcome": "conformant"}))
        if self.auth or self.contract.settings.get("wsse"):
            bare = self.envelope(valid, with_auth=False)
            cases.append(self.case("auth:missing-credentials", bare, {}, kind="auth"))
        return cases

    def _errors(self, payload: list[Any]) -> list[str]:
        if self.op.encoded:
            return []
        return [error for element in payload for error in self.model.errors(self.op.input, element)]

    def invalid(self, valid: list[Any]) -> list[Any] | None:
        """The valid request broken against the XSD: required content removed, or else an
        element nothing declares added; None when neither breaks it."""
        if not valid or self.model.schemas.schema is None or self.op.encoded:
            return None
        emptied = [copy.deepcopy(valid[0]), *valid[1:]]
        for child in list(emptied[0]):
            emptied[0].remove(child)
        if self._errors(emptied):
            return emptied
        extended = [copy.deepcopy(valid[0]), *valid[1:]]
        extended[0].insert(0, etree.Element("{urn:intcheck:probe}Unexpected"))
        return extended if self._errors(extended) else None

    def envelope(self, payload: list[Any], *, with_auth: bool = True) -> bytes:
        ns = self.port.version.envelope_ns
        envelope = etree.Element(f"{{{ns}}}Envelope", nsmap={"soap-env": ns})
        etree.SubElement(envelope, f"{{{ns}}}Body").extend(copy.deepcopy(e) for e in payload)
        wsse = self.contract.settings.get("wsse")
        if with_auth and isinstance(wsse, dict):
            token: Any = UsernameToken(  # type: ignore[no-untyped-call]
                wsse["username"], wsse["password"], use_digest=bool(wsse.get("digest"))
            )
            token.apply(envelope, {})
        return serialize(envelope)

    def request(self, body: bytes, *, with_auth: bool = True) -> ProbeRequest:
        action = self.op.action
        if self.port.version is SOAP12:
            media = f'{SOAP12.content_type}; action="{action}"' if action else SOAP12.content_type
            headers = {"Content-Type": media}
        else:
            headers = {"Content-Type": SOAP11.content_type, "SOAPAction": f'"{action}"'}
        if with_auth:
            headers.update(self.auth)
        return ProbeRequest(method="POST", url=self.url, headers=headers, body=body)

    def case(
        self,
        suffix: str,
        body: bytes,
        expect: dict[str, Any],
        *,
        kind: str = "",
        source: Any = None,
        status: tuple[str, ...] = (),
        known: bool = False,
    ) -> ProbeCase:
        outcome = expect.get("outcome")
        faults = ("500",) if self.port.version is SOAP11 else ("400", "500")
        if kind == "auth":
            statuses: tuple[str, ...] = ()
        elif status:
            statuses = status
        elif outcome == "client-fault":
            statuses = ("400",) if self.port.version is SOAP12 else ("500",)
        elif outcome == "response":
            statuses = ("200",) if self.op.output is not None else ("200", "202")
        elif outcome == "conformant":
            statuses = ("200", "202", *faults) if self.op.output is None else ("200", *faults)
        else:  # a fault: SOAP 1.2 lets the service say Sender (400) or Receiver (500)
            statuses = faults
        generated_positive = suffix == "valid"
        return ProbeCase(
            id=f"{self.operation.id}#{self.port.label}:{suffix}",
            operation=self.operation,
            kind=kind or ("negative-soap" if outcome == "client-fault" else "soap"),
            request=self.request(body, with_auth=kind != "auth"),
            checks=() if kind == "auth" else self.checks,
            expect_status=statuses,
            sla_ms=self.contract.sla.p95_ms,
            source=source or self.operation.source,
            data=expect,
            not_found=answer_is_not_found(self.op) if generated_positive else None,
            # the contract's test data names a record: "no such record" is then a finding
            data_origin="probe.data" if known else "",
            record_is_known=known,
        )

    def written(self, item: dict[str, Any], where: SourceRef) -> ProbeCase:
        body = item.get("body") or {}
        payload = self.payload(body)
        expected = item.get("expect") or {}
        fault = expected.get("fault", False)
        if fault is False:
            expect: dict[str, Any] = {"outcome": "response"}
        elif fault is True:
            expect = {"outcome": "any-fault"}
        else:
            declared = [
                f.element
                for f in self.op.faults
                if f.element and fault in (f.name, local_name(f.element))
            ]
            expect = {"outcome": "declared-fault", "faults": declared or [str(fault)]}
        status = (str(expected["status"]),) if "status" in expected else ()
        # what expect says beyond the status and the fault, checked as for every kind
        extra = {k: v for k, v in expected.items() if k in ("content_type", "contains", "max_ms")}
        expect.update(extra)
        checks = expectation_checks(extra)
        if "fields" in expected:
            checks += (Check(name="fields_are_as_expected", function=_fields_do_not_apply),)
        name = f"case:{item['name']}"
        case = self.case(name, self.envelope(payload), expect, source=where, status=status)
        return replace(case, checks=case.checks + checks)


def _fields_do_not_apply(case: ProbeCase, exchange: Exchange) -> Finding:
    return Finding(
        "expect.fields takes JSON pointers, which a SOAP answer has none of: "
        "assert a value with expect.contains",
        Status.SKIPPED,
    )


def _bytes(payload: list[Any]) -> bytes:
    return b"".join(etree.tostring(element) for element in payload)


def _nines(value: Any) -> Any:
    """An id with every digit turned into 9: well-formed, and surely unknown."""
    if (
        isinstance(value, str)
        and any(c.isdigit() for c in value)
        and any(c.isalpha() for c in value)
    ):
        return "".join("9" if c.isdigit() else c for c in value)
    return value


def declaration_lines(files: SpecFiles, wsdl: Path) -> dict[str, str]:
    """Global element QName -> ``file:line`` of its ``xs:element`` declaration."""
    found: dict[str, str] = {}
    for key, doc in files.docs.items():
        name = display_path(wsdl.parent / key) if key else display_path(wsdl)
        for schema in doc.root.iter(f"{{{XSD_NS}}}schema"):
            namespace = schema.get("targetNamespace", "")
            for element in schema.iterchildren(f"{{{XSD_NS}}}element"):
                if element.get("name"):
                    qname = etree.QName(namespace or None, element.get("name")).text
                    found.setdefault(qname, f"{name}:{element.sourceline}")
    return found
