"""A key users' story through the sms and email kinds, played against the example plan's mock.

``tests/data/scenarios/order-on-its-way.yaml``: the CRM texts Anna (the send's message id is
saved), the gateway reports that very message delivered to the CRM, the CRM mails her. Whether
the mail arrived is read from the mock's captured-mail API afterwards: that API is the mock's own,
no contract of the plan describes it, so it cannot be a step.
"""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from intcheck.mock.server import MockServer
from intcheck.model import Status
from intcheck.scenario import Outcome, ScenarioOptions, load_scenarios, run_scenarios
from tests.kinds.email_support import relay_url

if TYPE_CHECKING:
    from intcheck.model import Result
    from intcheck.scenario import Scenario

pytestmark = pytest.mark.timeout(90)

STORY = Path(__file__).resolve().parents[1] / "data" / "scenarios" / "order-on-its-way.yaml"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _story(monkeypatch: pytest.MonkeyPatch) -> tuple[Scenario, int]:
    """The story on the example plan, its CRM and gateway both the mock on a port of its own
    (the mock serves either side, so the receipts it sends itself reach it too)."""
    port = _free_port()
    for name in ("CRM_URL", "SMS_GATEWAY_URL"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{port}/sms-gateway")
    (scenario,) = load_scenarios(STORY)
    return scenario, port


async def _play(scenario: Scenario, mock: MockServer) -> tuple[list[Result], Outcome]:
    targets = {"email-channel": relay_url(mock, "email-channel")}
    outcomes: list[Outcome] = []
    async with asyncio.timeout(60):
        options = ScenarioOptions(targets=targets, timeout_s=10)
        results = [r async for r in run_scenarios([scenario], options, outcomes)]
    return results, outcomes[0]


async def _admin(mock: MockServer, contract: str, path: str) -> Any:
    url = f"{mock.url}/__intcheck/contracts/{contract}{path}"
    async with aiohttp.ClientSession() as session, session.get(url) as answer:
        return await answer.json()


def _saved(results: list[Result], name: str) -> str:
    prefix = f"saved {name} = "
    return next(r.message[len(prefix) :] for r in results if r.message.startswith(prefix))


async def test_a_text_its_receipt_and_a_mail_play_through_the_mock(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scenario, port = _story(monkeypatch)
    async with MockServer(scenario.plan, port=port, any_service_port=True) as mock:
        results, outcome = await _play(scenario, mock)
        inbox = (await _admin(mock, "sms-gateway", "/messages"))["messages"]
        found = await _admin(mock, "email-channel", "/search?query=subject:O20260001")
    messages = [f"{r.case} {r.check} {r.status.value}: {r.message}" for r in results]
    assert outcome.passed, messages
    assert [s["status"] for s in outcome.steps] == ["passed"] * 3
    # the id saved from the gateway's answer is the message the gateway holds ...
    message_id = _saved(results, "message_id")
    (sent,) = inbox
    assert (sent["id"], sent["to"]) == (message_id, "+4915112345678")
    # ... and the receipt step reported that very message delivered, signed as Vonage signs
    receipt = next(r for r in results if r.case.endswith("#2") and r.evidence is not None)
    assert receipt.evidence is not None
    body = str(receipt.evidence.request["body"])
    assert f"messageId={message_id}" in body and "status=delivered" in body and "sig=" in body
    # the mail the relay captured is the one the step handed over, and passes the mail checks
    (mail,) = found["messages"]
    assert mail["message_id"] == _saved(results, "mail_id")
    assert mail["to"][0]["address"] == "anna.schmidt@example.com"
    assert mail["failed_checks"] == []


async def test_a_gateway_that_fails_the_send_fails_the_story_and_skips_the_receipt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scenario, port = _story(monkeypatch)
    async with MockServer(scenario.plan, port=port, any_service_port=True) as mock:
        mock.behaviours.update("sms-gateway", "send", {"force": {"status": 503}})
        results, outcome = await _play(scenario, mock)
    assert [s["status"] for s in outcome.steps] == ["failed", "skipped", "passed"]
    failed = {r.check: r.message for r in results if r.status is Status.FAILED}
    assert failed["status_is_as_expected"] == "expected 200, got 503"
    skipped = next(r for r in results if r.status is Status.SKIPPED)
    assert "needs message_id" in skipped.message
