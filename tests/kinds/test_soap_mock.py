"""The SOAP mock of the example order service, through zeep and through raw HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
import zeep
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from lxml import etree

from intcheck.contracts import load_plan
from intcheck.data import DataStore
from intcheck.kinds.base import MAX_BODY_BYTES, MockContext, mount
from intcheck.kinds.soap import MOCK
from intcheck.kinds.soap.envelope import SOAP11_ENV, SOAP12_ENV
from intcheck.model import Plan
from tests.kinds.soap_support import TIMEOUT_S, Served, post, serving, zeep_client
from tests.servers.hostile import billion_laughs

REPO = Path(__file__).resolve().parents[2]
TNS = "urn:example:orders:v1"
PORTS = ("OrderServiceSoap11Port", "OrderServiceSoap12Port")
NS = {"o": TNS, "s11": SOAP11_ENV, "s12": SOAP12_ENV}


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_plan(REPO / "contracts")


@pytest.fixture(scope="module")
def xsd() -> etree.XMLSchema:
    """An oracle independent of the mock: the contract's own XSD, compiled by lxml."""
    return etree.XMLSchema(etree.parse(str(REPO / "contracts" / "specs" / "order-service.xsd")))


@pytest.fixture
def mock(plan: Plan) -> Iterator[Served]:
    with serving(plan, "order-service") as served:
        yield served


def _body_child(envelope: Any) -> Any:
    return envelope.find("{*}Body")[0]


def envelope(version: str, inner: str) -> str:
    ns = SOAP11_ENV if version == "1.1" else SOAP12_ENV
    return f'<e:Envelope xmlns:e="{ns}" xmlns:o="{TNS}"><e:Body>{inner}</e:Body></e:Envelope>'


# -- the WSDL as served ------------------------------------------------------------------------


def test_wsdl_and_xsd_are_served_with_addresses_rewritten(mock: Served) -> None:
    wsdl = requests.get(mock.base + "?wsdl", timeout=TIMEOUT_S)
    assert wsdl.status_code == 200
    assert wsdl.headers["Content-Type"].startswith("text/xml")
    root = etree.fromstring(wsdl.content)
    locations = [a.get("location") for a in root.iter("{*}address")]
    assert locations == [mock.base, mock.base]
    imports = [
        i.get("schemaLocation") for i in root.iter("{http://www.w3.org/2001/XMLSchema}import")
    ]
    assert imports == [mock.base + "?xsd=order-service.xsd"]
    xsd = requests.get(imports[0], timeout=TIMEOUT_S)
    assert xsd.status_code == 200
    assert etree.fromstring(xsd.content).get("targetNamespace") == TNS
    assert b"erp.example.com" not in wsdl.content


async def test_without_a_base_url_addresses_follow_the_request(plan: Plan) -> None:
    # a contract on its own port is mounted at "/", and a bare ctx falls back to the request URL
    ctx = MockContext(plan=plan, contract=plan.contract("order-service"), store=DataStore({}))
    app = web.Application()
    mount(app, "", MOCK.build_mock(ctx))
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        reply = await client.get("/?wsdl")
        root = etree.fromstring(await reply.read())
        origin = str(client.make_url("/")).rstrip("/")
        assert {a.get("location") for a in root.iter("{*}address")} == {origin}
        xsd = await client.get("/?xsd=order-service.xsd")
        assert xsd.status == 200


def test_unknown_document_is_404_and_plain_get_is_405(mock: Served) -> None:
    assert requests.get(mock.base + "?xsd=../../etc/passwd", timeout=TIMEOUT_S).status_code == 404
    assert requests.get(mock.base, timeout=TIMEOUT_S).status_code == 405


# -- every operation on both ports, consistent with the dataset ---------------------------------


