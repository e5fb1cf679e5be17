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

import copy
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lxml import etree
from yarl import URL
from zeep.wsse.username import UsernameToken

from intcheck.kinds.openapi_schema import _matching
from intcheck.kinds.probing import (
    CannotEvaluate,
    Check,
    Exchange,
    Finding,
    ProbeCase,
    ProbeRequest,
    unbuildable,
    written_case_sources,
)
from intcheck.kinds.soap.documents import XSD_NS, SpecFiles
from intcheck.kinds.soap.envelope import SOAP11, SOAP12, SoapVersion, hardened_parser
from intcheck.kinds.soap.schemas import SchemaSet
from intcheck.model import Operation, Severity, Status, display_path

if TYPE_CHECKING:
    from pathlib import Path

    from intcheck.kinds.probing import DatasetIndex
    from intcheck.model import Contract, SourceRef

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


def build_cases(contract: Contract, target: str, index: DatasetIndex) -> list[ProbeCase]:
    """Every case for every operation of a SOAP ``contract`` on every port."""
    document = contract.document
    files = SpecFiles.collect(contract.spec) if contract.spec else SpecFiles(docs={})
    schemas = SchemaSet.build(files)
    declarations = declaration_lines(files, contract.spec) if contract.spec else {}
    ports = _ports(document, target)
    auth = contract.auth.headers() if contract.auth else {}
    operations = {op.name: op for op in contract.operations}
    written = [
        (c, where)
        for c, where in zip(
            contract.settings.get("cases", []), written_case_sources(contract), strict=True
        )
        if isinstance(c, dict)
    ]
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
        self.checks = _soap_checks(port.version, schemas, self.op, declarations)

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
        root = etree.fromstring(self.envelope(self.values()), hardened_parser())
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
    for value in index.candidates(name):
        text = str(value)
        if (pattern is None or re.fullmatch(pattern, text)) and (not choices or text in choices):
            return value
    if choices:
        return choices[0]
    if pattern is not None:
        made = _matching(f"^(?:{pattern})$")
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


class _Parsed:
    """The envelope of one answer, parsed once for all checks of a case."""

    _last: tuple[Exchange, Any, str] | None = None

    @classmethod
    def of(cls, exchange: Exchange) -> tuple[Any, str]:
        """(root element or None, why it could not be parsed)."""
        if cls._last is not None and cls._last[0] is exchange:
            return cls._last[1], cls._last[2]
        root, problem = _parse(exchange.body)
        cls._last = (exchange, root, problem)
        return root, problem


def _parse(body: bytes) -> tuple[Any, str]:
    head = body[:8192]
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        # Entity expansion (billion laughs) and external entities start here; we refuse to
        # look inside rather than judge it, so the checks end ERRORED, not FAILED.
        raise CannotEvaluate("refused to parse XML with a DOCTYPE/entity declarations")
    if not body.strip():
        return None, "empty body"
    try:
        return etree.fromstring(body, hardened_parser()), ""
    except etree.XMLSyntaxError as exc:
        return None, f"malformed XML: {exc.msg}"


def _envelope_parts(root: Any) -> tuple[Any, Any]:
    """(Body payload element or None, Fault element or None), whatever the SOAP version."""
    ns = etree.QName(root).namespace
    body = root.find(f"{{{ns}}}Body")
    if body is None or not len(body):
        return None, None
    payload = next((c for c in body if isinstance(c.tag, str)), None)
    if (
        payload is not None
        and etree.QName(payload).localname == "Fault"
        and etree.QName(payload).namespace == ns
    ):
        return None, payload
    return payload, None


def _name(payload: Any) -> str:
    return str(etree.QName(payload).text) if payload is not None else "an empty Body"


def _fault_code(fault: Any, version: SoapVersion) -> str:
    if version is SOAP12:
        value = fault.find(f"{{{SOAP12.envelope_ns}}}Code/{{{SOAP12.envelope_ns}}}Value")
    else:
        value = fault.find("faultcode")
    text = (value.text or "").strip() if value is not None else ""
    return text.rpartition(":")[2]


def _fault_detail(fault: Any, version: SoapVersion) -> list[Any]:
    detail = fault.find(f"{{{SOAP12.envelope_ns}}}Detail" if version is SOAP12 else "detail")
    return [c for c in detail if isinstance(c.tag, str)] if detail is not None else []


def _xpath(root: Any, path: str) -> str:
    """libxml2's path with namespace prefixes dropped: ``/GetOrderResponse/GetOrderResult``."""
    if not path:
        return "/" + etree.QName(root).localname
    return "/" + "/".join(step.rpartition(":")[2] for step in path.strip("/").split("/"))


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


