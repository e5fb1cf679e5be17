"""Inbound mail simulated against a test CRM (webhooks) and against the mock relay (SMTP)."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import aiohttp
import pytest

from intcheck.kinds.simulating import SimulationOptions
from intcheck.mock.server import MockServer
from intcheck.model import Status
from intcheck.simulate import run_simulation
from tests.kinds.email_support import email_plan, relay_url
from tests.servers.email_crm import PATH, Defect, EmailCrm

if TYPE_CHECKING:
    from pathlib import Path

    from intcheck.model import Plan, Result

pytestmark = pytest.mark.timeout(90)
KEY = "test-mailgun-signing-key"


def _webhook_plan(folder: Path, url: str, style: str) -> Plan:
    signature = f"signature: {{scheme: mailgun, secret: {KEY}}}" if style == "mailgun" else ""
    return email_plan(
        folder,
        f"""
        kind: email
        name: mail
        target: {url}
        mail: {{domains: [example.com]}}
        inbound: {{via: webhook, style: {style}, path: {PATH}, to: support@example.com}}
        {signature}
        expect: {{status: 200}}
        mock: {{dataset: data.yaml}}
        """,
        extra_files={"data.yaml": DATASET},
    )


DATASET = """
customers:
  - {id: C1, first_name: Jürgen, last_name: Groß, email: juergen.gross@example.de}
  - {id: C2, first_name: Marie, last_name: Dubois, email: marie.dubois@example.fr}
orders:
  - {order_id: O20260001}
"""


async def _simulate(plan: Plan, flows: int = 9, chaos: bool = True) -> list[Result]:
    options = SimulationOptions(flows=flows, chaos=chaos, seed=3, timeout_s=10)
    return [r async for r in run_simulation(plan, options)]


def _failed(results: list[Result]) -> set[tuple[str, str]]:
    return {(r.case.split("#")[1], r.check) for r in results if r.status is not Status.PASSED}


async def test_a_correct_crm_passes_mailgun_posts_and_chaos(tmp_path: Path) -> None:
    async with EmailCrm(KEY) as crm:
        results = await _simulate(_webhook_plan(tmp_path, crm.url, "mailgun"))
        posts = list(crm.posts)
    assert _failed(results) == set()
    cases = Counter(r.case.split("#")[1].split("-")[0] for r in results)
    assert cases["message"] + cases["reply"] == 9 * 1  # one status check per message
    assert {"chaos:duplicate", "chaos:forged-signature", "chaos:stale-timestamp"} <= {
        r.case.split("#")[1] for r in results
    }
    assert len(posts) == 9  # the duplicate and the forgeries created nothing
    senders = {p["sender"] for p in posts}
    assert senders <= {"juergen.gross@example.de", "marie.dubois@example.fr"}
    replies = [p for p in posts if p["subject"].startswith("Re: ")]
    assert replies, "some messages answer earlier ones"
    headers = dict(__import__("json").loads(replies[0]["message-headers"]))
    assert headers["In-Reply-To"] in headers["References"]
    assert any(p.get("attachment-count") for p in posts)


async def test_a_crm_that_ignores_the_signature_is_caught(tmp_path: Path) -> None:
    async with EmailCrm(KEY, Defect.IGNORES_SIGNATURE) as crm:
        results = await _simulate(_webhook_plan(tmp_path, crm.url, "mailgun"), flows=3)
    failed = _failed(results)
    assert ("chaos:forged-signature", "signature_is_verified") in failed
    assert ("chaos:missing-signature", "signature_is_verified") in failed
    forged = next(
        r for r in results if r.check == "signature_is_verified" and r.status is Status.FAILED
    )
    assert forged.severity.value == "critical" and "accepted a post" in forged.message
    assert not any(case.startswith(("message", "reply")) for case, _ in failed)


async def test_a_crm_that_ignores_timestamps_or_fails_duplicates_is_caught(tmp_path: Path) -> None:
    async with EmailCrm(KEY, Defect.IGNORES_TIMESTAMP) as crm:
        stale = _failed(await _simulate(_webhook_plan(tmp_path / "a", crm.url, "mailgun"), flows=2))
    assert ("chaos:stale-timestamp", "timestamp_is_checked") in stale
    async with EmailCrm(defect=Defect.FAILS_DUPLICATES) as crm:
        twice = _failed(
            await _simulate(_webhook_plan(tmp_path / "b", crm.url, "sendgrid"), flows=2)
        )
    assert ("chaos:duplicate", "duplicate_is_absorbed") in twice


async def test_sendgrid_posts_carry_the_parse_fields(tmp_path: Path) -> None:
    async with EmailCrm() as crm:
        results = await _simulate(_webhook_plan(tmp_path, crm.url, "sendgrid"), chaos=False)
        posts = list(crm.posts)
    assert _failed(results) == set()
    post = posts[0]
    for field in ("headers", "text", "html", "from", "to", "subject", "envelope", "charsets"):
        assert field in post
    assert '"to": ["support@example.com"]' in post["envelope"]
    with_files = [p for p in posts if int(p["attachments"]) > 0]
    assert with_files and "attachment-info" in with_files[0]
    assert with_files[0]["attachment1"]  # the file part's name


async def test_inbound_over_smtp_arrives_threaded_encoded_and_with_attachments(
    tmp_path: Path,
) -> None:
    # the mock relay of one plan plays the CRM's inbound mail server for another
    server_plan = email_plan(
        tmp_path / "server", "kind: email\nname: mail\nrelay: {port: 0, starttls: offered}\n"
    )
    async with MockServer(server_plan) as mock:
        plan = email_plan(
            tmp_path / "sim",
            f"""
            kind: email
            name: mail
            target: {relay_url(mock)}
            inbound: {{via: smtp, to: support@example.com}}
            mock: {{dataset: data.yaml}}
            """,
            extra_files={"data.yaml": DATASET},
        )
        results = await _simulate(plan, flows=6)
        url = f"{mock.url}/__intcheck/contracts/mail/messages"
        async with aiohttp.ClientSession() as session:
            async with session.get(url) as answer:
                listing = await answer.json()
            details = []
            for summary in listing["messages"]:
                async with session.get(f"{url}/{summary['id']}") as answer:
                    details.append(await answer.json())
    assert _failed(results) == set()
    assert listing["total"] == 7  # six messages and the duplicate
    assert all(d["envelope"]["tls"] for d in details)  # opportunistic STARTTLS taken
    raw_subjects = [v for d in details for n, v in d["headers"] if n == "Subject"]
    assert any(not s.isascii() for s in raw_subjects)  # decoded from RFC 2047 for the API
    replies = [d for d in details if any(n == "In-Reply-To" for n, _ in d["headers"])]
    assert replies and all(any(n == "References" for n, _ in d["headers"]) for d in replies)
    assert any(p["disposition"] == "attachment" for d in details for p in d["parts"])