@pytest.mark.parametrize("port", PORTS)
def test_every_operation_on_both_ports_matches_the_dataset(
    mock: Served, port: str, xsd: etree.XMLSchema
) -> None:
    store = mock.store
    with zeep_client(mock) as (client, history):
        service = client.bind("OrderService", port)

        product = service.GetProduct(Sku="KIT-1002")
        expected = next(store.find("products", "sku", "KIT-1002"))
        assert (product.Name, product.Price, product.InStock) == (
            expected["name"],
            Decimal(str(expected["price"])),
            expected["in_stock"],
        )
        assert xsd.validate(_body_child(history.last_received["envelope"]))

        order = service.GetOrder(OrderId="O20260003")
        record = next(store.find("orders", "order_id", "O20260003"))
        assert (order.CustomerId, order.Status, order.Total) == (
            record["customer_id"],
            record["status"],
            Decimal(str(record["total"])),
        )
        assert [(line.Sku, line.Quantity) for line in order.Line] == [
            (line["sku"], line["quantity"]) for line in record["lines"]
        ]
        assert xsd.validate(_body_child(history.last_received["envelope"]))

        listed = service.ListCustomerOrders(CustomerId="C000003")
        ids = {o["order_id"] for o in store.find("orders", "customer_id", "C000003")}
        assert {o.OrderId for o in listed} == ids and len(ids) > 1
        assert xsd.validate(_body_child(history.last_received["envelope"]))
        shipped = service.ListCustomerOrders(CustomerId="C000003", Status="shipped")
        assert {o.Status for o in shipped} == {"shipped"}

        placed = service.PlaceOrder(
            CustomerId="C000004",
            Line=[{"Sku": "KIT-1001", "Quantity": 2}, {"Sku": "ACC-3001", "Quantity": 1}],
        )
        assert xsd.validate(_body_child(history.last_received["envelope"]))
        assert placed.CustomerId == "C000004" and placed.Status == "open"
        assert placed.Total == Decimal("119.75")  # 2 x 49.90 + 19.95, from the product prices
        again = service.GetOrder(OrderId=placed.OrderId)
        assert (again.Total, [line.Sku for line in again.Line]) == (
            placed.Total,
            ["KIT-1001", "ACC-3001"],
        )
        assert placed.OrderId in {
            o.OrderId for o in service.ListCustomerOrders(CustomerId="C000004")
        }
    assert ("PlaceOrder", "ok") in mock.seen


def test_repeated_requests_see_writes_and_writes_are_never_replayed(mock: Served) -> None:
    # identical request bytes on unchanged data are answered from memory; a write changes
    # the data, so the same read afterwards is worked out again, and a write always runs
    with zeep_client(mock) as (client, _):
        service = client.bind("OrderService", "OrderServiceSoap11Port")
        before = [o.OrderId for o in service.ListCustomerOrders(CustomerId="C000005")]
        assert [o.OrderId for o in service.ListCustomerOrders(CustomerId="C000005")] == before
        line = [{"Sku": "KIT-1001", "Quantity": 1}]
        first = service.PlaceOrder(CustomerId="C000005", Line=line).OrderId
        second = service.PlaceOrder(CustomerId="C000005", Line=line).OrderId
        assert first != second
        after = [o.OrderId for o in service.ListCustomerOrders(CustomerId="C000005")]
        assert sorted(after) == sorted([*before, first, second])


def test_requests_differing_only_in_headers_share_the_answer_but_not_the_header_checks(
    mock: Served,
) -> None:
    # the answer is kept by operation and Body, so a nonce in a header does not defeat it;
    # the headers are still checked on every request
    def sent(header: str, order: str = "O20260001") -> requests.Response:
        inner = f"<o:GetOrder><o:OrderId>{order}</o:OrderId></o:GetOrder>"
        text = envelope("1.1", inner).replace("<e:Body>", f"<e:Header>{header}</e:Header><e:Body>")
        return post(mock, text, action="urn:example:orders:v1/GetOrder")

    first = sent('<t:Trace xmlns:t="urn:trace">1</t:Trace>')
    second = sent('<t:Trace xmlns:t="urn:trace">2</t:Trace>')
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    refused = sent('<t:Trace xmlns:t="urn:trace" e:mustUnderstand="1">3</t:Trace>')
    assert refused.status_code == 500 and b"MustUnderstand" in refused.content
    other = sent('<t:Trace xmlns:t="urn:trace">4</t:Trace>', order="O20260002")
    assert other.status_code == 200 and b"O20260002" in other.content
    assert mock.seen[-4:] == [
        ("GetOrder", "ok"),
        ("GetOrder", "ok"),
        ("GetOrder", "must-understand"),
        ("GetOrder", "ok"),
    ]


