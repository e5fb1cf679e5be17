"""The mock SMS gateway, driven by a real HTTP client: send API per provider, inbox, receipts."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import socket
from collections import Counter
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from intcheck.contracts import load_plan
from intcheck.kinds import signatures
from intcheck.kinds.sms.providers import PROVIDERS as TABLES
from intcheck.mock import JournalQuery, MockServer
from tests.kinds.sms_support import (
    CUSTOMER,
    GENERIC_SECRET,
    PROVIDERS,
    TWILIO_TOKEN,
    VONAGE_SIG,
    WEBHOOK_PASSWORD,
    WEBHOOK_USER,
    CallbackServer,
    eventually,
    form,
    refusal_code,
    send_path,
    send_request,
    write_plan,
)

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as client:
        yield client


async def _send(
    session: aiohttp.ClientSession, mock: MockServer, provider: str, to: str, text: str, **kw: Any
) -> tuple[int, Any]:
    url = f"{mock.url}/sms{send_path(provider)}"
    async with session.post(url, **send_request(provider, to, text, **kw)) as response:
        return response.status, await response.json(content_type=None)


async def _inbox(session: aiohttp.ClientSession, mock: MockServer, query: str = "") -> Any:
    async with session.get(f"{mock.url}/__intcheck/contracts/sms/messages{query}") as response:
        assert response.status == 200
        return await response.json()


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_send_is_accepted_in_the_providers_shape(
    tmp_path: Path, session: aiohttp.ClientSession, provider: str
) -> None:
    text = "Ihre Bestellung O20260001 ist unterwegs. " * 5  # 205 GSM-7 characters: 2 segments
    async with asyncio.timeout(30), MockServer(write_plan(tmp_path, provider)) as mock:
        status, body = await _send(session, mock, provider, CUSTOMER, text)
        inbox = await _inbox(session, mock)
    (message,) = inbox["messages"]
    assert (message["to"], message["body"]) == (CUSTOMER, text)
    assert (message["encoding"], message["segments"]) == ("GSM-7", 2)
    if provider == "twilio":
        assert status == 201
        assert body["sid"] == message["id"] and len(body["sid"]) == 34
        assert body["sid"].startswith("SM") and int(body["sid"][2:], 16) >= 0
        assert (body["status"], body["num_segments"], body["direction"]) == (
            "queued",
            "2",
            "outbound-api",
        )
        assert body["date_created"].endswith(" +0000")
    elif provider == "vonage":
        assert status == 200
        assert body["message-count"] == "2"  # one entry per part, every value a string
        assert [m["status"] for m in body["messages"]] == ["0", "0"]
        assert [m["message-id"] for m in body["messages"]] == message["part_ids"]
        assert all(isinstance(v, str) for m in body["messages"] for v in m.values())
    elif provider == "infobip":
        assert status == 200
        (entry,) = body["messages"]
        assert entry["messageId"] == message["id"] and entry["to"] == CUSTOMER[1:]
        assert entry["status"]["groupName"] == "PENDING" and entry["status"]["groupId"] == 1
    else:
        assert status == 201
        assert (body["id"], body["segments"], body["encoding"]) == (message["id"], 2, "GSM-7")


# (rule, recipient, text, extra send kwargs) -> the code each provider answers
REFUSALS: dict[str, tuple[str, str, dict[str, Any], dict[str, tuple[int, str]]]] = {
    "invalid-recipient": (
        "+1555",
        "hello",
        {},
        {
            "twilio": (400, "21211"),
            "vonage": (200, "3"),
            "infobip": (200, "REJECTED_DESTINATION"),
            "generic": (400, "invalid-recipient"),
        },
    ),
    "empty-body": (
        CUSTOMER,
        "",
        {},
        {
            "twilio": (400, "21602"),
            "vonage": (200, "2"),
            "infobip": (400, "BAD_REQUEST"),
            "generic": (400, "empty-body"),
        },
    ),
    "too-long": (
        CUSTOMER,
        "a" * (153 * 3 + 1),  # four segments; the contract allows three
        {},
        {
            "twilio": (400, "21617"),
            "vonage": (200, "12"),
            "infobip": (200, "REJECTED_MESSAGE_TOO_LONG"),
            "generic": (400, "too-many-segments"),
        },
    ),
    "opted-out": (
        "+15005550004",  # Twilio's magic "blocked for your account" number
        "hello",
        {},
        {
            "twilio": (400, "21610"),
            "vonage": (200, "7"),
            "infobip": (200, "REJECTED_DESTINATION_BLOCKLISTED"),
            "generic": (400, "recipient-opted-out"),
        },
    ),
    "auth": (
        CUSTOMER,
        "hello",
        {"credentials": False},
        {
            "twilio": (401, "20003"),
            "vonage": (200, "2"),
            "infobip": (401, "UNAUTHORIZED"),
            "generic": (401, "unauthorized"),
        },
    ),
    "sender-not-owned": (
        CUSTOMER,
        "hello",
        {"sender": "OtherCo"},
        {
            "twilio": (400, "21606"),
            "vonage": (200, "15"),
            "infobip": (200, "REJECTED_SOURCE"),
            "generic": (400, "invalid-sender"),
        },
    ),
}


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_refusals_carry_the_providers_own_codes(
    tmp_path: Path, session: aiohttp.ClientSession, provider: str
) -> None:
    async with asyncio.timeout(30), MockServer(write_plan(tmp_path, provider)) as mock:
        for rule, (to, text, extra, expected) in REFUSALS.items():
            status, body = await _send(session, mock, provider, to, text, **extra)
            assert refusal_code(provider, status, body) == expected[provider], (rule, body)
        assert (await _inbox(session, mock))["total"] == 0
        _, entries = mock.journal.read(JournalQuery(contract="sms"))
    rules = [e["validation"] for e in entries]
    assert rules[:2] == ["invalid-recipient", "empty-body"]
    assert rules[3] == "opted-out"
    assert rules[4] in ("auth", "missing-credentials")


async def test_vonage_type_text_garbles_unicode_and_type_unicode_counts_ucs2(
    tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    text = "Dzień dobry, paczka jest w drodze"
    async with asyncio.timeout(30), MockServer(write_plan(tmp_path, "vonage")) as mock:
        await _send(session, mock, "vonage", CUSTOMER, text)
        request = send_request("vonage", CUSTOMER, "a" * 71)
        request["data"]["type"] = "unicode"
        async with session.post(f"{mock.url}/sms/sms/json", **request) as response:
            assert (await response.json())["message-count"] == "2"
        garbled, unicode = (await _inbox(session, mock))["messages"]
        _, entries = mock.journal.read(JournalQuery(contract="sms", operation="send"))
    assert garbled["shown"] == "Dzie? dobry, paczka jest w drodze"
    assert garbled["encoding"] == "GSM-7"
    assert entries[0]["validation"] == "unicode-as-text"
    assert (unicode["encoding"], unicode["segments"]) == ("UCS-2", 2)


async def test_the_inbox_filters_by_recipient_shows_one_and_deletes_all(
    tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    async with asyncio.timeout(30), MockServer(write_plan(tmp_path, "generic")) as mock:
        await _send(session, mock, "generic", CUSTOMER, "one")
        await _send(session, mock, "generic", "+33612345678", "two")
        # an unencoded '+' arrives as a space: the filter still finds the number
        mine = await _inbox(session, mock, f"?to={CUSTOMER}")
        assert [m["body"] for m in mine["messages"]] == ["one"]
        message_id = mine["messages"][0]["id"]
        async with session.get(f"{mock.url}/__intcheck/contracts/sms/messages/{message_id}") as r:
            assert (await r.json())["to"] == CUSTOMER
        async with session.get(f"{mock.url}/__intcheck/contracts/sms/messages/nope") as r:
            assert r.status == 404
        async with session.delete(f"{mock.url}/__intcheck/contracts/sms/messages") as r:
            assert (await r.json()) == {"deleted": 2}
        assert (await _inbox(session, mock))["total"] == 0


def _verified(provider: str, received: Any) -> dict[str, Any]:
    """The receipt's fields, after checking its signature with kinds/signatures.py."""
    if provider == "twilio":
        fields = form(received.body)
        expected = signatures.twilio(TWILIO_TOKEN, received.url, fields)
        assert received.headers["X-Twilio-Signature"] == expected
        return fields
    if provider == "vonage":
        fields = form(received.body)
        assert fields["sig"] == signatures.vonage(VONAGE_SIG, fields, "sha256")
        return fields
    if provider == "infobip":
        pair = f"{WEBHOOK_USER}:{WEBHOOK_PASSWORD}".encode()
        assert received.headers["Authorization"] == "Basic " + base64.b64encode(pair).decode()
        result: dict[str, Any] = json.loads(received.body)["results"][0]
        return result
    digest = hmac.new(GENERIC_SECRET.encode(), received.body, hashlib.sha256).hexdigest()
    assert received.headers["X-Signature"] == digest
    generic: dict[str, Any] = json.loads(received.body)
    return generic


