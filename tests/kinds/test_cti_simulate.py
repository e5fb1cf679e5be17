"""``intcheck simulate`` for cti against a test CRM over loopback: what the CRM received, and
each defect caught by the check named for it."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import TYPE_CHECKING

import phonenumbers
import pytest

from intcheck.contracts import load_plan
from intcheck.kinds.simulating import SimulationOptions
from intcheck.model import Result, Status
from intcheck.simulate import run_simulation
from tests.servers.cti_crm import CtiCrm, Defect

if TYPE_CHECKING:
    from pathlib import Path

    from intcheck.model import Plan

TIMED = {"latency_within_max_ms", "screen_pop_p95_within_sla", "p95_latency_within_sla"}


@pytest.fixture(scope="module")
def plan(example_plan_path: Path) -> Plan:
    return load_plan(example_plan_path, environ={})


async def simulate(plan: Plan, crm: CtiCrm, **options: object) -> list[Result]:
    chosen = SimulationOptions(**{"flows": 30, "pace": 0, "concurrency": 8, **options})  # type: ignore[arg-type]
    async with asyncio.timeout(60):
        return [
            r
            async for r in run_simulation(
                plan, chosen, only=("pbx-screen-pop",), targets={"pbx-screen-pop": crm.url}
            )
        ]


def failed(results: list[Result]) -> dict[str, list[Result]]:
    found: dict[str, list[Result]] = {}
    for result in results:
        if result.status is Status.FAILED:
            found.setdefault(result.check, []).append(result)
    return found


def form(caller: str) -> str:
    """How this test reads a caller ID's form (a second opinion to intcheck's callerid)."""
    if caller.lower() in ("", "anonymous", "restricted", "unavailable"):
        return "withheld"
    if caller.startswith(("tel:", "sip:")):
        return caller[:3]
    if caller.startswith("+"):
        return "e164"
    if caller.startswith("00"):
        return "00"
    return "national" if caller.startswith("0") else "digits"


async def test_a_correct_crm_gets_signed_calls_in_order_in_every_form(plan: Plan) -> None:
    async with CtiCrm() as crm:
        results = await simulate(plan, crm, flows=40, seed=3)
    bad = [f"{r.case} {r.check}: {r.message}" for r in results if r.status is not Status.PASSED]
    assert [b for b in bad if not any(t in b for t in TIMED)] == []
    # every callback the CRM got was signed with the shared secret, and fresh
    assert crm.received and all(r.signature_valid and r.fresh for r in crm.received)
    # per call, the events came in flow order, each call starting with ringing
    calls: dict[str, list[str]] = {}
    for got in crm.received:
        calls.setdefault(got.fields["callid"], []).append(got.fields["event"])
    assert len(calls) == 40
    for events in calls.values():
        assert events[0] == "ringing"
        assert "hangup" not in events[:-1], events  # nothing after the hang-up
        if "answered" in events:
            assert events.index("ringing") < events.index("answered") < events.index("hangup")
    # the contract's mix: every declared form arrived, and withheld and unknown callers too
    forms = Counter(
        form(got.fields["caller"]) for got in crm.received if got.fields["event"] == "ringing"
    )
    assert {"national", "e164", "00", "digits", "tel", "sip", "withheld"} <= set(forms)
    statuses = Counter(got.status for got in crm.received if got.fields["event"] == "ringing")
    assert statuses[404] >= 2  # unknown and withheld callers: the contract's 404
    # the fields a PBX sends, as the contract names them
    first = crm.received[0].fields
    assert set(first) == {
        "caller",
        "called",
        "callid",
        "ext",
        "event",
        "ts",
        "queue",
        "duration",
        "disposition",
    }
    assert phonenumbers.is_valid_number(phonenumbers.parse(first["called"]))
    hangups = [g.fields for g in crm.received if g.fields["event"] == "hangup"]
    assert hangups and all(
        h["disposition"] in ("answered", "no-answer", "canceled") for h in hangups
    )
    assert all(h["duration"].isdigit() for h in hangups)
    # the totals: one result per form, and the latency figures
    by_form = {
        r.case.rsplit(":", 1)[1]: r for r in results if r.check == "caller_is_popped_in_every_form"
    }
    assert set(by_form) == {"national", "e164", "00", "digits", "tel", "sip"}
    table = by_form["national"].evidence.details["forms"]  # type: ignore[union-attr]
    assert table["national"]["popped"] == table["national"]["calls"] > 0
    (latency,) = [r for r in results if r.check == "screen_pop_p95_within_sla"]
    assert {"p50_ms", "p95_ms", "p99_ms"} <= set(latency.evidence.details)  # type: ignore[union-attr]


async def test_a_crm_that_misses_the_national_form_fails_that_form_only(plan: Plan) -> None:
    async with CtiCrm(Defect.NO_NATIONAL_FORM) as crm:
        results = await simulate(plan, crm, flows=40, seed=3)
    by_form = {
        r.case.rsplit(":", 1)[1]: r.status
        for r in results
        if r.check == "caller_is_popped_in_every_form"
    }
    assert by_form["national"] is Status.FAILED
    assert by_form["digits"] is Status.FAILED
    assert {by_form[f] for f in ("e164", "00", "tel", "sip")} == {Status.PASSED}
    popped = failed(results)["caller_is_popped"]
    assert all(r.case.endswith((":national", ":digits")) for r in popped)
    national = next(
        r
        for r in results
        if r.check == "caller_is_popped_in_every_form" and r.case.endswith(":national")
    )
    assert "were not popped when the number came as national" in national.message


async def test_a_crm_that_ignores_signatures_is_caught(plan: Plan) -> None:
    async with CtiCrm(Defect.IGNORES_SIGNATURES) as crm:
        results = await simulate(plan, crm, flows=4, chaos=True)
    found = failed(results)
    for check in (
        "signature_is_verified",
        "unsigned_callback_is_rejected",
        "stale_callback_is_rejected",
    ):
        assert check in found, check
    assert "anyone could pop screens" in found["signature_is_verified"][0].message
    # the forged callbacks really were forged: the CRM's own check says so
    assert any(not r.signature_valid for r in crm.received)
    assert any(r.signature_valid and not r.fresh for r in crm.received)


async def test_a_correct_crm_passes_the_chaos(plan: Plan) -> None:
    async with CtiCrm() as crm:
        results = await simulate(plan, crm, flows=4, chaos=True)
    bad = [f"{r.case} {r.check}: {r.message}" for r in results if r.status is not Status.PASSED]
    assert [b for b in bad if not any(t in b for t in TIMED)] == []
    checks = {r.check for r in results}
    assert {
        "repeat_gets_the_same_answer",
        "repeat_is_not_popped_twice",
        "late_event_is_tolerated",
        "signature_is_verified",
        "unsigned_callback_is_rejected",
        "stale_callback_is_rejected",
    } <= checks
    # the duplicate reached the CRM twice, byte for byte; the retry was newly signed
    targets = Counter(r.raw_target for r in crm.received)
    assert max(targets.values()) == 2
    # hang-up before answered: the out-of-order call
    orders = {}
    for got in crm.received:
        orders.setdefault(got.fields["callid"], []).append(got.fields["event"])
    assert ["ringing", "hangup", "answered"] in orders.values()


async def test_a_crm_that_pops_twice_on_a_repeat_is_caught(plan: Plan) -> None:
    async with CtiCrm(Defect.POPS_TWICE) as crm:
        results = await simulate(plan, crm, flows=2, chaos=True)
    twice = failed(results)["repeat_is_not_popped_twice"]
    assert {r.case.split("#")[1].rsplit("-", 1)[0] for r in twice} == {
        "chaos-duplicate",
        "chaos-retry",
    }
    assert "popped the screen again" in twice[0].message
    assert max(crm.pops.values()) == 2  # the CRM did pop twice


async def test_a_crm_that_pops_a_withheld_caller_is_caught(plan: Plan) -> None:
    async with CtiCrm(Defect.POPS_WITHHELD) as crm:
        results = await simulate(plan, crm, flows=40, seed=5)
    wrong = failed(results)["caller_is_not_popped"]
    assert wrong and "is nobody's number, yet the answer pops C0000" in wrong[0].message


async def test_a_slow_crm_misses_the_screen_pop_sla(plan: Plan) -> None:
    async with CtiCrm(Defect.SLOW) as crm:
        results = await simulate(plan, crm, flows=6, concurrency=6)
    found = failed(results)
    assert "max_ms is 250 ms" in found["latency_within_max_ms"][0].message
    (p95,) = found["screen_pop_p95_within_sla"]
    assert "SLA p95 is 250 ms" in p95.message
    assert p95.evidence is not None and p95.evidence.details["p95_ms"] >= 400


async def test_an_unreachable_crm_is_errored_not_failed(plan: Plan) -> None:
    crm = CtiCrm(url="http://127.0.0.1:9")  # discard port: refused
    results = await simulate(plan, crm, flows=2, timeout_s=2)
    judged = [r for r in results if r.check in ("status_is_as_expected", "caller_is_popped")]
    assert judged and {r.status for r in judged} == {Status.ERRORED}
    assert not failed(results).get("caller_is_popped")
