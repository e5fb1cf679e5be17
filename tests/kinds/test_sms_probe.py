"""``intcheck probe`` for sms: the mock gateway passes, a defective one is caught, no stray SMS."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import aiohttp
import pytest

from intcheck.contracts import load_plan
from intcheck.mock import MockServer
from intcheck.model import Status
from intcheck.probe import ProbeOptions, run_probe
from tests.kinds.sms_support import PROVIDERS, TWILIO_SID, TWILIO_TOKEN, write_plan
from tests.servers.sms_gateway import CAUGHT_BY, Defect, TwilioLikeGateway

if TYPE_CHECKING:
    from pathlib import Path

    from intcheck.model import Plan, Result


async def _probe(plan: Plan, url: str, **options: object) -> list[Result]:
    probing = ProbeOptions(targets={"sms": url}, timeout_s=5, **options)  # type: ignore[arg-type]
    async with asyncio.timeout(60):
        return [r async for r in run_probe(plan, probing)]


def _bad(results: list[Result]) -> list[str]:
    return [
        f"{r.status.value} {r.case} {r.check}: {r.message}"
        for r in results
        if r.status in (Status.FAILED, Status.ERRORED)
    ]


async def _inbox(mock: MockServer) -> list[dict[str, object]]:
    url = f"{mock.url}/__intcheck/contracts/sms/messages"
    async with aiohttp.ClientSession() as client, client.get(url) as response:
        messages: list[dict[str, object]] = (await response.json())["messages"]
        return messages


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_the_mock_gateway_passes_the_probe_in_each_style(
    tmp_path: Path, provider: str
) -> None:
    plan = write_plan(tmp_path, provider)
    async with MockServer(plan) as mock:
        results = await _probe(plan, f"{mock.url}/sms")
        sent = await _inbox(mock)
    assert _bad(results) == []
    passed = {(r.case.split("#")[1], r.check) for r in results if r.status is Status.PASSED}
    assert ("auth:missing-credentials", "auth_is_enforced") in passed
    assert ("negative:invalid-recipient", "invalid_send_is_refused") in passed
    assert ("negative:too-many-segments", "invalid_send_is_refused") in passed
    assert ("contract:gsm-7", "send_is_accepted") in passed
    # only the two accepted cases sent real messages, and only to the contract's test number
    assert [(m["to"], m["segments"]) for m in sent] == [("+447700900456", 2)] * 2
    if provider != "infobip":  # Infobip counts segments in its receipts only
        assert ("contract:ucs-2", "segments_are_counted") in passed


async def test_without_test_numbers_no_real_message_is_sent(tmp_path: Path) -> None:
    write_plan(tmp_path, "twilio")
    contract = (tmp_path / "sms.yaml").read_text().replace('test_numbers: ["+447700900456"]\n', "")
    (tmp_path / "sms.yaml").write_text(contract)
    plan = load_plan(tmp_path / "plan.yaml", environ={})
    async with MockServer(plan) as mock:
        results = await _probe(plan, f"{mock.url}/sms")
        sent = await _inbox(mock)
    assert sent == []
    skipped = {r.case: r for r in results if r.check == "test_number_is_named"}
    assert set(skipped) == {
        "sms:send#contract:gsm-7",
        "sms:send#contract:ucs-2",
        "sms:send#negative:too-many-segments",  # 460 characters: Twilio itself would send it
    }
    assert all("would deliver a real SMS" in r.message for r in skipped.values())
    assert _bad(results) == []
    assert {"sms:send#negative:empty-body", "sms:send#auth:missing-credentials"} <= {
        r.case for r in results if r.status is Status.PASSED
    }


async def test_read_only_holds_back_the_sends_that_deliver(tmp_path: Path) -> None:
    plan = write_plan(tmp_path, "vonage")
    async with MockServer(plan) as mock:
        results = await _probe(plan, f"{mock.url}/sms", read_only=True)
        sent = await _inbox(mock)
    held = {r.case for r in results if r.check == "probe_is_read_only"}
    assert held == {
        "sms:send#contract:gsm-7",
        "sms:send#contract:ucs-2",
        "sms:send#negative:too-many-segments",
    }
    assert sent == [] and _bad(results) == []


async def test_without_a_gateway_url_the_probe_says_so(tmp_path: Path) -> None:
    plan = write_plan(tmp_path, "generic")  # target is the CRM; no send.url
    results = [r async for r in run_probe(plan, ProbeOptions(timeout_s=2))]
    (skipped,) = [r for r in results if r.case == "sms:send#contract:send"]
    assert skipped.status is Status.SKIPPED
    assert "set send.url or pass --target sms=URL" in skipped.message


@pytest.mark.parametrize("defect", list(CAUGHT_BY), ids=lambda d: d.value)
async def test_each_gateway_defect_fails_the_check_named_for_it(
    tmp_path: Path, defect: Defect
) -> None:
    plan = write_plan(tmp_path, "twilio")
    async with TwilioLikeGateway(TWILIO_SID, TWILIO_TOKEN, defect) as gateway:
        results = await _probe(plan, gateway.url)
    failed = [r for r in results if r.status is Status.FAILED]
    assert CAUGHT_BY[defect] in {r.check for r in failed}, _bad(results)
    assert not [r for r in results if r.status is Status.ERRORED]


async def test_a_correct_twilio_like_gateway_passes(tmp_path: Path) -> None:
    plan = write_plan(tmp_path, "twilio")
    async with TwilioLikeGateway(TWILIO_SID, TWILIO_TOKEN) as gateway:
        results = await _probe(plan, gateway.url)
    assert _bad(results) == []
    assert [m["To"] for m in gateway.sent] == ["+447700900456"] * 2