# the statuses each provider reports for a delivered message (Vonage: per part, two parts)
DELIVERED = {
    "twilio": ["sent", "delivered"],
    "vonage": ["accepted", "accepted", "delivered", "delivered"],
    "infobip": ["DELIVERED_TO_HANDSET"],
    "generic": ["sent", "delivered"],
}


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_receipts_arrive_signed_in_the_providers_sequence(
    tmp_path: Path, session: aiohttp.ClientSession, provider: str
) -> None:
    text = "Paket kommt heute zwischen 10 und 12 Uhr. " * 4  # 168 characters: 2 segments
    async with CallbackServer() as crm:
        plan = write_plan(tmp_path, provider, target=crm.url)
        async with asyncio.timeout(30), MockServer(plan) as mock:
            await _send(session, mock, provider, CUSTOMER, text)  # to the contract's callback
            received = await crm.wait_for(len(DELIVERED[provider]))
            await asyncio.sleep(0.1)
            (message,) = (await _inbox(session, mock))["messages"]
    assert all(r.url == f"{crm.url}/hooks/status" for r in received)
    fields = [_verified(provider, r) for r in received]
    if provider == "twilio":
        assert [f["MessageStatus"] for f in fields] == DELIVERED["twilio"]
        assert {f["MessageSid"] for f in fields} == {message["id"]}
    elif provider == "vonage":
        assert [f["status"] for f in fields] == DELIVERED["vonage"]
        assert {f["messageId"] for f in fields} == set(message["part_ids"])
        assert {f["err-code"] for f in fields} == {"0"} and fields[0]["msisdn"] == CUSTOMER[1:]
    elif provider == "infobip":
        assert [f["status"]["name"] for f in fields] == DELIVERED["infobip"]
        assert fields[0]["error"]["name"] == "NO_ERROR" and fields[0]["smsCount"] == 2
    else:
        assert [f["status"] for f in fields] == DELIVERED["generic"]
    assert message["status"] == DELIVERED[provider][-1]
    assert len(crm.received) == len(DELIVERED[provider])  # nothing was sent twice


