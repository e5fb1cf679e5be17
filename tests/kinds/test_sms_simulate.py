"""``intcheck simulate`` for sms against a test CRM on loopback: what arrived, what was caught."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import TYPE_CHECKING

import pytest

from intcheck.contracts import load_plan
from intcheck.kinds.sms.contract import SmsContract
from intcheck.kinds.sms.simulator import TEXTS
from intcheck.mock import JournalQuery, MockServer
from intcheck.model import Status
from intcheck.simulate import SimulationOptions, run_simulation
from tests.kinds.sms_support import PROVIDERS, write_plan
from tests.servers.sms_crm import CAUGHT_BY, Defect, SmsCrm

if TYPE_CHECKING:
    from pathlib import Path

    from intcheck.model import Plan, Result

CUSTOMERS = {"+4915112345678", "+493012345670", "+33612345678", "+390612345678"}


async def _simulate(plan: Plan, url: str, *, flows: int = 18, chaos: bool = True) -> list[Result]:
    options = SimulationOptions(flows=flows, chaos=chaos, pace=0, seed=3, timeout_s=5)
    async with asyncio.timeout(60):
        return [r async for r in run_simulation(plan, options, targets={"sms": url})]


def _not_passed(results: list[Result]) -> list[str]:
    return sorted(
        f"{r.status.value} {r.case} {r.check}: {r.message}"
        for r in results
        if r.status in (Status.FAILED, Status.ERRORED)
    )


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_correct_crm_passes_and_receives_every_kind_of_message(
    tmp_path: Path, provider: str
) -> None:
    plan = write_plan(tmp_path, provider)
    async with SmsCrm(SmsContract.of(plan.contract("sms"))) as crm:
        results = await _simulate(plan, crm.url)
    assert _not_passed(results) == []
    cases = {r.case for r in results}
    for variant in ("plain", "long", "unicode", "opt-out", "unknown-sender", "emoji"):
        assert any("sms:inbound#msg-" in c and f":{variant}" in c for c in cases), variant
    # what arrived: dataset customers, texts intact (Vonage's parts reassembled), STOP noted
    texts = {m["text"] for m in crm.messages}
    long = TEXTS["long"].format(order="O20260002")  # Vonage posts its 3 parts out of order
    assert long in texts
    assert any("Dziękuję 🙂" in t for t in texts)
    assert {m["from"].lstrip("+") for m in crm.messages} & {c[1:] for c in CUSTOMERS}
    assert crm.opted_out, "the opt-out keyword reached the CRM"
    # forged webhooks were refused by the CRM's own verification, genuine ones all accepted
    forged = [r for r in results if r.check == "auth_is_enforced"]
    refused = Counter(crm.refused)
    if provider == "infobip":
        assert refused == Counter({"auth": sum(r.status is Status.PASSED for r in forged)})
    else:
        assert refused["signature"] >= 2
    if provider == "vonage":
        assert refused["stale"] >= 1  # the replay an hour old
    # receipts, including a late intermediate one after the final status
    assert any(len(s) >= 2 for s in crm.statuses.values())
    duplicates = [r for r in results if r.check == "duplicate_is_not_processed_twice"]
    expected = Status.SKIPPED if provider == "twilio" else Status.PASSED
    assert duplicates and {r.status for r in duplicates} == {expected}


@pytest.mark.parametrize(
    ("defect", "provider"),
    [
        (Defect.IGNORES_SIGNATURE, "vonage"),
        (Defect.IGNORES_SIGNATURE, "twilio"),
        (Defect.DOUBLE_PROCESSES, "generic"),
        (Defect.REJECTS_DUPLICATE, "vonage"),
        (Defect.CRASHES_ON_UNICODE, "infobip"),
        (Defect.REPLIES_TO_STOP, "twilio"),
        (Defect.REJECTS_LATE_STATUS, "generic"),
    ],
    ids=lambda v: v.value if isinstance(v, Defect) else v,
)
async def test_each_crm_defect_fails_the_check_named_for_it(
    tmp_path: Path, defect: Defect, provider: str
) -> None:
    plan = write_plan(tmp_path, provider)
    async with SmsCrm(SmsContract.of(plan.contract("sms")), defect) as crm:
        results = await _simulate(plan, crm.url)
    failed = [r for r in results if r.status is Status.FAILED]
    assert CAUGHT_BY[defect] in {r.check for r in failed}, _not_passed(results)
    # the CRM answered, so nothing is ERRORED: FAILED and ERRORED are never merged
    assert not [r for r in results if r.status is Status.ERRORED]
    finding = next(r for r in failed if r.check == CAUGHT_BY[defect])
    assert finding.evidence is not None and finding.evidence.curl.startswith("curl ")
    if defect is Defect.DOUBLE_PROCESSES:
        assert "stored again" in finding.message
    if defect is Defect.REJECTS_LATE_STATUS:
        assert finding.case.endswith(":out-of-order")


async def test_without_chaos_only_genuine_webhooks_are_sent(tmp_path: Path) -> None:
    plan = write_plan(tmp_path, "vonage")
    async with SmsCrm(SmsContract.of(plan.contract("sms")), Defect.IGNORES_SIGNATURE) as crm:
        results = await _simulate(plan, crm.url, flows=6, chaos=False)
    assert _not_passed(results) == []
    assert not [r for r in results if r.check == "auth_is_enforced"]
    assert len({r.case.split("#")[1].split(":")[0] for r in results}) == 6  # six flows


async def test_the_example_plan_simulates_against_its_own_mock(example_plan_path: Path) -> None:
    """End to end: the mock serves the CRM-side webhooks the simulator posts to."""
    plan = load_plan(example_plan_path, environ={})
    async with asyncio.timeout(60), MockServer(plan) as mock:
        options = SimulationOptions(flows=12, chaos=True, pace=0, timeout_s=5)
        targets = {"sms-gateway": f"{mock.url}/sms-gateway"}
        results = [
            r async for r in run_simulation(plan, options, only=("sms-gateway",), targets=targets)
        ]
        _, entries = mock.journal.read(JournalQuery(contract="sms-gateway"))
    assert _not_passed(results) == []
    verdicts = Counter(e["validation"] for e in entries)
    assert verdicts["ok"] >= 12
    assert verdicts["bad-signature"] and verdicts["missing-signature"]
    assert verdicts["stale-timestamp"] == 2  # chaos flows 3 and 7 of the 8 inbound ones
