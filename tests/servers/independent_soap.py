"""A correct SOAP service written without intcheck: a mobile operator's subscriber care and billing.

The probe is judged against it (issue 9): a service intcheck did not write, with its own records
and ids (tests/data/independent-soap), must give no finding. It serves

* subscriber care, document/literal, SOAP 1.1 at ``/ws/subscribers`` and SOAP 1.2 at
  ``/ws/subscribers12`` (basic auth), validating requests against its XSD with plain lxml;
* billing, rpc/literal with WS-I wrappers on SOAP 1.1 and 1.2 at ``/rpc/billing`` (an API key
  header), checking each part by hand.

Unknown records get the declared fault with its detail, as the Client/Sender's mistake; an
unknown MSISDN gets an empty result. Nothing here imports intcheck, so a misreading of SOAP by
intcheck cannot hide in both. ``Defect`` switches one mistake on, each caught by the check
``CAUGHT_BY`` names.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import Enum
from pathlib import Path
from typing import Any

from aiohttp import web
from lxml import etree

DATA = Path(__file__).resolve().parents[1] / "data" / "independent-soap"
ENV11 = "http://schemas.xmlsoap.org/soap/envelope/"
ENV12 = "http://www.w3.org/2003/05/soap-envelope"
CARE = "http://telco.example.net/care/subscribers/2024"
BILLING_TYPES = "urn:acme:billing:2023"
BILLING_RPC = "urn:acme:billing:rpc"
USER, PASSWORD = "care-bot", "not-a-real-password"
API_KEY = "not-a-real-key"

SUBSCRIBERS = {
    "SUB-104233": {
        "Msisdn": "+46701234567",
        "FullName": "Ingrid Lindqvist",
        "Plan": "POSTPAID-M",
        "Status": "active",
        "ActivatedOn": "2019-04-02",
        "Balance": ("-129.50", "SEK"),
        "Email": "ingrid.lindqvist@example.org",
        "Tags": "roaming-eu esim",
    },
    "SUB-220871": {
        "Msisdn": "+4790012345",
        "FullName": "Ola Nordmann AS",
        "Plan": "BUSINESS",
        "Status": "suspended",
        "ActivatedOn": "2021-11-30",
        "Balance": ("0.00", "NOK"),
        "Email": None,
        "Tags": "",
    },
}
INVOICES = {
    "SUB-104233": [
        ("INV-2026-00412", "2026-01-03", "2026-01-31", ("399.00", "SEK"), True),
        ("INV-2026-01107", "2026-02-03", "2026-02-28", ("428.50", "SEK"), False),
    ],
}
ACCOUNTS = {"7001-2044-17": (Decimal("1520.75"), "SEK"), "7001-9310-02": (Decimal("-42.00"), "EUR")}
_ACCOUNT = re.compile(r"[0-9]{4}-[0-9]{4}-[0-9]{2}")


class Defect(Enum):
    NONE = "none"
    RPC_WRAPPER_NAMED_AFTER_MESSAGE = "rpc_wrapper_named_after_message"
    FIXED_VALUE_CHANGED = "fixed_value_changed"
    SERVER_FAULT_ON_VALID_REQUEST = "server_fault_on_valid_request"
    FAULT_WITHOUT_DECLARED_DETAIL = "fault_without_declared_detail"


CAUGHT_BY = {
    Defect.RPC_WRAPPER_NAMED_AFTER_MESSAGE: "outcome_is_as_expected",
    Defect.FIXED_VALUE_CHANGED: "body_matches_xsd",
    Defect.SERVER_FAULT_ON_VALID_REQUEST: "outcome_is_as_expected",
    # the contract's own case expects the declared fault; a bare Sender fault is not it
    Defect.FAULT_WITHOUT_DECLARED_DETAIL: "outcome_is_as_expected",
}


@dataclass(frozen=True)
class _Version:
    envelope: str
    media: str
    sender: str
    receiver: str


V11 = _Version(ENV11, "text/xml", "Client", "Server")
V12 = _Version(ENV12, "application/soap+xml", "Sender", "Receiver")


class _Fault(Exception):
    def __init__(self, sender: bool, reason: str, detail: Any = None) -> None:
        super().__init__(reason)
        self.sender, self.reason, self.detail = sender, reason, detail


class IndependentSoap:
    """An aiohttp app on 127.0.0.1:0; ``.url`` is its origin (both contracts live under it)."""

    def __init__(self, defect: Defect = Defect.NONE) -> None:
        self.defect = defect
        self.url = ""
        self._runner: web.AppRunner | None = None
        parser = etree.XMLParser(resolve_entities=False, no_network=True)
        self.care_schema = etree.XMLSchema(etree.parse(str(DATA / "subscribers.xsd"), parser))
        self.tickets = 0

    async def __aenter__(self) -> IndependentSoap:
        app = web.Application()
        app.router.add_post("/ws/subscribers", self.care)
        app.router.add_post("/ws/subscribers12", self.care)
        app.router.add_post("/rpc/billing", self.billing)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # -- the envelope ---------------------------------------------------------------------------

    async def _read(self, request: web.Request) -> tuple[_Version, Any]:
        version = V12 if request.content_type == V12.media else V11
        if request.content_type not in (V11.media, V12.media):
            raise web.HTTPUnsupportedMediaType(text="SOAP wants text/xml or application/soap+xml")
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        try:
            root = etree.fromstring(await request.read(), parser)
        except etree.XMLSyntaxError as exc:
            raise _Reply(version, _Fault(True, f"not XML: {exc}")) from exc
        if root.tag != f"{{{version.envelope}}}Envelope":
            raise _Reply(version, _Fault(False, "VersionMismatch"), code="VersionMismatch")
        body = root.find(f"{{{version.envelope}}}Body")
        payload = (
            next((c for c in body if isinstance(c.tag, str)), None) if body is not None else None
        )
        if payload is None:
            raise _Reply(version, _Fault(True, "empty Body"))
        return version, payload

    def _send(self, version: _Version, content: Any, status: int = 200) -> web.Response:
        envelope = etree.Element(
            f"{{{version.envelope}}}Envelope", nsmap={"soapenv": version.envelope}
        )
        etree.SubElement(envelope, f"{{{version.envelope}}}Body").append(content)
        data = etree.tostring(envelope, xml_declaration=True, encoding="utf-8")
        return web.Response(body=data, status=status, content_type=version.media, charset="utf-8")

    def _fault(self, version: _Version, fault: _Fault, code: str = "") -> web.Response:
        env = version.envelope
        code = code or (version.sender if fault.sender else version.receiver)
        element = etree.Element(f"{{{env}}}Fault")
        if version is V11:
            etree.SubElement(element, "faultcode").text = f"soapenv:{code}"
            etree.SubElement(element, "faultstring").text = fault.reason
            if fault.detail is not None:
                etree.SubElement(element, "detail").append(fault.detail)
            status = 500
        else:
            value = etree.SubElement(etree.SubElement(element, f"{{{env}}}Code"), f"{{{env}}}Value")
            value.text = f"soapenv:{code}"
            text = etree.SubElement(etree.SubElement(element, f"{{{env}}}Reason"), f"{{{env}}}Text")
            text.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
            text.text = fault.reason
            if fault.detail is not None:
                etree.SubElement(element, f"{{{env}}}Detail").append(fault.detail)
            status = 400 if code == "Sender" else 500
        return self._send(version, element, status)

    # -- subscriber care (document/literal) ----------------------------------------------------

    async def care(self, request: web.Request) -> web.Response:
        expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return web.Response(status=401, text="credentials required")
        version = V12 if request.path.endswith("12") else V11
        try:
            version, payload = await self._read(request)
            if not self.care_schema.validate(payload):
                raise _Fault(True, f"invalid request: {self.care_schema.error_log.last_error}")
            return self._send(version, self._care(etree.QName(payload).localname, payload))
        except _Reply as reply:
            return self._fault(reply.version, reply.fault, reply.code)
        except _Fault as fault:
            return self._fault(version, fault)

    def _care(self, operation: str, payload: Any) -> Any:
        def value(name: str) -> str:
            return (payload.findtext(f"{{{CARE}}}{name}") or "").strip()

        if operation == "FindByMsisdn":
            response = _e(CARE, "FindByMsisdnResponse")
            for ident, record in SUBSCRIBERS.items():
                if record["Msisdn"] == value("Msisdn"):
                    response.append(self._subscriber(ident, record))
            return response
        ident = value("SubscriberId")
        if ident not in SUBSCRIBERS or self.defect is Defect.FAULT_WITHOUT_DECLARED_DETAIL:
            detail = None
            if self.defect is not Defect.FAULT_WITHOUT_DECLARED_DETAIL:
                detail = _e(CARE, "UnknownSubscriber")
                _sub(detail, CARE, "SubscriberId", ident)
                _sub(detail, CARE, "Reason", "no line with this id")
            raise _Fault(True, f"unknown subscriber {ident}", detail)
        if self.defect is Defect.SERVER_FAULT_ON_VALID_REQUEST:
            raise _Fault(False, "System.NullReferenceException at CareService.Get")
        if operation == "GetSubscriber":
            response = _e(CARE, "GetSubscriberResponse")
            response.append(self._subscriber(ident, SUBSCRIBERS[ident], "Subscriber"))
            return response
        if operation == "ListInvoices":
            response = _e(CARE, "ListInvoicesResponse")
            since = value("Since")
            for number, issued, due, (amount, currency), paid in INVOICES.get(ident, []):
                if since and issued < since:
                    continue
                invoice = _sub(response, CARE, "Invoice")
                for name, text in (("InvoiceNo", number), ("Issued", issued), ("Due", due)):
                    _sub(invoice, CARE, name, text)
                _sub(invoice, CARE, "Total", amount).set("currency", currency)
                _sub(invoice, CARE, "Paid", "true" if paid else "false")
            return response
        self.tickets += 1
        response = _e(CARE, "OpenTicketResponse")
        _sub(response, CARE, "TicketNo", f"TCK-{20260000 + self.tickets:08d}")
        _sub(response, CARE, "OpenedAt", "2026-03-01T08:15:00+01:00")
        _sub(
            response,
            CARE,
            "Queue",
            "network" if payload.find(f"{{{CARE}}}NetworkFault") is not None else "billing",
        )
        return response

    def _subscriber(self, ident: str, record: dict[str, Any], tag: str = "Subscriber") -> Any:
        element = _e(CARE, tag)
        element.set("schemaVersion", "5" if self.defect is Defect.FIXED_VALUE_CHANGED else "4")
        _sub(element, CARE, "SubscriberId", ident)
        for name in ("Msisdn", "FullName", "Plan", "Status", "ActivatedOn"):
            _sub(element, CARE, name, record[name])
        amount, currency = record["Balance"]
        _sub(element, CARE, "Balance", amount).set("currency", currency)
        if record["Email"] is None:
            _sub(element, CARE, "Email").set(
                "{http://www.w3.org/2001/XMLSchema-instance}nil", "true"
            )
        else:
            _sub(element, CARE, "Email", record["Email"])
        if record["Tags"]:
            _sub(element, CARE, "Tags", record["Tags"])
        return element

    # -- billing (rpc/literal) ----------------------------------------------------------------

    async def billing(self, request: web.Request) -> web.Response:
        if request.headers.get("X-Api-Key") != API_KEY:
            return web.Response(status=401, text="X-Api-Key required")
        version = V12 if request.content_type == V12.media else V11
        try:
            version, wrapper = await self._read(request)
            operation = etree.QName(wrapper).localname
            if etree.QName(wrapper).namespace != BILLING_RPC or operation not in (
                "GetBalance",
                "AdjustBalance",
            ):
                raise _Fault(True, f"no operation {wrapper.tag}")
            parts = {child.tag: (child.text or "").strip() for child in wrapper}
            return self._send(version, self._billing(operation, parts))
        except _Reply as reply:
            return self._fault(reply.version, reply.fault, reply.code)
        except _Fault as fault:
            return self._fault(version, fault)

    def _billing(self, operation: str, parts: dict[str, str]) -> Any:
        expected = (
            ["accountNo", "asOf"] if operation == "GetBalance" else ["accountNo", "delta", "reason"]
        )
        if list(parts) != expected:
            raise _Fault(True, f"{operation} takes the parts {expected}, got {list(parts)}")
        account = parts["accountNo"]
        if not _ACCOUNT.fullmatch(account):
            raise _Fault(True, f"accountNo {account!r} is not an account number")
        try:
            if operation == "GetBalance":
                date.fromisoformat(parts["asOf"])
            else:
                delta = Decimal(parts["delta"])
        except (ValueError, InvalidOperation) as exc:
            raise _Fault(True, f"bad part: {exc}") from exc
        if account not in ACCOUNTS:
            detail = _e(BILLING_TYPES, "UnknownAccount")
            _sub(detail, BILLING_TYPES, "AccountNo", account)
            _sub(detail, BILLING_TYPES, "Message", "no such account")
            raise _Fault(True, f"unknown account {account}", detail)
        amount, currency = ACCOUNTS[account]
        if operation == "AdjustBalance":
            amount += delta
        named = {"GetBalance": "BalanceReply", "AdjustBalance": "AdjustmentResult"}
        if self.defect is Defect.RPC_WRAPPER_NAMED_AFTER_MESSAGE:
            wrapper = _e(BILLING_RPC, named[operation])
        else:
            wrapper = _e(BILLING_RPC, operation + "Response")
        part = etree.SubElement(wrapper, "balance" if operation == "GetBalance" else "newBalance")
        _sub(part, BILLING_TYPES, "AccountNo", account)
        _sub(part, BILLING_TYPES, "Amount", f"{amount:.2f}")
        _sub(part, BILLING_TYPES, "Currency", currency)
        _sub(part, BILLING_TYPES, "AsOf", "2026-03-01T00:00:00Z")
        return wrapper


class _Reply(Exception):
    """A fault decided while reading the envelope, in the version it was read as."""

    def __init__(self, version: _Version, fault: _Fault, code: str = "") -> None:
        super().__init__(fault.reason)
        self.version, self.fault, self.code = version, fault, code


def _e(namespace: str, name: str) -> Any:
    return etree.Element(f"{{{namespace}}}{name}", nsmap={"ns": namespace})


def _sub(parent: Any, namespace: str, name: str, text: str | None = None) -> Any:
    child = etree.SubElement(parent, f"{{{namespace}}}{name}")
    if text is not None:
        child.text = text
    return child