async def test_the_outcome_mix_and_the_providers_error_codes(
    tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    plan = write_plan(
        tmp_path, "twilio", outcomes="{delivered: 0.5, undelivered: 0.3, expired: 0.2}"
    )
    async with CallbackServer() as crm, asyncio.timeout(60), MockServer(plan) as mock:
        for _ in range(30):
            await _send(session, mock, "twilio", CUSTOMER, "hi", callback=crm.url + "/s")

        async def settled() -> bool:
            found = (await _inbox(session, mock))["messages"]
            return all(m["status"] not in ("queued", "sent") for m in found)

        await eventually(settled)
        messages = (await _inbox(session, mock))["messages"]
    finals = Counter(m["status"] for m in messages)
    # every outcome of the mix shows up, each in Twilio's words
    assert set(finals) == {"delivered", "undelivered", "failed"}
    assert 8 <= finals["delivered"] <= 22
    undelivered = {c.id for c in TABLES["twilio"].outcomes["undelivered"].errors}
    for message in messages:
        if message["outcome"] == "undelivered":
            assert message["status"] == "undelivered" and message["error_code"] in undelivered
        if message["outcome"] == "expired":
            assert (message["status"], message["error_code"]) == ("failed", "30036")
    failures = [form(r.body) for r in crm.received if form(r.body).get("ErrorCode")]
    assert failures and all(f["MessageStatus"] in ("undelivered", "failed") for f in failures)


async def test_receipts_are_retried_with_backoff_until_the_crm_answers(
    tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    plan = write_plan(tmp_path, "generic", retries=3, retry_ms=100)
    async with CallbackServer(failures=2) as crm, asyncio.timeout(30), MockServer(plan) as mock:
        await _send(session, mock, "generic", CUSTOMER, "hi", callback=crm.url + "/dlr")
        received = await crm.wait_for(4)  # sent: 500, 500, 200; delivered: 200
        await eventually(lambda: _receipts_done(session, mock, 2))
        (message,) = (await _inbox(session, mock))["messages"]
        _, entries = mock.journal.read(JournalQuery(contract="sms"))
    sent, delivered = message["receipts"]
    assert [a["status"] for a in sent["attempts"]] == [500, 500, 200] and sent["sent"]
    assert [a["status"] for a in delivered["attempts"]] == [200]
    assert [json.loads(r.body)["status"] for r in received] == ["sent"] * 3 + ["delivered"]
    # the waits double: 0.1 s, then 0.2 s (asyncio may wake a clock tick early)
    gaps = [b.at - a.at for a, b in itertools.pairwise(received[:3])]
    assert gaps[0] >= 0.09 and gaps[1] >= 0.19
    outgoing = [e for e in entries if e["protocol"] == "http-out"]
    assert [e["validation"] for e in outgoing][:3] == ["crm-answered-500"] * 2 + ["ok"]
    assert "attempt 1 of 4, answered 500; next in 0.1 s" in outgoing[0]["note"]
    assert "next in 0.2 s" in outgoing[1]["note"]


async def test_retries_are_bounded(tmp_path: Path, session: aiohttp.ClientSession) -> None:
    plan = write_plan(tmp_path, "generic", retries=2, retry_ms=10)
    async with CallbackServer(always=500) as crm, asyncio.timeout(30), MockServer(plan) as mock:
        await _send(session, mock, "generic", CUSTOMER, "hi", callback=crm.url + "/dlr")
        await crm.wait_for(6)  # two receipts, three attempts each
        await eventually(lambda: _receipts_done(session, mock, 2, attempts=3))
        (message,) = (await _inbox(session, mock))["messages"]
    assert len(crm.received) == 6
    assert [r["sent"] for r in message["receipts"]] == [False, False]
    assert [len(r["attempts"]) for r in message["receipts"]] == [3, 3]


async def test_an_unreachable_crm_is_journaled_and_given_up_on(
    tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    plan = write_plan(tmp_path, "generic", retries=1, retry_ms=10)  # target: port 9, refused
    async with asyncio.timeout(30), MockServer(plan) as mock:
        await _send(session, mock, "generic", CUSTOMER, "hi")
        await eventually(lambda: _receipts_done(session, mock, 2, attempts=2))
        (message,) = (await _inbox(session, mock))["messages"]
        _, entries = mock.journal.read(JournalQuery(contract="sms", operation="delivery-receipt"))
    attempts = [a for r in message["receipts"] for a in r["attempts"]]
    assert len(attempts) == 4 and all(a["status"] is None and a["error"] for a in attempts)
    assert [e["validation"] for e in entries] == ["crm-unreachable"] * 4
    assert all(e["path"] == "http://127.0.0.1:9/crm/hooks/status" for e in entries)


async def _receipts_done(
    session: aiohttp.ClientSession, mock: MockServer, count: int, attempts: int = 1
) -> bool:
    """Whether every message has ``count`` receipts and the last was answered 2xx or was
    tried ``attempts`` times."""
    messages = (await _inbox(session, mock))["messages"]
    return all(
        len(m["receipts"]) == count
        and (m["receipts"][-1]["sent"] or len(m["receipts"][-1]["attempts"]) == attempts)
        for m in messages
    )


async def test_an_infobip_bulk_answers_each_destination(
    tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    message = {
        "from": "ExampleCo",
        "destinations": [{"to": CUSTOMER[1:], "messageId": "my-id-1"}, {"to": "1555"}],
        "text": "Ihr Paket ist da.",
        "callbackData": "order=O20260001",
    }
    headers = {"Authorization": "App infobip-key-123"}
    async with asyncio.timeout(30), MockServer(write_plan(tmp_path, "infobip")) as mock:
        url = f"{mock.url}/sms/sms/2/text/advanced"
        async with session.post(url, json={"messages": [message]}, headers=headers) as response:
            assert response.status == 200
            body = await response.json()
        inbox = await _inbox(session, mock)
    accepted, refused = body["messages"]
    assert (accepted["messageId"], accepted["status"]["name"]) == ("my-id-1", "PENDING_ACCEPTED")
    assert (refused["to"], refused["status"]["name"]) == ("1555", "REJECTED_DESTINATION")
    assert [(m["id"], m["reference"]) for m in inbox["messages"]] == [
        ("my-id-1", "order=O20260001")
    ]


async def test_a_contract_on_its_own_port_shares_one_inbox(
    tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    write_plan(tmp_path, "generic")
    contract = (tmp_path / "sms.yaml").read_text()
    contract = contract.replace("mock: {dataset: master-data.yaml}", f"mock: {{port: {port}}}")
    (tmp_path / "sms.yaml").write_text(contract)
    plan = load_plan(tmp_path / "plan.yaml", environ={})
    async with asyncio.timeout(30), MockServer(plan) as mock:
        own = f"http://127.0.0.1:{port}/messages"
        async with session.post(own, **send_request("generic", CUSTOMER, "own port")) as response:
            assert response.status == 201
        await _send(session, mock, "generic", CUSTOMER, "shared port")
        inbox = await _inbox(session, mock)
    assert [m["body"] for m in inbox["messages"]] == ["own port", "shared port"]
