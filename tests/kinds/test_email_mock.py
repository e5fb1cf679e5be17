"""The mock SMTP relay with a real client (smtplib): TLS, AUTH, SIZE, chaos, the mail API."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from intcheck.mock.server import MockServer
from tests.kinds.email_support import (
    COMPLIANT,
    PASSWORD,
    USER,
    compliant,
    email_plan,
    host_port,
    message,
    relay_url,
    smtp,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def mock(tmp_path: Path) -> AsyncIterator[MockServer]:
    async with MockServer(email_plan(tmp_path, COMPLIANT)) as server:
        yield server


async def _api(mock: MockServer, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
    url = f"{mock.url}/__intcheck/contracts/mail{path}"
    async with aiohttp.ClientSession() as session, session.request(method, url, **kwargs) as answer:
        if answer.content_type == "application/json":
            return answer.status, await answer.json()
        return answer.status, await answer.read()


def _send_through(url: str) -> dict[str, Any]:
    with smtp(url, tls=True, login=True) as client:
        return client.send_message(message(html="<p>Hello <b>Anna</b></p>", attachment=True))


async def test_a_real_client_sends_with_starttls_and_auth_and_the_api_parses_it(
    mock: MockServer,
) -> None:
    url = relay_url(mock)
    refused = await asyncio.to_thread(_send_through, url)
    assert refused == {}
    status, listing = await _api(mock, "GET", "/messages")
    assert status == 200 and listing["total"] == 1
    (summary,) = listing["messages"]
    assert summary["subject"] == "Your case 42"
    assert summary["from"] == {"name": "Service", "address": "service@example.com"}
    assert summary["envelope"]["tls"] is True and summary["envelope"]["login"] == USER
    assert summary["attachments"] == 1 and summary["failed_checks"] == []
    status, one = await _api(mock, "GET", f"/messages/{summary['id']}")
    assert status == 200
    assert ["Message-ID", "<case-42@example.com>"] in one["headers"]
    assert "your case 42 is solved" in one["text"] and "<b>Anna</b>" in one["html"]
    types = [p["content_type"] for p in one["parts"]]
    assert types == ["text/plain", "text/html", "application/pdf"]
    pdf = one["parts"][2]
    assert pdf["filename"] == "case-42.pdf" and pdf["disposition"] == "attachment"
    assert {c["check"]: c["status"] for c in one["checks"]}["from_is_as_contracted"] == "passed"
    _, data = await _api(mock, "GET", f"/messages/{summary['id']}/parts/2")
    assert data == b"%PDF-1.4 test"
    _, raw = await _api(mock, "GET", "/messages/latest/raw")
    assert isinstance(raw, bytes) and b"Subject: Your case 42" in raw
    _, found = await _api(mock, "GET", "/search", params={"query": 'subject:"case 42" to:anna'})
    assert found["messages_count"] == 1
    _, missed = await _api(mock, "GET", "/search", params={"query": "from:someone-else"})
    assert missed["messages_count"] == 0
    # counted in the journal: AUTH, then the message (the credentials are not there)
    _, entries = mock.journal.read()
    smtp_entries = [(e["method"], e["status"]) for e in entries if e["protocol"] == "smtp"]
    assert smtp_entries == [("AUTH", 235), ("DATA", 250)]
    assert PASSWORD not in str(entries)
    status, _ = await _api(mock, "DELETE", "/messages")
    _, listing = await _api(mock, "GET", "/messages")
    assert status == 200 and listing["total"] == 0


def _before_tls(url: str) -> tuple[list[str], tuple[int, bytes], tuple[int, bytes]]:
    with smtp(url) as client:
        mechanisms = client.esmtp_features.get("auth", "").split()
        auth = client.docmd("AUTH", "PLAIN AGNybQByZWxheS1wYXNzd29yZC0x")
        mail = client.mail("service@example.com")
        return mechanisms, auth, mail


async def test_auth_and_mail_before_tls_are_refused_when_the_contract_requires_tls(
    mock: MockServer,
) -> None:
    mechanisms, (auth_code, _), (mail_code, mail_text) = await asyncio.to_thread(
        _before_tls, relay_url(mock)
    )
    assert mechanisms == []  # AUTH is not even advertised before STARTTLS
    assert auth_code == 530 and mail_code == 530
    assert b"STARTTLS" in mail_text
    _, listing = await _api(mock, "GET", "/messages")
    assert listing["total"] == 0
    _, entries = mock.journal.read()
    assert {e["validation"] for e in entries} == {"tls-required"}


def _wrong_password(url: str) -> int:
    with smtp(url, tls=True) as client, pytest.raises(smtplib.SMTPAuthenticationError) as refused:
        client.login(USER, "not-the-password")
    return refused.value.smtp_code


async def test_wrong_credentials_are_refused(mock: MockServer) -> None:
    assert await asyncio.to_thread(_wrong_password, relay_url(mock)) == 535


def _oversized(url: str) -> tuple[int, int]:
    big = message()
    big.set_content(("x" * 70 + "\n") * 430)  # 30 KB in lines of legal length
    with smtp(url, tls=True, login=True) as client:
        announced = client.mail("service@example.com", ["SIZE=30000"])[0]
        client.rset()
        client.mail("service@example.com")
        client.rcpt("anna.schmidt@example.com")
        sent = client.data(big.as_string())[0]  # text: smtplib writes CRLF line ends
    return announced, sent


async def test_size_limit_is_advertised_and_enforced(mock: MockServer) -> None:
    def features(url: str) -> str:
        with smtp(url, tls=True) as client:
            return client.esmtp_features["size"]

    assert await asyncio.to_thread(features, relay_url(mock)) == "20000"
    announced, sent = await asyncio.to_thread(_oversized, relay_url(mock))
    assert (announced, sent) == (552, 552)
    _, listing = await _api(mock, "GET", "/messages")
    assert listing["total"] == 0


CHAOS = """
      chaos:
        sender: {code: 451, rate: 1.0}
        authentication: {code: 454, rate: 1.0}
