"""Written sms cases (``cases:``): sends to the gateway, texts and receipts to the CRM, judged."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import aiohttp
import pytest

from intcheck.contracts import load_plan
from intcheck.kinds.sms.contract import SmsContract
from intcheck.kinds.sms.sending import crm_url, gateway_url
from intcheck.mock import MockServer
from intcheck.model import Status
from intcheck.probe import ProbeOptions, run_probe
from tests.kinds.sms_support import CUSTOMER, PROVIDERS, write_plan

if TYPE_CHECKING:
    from pathlib import Path

    from intcheck.model import Plan, Result

pytestmark = pytest.mark.timeout(90)

DELIVERED = {"infobip": "DELIVERED_TO_HANDSET"}  # the others say delivered
CASES = """cases:
  - name: confirm
    operation: send
    to: "{customer}"
    text: Ihre Bestellung O20260001 ist unterwegs.
  - name: impossible-number
    operation: send
    to: "+1555"
    text: Hallo
    expect: {{fault: true}}
  - name: customer-asks
    operation: inbound
    from: "{customer}"
    text: Wo ist meine Bestellung O20260001?
  - name: delivered
    operation: delivery-receipt
    message_id: {message_id}
    status: {delivered}
    to: "{customer}"
"""
WRONG = """cases:
  - name: wrong-recipient
    operation: send
    to: "{customer}"
    text: Hallo
    expect: {{fields: {{/messages/0/to: "4915199999999"}}}}
  - name: refusal-that-is-not
    operation: send
    to: "{customer}"
    text: Hallo
    expect: {{fault: "3"}}
  - name: receipt-answered-200
    operation: delivery-receipt
    message_id: 0A0000001234ABCD
    status: delivered
    expect: {{status: 200}}
