"""SOAP checks: envelope version, content type, XSD validity, fault structure, hidden faults.

What a case may assert depends on who wrote it (issue 9): a case written in the contract
(``expect: {fault: ...}``) asserts its exact outcome; a generated one asserts conformance only.
A generated valid request answered with a fault the WSDL declares for the operation, or with a
Client/Sender fault, is a conformant "no such record" (``answer_is_not_found``); a Server or
Receiver fault the WSDL does not declare is the service failing on a valid request.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from lxml import etree

from intcheck.kinds.probing import CannotEvaluate, Check, Exchange, Finding, ProbeCase
from intcheck.kinds.soap.envelope import SOAP11, SOAP12, BadRequest, SoapVersion, parse_envelope
from intcheck.kinds.soap.operations import SoapModel, SoapOperation
from intcheck.model import Severity, Status


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
    """The mock's own hardened parser: any DOCTYPE (UTF-8 or UTF-16) is refused unread."""
    if not body.strip():
        return None, "empty body"
    try:
        return parse_envelope(body), ""
    except BadRequest as exc:
        if exc.rule == "doctype-refused":
            # Entity expansion (billion laughs) and external entities start here; we refuse
            # to look inside rather than judge it, so the checks end ERRORED, not FAILED.
            raise CannotEvaluate(f"refused to parse the answer: {exc.message}") from exc
        return None, exc.message


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


def _is_sender(code: str, version: SoapVersion) -> bool:
    """Client, Client.Authentication (1.1) or Sender (1.2): the request's fault."""
    return code.split(".")[0] == version.sender


def _declared(op: SoapOperation, fault: Any) -> list[str]:
    """The detail elements of ``fault`` that the WSDL declares as faults of ``op``."""
    declared = {f.element for f in op.faults if f.element}
    return [etree.QName(d).text for d in _fault_detail(fault, op.version) if d.tag in declared]


def answer_is_not_found(op: SoapOperation) -> Callable[[Exchange], bool]:
    """Whether an answer to a generated valid request says "no such record": a fault the WSDL
    declares for ``op``, or a Client/Sender fault (the request named something unknown)."""

    def not_found(exchange: Exchange) -> bool:
        if exchange.error:
            return False
        try:
            root, _problem = _Parsed.of(exchange)
        except CannotEvaluate:
            return False
        if root is None:
            return False
        _payload, fault = _envelope_parts(root)
        if fault is None:
            return False
        return bool(_declared(op, fault)) or _is_sender(_fault_code(fault, op.version), op.version)

    return not_found


def _xpath(root: Any, path: str) -> str:
    """libxml2's path with namespace prefixes dropped: ``/GetOrderResponse/GetOrderResult``."""
    if not path:
        return "/" + etree.QName(root).localname
    return "/" + "/".join(step.rpartition(":")[2] for step in path.strip("/").split("/"))


def soap_checks(
    op: SoapOperation, model: SoapModel, declarations: dict[str, str]
) -> tuple[Check, ...]:
    """The SOAP checks of one operation on one binding."""
    version = op.version
    output = op.output.body_tag if op.output is not None else ""
    schemas = model.schemas

    def xml_root(exchange: Exchange) -> Any:
        if op.output is None and exchange.status in (200, 202) and not exchange.body.strip():
            raise _Holds  # a one-way operation's empty acknowledgement: nothing to judge
        root, problem = _Parsed.of(exchange)
        if root is None:
            raise _Skip(f"no envelope to check ({problem})")
        return root

    def content_type_matches_soap_version(case: ProbeCase, exchange: Exchange) -> Finding | None:
        if exchange.status == 202 and not exchange.body.strip():
            return None  # a one-way operation's empty acknowledgement has no content type
        if exchange.content_type == version.media_type:
            return None
        return Finding(
            f"SOAP {version.name} wants content type {version.media_type!r}, "
            f"got {exchange.content_type!r}"
        )

    def body_is_well_formed_xml(case: ProbeCase, exchange: Exchange) -> Finding | None:
        if op.output is None and not exchange.body.strip() and exchange.status in (200, 202):
            return None
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
        if op.encoded:
            raise _Skip('SOAP-encoded bodies (use="encoded") have no literal schema to check')
        if schemas.schema is None:
            raise _Skip(f"the WSDL's schemas could not be compiled: {schemas.error}")
        if payload is not None:
            checked = [payload]
        elif fault is not None:  # only what a schema declares: other detail is the server's own
            details = _fault_detail(fault, version)
            checked = [d for d in details if model.types.declares(d.tag)]
        else:
            checked = []
        for element in checked:
            # A copy, so libxml2 sees the payload as a document of its own.
            standalone = copy.deepcopy(element)
            if op.output is not None and element.tag == output and op.output.wrapper:
                problems = model.errors(op.output, standalone)
                if not problems:
                    continue
                return Finding(
                    f"/{etree.QName(element).localname} breaks the XSD: {problems[0]}",
                    schema_error={
                        "message": problems[0],
                        "instance_pointer": "/" + etree.QName(element).localname,
                        "schema_location": str(case.operation.source or ""),
                    },
                )
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
        if op.output is None and exchange.status in (200, 202) and not exchange.body.strip():
            return _one_way(case)
        payload, fault = _envelope_parts(xml_root(exchange))
        outcome = case.data.get("outcome")
        if fault is None:
            if outcome in ("response", "conformant"):
                got = _name(payload)
                return None if got == output else Finding(f"expected {output}, got {got}")
            return Finding(f"expected a fault, got {_name(payload)}")
        code = _fault_code(fault, version)
        declared = _declared(op, fault)
        if outcome == "response":
            return Finding(f"expected {output}, got a fault: {code}")
        if outcome == "conformant":
            if declared or _is_sender(code, version):
                return None
            return Finding(
                f"a valid request got a {code!r} fault that the WSDL does not declare for "
                f"{op.name}: the service failed on it"
            )
        if outcome == "client-fault" and not (_is_sender(code, version) or declared):
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


def _one_way(case: ProbeCase) -> Finding | None:
    """An empty 200/202 is how a one-way operation acknowledges; only a fault was wrong."""
    if case.data.get("outcome") in ("any-fault", "declared-fault", "client-fault"):
        return Finding("expected a fault, got an empty acknowledgement")
    return None


class _Skip(Exception):
    """A check that does not apply to this answer (no XML, no fault)."""


class _Holds(Exception):
    """The answer has nothing the check could object to (an empty one-way acknowledgement)."""


def _skippable(function: Any) -> Any:
    def run(case: ProbeCase, exchange: Exchange) -> Finding | None:
        try:
            result: Finding | None = function(case, exchange)
        except _Skip as exc:
            return Finding(str(exc), Status.SKIPPED)
        except _Holds:
            return None
        return result

    run.__name__ = function.__name__
    return run
