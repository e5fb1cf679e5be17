"""SOAP probe: cases for every operation on every port of the WSDL, and the SOAP checks.

Per operation and port (ids like ``order-service:GetOrder#soap12:valid``):

* ``case:<name>``   written in the contract (``cases:``), on its binding or on every one
* ``valid``         a request built by zeep, values from the plan's datasets by element name
* ``invalid``       the request with its required elements removed: expects a Client/Sender fault
* ``unknown-id``    known ids turned into unknown ones: expects the fault the WSDL declares
* ``auth:missing-credentials``  the valid request without credentials: expects 401/403

The endpoint is each port's ``soap:address`` with its origin taken from the probe target (or
the target itself when it has a path), so one target serves every port.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lxml import etree
from yarl import URL
from zeep.wsse.username import UsernameToken

from intcheck.contracts.wsdl import safe_parser
from intcheck.data import field_key
from intcheck.kinds.probing import (
    Check,
    ProbeCase,
    ProbeRequest,
    unbuildable,
    written_cases,
)
from intcheck.kinds.soap.dataset import WRITE_VERBS
from intcheck.kinds.soap.documents import XSD_NS, SpecFiles
from intcheck.kinds.soap.envelope import SOAP11, SOAP12, SoapVersion
from intcheck.kinds.soap.schemas import SchemaSet
from intcheck.kinds.soap.values import generate_from_pattern, xsd_regex
from intcheck.model import Operation, display_path

if TYPE_CHECKING:
    from pathlib import Path

    from intcheck.kinds.probing import DatasetIndex
    from intcheck.model import Contract, SourceRef

from intcheck.kinds.soap.checks import soap_checks

_BUILTIN_VALUES = {
    "string": "probe",
    "int": "1",
    "integer": "1",
    "long": "1",
    "short": "1",
    "positiveInteger": "1",
    "nonNegativeInteger": "0",
    "decimal": "1.00",
    "double": "1.0",
    "float": "1.0",
    "boolean": "true",
    "dateTime": "2026-01-01T09:00:00Z",
    "date": "2026-01-01",
}


@dataclass(frozen=True, slots=True)
class _Port:
    label: str  # soap11 | soap12 | port name when two ports share a version
    version: SoapVersion
    binding: Any
    url: str


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
    document = contract.document
    files = SpecFiles.collect(contract.spec) if contract.spec else SpecFiles(docs={})
    schemas = SchemaSet.build(files)
    declarations = declaration_lines(files, contract.spec) if contract.spec else {}
    ports = _ports(document, target)
    auth = contract.auth.headers() if contract.auth else {}
    operations = {op.name: op for op in contract.operations}
    written = written_cases(contract)
    cases: list[ProbeCase] = []
    for port in ports:
        for name in port.binding.all():
            operation = operations.get(name) or Operation(contract=contract.name, name=name)
            try:
                maker = _Maker(contract, operation, port, schemas, auth, index, declarations)
                mine = [
                    (item, where)
                    for item, where in written
                    if item.get("operation") == name and item.get("binding") in (None, port.label)
                ]
                cases += maker.all_cases(mine)
            except Exception as exc:  # zeep and odd WSDLs fail in many ways; one must not stop all
                cases.append(unbuildable(operation, exc, f"{port.label}:"))
    return cases


def _ports(document: Any, target: str) -> list[_Port]:
    found: list[tuple[str, SoapVersion, Any, str]] = []
    for service in document.services.values():
        for port in service.ports.values():
            kind = type(port.binding).__name__
            if kind not in ("Soap11Binding", "Soap12Binding"):
                continue
            version = SOAP12 if kind == "Soap12Binding" else SOAP11
            address = port.binding_options.get("address") or "/"
            found.append((port.name, version, port.binding, endpoint_url(target, address)))
    labels = [("soap12" if v is SOAP12 else "soap11") for _, v, _, _ in found]
    return [
        _Port(label if labels.count(label) == 1 else name, version, binding, url)
        for (name, version, binding, url), label in zip(found, labels, strict=True)
    ]


class _Maker:
    """Builds the requests and cases of one operation on one port."""

    def __init__(
        self,
        contract: Contract,
        operation: Operation,
        port: _Port,
        schemas: SchemaSet,
        auth: dict[str, str],
        index: DatasetIndex,
        declarations: dict[str, str],
    ) -> None:
        self.contract, self.operation, self.port = contract, operation, port
        self.schemas, self.auth, self.index = schemas, auth, index
        self.op = port.binding.get(operation.name)
        self.checks = soap_checks(port.version, schemas, self.op, declarations)

    def all_cases(self, written: list[tuple[dict[str, Any], SourceRef]]) -> list[ProbeCase]:
        """The contract's cases for this port, then valid, invalid, unknown-id and auth."""
        cases = [self.written(item, where) for item, where in written]
        valid = self.envelope(self.values())
        cases.append(self.case("valid", valid, {"outcome": "response"}))
        invalid = self.invalid()
        if invalid is not None:
            cases.append(self.case("invalid", invalid, {"outcome": "client-fault"}))
        declared = self.declared_faults()
        unknown = self.unknown_values()
        if declared and unknown is not None:
            expect = {"outcome": "declared-fault", "faults": declared}
            cases.append(self.case("unknown-id", self.envelope(unknown), expect))
        if self.auth or self.contract.settings.get("wsse"):
            bare = self.envelope(self.values(), with_auth=False)
            cases.append(self.case("auth:missing-credentials", bare, {}, kind="auth"))
        return cases

    def values(self) -> dict[str, Any]:
        element = self.op.input.body
        return (
            _complex_values(element.type, self.index, self.schemas) if element is not None else {}
        )

    def unknown_values(self) -> dict[str, Any] | None:
        """Known ids with every digit turned into 9: well-formed, and surely unknown."""
        values = self.values()
        changed = _nines(values)
        return changed if changed != values else None

    def declared_faults(self) -> list[str]:
        names = []
        for fault in self.op.faults.values():
            for part in fault.abstract.parts.values():
                if part.element is not None:
                    names.append(part.element.qname.text)
        return names

    def envelope(self, values: dict[str, Any], *, with_auth: bool = True) -> bytes:
        try:
            message = self.op.input.serialize(**values)
        except (TypeError, ValueError):
            # zeep refuses some generated shapes (choices, arrays); the bare wrapper still
            # tells us whether the endpoint answers and how it rejects.
            message = self.op.input.serialize()
        wsse = self.contract.settings.get("wsse")
        if with_auth and isinstance(wsse, dict):
            token: Any = UsernameToken(  # type: ignore[no-untyped-call]
                wsse["username"], wsse["password"], use_digest=bool(wsse.get("digest"))
            )
            token.apply(message.content, message.headers)
        return etree.tostring(message.content, xml_declaration=True, encoding="utf-8")

    def invalid(self) -> bytes | None:
        root = etree.fromstring(self.envelope(self.values()), safe_parser())
        body = root.find(f"{{{self.port.version.envelope_ns}}}Body")
        payload = body[0] if body is not None and len(body) else None
        if payload is None or not len(payload):
            return None
        for child in list(payload):
            payload.remove(child)
        return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))

    def request(self, body: bytes, *, with_auth: bool = True) -> ProbeRequest:
        action = self.op.soapaction or ""
        if self.port.version is SOAP12:
            media = f'{SOAP12.content_type}; action="{action}"' if action else SOAP12.content_type
            headers = {"Content-Type": media}
        else:
            headers = {"Content-Type": SOAP11.content_type, "SOAPAction": f'"{action}"'}
        if with_auth:
            headers.update(self.auth)
        return ProbeRequest(method="POST", url=self.port.url, headers=headers, body=body)

    def case(
        self,
        suffix: str,
        body: bytes,
        expect: dict[str, Any],
        *,
        kind: str = "",
        source: Any = None,
    ) -> ProbeCase:
        outcome = expect.get("outcome")
        if kind == "auth":
            statuses: tuple[str, ...] = ()
            checks: tuple[Check, ...] = ()
        elif outcome == "response":
            statuses, checks = ("200",), self.checks
        elif outcome == "client-fault":
            statuses = ("400",) if self.port.version is SOAP12 else ("500",)
            checks = self.checks
        else:  # a business fault: 1.2 lets the service say Sender (400) or Receiver (500)
            statuses = ("400", "500") if self.port.version is SOAP12 else ("500",)
            checks = self.checks
        return ProbeCase(
            id=f"{self.operation.id}#{self.port.label}:{suffix}",
            operation=self.operation,
            kind=kind or ("negative-soap" if outcome == "client-fault" else "soap"),
            request=self.request(body, with_auth=kind != "auth"),
            checks=checks,
            expect_status=statuses,
            sla_ms=self.contract.sla.p95_ms,
            source=source or self.operation.source,
            data=expect,
        )

    def written(self, item: dict[str, Any], where: SourceRef) -> ProbeCase:
        values = {**self.values(), **(item.get("body") or {})}
        fault = (item.get("expect") or {}).get("fault", False)
        if fault is False:
            expect: dict[str, Any] = {"outcome": "response"}
        elif fault is True:
            expect = {"outcome": "any-fault"}
        else:
            declared = [q for q in self.declared_faults() if etree.QName(q).localname == fault]
            expect = {"outcome": "declared-fault", "faults": declared or [str(fault)]}
        return self.case(f"case:{item['name']}", self.envelope(values), expect, source=where)