@pytest.mark.parametrize(
    ("port", "code", "status"),
    [
        ("OrderServiceSoap11Port", "soap:Client", 500),  # WS-I R1126: every 1.1 fault is a 500
        ("OrderServiceSoap12Port", "env:Sender", 400),  # SOAP 1.2: the sender's mistake, 400
    ],
)
@pytest.mark.parametrize(
    ("operation", "kwargs", "key"),
    [
        ("GetOrder", {"OrderId": "O99999999"}, "O99999999"),
        ("GetProduct", {"Sku": "XXX-0000"}, "XXX-0000"),
        ("ListCustomerOrders", {"CustomerId": "C999999"}, "C999999"),
        (
            "PlaceOrder",
            {"CustomerId": "C000001", "Line": [{"Sku": "ZZZ-9999", "Quantity": 1}]},
            "ZZZ-9999",
        ),
    ],
)
def test_not_found_is_the_senders_fault_and_carries_the_declared_detail(
    mock: Served,
    xsd: etree.XMLSchema,
    port: str,
    code: str,
    status: int,
    operation: str,
    kwargs: dict[str, Any],
    key: str,
) -> None:
    orders_before = len(mock.store.records("orders"))
    with zeep_client(mock) as (client, history):
        service = client.bind("OrderService", port)
        with pytest.raises(zeep.exceptions.Fault) as raised:
            service[operation](**kwargs)
    assert raised.value.code == code
    assert key in raised.value.message
    assert history.last_received is not None
    detail = raised.value.detail
    fault = detail.find(f"{{{TNS}}}NotFoundFault")
    assert fault is not None and xsd.validate(fault)
    assert fault.findtext(f"{{{TNS}}}Key") == key
    assert len(mock.store.records("orders")) == orders_before
    assert mock.seen[-1] == (operation, "ok")
    raw = post(
        mock,
        envelope(
            "1.1" if "11" in port else "1.2",
            "<o:GetOrder><o:OrderId>O99999999</o:OrderId></o:GetOrder>",
        ),
        version="1.1" if "11" in port else "1.2",
    )
    assert raw.status_code == status


def test_dispatch_without_action_uses_the_body_element(mock: Served) -> None:
    for version in ("1.1", "1.2"):
        reply = post(
            mock,
            envelope(version, "<o:GetProduct><o:Sku>SRV-2001</o:Sku></o:GetProduct>"),
            version=version,
        )
        assert reply.status_code == 200, reply.text
        assert etree.fromstring(reply.content).findtext(
            ".//o:GetProductResult/o:Name", namespaces=NS
        ) == ("Installation service")
    unknown_action = post(
        mock,
        envelope("1.1", "<o:GetProduct><o:Sku>SRV-2001</o:Sku></o:GetProduct>"),
        action="urn:nothing",
    )
    assert unknown_action.status_code == 200


# -- bad requests: a fault that says what was wrong, and the mock keeps serving -----------------

BILLION_LAUGHS = billion_laughs(
    '<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/" '
    'xmlns:o="urn:example:orders:v1">\n'
    "<e:Body><o:GetProduct><o:Sku>&lol9;</o:Sku></o:GetProduct></e:Body></e:Envelope>"
).decode()

XXE = """<?xml version="1.0"?>
<!DOCTYPE e [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/" xmlns:o="urn:example:orders:v1">
<e:Body><o:GetProduct><o:Sku>&xxe;</o:Sku></o:GetProduct></e:Body></e:Envelope>"""

