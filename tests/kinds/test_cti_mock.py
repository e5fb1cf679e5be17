"""The CTI receiver mock, driven by a PBX-like client over loopback: answers and journaled
verdicts for good and bad callbacks, per-call event order, and the journal as a report."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
import pytest
from yarl import URL

from intcheck.contracts import load_plan
from intcheck.mock import MockServer
from intcheck.model import Status
from intcheck.verify import journal_report
from tests.conftest import EXAMPLE_PLAN

SECRET = "demo-cti-secret"


class Pbx:
    """Sends the example contract's callbacks as an Asterisk dialplan CURL() would."""

    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        self.session = session
        self.base = base
        self.path = "/pbx-screen-pop/cti/incoming"

    async def send(
        self,
        event: str,
        call_id: str,
        *,
        caller: str = "015112345678",
        ext: str = "101",
        secret: str = SECRET,
        signed: bool = True,
        stamp: float | None = None,
        raw_query: str | None = None,
        drop: tuple[str, ...] = (),
        **extra: str,
    ) -> tuple[int, Any]:
        moment = time.time() if stamp is None else stamp
        fields = {
            "caller": caller,
            "called": "+4930901820",
            "callid": call_id,
            "ext": ext,
            "event": event,
            "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment)),
            "queue": "support",
            "duration": "61" if event == "hangup" else "",
            "disposition": "answered" if event == "hangup" else "",
            **extra,
        }
        query = raw_query or urlencode(
            [(k, v) for k, v in fields.items() if k not in drop], quote_via=quote
        )
        target = f"{self.path}?{query}"
        headers = {}
        if signed:
            stamp_text = str(int(moment))
            digest = hmac.new(secret.encode(), f"{stamp_text}.{target}".encode(), hashlib.sha256)
            headers = {"X-Signature": digest.hexdigest(), "X-Signature-Timestamp": stamp_text}
        url = URL(self.base + target, encoded=True)  # sent exactly as signed
        async with self.session.get(url, headers=headers) as response:
            text = await response.text()
            body = await response.json(content_type=None) if text.startswith("{") else text
            return response.status, body


@pytest.fixture
async def mock() -> AsyncIterator[MockServer]:
    async with asyncio.timeout(30), MockServer(load_plan(EXAMPLE_PLAN, environ={})) as server:
        yield server


@pytest.fixture
async def pbx(mock: MockServer) -> AsyncIterator[Pbx]:
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        yield Pbx(session, mock.url)


def entries(mock: MockServer) -> list[dict[str, Any]]:
    return mock.journal.read()[1]


async def test_a_good_call_pops_the_customer_and_is_journaled_ok(
    mock: MockServer, pbx: Pbx
) -> None:
    status, pop = await pbx.send("ringing", "1700000000.1")
    assert status == 200
    assert pop["customer_id"] == "C000001" and pop["name"] == "Anna Schmidt"
    assert pop["popped"] is True and pop["contact_url"].endswith("/pbx-screen-pop/contacts/C000001")
    assert (await pbx.send("answered", "1700000000.1"))[0] == 200
    assert (await pbx.send("hangup", "1700000000.1"))[0] == 200
    journal = entries(mock)
    callbacks = [e for e in journal if e["method"] == "GET"]
    assert [e["operation_id"] for e in callbacks] == [
        "pbx-screen-pop:ringing",
        "pbx-screen-pop:answered",
        "pbx-screen-pop:hangup",
    ]
    assert {e["validation"] for e in callbacks} == {"ok"}
    assert "popped C000001 Anna Schmidt" in callbacks[0]["note"]
    assert callbacks[0]["headers"]["X-Signature"] == "***"  # never a signature in the journal
    (call,) = [e for e in journal if e["operation"] == "call"]
    assert call["validation"] == "ok" and call["protocol"] == "cti"
    assert "ringing(101) → answered(101) → hangup(101); popped C000001" in call["note"]
    # the pop's contact_url opens the customer's page
    async with aiohttp.ClientSession() as session, session.get(pop["contact_url"]) as page:
        assert page.status == 200 and "Anna Schmidt" in await page.text()


@pytest.mark.parametrize(
    ("caller", "status", "popped"),
    [
        ("+4915112345678", 200, "C000001"),
        ("004915112345678", 200, "C000001"),
        ("4915112345678", 200, "C000001"),  # 3CX "Off": the + stripped
        ("tel:+4915112345678", 200, "C000001"),
        ("sip:+4915112345678@pbx.example.com;user=phone", 200, "C000001"),
        ("0033612345678", 200, "C000003"),  # a French caller through a German PBX
        ("+4915199990000", 404, None),
        ("anonymous", 404, None),
        ("", 404, None),
    ],
)
async def test_every_number_form_finds_the_same_customer(
    mock: MockServer, pbx: Pbx, caller: str, status: int, popped: str | None
) -> None:
    got, body = await pbx.send("ringing", "1700000000.2", caller=caller)
    assert (got, body.get("customer_id")) == (status, popped)
    (entry,) = entries(mock)
    assert entry["validation"] == "ok", entry["note"]