def _complex_values(kind: Any, index: DatasetIndex, schemas: SchemaSet) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, element in getattr(kind, "elements", []):
        if element.min_occurs == 0 and not index.candidates(name):
            continue
        value = _element_value(name, element, index, schemas)
        values[name] = [value] if element.max_occurs != 1 else value
    return values


def _element_value(name: str, element: Any, index: DatasetIndex, schemas: SchemaSet) -> Any:
    kind = element.type
    if getattr(kind, "elements", None):
        return _complex_values(kind, index, schemas)
    facets = schemas.facets.lookup(getattr(kind, "qname", None), getattr(element, "qname", None))
    pattern, choices = facets.first("pattern"), facets.get("enumeration")
    regex = xsd_regex(pattern) if pattern is not None else None  # XSD's escapes are not Python's
    for value in index.candidates(name):
        text = str(value)
        fits = pattern is None or (regex is not None and regex.fullmatch(text))
        if fits and (not choices or text in choices):
            return value
    if choices:
        return choices[0]
    if pattern is not None:
        made = generate_from_pattern(pattern, random.Random(0))  # the same every run
        if made is not None:
            return made
    return _BUILTIN_VALUES.get(getattr(kind, "name", None) or "string", "probe")


def _nines(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _nines(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nines(v) for v in value]
    if (
        isinstance(value, str)
        and any(c.isdigit() for c in value)
        and any(c.isalpha() for c in value)
    ):
        return "".join("9" if c.isdigit() else c for c in value)
    return value


# -- checks


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
