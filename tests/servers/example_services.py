"""The example plan's REST and SOAP services, done right, with switchable defects.

``ExampleServices`` answers ``customer-master`` below ``/customer-master`` and ``order-service``
at the WSDL's address path ``/soap/orders``. ``services.defect`` switches one defect on; each
defect names (in ``CAUGHT_BY``) the probe check that must report it as FAILED.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import json
from enum import Enum
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web
from lxml import etree

from intcheck.contracts.wsdl import safe_parser
from intcheck.data import normalize_phone
from intcheck.kinds.soap.documents import SpecFiles
from intcheck.kinds.soap.envelope import SOAP11, SOAP12
from intcheck.kinds.soap.schemas import SchemaSet

ROOT = Path(__file__).resolve().parents[2]
DATA = yaml.safe_load((ROOT / "mocks" / "master-data.yaml").read_text("utf-8"))
TNS = "urn:example:orders:v1"
TOKEN = "demo-token"
BASIC = "Basic " + base64.b64encode(b"crm:demo-password").decode()


class Defect(Enum):
    NONE = "none"
    WRONG_STATUS = "wrong_status"
    MISSING_REQUIRED_FIELD = "missing_required_field"
    WRONG_TYPE = "wrong_type"
    PATTERN_VIOLATION = "pattern_violation"
    ENUM_VIOLATION = "enum_violation"
    NULL_NOT_NULLABLE = "null_not_nullable"
    BAD_MULTIPLE_OF = "bad_multiple_of"
    WRONG_CONTENT_TYPE = "wrong_content_type"
    SERVER_ERROR_ON_INVALID = "server_error_on_invalid"
    SUCCESS_ON_INVALID = "success_on_invalid"
    AUTH_NOT_ENFORCED = "auth_not_enforced"
    SLOW = "slow"
    MISSING_HEADER = "missing_header"
    UNDOCUMENTED_STATUS = "undocumented_status"
    BAD_DATE_TIME = "bad_date_time"
    WRONG_NAMESPACE = "wrong_namespace"
    MISSING_ELEMENT = "missing_element"
    FAULT_IN_HTTP_200 = "fault_in_http_200"
    WRONG_SOAP_VERSION = "wrong_soap_version"
    MALFORMED_XML = "malformed_xml"
    MALFORMED_FAULT = "malformed_fault"
    SOAP_WRONG_CONTENT_TYPE = "soap_wrong_content_type"
    WRONG_FAULT_CODE = "wrong_fault_code"


CAUGHT_BY = {
    Defect.WRONG_STATUS: "record_exists",  # the customer the search named answers 404
    Defect.MISSING_REQUIRED_FIELD: "body_matches_schema",
    Defect.WRONG_TYPE: "body_matches_schema",
    Defect.PATTERN_VIOLATION: "body_matches_schema",
    Defect.ENUM_VIOLATION: "body_matches_schema",
    Defect.NULL_NOT_NULLABLE: "body_matches_schema",
    Defect.BAD_MULTIPLE_OF: "body_matches_schema",
    Defect.WRONG_CONTENT_TYPE: "content_type_is_documented",
    Defect.SERVER_ERROR_ON_INVALID: "invalid_request_is_rejected",
    Defect.SUCCESS_ON_INVALID: "invalid_request_is_rejected",
    Defect.AUTH_NOT_ENFORCED: "auth_is_enforced",
    Defect.SLOW: "p95_latency_within_sla",
    Defect.MISSING_HEADER: "required_headers_are_present",
    Defect.UNDOCUMENTED_STATUS: "status_is_documented",
    Defect.BAD_DATE_TIME: "body_matches_schema",
    Defect.WRONG_NAMESPACE: "body_matches_xsd",
    Defect.MISSING_ELEMENT: "body_matches_xsd",
    Defect.FAULT_IN_HTTP_200: "fault_is_not_sent_with_http_200",
    Defect.WRONG_SOAP_VERSION: "envelope_matches_binding_version",
    Defect.MALFORMED_XML: "body_is_well_formed_xml",
    Defect.MALFORMED_FAULT: "soap_fault_is_well_formed",
    Defect.SOAP_WRONG_CONTENT_TYPE: "content_type_matches_soap_version",
    Defect.WRONG_FAULT_CODE: "outcome_is_as_expected",
}
SOAP_DEFECTS = {
    Defect.WRONG_NAMESPACE,
    Defect.MISSING_ELEMENT,
    Defect.FAULT_IN_HTTP_200,
    Defect.WRONG_SOAP_VERSION,
    Defect.MALFORMED_XML,
    Defect.MALFORMED_FAULT,
    Defect.SOAP_WRONG_CONTENT_TYPE,
    Defect.WRONG_FAULT_CODE,
}
CUSTOMER_FIELDS = (
    "id",
    "first_name",
    "last_name",
    "company",
    "email",
    "phones",
    "address",
    "tier",
    "status",
    "balance",
    "created_at",
)
ORDER_STATUSES = ("open", "paid", "shipped", "delivered", "cancelled", "returned")


class InvalidInput(Exception):
    pass


class ExampleServices:
    """An aiohttp app on 127.0.0.1:0 serving both example services; ``.url`` is its origin."""

    def __init__(self, defect: Defect = Defect.NONE, slow_s: float = 0.45) -> None:
        self.defect = defect
        self.slow_s = slow_s
        self.url = ""
        # Customers created through the API: readable, changeable and erasable afterwards.
        self.created: dict[str, dict[str, Any]] = {}
        self._runner: web.AppRunner | None = None
        self.schemas = SchemaSet.build(
            SpecFiles.collect(ROOT / "contracts/specs/order-service.wsdl")
        )

    async def __aenter__(self) -> ExampleServices:
        app = web.Application(middlewares=[self._slow])
        app.router.add_get("/customer-master/customers", self.search)
        app.router.add_post("/customer-master/customers", self.create)
        app.router.add_route("*", "/customer-master/customers/{id}", self.customer)
        app.router.add_get("/customer-master/customers/{id}/orders", self.orders)
        app.router.add_get("/customer-master/orders/{order_id}/delivery", self.delivery)
        app.router.add_post("/soap/orders", self.soap)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @web.middleware
    async def _slow(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if self.defect is Defect.SLOW:
            await asyncio.sleep(self.slow_s)
        response: web.StreamResponse = await handler(request)
        return response

    # -- REST

    def _json(
        self, data: Any, status: int = 200, headers: dict[str, str] | None = None
    ) -> web.Response:
        kind = "text/plain" if self.defect is Defect.WRONG_CONTENT_TYPE else "application/json"
        return web.Response(
            text=json.dumps(data), status=status, content_type=kind, headers=headers
        )

    def _problem(self, status: int, title: str) -> web.Response:
        if status in (400, 422):
            if self.defect is Defect.SERVER_ERROR_ON_INVALID:
                status = 500
            elif self.defect is Defect.SUCCESS_ON_INVALID:
                return self._json({"items": [], "total": 0})
        return web.Response(
            text=json.dumps({"title": title, "status": status}),
            status=status,
            content_type="application/problem+json",
        )

    def _denied(self, request: web.Request) -> web.Response | None:
        if self.defect is Defect.AUTH_NOT_ENFORCED:
            return None
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._problem(401, "missing or wrong credentials")
        return None

    def _customer(self, record: dict[str, Any]) -> dict[str, Any]:
        out = {k: copy.deepcopy(record[k]) for k in CUSTOMER_FIELDS if k in record}
        broken = {
            Defect.MISSING_REQUIRED_FIELD: lambda c: c.pop("last_name"),
            Defect.PATTERN_VIOLATION: lambda c: c.update(id="cust-1"),
            Defect.ENUM_VIOLATION: lambda c: c.update(tier="platinum"),
            Defect.NULL_NOT_NULLABLE: lambda c: c.update(first_name=None),
            Defect.BAD_MULTIPLE_OF: lambda c: c.update(balance=13.375),
            Defect.BAD_DATE_TIME: lambda c: c.update(created_at="yesterday at noon"),
        }.get(self.defect)
        if broken is not None:
            broken(out)
        return out

    def _find(self, collection: str, key: str, value: Any) -> list[dict[str, Any]]:
        created = list(self.created.values()) if collection == "customers" else []
        return [r for r in [*DATA[collection], *created] if r.get(key) == value]

    async def search(self, request: web.Request) -> web.Response:
        if (denied := self._denied(request)) is not None:
            return denied
        limit = request.query.get("limit", "20")
        if not limit.isdigit() or not 1 <= int(limit) <= 100:
            return self._problem(400, "limit must be an integer from 1 to 100")
        found = DATA["customers"]
        if "phone" in request.query:
            wanted = normalize_phone(request.query["phone"])
            found = [
                c for c in found if any(normalize_phone(p["number"]) == wanted for p in c["phones"])
            ]
        if "email" in request.query:
            found = [c for c in found if c["email"] == request.query["email"]]
        items = [self._customer(c) for c in found[: int(limit)]]
        total: Any = str(len(items)) if self.defect is Defect.WRONG_TYPE else len(items)
        status = 203 if self.defect is Defect.UNDOCUMENTED_STATUS else 200
        return self._json(
            {"items": items, "total": total}, status, {"X-Total-Count": str(len(items))}
        )

    async def create(self, request: web.Request) -> web.Response:
        if (denied := self._denied(request)) is not None:
            return denied
        try:
            body = await request.json()
            _check_new_customer(body)
        except (ValueError, InvalidInput) as exc:
            return self._problem(400, f"invalid customer: {exc}")
        ident = f"C9{len(self.created) + 1:05d}"
        record = {
            **DATA["customers"][0],
            **body,
            "id": ident,
            "created_at": "2026-11-01T10:00:00Z",
        }
        self.created[ident] = record
        headers = (
            {} if self.defect is Defect.MISSING_HEADER else {"Location": f"/customers/{ident}"}
        )
        return self._json(self._customer(record), 201, headers)

    async def customer(self, request: web.Request) -> web.StreamResponse:
        if (denied := self._denied(request)) is not None:
            return denied
        ident = request.match_info["id"]
        if request.method not in ("GET", "PATCH", "DELETE"):
            raise web.HTTPMethodNotAllowed(request.method, ["GET", "PATCH", "DELETE"])
        if not _matches(ident, "C", 6):
            if request.method == "DELETE":
                return self._problem(404, "no such customer")
            return self._problem(400, "id must look like C000001")
        patch: dict[str, Any] = {}
        if request.method == "PATCH":
            try:
                patch = await request.json()
                _check_patch(patch)
            except (ValueError, InvalidInput) as exc:
                return self._problem(400, f"invalid patch: {exc}")
        found = self._find("customers", "id", ident)
        if not found or (self.defect is Defect.WRONG_STATUS and request.method == "GET"):
            return self._problem(404, "no such customer")
        if request.method == "DELETE":
            # A created customer is erased; the dataset's stay, since tests rerun on one server.
            self.created.pop(ident, None)
            return web.Response(status=204)
        if ident in self.created:
            self.created[ident] = {**found[0], **patch}
        return self._json(self._customer({**found[0], **patch}), 200, {"ETag": '"v1"'})

    async def orders(self, request: web.Request) -> web.Response:
        if (denied := self._denied(request)) is not None:
            return denied
        ident = request.match_info["id"]
        status = request.query.get("status")
        if not _matches(ident, "C", 6) or (status is not None and status not in ORDER_STATUSES):
            return self._problem(400, "bad customer id or status")
        if not self._find("customers", "id", ident):
            return self._problem(404, "no such customer")
        found = [
            o for o in self._find("orders", "customer_id", ident) if status in (None, o["status"])
        ]
        return self._json(found)

    async def delivery(self, request: web.Request) -> web.Response:
        if (denied := self._denied(request)) is not None:
            return denied
        ident = request.match_info["order_id"]
        if not _matches(ident, "O", 8):
            return self._problem(400, "order id must look like O20260001")
        found = self._find("deliveries", "order_id", ident)
        if not found:
            return self._problem(404, "no delivery for this order")
        return self._json(found[0])

    # -- SOAP

    async def soap(self, request: web.Request) -> web.Response:
        body = await request.read()
        version = SOAP12 if request.content_type == SOAP12.media_type else SOAP11
        if (
            self.defect is not Defect.AUTH_NOT_ENFORCED
            and request.headers.get("Authorization") != BASIC
        ):
            return web.Response(status=401, text="credentials required")
        try:
            root = etree.fromstring(body, safe_parser())
        except etree.XMLSyntaxError:
            return self._fault(version, version.sender, "malformed XML")
        body_element = root.find(f"{{{version.envelope_ns}}}Body")
        if body_element is None or not len(body_element):
            return self._fault(version, version.sender, "no Body")
        payload = body_element[0]
        if self.schemas.errors(payload):
            code = version.receiver if self.defect is Defect.WRONG_FAULT_CODE else version.sender
            return self._fault(version, code, "request breaks the schema")
        name = etree.QName(payload).localname
        values = {etree.QName(c).localname: c.text or "" for c in payload}
        if name == "GetProduct":
            found = self._find("products", "sku", values["Sku"])
            if not found:
                return self._not_found(version, values["Sku"])
            return self._reply(version, "GetProductResponse", [_product(found[0])])
        if name == "GetOrder":
            found = self._find("orders", "order_id", values["OrderId"])
            if not found:
                return self._not_found(version, values["OrderId"])
            return self._reply(
                version, "GetOrderResponse", [self._order("GetOrderResult", found[0])]
            )
        if name == "ListCustomerOrders":
            if not self._find("customers", "id", values["CustomerId"]):
                return self._not_found(version, values["CustomerId"])
            result = etree.Element(f"{{{TNS}}}ListCustomerOrdersResult")
            for order in self._find("orders", "customer_id", values["CustomerId"]):
                result.append(self._order("Order", order))
            return self._reply(version, "ListCustomerOrdersResponse", [result])
        customer = values["CustomerId"]
        if not self._find("customers", "id", customer):
            return self._not_found(version, customer)
        order = {
            "order_id": "O29990001",
            "customer_id": customer,
            "status": "open",
            "total": 10.0,
            "currency": "EUR",
            "ordered_at": "2026-11-01T10:00:00Z",
            "lines": [],
        }
        return self._reply(version, "PlaceOrderResponse", [self._order("PlaceOrderResult", order)])

    def _order(self, tag: str, order: dict[str, Any]) -> Any:
        element = etree.Element(f"{{{TNS}}}{tag}")
        fields = [
            ("OrderId", order["order_id"]),
            ("CustomerId", order["customer_id"]),
            ("Status", order["status"]),
            ("Total", f"{order['total']:.2f}"),
            ("Currency", order["currency"]),
            ("OrderedAt", order["ordered_at"]),
        ]
        for name, value in fields:
            if self.defect is Defect.MISSING_ELEMENT and name == "Status":
                continue
            etree.SubElement(element, f"{{{TNS}}}{name}").text = str(value)
        for line in order.get("lines", []):
            item = etree.SubElement(element, f"{{{TNS}}}Line")
            etree.SubElement(item, f"{{{TNS}}}Sku").text = line["sku"]
            etree.SubElement(item, f"{{{TNS}}}Quantity").text = str(line["quantity"])
        return element

    def _envelope(self, version: Any, content: Any) -> Any:
        if self.defect is Defect.WRONG_SOAP_VERSION:
            version = SOAP11
        envelope = etree.Element(
            f"{{{version.envelope_ns}}}Envelope", nsmap={"soap": version.envelope_ns}
        )
        etree.SubElement(envelope, f"{{{version.envelope_ns}}}Body").append(content)
        return envelope

    def _send(self, version: Any, envelope: Any, status: int) -> web.Response:
        data = etree.tostring(envelope, xml_declaration=True, encoding="utf-8")
        if self.defect is Defect.MALFORMED_XML:
            data = data[: len(data) // 2]
        media = "text/html" if self.defect is Defect.SOAP_WRONG_CONTENT_TYPE else version.media_type
        return web.Response(body=data, status=status, content_type=media, charset="utf-8")

    def _reply(self, version: Any, name: str, children: list[Any]) -> web.Response:
        ns = "urn:example:orders:v2" if self.defect is Defect.WRONG_NAMESPACE else TNS
        payload = etree.Element(f"{{{ns}}}{name}")
        for child in children:
            payload.append(child)
        return self._send(version, self._envelope(version, payload), 200)

    def _fault(self, version: Any, code: str, reason: str, detail: Any = None) -> web.Response:
        env = version.envelope_ns
        fault = etree.Element(f"{{{env}}}Fault")
        if version is SOAP12:
            value = etree.SubElement(etree.SubElement(fault, f"{{{env}}}Code"), f"{{{env}}}Value")
            value.text = f"soap:{code}"
            if self.defect is not Defect.MALFORMED_FAULT:
                text = etree.SubElement(
                    etree.SubElement(fault, f"{{{env}}}Reason"), f"{{{env}}}Text"
                )
                text.text = reason
                text.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
            if detail is not None:
                etree.SubElement(fault, f"{{{env}}}Detail").append(detail)
        else:
            etree.SubElement(fault, "faultcode").text = f"soap:{code}"
            if self.defect is not Defect.MALFORMED_FAULT:
                etree.SubElement(fault, "faultstring").text = reason
            if detail is not None:
                etree.SubElement(fault, "detail").append(detail)
        status = version.status_for(code)
        if self.defect is Defect.FAULT_IN_HTTP_200:
            status = 200
        return self._send(version, self._envelope(version, fault), status)

    def _not_found(self, version: Any, key: str) -> web.Response:
        detail = etree.Element(f"{{{TNS}}}NotFoundFault")
        for name, text in (("Code", "NOT_FOUND"), ("Message", "no such record"), ("Key", key)):
            etree.SubElement(detail, f"{{{TNS}}}{name}").text = text
        return self._fault(version, version.sender, "not found", detail)


def _product(product: dict[str, Any]) -> Any:
    result = etree.Element(f"{{{TNS}}}GetProductResult")
    fields = (
        ("Sku", product["sku"]),
        ("Name", product["name"]),
        ("Price", f"{product['price']:.2f}"),
        ("Currency", product["currency"]),
        ("InStock", product.get("in_stock", 0)),
    )
    for name, value in fields:
        etree.SubElement(result, f"{{{TNS}}}{name}").text = str(value)
    return result


def _matches(value: str, prefix: str, digits: int) -> bool:
    return len(value) == digits + 1 and value.startswith(prefix) and value[1:].isdigit()


def _check_new_customer(body: Any) -> None:
    allowed = {"first_name", "last_name", "company", "email", "phones", "address", "tier"}
    if not isinstance(body, dict):
        raise InvalidInput("expected an object")
    if set(body) - allowed:
        raise InvalidInput(f"unknown fields {sorted(set(body) - allowed)}")
    for name in ("first_name", "last_name", "phones"):
        if not body.get(name):
            raise InvalidInput(f"{name} is required")


def _check_patch(body: Any) -> None:
    allowed = {"email", "phones", "address", "tier", "status"}
    if not isinstance(body, dict) or not body or set(body) - allowed:
        raise InvalidInput("expected an object with at least one known field")