"""


async def _probe(plan: Plan, **options: object) -> list[Result]:
    chosen = ProbeOptions(timeout_s=5, **options)  # type: ignore[arg-type]
    async with asyncio.timeout(60):
        return [r async for r in run_probe(plan, chosen)]


async def _inbox(mock: MockServer) -> list[dict[str, object]]:
    url = f"{mock.url}/__intcheck/contracts/sms/messages"
    async with aiohttp.ClientSession() as client, client.get(url) as response:
        messages: list[dict[str, object]] = (await response.json())["messages"]
        return messages


def _probe_plan(folder: Path, provider: str, mock: MockServer, cases: str) -> Plan:
    """The contract as the CRM team writes it for a probe of the mock: both sides there."""
    base = f"{mock.url}/sms"
    return write_plan(folder, provider, target=base, send_url=base, extra=cases)


def _written(results: list[Result]) -> dict[tuple[str, str], Result]:
    return {(r.case.split("#")[1], r.check): r for r in results if "#case:" in r.case}


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_written_cases_pass_against_the_mock_in_each_style(
    tmp_path: Path, provider: str
) -> None:
    message_id = "SM" + "a" * 32 if provider == "twilio" else "0A0000001234ABCD"
    cases = CASES.format(
        customer=CUSTOMER, message_id=message_id, delivered=DELIVERED.get(provider, "delivered")
    )
    async with MockServer(write_plan(tmp_path / "mock", provider)) as mock:
        plan = _probe_plan(tmp_path / "probe", provider, mock, cases)
        results = _written(await _probe(plan))
        sent = [m["to"] for m in await _inbox(mock)]
        _, entries = mock.journal.read()
    assert {k: r.message for k, r in results.items() if r.status is not Status.PASSED} == {}
    checks = set(results)
    assert {
        ("case:confirm", "status_is_as_expected"),
        ("case:confirm", "send_is_accepted"),
        ("case:confirm", "message_id_is_well_formed"),
        ("case:impossible-number", "invalid_send_is_refused"),
        ("case:customer-asks", "status_is_as_expected"),
        ("case:delivered", "status_is_as_expected"),
    } <= checks
    if provider == "twilio":
        assert ("case:customer-asks", "answer_is_twiml") in checks
    # the written send reached the number written, beside the probe's own test sends
    assert sent.count(CUSTOMER) == 1
    # the CRM side took the text and the receipt as genuine: fields and signature as sent
    webhooks = {e["operation"]: e["validation"] for e in entries if e["protocol"] == "http"}
    assert webhooks["inbound"] == webhooks["delivery-receipt"] == "ok"


async def test_a_wrong_expectation_fails_with_what_was_written(tmp_path: Path) -> None:
    async with MockServer(write_plan(tmp_path / "mock", "vonage")) as mock:
        plan = _probe_plan(tmp_path / "probe", "vonage", mock, WRONG.format(customer=CUSTOMER))
        results = _written(await _probe(plan))
    fields = results[("case:wrong-recipient", "fields_are_as_expected")]
    assert fields.status is Status.FAILED
    assert fields.message == "/messages/0/to: expected '4915199999999', got '4915112345678'"
    assert results[("case:wrong-recipient", "send_is_accepted")].status is Status.PASSED
    refused = results[("case:refusal-that-is-not", "invalid_send_is_refused")]
    assert refused.status is Status.FAILED
    assert "accepted a send the case expects refused" in refused.message
    assert results[("case:refusal-that-is-not", "code_is_as_written")].status is Status.SKIPPED
    receipt = results[("case:receipt-answered-200", "status_is_as_expected")]
    assert (receipt.status, receipt.message) == (Status.FAILED, "expected 200, got 204")


async def test_read_only_holds_every_written_case_back(tmp_path: Path) -> None:
    cases = CASES.format(customer=CUSTOMER, message_id="0A0000001234ABCD", delivered="delivered")
    async with MockServer(write_plan(tmp_path / "mock", "vonage")) as mock:
        plan = _probe_plan(tmp_path / "probe", "vonage", mock, cases)
        results = await _probe(plan, read_only=True)
        sent = await _inbox(mock)
        _, entries = mock.journal.read()
    held = {r.case.split("#")[1] for r in results if r.check == "probe_is_read_only"}
    written = {"case:confirm", "case:impossible-number", "case:customer-asks", "case:delivered"}
    assert written <= held
    assert sent == []
    assert not [e for e in entries if e["operation"] in ("inbound", "delivery-receipt")]


async def test_a_send_without_recipient_or_test_number_is_not_sent(tmp_path: Path) -> None:
    extra = "cases: [{name: no-one, operation: send, text: Hallo}]\n"
    write_plan(tmp_path, "generic", send_url="http://127.0.0.1:9", extra=extra)
    contract = (tmp_path / "sms.yaml").read_text().replace('test_numbers: ["+447700900456"]\n', "")
    (tmp_path / "sms.yaml").write_text(contract)
    plan = load_plan(tmp_path / "plan.yaml", environ={})
    (skipped,) = [r for r in await _probe(plan) if r.case == "sms:send#case:no-one"]
    assert (skipped.status, skipped.check) == (Status.SKIPPED, "test_number_is_named")
    assert "write `to:` in the case" in skipped.message


def test_the_gateway_target_moves_the_webhooks_only_where_one_server_serves_both(
    tmp_path: Path,
) -> None:
    mock = "http://127.0.0.1:8080/sms"
    one = SmsContract.of(
        write_plan(tmp_path / "a", "vonage", target=mock, send_url=mock).contracts[0]
    )
    two = SmsContract.of(
        write_plan(tmp_path / "b", "vonage", target="https://crm.test", send_url=mock).contracts[0]
    )
    elsewhere = "http://127.0.0.1:9000/sms"
    assert gateway_url(one, elsewhere, mock) == crm_url(one, elsewhere, mock) == elsewhere
    assert gateway_url(two, elsewhere, "https://crm.test") == elsewhere
    assert crm_url(two, elsewhere, "https://crm.test") == "https://crm.test"
    assert crm_url(two, "https://crm.test", "https://crm.test") == "https://crm.test"