BAD_REQUESTS = {
    "malformed": ("<e:Envelope><unclosed>", "malformed XML", "malformed-xml"),
    "billion-laughs": (BILLION_LAUGHS, "DOCTYPE", "doctype-refused"),
    "xxe": (XXE, "DOCTYPE", "doctype-refused"),
    "not-an-envelope": (
        f'<o:GetProduct xmlns:o="{TNS}"/>',
        "expected a SOAP Envelope",
        "not-an-envelope",
    ),
    "no-body": (f'<e:Envelope xmlns:e="{SOAP11_ENV}"/>', "no Body", "no-body"),
    "unknown-element": (
        envelope("1.1", "<o:Nothing/>"),
        "no operation matches",
        "unknown-operation",
    ),
    "missing-required": (envelope("1.1", "<o:GetProduct/>"), "Sku", "schema"),
    "pattern": (
        envelope("1.1", "<o:GetOrder><o:OrderId>12</o:OrderId></o:GetOrder>"),
        "pattern",
        "schema",
    ),
    "extra-element": (
        envelope(
            "1.1", "<o:GetOrder><o:OrderId>O20260001</o:OrderId><o:Evil>1</o:Evil></o:GetOrder>"
        ),
        "Evil",
        "schema",
    ),
}


def _fault_text(reply: requests.Response) -> str:
    root = etree.fromstring(reply.content)
    return root.findtext(".//faultstring") or root.findtext(".//s12:Text", namespaces=NS) or ""


@pytest.mark.parametrize("case", sorted(BAD_REQUESTS))
def test_bad_request_gets_a_client_fault_and_the_mock_keeps_serving(
    mock: Served, case: str
) -> None:
    body, says, rule = BAD_REQUESTS[case]
    reply = post(mock, body, action=f"{TNS}/GetProduct" if case == "wrong-action" else "")
    assert reply.status_code == 500  # SOAP 1.1: every fault is a 500 (WS-I R1126)
    root = etree.fromstring(reply.content)
    assert root.findtext(".//faultcode") == "soap:Client"
    assert says in _fault_text(reply)
    assert "root:" not in reply.text  # /etc/passwd never leaks
    assert mock.seen[-1][1] == rule
    healthy = post(mock, envelope("1.1", "<o:GetProduct><o:Sku>KIT-1001</o:Sku></o:GetProduct>"))
    assert healthy.status_code == 200


def test_sender_faults_are_400_in_soap_12(mock: Served) -> None:
    reply = post(
        mock, envelope("1.2", "<o:GetProduct/>"), version="1.2", action=f"{TNS}/GetProduct"
    )
    assert reply.status_code == 400
    assert reply.headers["Content-Type"].startswith("application/soap+xml")
    root = etree.fromstring(reply.content)
    assert root.findtext(".//s12:Code/s12:Value", namespaces=NS) == "env:Sender"
    text = root.find(".//s12:Reason/s12:Text", namespaces=NS)
    assert text.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    assert "Sku" in (text.text or "")


def test_action_and_body_disagreeing_is_a_wrong_element_fault(mock: Served) -> None:
    reply = post(
        mock,
        envelope("1.1", "<o:GetOrder><o:OrderId>O20260001</o:OrderId></o:GetOrder>"),
        action=f"{TNS}/GetProduct",
    )
    assert reply.status_code == 500
    assert "expects <GetProduct" in _fault_text(reply)
    assert mock.seen[-1][1] == "wrong-element"


@pytest.mark.parametrize(("sent", "content_type"), [("1.1", "1.2"), ("1.2", "1.1")])
def test_envelope_of_the_other_version_is_a_version_mismatch(
    mock: Served, sent: str, content_type: str
) -> None:
    reply = post(
        mock,
        envelope(sent, "<o:GetProduct><o:Sku>KIT-1001</o:Sku></o:GetProduct>"),
        version=content_type,
    )
    assert reply.status_code == 500
    root = etree.fromstring(reply.content)
    code = root.findtext(".//faultcode") or root.findtext(".//s12:Code/s12:Value", namespaces=NS)
    assert code is not None and code.endswith(":VersionMismatch")
    if content_type == "1.2":  # SOAP 1.2 part 1 §5.4.7: env:Upgrade lists what we accept
        listed = root.findall(".//s12:Header/s12:Upgrade/s12:SupportedEnvelope", namespaces=NS)
        assert {e.nsmap[e.get("qname").split(":")[0]] for e in listed} == {SOAP11_ENV, SOAP12_ENV}
    assert mock.seen[-1][1] == "version-mismatch"