"""


def _chaos_auth_reply(url: str) -> int:
    with smtp(url, tls=True) as client:
        return client.docmd("AUTH", "PLAIN AGNybQByZWxheS1wYXNzd29yZC0x")[0]


async def test_chaos_answers_arrive_as_configured(tmp_path: Path) -> None:
    async with MockServer(email_plan(tmp_path, compliant(CHAOS))) as mock:
        url = relay_url(mock)
        assert await asyncio.to_thread(_chaos_auth_reply, url) == 454
        # switched at run time through the admin API: AUTH passes, MAIL FROM gets a 550
        body = {"sender": {"code": 550, "rate": 1.0}}
        status, triggers = await _api(mock, "PUT", "/chaos", json=body)
        assert status == 200 and triggers == {"sender": {"code": 550, "rate": 1.0}}

        def mail_reply() -> tuple[int, bytes]:
            with smtp(url, tls=True, login=True) as client:
                return client.mail("service@example.com")

        code, text = await asyncio.to_thread(mail_reply)
        assert code == 550 and b"intcheck chaos" in text
        _, entries = mock.journal.read()
        assert [e["status"] for e in entries if e["validation"] == "chaos"] == [454, 550]


async def test_chaos_rate_between_zero_and_one_refuses_about_that_share(tmp_path: Path) -> None:
    plan = email_plan(tmp_path, compliant("      chaos: {recipient: {code: 450, rate: 0.3}}"))
    tries = 300

    def recipients(url: str) -> list[int]:
        with smtp(url, tls=True, login=True) as client:
            client.mail("service@example.com")
            return [client.rcpt(f"customer{n}@example.com")[0] for n in range(tries)]

    async with MockServer(plan, seed=7) as mock:
        codes = await asyncio.to_thread(recipients, relay_url(mock))
    refused = codes.count(450)
    assert set(codes) == {250, 450}
    # binomial(300, 0.3): mean 90, standard deviation 7.9; five deviations either side
    assert 50 <= refused <= 130


async def test_the_relay_certificate_is_served_for_a_client_to_trust(mock: MockServer) -> None:
    status, pem = await _api(mock, "GET", "/certificate")
    assert status == 200 and pem.startswith(b"-----BEGIN CERTIFICATE-----")

    def verified_session(url: str) -> str:
        context = ssl.create_default_context(cadata=pem.decode())
        client = smtplib.SMTP(*host_port(url), timeout=10)
        try:
            client.ehlo("test.client")
            client.starttls(context=context)  # chain and hostname (127.0.0.1) verified
            assert isinstance(client.sock, ssl.SSLSocket)
            return str(client.sock.version())
        finally:
            client.quit()

    assert (await asyncio.to_thread(verified_session, relay_url(mock))).startswith("TLSv1.")