@pytest.mark.parametrize(
    ("change", "status", "validation"),
    [
        ({"secret": "guessed"}, 401, "bad-signature"),
        ({"signed": False}, 401, "missing-signature"),
        ({"stamp": time.time() - 3600}, 401, "stale-signature,stale-timestamp"),
        ({"event": "alerting"}, 400, "unknown-event:alerting"),
        ({"caller": "abc"}, 400, "bad-caller-id"),
        ({"drop": ("callid",)}, 400, "missing-field:callid"),
        ({"ts": "yesterday"}, 400, "bad-timestamp"),
        ({"direction_field": "x"}, 200, "ok"),  # an extra field is not a violation
    ],
)
async def test_bad_callbacks_are_refused_with_the_rule_they_broke(
    mock: MockServer, pbx: Pbx, change: dict[str, Any], status: int, validation: str
) -> None:
    event = change.pop("event", "ringing")
    got, body = await pbx.send(event, "1700000000.3", **change)
    assert got == status
    (entry,) = entries(mock)
    assert entry["validation"] == validation
    if status >= 400:
        assert body["rules"] == validation.split(",")
        assert entry["note"].startswith(f"refused {status}: ")


async def test_what_a_crm_accepts_but_the_pbx_must_fix_is_journaled(
    mock: MockServer, pbx: Pbx
) -> None:
    # an unencoded '+' arrives as a space; the form the contract does not declare
    fields = "caller=+4915112345678&called=%2B4930901820&callid=1.4&ext=101&event=ringing"
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    raw = f"{fields}&ts={stamp}&queue=support&duration=&disposition="
    status, pop = await pbx.send("ringing", "1.4", raw_query=raw)
    assert (status, pop["customer_id"]) == (200, "C000001")
    status, pop = await pbx.send("ringing", "1.5", caller="+49 151 12345678")
    assert (status, pop["customer_id"]) == (200, "C000001")
    first, second = entries(mock)
    assert first["validation"] == "caller-id-plus-as-space"
    assert "encode it as %2B" in first["note"]
    assert second["validation"] == "caller-id-form:international"


async def test_event_order_is_judged_per_call(mock: MockServer, pbx: Pbx) -> None:
    await pbx.send("answered", "2.1")  # never rang
    await pbx.send("ringing", "2.2")
    await pbx.send("hangup", "2.2")  # abandoned: fine
    await pbx.send("answered", "2.2")  # after the hang-up
    journal = entries(mock)
    verdicts = [
        (e["path"].split("callid=")[1].split("&")[0], e["operation"], e["validation"])
        for e in journal
        if e["method"] == "GET"
    ]
    assert verdicts == [
        ("2.1", "answered", "event-order:answered-before-ringing"),
        ("2.2", "ringing", "ok"),
        ("2.2", "hangup", "ok"),
        ("2.2", "answered", "event-order:answered-after-hangup"),
    ]
    async with aiohttp.ClientSession() as session:
        url = f"{mock.url}/__intcheck/contracts/pbx-screen-pop/calls"
        async with session.get(url) as response:
            calls = {c["call_id"]: c for c in (await response.json())["calls"]}
    assert calls["2.2"]["events"] == ["ringing(101)", "hangup(101)", "answered(101)"]
    assert calls["2.1"]["ended"] is False


async def test_a_repeat_gets_the_same_answer_and_no_second_pop(mock: MockServer, pbx: Pbx) -> None:
    first = await pbx.send("ringing", "3.1")
    again = await pbx.send("ringing", "3.1")
    assert first[0] == again[0] == 200
    assert first[1]["customer_id"] == again[1]["customer_id"] == "C000001"
    assert (first[1]["popped"], again[1]["popped"]) == (True, False)
    other_agent = await pbx.send("ringing", "3.1", ext="102")  # a ring group: a second pop
    assert other_agent[1]["popped"] is True
    notes = [e["note"] for e in entries(mock)]
    assert "repeat of ringing on call 3.1: same answer, not popped again" in notes[1]


async def test_the_journal_becomes_the_standard_report(mock: MockServer, pbx: Pbx) -> None:
    await pbx.send("ringing", "4.1")
    await pbx.send("hangup", "4.1")
    await pbx.send("ringing", "4.2", secret="guessed")
    report = await journal_report(mock.plan, str(mock.journal.directory), only=("pbx-screen-pop",))
    assert report.kind == "journal"
    verdicts = {(r.case, r.check): r.status for r in report.results}
    callbacks = [r for r in report.results if r.check == "meets_contract"]
    assert len(callbacks) == 4  # three callbacks and one call
    assert [r.status for r in callbacks].count(Status.FAILED) == 1
    forged = next(r for r in callbacks if r.status is Status.FAILED)
    assert forged.operation == "pbx-screen-pop:ringing"
    assert (forged.case, "bad-signature") in verdicts
    assert forged.evidence is not None and forged.evidence.status == 401
    (call,) = [r for r in callbacks if r.operation == "pbx-screen-pop:call"]
    assert call.status is Status.PASSED and "popped C000001" in call.message
    # the same report from the live mock's admin API
    over_http = await journal_report(mock.plan, mock.url, only=("pbx-screen-pop",))
    assert [(r.case, r.check, r.status) for r in over_http.results] == [
        (r.case, r.check, r.status) for r in report.results
    ]


async def test_a_pbx_given_the_wrong_address_is_told_so(mock: MockServer, pbx: Pbx) -> None:
    pbx.path = "/cti/incoming"  # the mock's address without /pbx-screen-pop
    status, _ = await pbx.send("ringing", "5.1")
    assert status == 404
    report = await journal_report(mock.plan, str(mock.journal.directory), only=("pbx-screen-pop",))
    (result,) = report.results
    assert result.status is Status.SKIPPED
    assert "the journal holds nothing for pbx-screen-pop" in result.message
    assert "1 request reached no contract (e.g. GET /cti/incoming?caller=" in result.message
