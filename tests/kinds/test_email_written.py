"""Written email cases (``cases:``): a message handed to the relay, a customer's mail to the CRM."""

from __future__ import annotations

import asyncio
import json
import textwrap
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from intcheck.mock.server import MockServer
from intcheck.model import Status
from intcheck.probe import ProbeOptions, run_probe
from tests.kinds.email_support import compliant, email_plan, relay_url

if TYPE_CHECKING:
    from pathlib import Path

    from intcheck.model import Plan, Result

pytestmark = pytest.mark.timeout(90)

PDF = "%PDF-1.4\n% case 42\n%%EOF\n"
SENDS = """
    cases:
      - name: case-closed
        operation: send
        to: Anna Schmidt <anna.schmidt@example.com>
        subject: Ihr Fall 42 ist gelöst
        text: "Guten Tag Frau Schmidt,\\n\\nIhr Fall 42 ist gelöst."
        html: <p>Ihr Fall 42 ist gelöst.</p>
        attachments: [case-42.pdf]
        expect: {status: 250, fields: {/code: 250}}
      - name: expects-a-refusal
        operation: send
        to: anna.schmidt@example.com
        subject: Noch eine Frage
        text: Hallo
        expect: {status: 550}
"""
INBOUND = """
    kind: email
    name: mail
    target: {target}
    relay: {{port: 0, starttls: "off"}}
    mail: {{domains: [example.com]}}
    inbound: {{via: {via}, style: {style}, path: /hooks/mail, to: support@example.com}}
    signature: {{scheme: mailgun, secret: mailgun-signing-key-1}}
    cases:
      - name: anna-replies
        operation: inbound
        from: Anna Schmidt <anna.schmidt@example.com>
        subject: "Re: Ihr Fall 42 ist gelöst"
        text: Danke, die Rechnung liegt bei.
        in_reply_to: <case-42@example.com>
        attachments: [invoice.pdf]
        expect: {{fields: {{{field}}}}}
      - name: expects-created
        operation: inbound
        from: anna.schmidt@example.com
        subject: Noch eine Frage
        text: Hallo
        expect: {{status: 201}}
"""


async def _probe(plan: Plan, **options: Any) -> dict[tuple[str, str], Result]:
    chosen = ProbeOptions(timeout_s=10, **options)
    async with asyncio.timeout(60):
        return {(r.case, r.check): r async for r in run_probe(plan, chosen)}


async def _admin(mock: MockServer, path: str) -> Any:
    url = f"{mock.url}/__intcheck/contracts/mail{path}"
    async with aiohttp.ClientSession() as session, session.get(url) as answer:
        return await answer.json()


def _not_passed(results: dict[tuple[str, str], Result], case: str) -> dict[str, str]:
    return {
        check: r.message
        for (name, check), r in results.items()
        if name == case and r.status is not Status.PASSED
    }


async def test_a_written_send_is_handed_to_the_relay_and_judged_as_written(
    tmp_path: Path,
) -> None:
    async with MockServer(email_plan(tmp_path / "mock", compliant())) as mock:
        files = {"case-42.pdf": PDF}
        plan = email_plan(tmp_path / "probe", compliant() + SENDS, extra_files=files)
        results = await _probe(plan, targets={"mail": relay_url(mock)})
        found = await _admin(mock, "/search?query=subject:%22Fall 42%22")
        (summary,) = found["messages"]
        captured = await _admin(mock, f"/messages/{summary['id']}")
    closed = "mail:send#case:case-closed"
    assert _not_passed(results, closed) == {}
    assert {"status_is_as_expected", "recipients_are_accepted", "fields_are_as_expected"} <= {
        check for case, check in results if case == closed
    }
    evidence = results[(closed, "status_is_as_expected")].evidence
    assert evidence is not None
    answer = json.loads(evidence.body)
    assert answer["code"] == 250 and answer["reply"].startswith("250")
    # what the relay captured is the message the case wrote, as the CRM would send it
    assert captured["message_id"] == answer["message_id"]
    assert captured["subject"] == "Ihr Fall 42 ist gelöst"
    assert captured["reply_to"][0]["address"] == "support@example.com"  # mail.reply_to
    assert "Ihr Fall 42 ist gelöst" in captured["html"]
    assert captured["attachments"] == 1
    refused = results[("mail:send#case:expects-a-refusal", "status_is_as_expected")]
    assert (refused.status, refused.message) == (Status.FAILED, "expected 550, got 250")