def _soap_checks(
    version: SoapVersion, schemas: SchemaSet, op: Any, declarations: dict[str, str]
) -> tuple[Check, ...]:
    output = op.output.body.qname.text if op.output.body is not None else ""

    def xml_root(exchange: Exchange) -> Any:
        root, problem = _Parsed.of(exchange)
        if root is None:
            raise _Skip(f"no envelope to check ({problem})")
        return root

    def content_type_matches_soap_version(case: ProbeCase, exchange: Exchange) -> Finding | None:
        if exchange.content_type == version.media_type:
            return None
        return Finding(
            f"SOAP {version.name} wants content type {version.media_type!r}, "
            f"got {exchange.content_type!r}"
        )

    def body_is_well_formed_xml(case: ProbeCase, exchange: Exchange) -> Finding | None:
        root, problem = _Parsed.of(exchange)
        return None if root is not None else Finding(f"body is not XML: {problem}")

    def envelope_matches_binding_version(case: ProbeCase, exchange: Exchange) -> Finding | None:
        root = xml_root(exchange)
        qname = etree.QName(root)
        if qname.localname == "Envelope" and qname.namespace == version.envelope_ns:
            return None
        return Finding(
            f"expected a SOAP {version.name} Envelope ({version.envelope_ns}), got {qname.text}"
        )

    def body_matches_xsd(case: ProbeCase, exchange: Exchange) -> Finding | None:
        payload, fault = _envelope_parts(xml_root(exchange))
        elements = (
            [payload]
            if payload is not None
            else _fault_detail(fault, version)
            if fault is not None
            else []
        )
        if schemas.schema is None:
            raise _Skip(f"the WSDL's schemas could not be compiled: {schemas.error}")
        for element in elements:
            # A copy, so libxml2 sees the payload as a document of its own.
            standalone = copy.deepcopy(element)
            if schemas.schema.validate(standalone):
                continue
            error = schemas.schema.error_log.last_error
            where = _xpath(standalone, error.path if error is not None else "")
            message = error.message if error is not None else "invalid"
            qname = etree.QName(element).text
            return Finding(
                f"{where} breaks the XSD: {message}",
                schema_error={
                    "message": message,
                    "instance_pointer": where,
                    "schema_location": declarations.get(qname, str(case.operation.source or "")),
                },
            )
        return None

    def soap_fault_is_well_formed(case: ProbeCase, exchange: Exchange) -> Finding | None:
        _payload, fault = _envelope_parts(xml_root(exchange))
        if fault is None:
            return None  # nothing to judge: the claim is about faults
        env = version.envelope_ns
        e = f"{{{env}}}"
        if version is SOAP12:
            paths = {"Code/Value": f"{e}Code/{e}Value", "Reason/Text": f"{e}Reason/{e}Text"}
        else:
            paths = {"faultcode": "faultcode", "faultstring": "faultstring"}
        missing = [label for label, path in paths.items() if fault.find(path) is None]
        if missing:
            return Finding(f"SOAP {version.name} fault lacks {', '.join(missing)}")
        code = _fault_code(fault, version)
        known = {"VersionMismatch", "MustUnderstand", version.sender, version.receiver}
        if version is SOAP12 and code not in known | {"DataEncodingUnknown"}:
            return Finding(f"fault code {code!r} is not a SOAP 1.2 code")
        if version is SOAP11 and code.split(".")[0] not in known:
            return Finding(f"fault code {code!r} is not a SOAP 1.1 code")
        return None

    def fault_is_not_sent_with_http_200(case: ProbeCase, exchange: Exchange) -> Finding | None:
        _payload, fault = _envelope_parts(xml_root(exchange))
        if fault is not None and exchange.status == 200:
            return Finding("a SOAP fault came back with HTTP 200: clients will take it for success")
        return None

    def outcome_is_as_expected(case: ProbeCase, exchange: Exchange) -> Finding | None:
        payload, fault = _envelope_parts(xml_root(exchange))
        outcome = case.data.get("outcome")
        if outcome == "response":
            if fault is not None:
                return Finding(f"expected {output}, got a fault: {_fault_code(fault, version)}")
            got = _name(payload)
            return None if got == output else Finding(f"expected {output}, got {got}")
        if fault is None:
            return Finding(f"expected a fault, got {_name(payload)}")
        code = _fault_code(fault, version)
        if outcome == "client-fault" and code != version.sender:
            return Finding(f"an invalid request should get a {version.sender} fault, got {code!r}")
        if outcome == "declared-fault":
            wanted = list(case.data.get("faults", []))
            details = [etree.QName(d).text for d in _fault_detail(fault, version)]
            if not set(wanted) & set(details):
                return Finding(
                    f"expected the declared fault {' or '.join(wanted)} in the detail, "
                    f"got {details or 'no detail'}"
                )
        return None

    severe = Severity.HIGH
    return tuple(
        Check(name=f.__name__, function=_skippable(f), severity=severe)
        for f in (
            content_type_matches_soap_version,
            body_is_well_formed_xml,
            envelope_matches_binding_version,
            body_matches_xsd,
            soap_fault_is_well_formed,
            fault_is_not_sent_with_http_200,
            outcome_is_as_expected,
        )
    )


class _Skip(Exception):
    """A check that does not apply to this answer (no XML, no fault)."""


def _skippable(function: Any) -> Any:
    def run(case: ProbeCase, exchange: Exchange) -> Finding | None:
        try:
            result: Finding | None = function(case, exchange)
        except _Skip as exc:
            return Finding(str(exc), Status.SKIPPED)
        return result

    run.__name__ = function.__name__
    return run
