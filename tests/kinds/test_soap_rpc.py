"""rpc/literal and SOAP headers, on a small WSDL written for the purpose (tests/data/soap)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import zeep
from lxml import etree

from intcheck.kinds.soap.envelope import SOAP11_ENV, SOAP12_ENV
from intcheck.mock.server import MockServer
from intcheck.model import Status
from intcheck.probe import ProbeOptions, run_probe
from tests.kinds.soap_support import Served, corpus_plan, post, serving, zeep_client

RPC_WSDL = Path(__file__).resolve().parents[1] / "data" / "soap" / "rpc-literal.wsdl"
RPC_NS = "urn:example:rpc"


@pytest.fixture
def mock(tmp_path: Path) -> Iterator[Served]:
    with serving(corpus_plan(tmp_path, RPC_WSDL, "quotes"), "quotes") as served:
        yield served


@pytest.mark.parametrize("port", ["Quotes11Port", "Quotes12Port"])
def test_rpc_literal_round_trip_on_both_versions(mock: Served, port: str) -> None:
    with zeep_client(mock) as (client, history):
        service = client.bind("QuoteService", port)
        quote = service.GetQuote(code="AB12", days=3)
        assert len(quote.code) == 4 and quote.code[:2].isupper() and quote.code[2:].isdigit()
        wrapper = history.last_received["envelope"].find("{*}Body")[0]
        assert wrapper.tag == f"{{{RPC_NS}}}GetQuoteResponse"  # WS-I BP R2729
        assert [etree.QName(part).localname for part in wrapper] == ["quote"]
        assert service.Log(Audit={"who": "agent 7"}) is None  # one-way: 202, no body
    assert mock.seen[-2:] == [("GetQuote", "ok"), ("Log", "ok")]


def test_rpc_request_is_validated_part_by_part(mock: Served) -> None:
    reply = post(
        mock,
        f'<e:Envelope xmlns:e="{SOAP11_ENV}" xmlns:r="{RPC_NS}">'
        "<e:Body><r:GetQuote><code>zz</code></r:GetQuote></e:Body></e:Envelope>",
        action="urn:example:rpc#GetQuote",
    )
    assert reply.status_code == 500
    text = etree.fromstring(reply.content).findtext(".//faultstring") or ""
    assert "pattern" in text and "days" in text and "GetQuote" in text
    assert "intcheck" not in text  # the synthetic wrapper used for validation stays hidden
    assert mock.seen[-1] == ("GetQuote", "schema")


@pytest.mark.parametrize(
    ("version", "ns", "status"), [("1.1", SOAP11_ENV, 500), ("1.2", SOAP12_ENV, 500)]
)
def test_unknown_must_understand_header_is_a_fault(
    mock: Served, version: str, ns: str, status: int
) -> None:
    flag = "1" if version == "1.1" else "true"
    body = (
        f'<e:Envelope xmlns:e="{ns}" xmlns:r="{RPC_NS}"><e:Header>'
        f'<x:Trace xmlns:x="urn:other" e:mustUnderstand="{flag}">1</x:Trace>'
        '<w:Security xmlns:w="http://docs.oasis-open.org/wss/2004/01/'
        f'oasis-200401-wss-wssecurity-secext-1.0.xsd" e:mustUnderstand="{flag}"/>'
        "</e:Header><e:Body><r:GetQuote><code>AB12</code><days>1</days></r:GetQuote></e:Body></e:Envelope>"
    )
    reply = post(mock, body, version=version, action="urn:example:rpc#GetQuote")
    assert reply.status_code == status
    root = etree.fromstring(reply.content)
    code = root.findtext(".//faultcode") or root.findtext(f".//{{{ns}}}Code/{{{ns}}}Value")
    assert code is not None and code.endswith(":MustUnderstand")
    assert mock.seen[-1] == ("GetQuote", "must-understand")
    plain = body.replace(f'e:mustUnderstand="{flag}">1', ">1")
    assert post(mock, plain, version=version, action="urn:example:rpc#GetQuote").status_code == 200
    # the same in UTF-16, where the attribute's name is not the ASCII bytes it is elsewhere
    wide = ('<?xml version="1.0" encoding="UTF-16"?>' + body).encode("utf-16")
    reply = post(mock, wide, version=version, action="urn:example:rpc#GetQuote")
    assert (reply.status_code, mock.seen[-1]) == (status, ("GetQuote", "must-understand"))


def test_deep_nesting_and_empty_body_are_client_faults(mock: Served) -> None:
    deep = "<a>" * 5000 + "</a>" * 5000
    nested = post(mock, f'<e:Envelope xmlns:e="{SOAP11_ENV}"><e:Body>{deep}</e:Body></e:Envelope>')
    assert nested.status_code == 500
    assert mock.seen[-1][1] == "malformed-xml"  # libxml2 stops at depth 256 without huge_tree
    empty = post(
        mock,
        f'<e:Envelope xmlns:e="{SOAP11_ENV}"><e:Body/></e:Envelope>',
        action="urn:example:rpc#GetQuote",
    )
    assert empty.status_code == 500
    assert "empty Body" in (etree.fromstring(empty.content).findtext(".//faultstring") or "")
    with zeep_client(mock) as (client, _):
        with pytest.raises(zeep.exceptions.Fault):
            client.bind("QuoteService", "Quotes11Port").GetQuote(code="bad", days=1)
        assert client.bind("QuoteService", "Quotes11Port").GetQuote(code="XY99", days=1) is not None


async def test_the_rpc_mock_passes_the_probe_on_both_versions(tmp_path: Path) -> None:
    # mock and probe read the rpc wrappers from one model: they cannot disagree about them
    plan = corpus_plan(tmp_path, RPC_WSDL, "quotes")
    async with MockServer(plan, port=0) as mock:
        options = ProbeOptions(targets={"quotes": f"{mock.url}/quotes"}, timeout_s=5)
        results = [r async for r in run_probe(plan, options)]
    not_passed = [
        f"{r.case} {r.check}: {r.message}" for r in results if r.status is not Status.PASSED
    ]
    assert not_passed == []
    assert {r.case for r in results} >= {
        "quotes:GetQuote#soap11:valid",
        "quotes:GetQuote#soap12:valid",
        "quotes:GetQuote#soap12:invalid",
        "quotes:Log#soap11:valid",
    }