async def test_a_relay_refusing_the_recipient_fails_a_send_expected_accepted(
    tmp_path: Path,
) -> None:
    chaos = "      chaos: {recipient: {code: 550, rate: 1}}"
    async with MockServer(email_plan(tmp_path / "mock", compliant(chaos))) as mock:
        plan = email_plan(tmp_path / "probe", compliant() + SENDS, extra_files={"case-42.pdf": PDF})
        results = await _probe(plan, targets={"mail": relay_url(mock)})
        found = await _admin(mock, "/messages")
    status = results[("mail:send#case:case-closed", "status_is_as_expected")]
    assert status.status is Status.FAILED and status.message.startswith("expected 250, got 550")
    assert results[("mail:send#case:expects-a-refusal", "status_is_as_expected")].status is (
        Status.PASSED
    )
    assert found["total"] == 0  # nothing was delivered


@pytest.mark.parametrize("style", ["mailgun", "sendgrid"])
async def test_a_customers_mail_is_posted_to_the_crm_as_the_provider_posts_it(
    tmp_path: Path, style: str
) -> None:
    mocked = INBOUND.format(target="http://127.0.0.1:9/crm", via="webhook", style=style, field="")
    files = {"invoice.pdf": PDF}
    async with MockServer(email_plan(tmp_path / "mock", mocked, extra_files=files)) as mock:
        written = INBOUND.format(
            target=f"{mock.url}/mail", via="webhook", style=style, field="/accepted: true"
        )
        results = await _probe(email_plan(tmp_path / "probe", written, extra_files=files))
        received = (await _admin(mock, "/inbound"))["messages"]
    replied = "mail:inbound#case:anna-replies"
    assert _not_passed(results, replied) == {}
    assert (replied, "fields_are_as_expected") in results
    created = results[("mail:inbound#case:expects-created", "status_is_as_expected")]
    assert (created.status, created.message) == (Status.FAILED, "expected 201, got 200")
    # the mock's careful receiver took it: signature, fields and the attachment as posted
    reply = next(m for m in received if m["subject"].startswith("Re:"))
    assert reply["in_reply_to"] == "<case-42@example.com>"
    assert reply["attachments"] == ["invoice.pdf"]
    assert reply["from"] == "Anna Schmidt <anna.schmidt@example.com>"


async def test_a_customers_mail_over_smtp_reaches_the_crms_mail_server(tmp_path: Path) -> None:
    # the mock relay stands in for the CRM's own inbound mail server
    async with MockServer(email_plan(tmp_path / "mock", _plain_relay())) as mock:
        written = INBOUND.format(
            target=relay_url(mock), via="smtp", style="sendgrid", field="/code: 250"
        )
        plan = email_plan(tmp_path / "probe", written, extra_files={"invoice.pdf": PDF})
        results = await _probe(plan)
        found = await _admin(mock, "/search?query=subject:Fall")
    assert _not_passed(results, "mail:inbound#case:anna-replies") == {}
    created = results[("mail:inbound#case:expects-created", "status_is_as_expected")]
    assert (created.status, created.message) == (Status.FAILED, "expected 201, got 250")
    (summary,) = found["messages"]
    assert summary["envelope"]["rcpt_to"] == ["support@example.com"]
    assert summary["attachments"] == 1


async def test_read_only_holds_written_mail_back(tmp_path: Path) -> None:
    async with MockServer(email_plan(tmp_path / "mock", compliant())) as mock:
        plan = email_plan(tmp_path / "probe", compliant() + SENDS, extra_files={"case-42.pdf": PDF})
        results = await _probe(plan, targets={"mail": relay_url(mock)}, read_only=True)
        found = await _admin(mock, "/messages")
    held = {case for case, check in results if check == "probe_is_read_only"}
    assert {"mail:send#case:case-closed", "mail:send#case:expects-a-refusal"} <= held
    assert found["total"] == 0


def _plain_relay() -> str:
    return textwrap.dedent("""
        kind: email
        name: mail
        relay: {port: 0, starttls: "off"}
    """)