@pytest.mark.parametrize(("version", "ns"), [("1.1", SOAP11_ENV), ("1.2", SOAP12_ENV)])
@pytest.mark.parametrize(
    "root",
    [
        '<e:Envelope xmlns:e="urn:not-a-soap-envelope" xmlns:o="urn:example:orders:v1">'
        "<e:Body><o:GetProduct><o:Sku>KIT-1001</o:Sku></o:GetProduct></e:Body></e:Envelope>",
        "<Envelope><Body/></Envelope>",
    ],
    ids=["foreign-namespace", "no-namespace"],
)
def test_wrong_envelope_namespace_gets_version_mismatch(
    mock: Served, version: str, ns: str, root: str
) -> None:
    # SOAP 1.1 §4.4.1 and SOAP 1.2 §5.4.7: not a Client/Sender fault, a VersionMismatch,
    # in the version the request's content type names
    reply = post(mock, root, version=version, action=f"{TNS}/GetProduct")
    assert reply.status_code == 500
    answer = etree.fromstring(reply.content)
    assert answer.tag == f"{{{ns}}}Envelope"
    code = answer.findtext(".//faultcode") or answer.findtext(
        ".//s12:Code/s12:Value", namespaces=NS
    )
    assert code is not None and code.endswith(":VersionMismatch")
    assert mock.seen[-1][1] == "version-mismatch"


def test_soap12_root_other_than_envelope_is_a_version_mismatch(mock: Served) -> None:
    # SOAP 1.2 §5.4.7 names any other root; SOAP 1.1 only a foreign Envelope (a stray root is
    # the Client's mistake there, see BAD_REQUESTS)
    reply = post(mock, f'<o:GetProduct xmlns:o="{TNS}"/>', version="1.2")
    code = etree.fromstring(reply.content).findtext(".//s12:Code/s12:Value", namespaces=NS)
    assert (reply.status_code, code) == (500, "env:VersionMismatch")


def test_unsupported_content_type_is_415(mock: Served) -> None:
    reply = post(mock, envelope("1.1", ""), **{"Content-Type": "application/json"})
    assert reply.status_code == 415
    assert "Content-Type" in _fault_text(reply)


def test_oversize_body_is_refused_declared_or_chunked(mock: Served) -> None:
    padding = "<!--" + "x" * MAX_BODY_BYTES + "-->"
    big = envelope("1.1", "<o:GetProduct><o:Sku>KIT-1001</o:Sku></o:GetProduct>" + padding)
    reply = post(mock, big)
    assert reply.status_code == 413
    assert "exceeds" in _fault_text(reply)

    def chunks() -> Iterator[bytes]:
        data = big.encode()
        for start in range(0, len(data), 65536):
            yield data[start : start + 65536]

    with requests.Session() as session:
        chunked = session.post(
            mock.base,
            data=chunks(),
            headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""', **mock.auth},
            timeout=TIMEOUT_S,
        )
    assert chunked.status_code == 413
    assert mock.seen[-1][1] == "body-too-large"
    assert post(mock, envelope("1.1", "<o:GetProduct><o:Sku>KIT-1001</o:Sku></o:GetProduct>")).ok


@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_operations_need_the_contracts_credentials_but_the_wsdl_does_not(
    mock: Served, version: str
) -> None:
    request = envelope(version, "<o:GetProduct><o:Sku>KIT-1001</o:Sku></o:GetProduct>")
    anonymous = post(mock, request, version=version, with_auth=False)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"] == 'Basic realm="order-service"'
    assert "credentials required" in _fault_text(anonymous)
    assert mock.seen[-1] == ("unknown", "auth")
    wrong_scheme = post(mock, request, version=version, Authorization="Bearer abc")
    assert wrong_scheme.status_code == 401
    assert (
        post(mock, request, version=version, Authorization="Basic dGVzdDp0ZXN0").status_code == 200
    )
    assert requests.get(mock.base + "?wsdl", timeout=TIMEOUT_S).status_code == 200
