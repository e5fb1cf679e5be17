"""The cti contract as settings, its callers and its call flows (no sockets)."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest

from intcheck.contracts import load_plan
from intcheck.data import merged_collections
from intcheck.kinds.callerid import same_caller
from intcheck.kinds.cti.callers import KNOWN, UNKNOWN, WITHHELD, CallerBook
from intcheck.kinds.cti.contract import CtiContract
from intcheck.kinds.cti.events import (
    ABANDON_S,
    DUPLICATE,
    LATE,
    RETRY,
    RING_TIMEOUT_S,
    STALE,
    TALK_S,
    chaos_steps,
    flow_steps,
    plan_calls,
)
from intcheck.model import Plan
from tests.conftest import EXAMPLE_PLAN


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_plan(EXAMPLE_PLAN, environ={})


@pytest.fixture(scope="module")
def settings(plan: Plan) -> CtiContract:
    return CtiContract.of(plan.contract("pbx-screen-pop"))


def _contract(tmp_path: Path, body: str) -> CtiContract:
    (tmp_path / "plan.yaml").write_text("name: t\nintegrations:\n  - contract: c.yaml\n")
    (tmp_path / "c.yaml").write_text(body)
    plan = load_plan(tmp_path / "plan.yaml", environ={})
    return CtiContract.of(plan.contracts[0])


def test_the_example_contract_as_settings(settings: CtiContract) -> None:
    assert (settings.method, settings.path, settings.encoding) == ("GET", "/cti/incoming", "")
    assert settings.query["caller"] == "{caller_id}"
    assert settings.region == "DE" and settings.primary_form == "national"
    assert settings.declared_forms == {"national", "e164", "00", "digits", "tel", "sip"}
    assert settings.withheld_as == ("anonymous", "restricted", "", "unavailable")
    assert settings.signing.timestamp_header == "X-Signature-Timestamp"
    assert settings.signing.max_age_s == 300 and settings.signing.reject == (401, 403)
    assert settings.known.status == ("200",) and settings.unknown.status == ("404",)
    assert settings.duplicate_key == ("call_id", "event", "agent_ext")
    assert settings.popped == "/popped"
    # the expectations point back at the lines that wrote them
    assert settings.sources.fields.line > settings.sources.expect.line > 0


def test_twilio_style_has_twilios_fields_names_and_signature(tmp_path: Path) -> None:
    twilio = _contract(
        tmp_path,
        "kind: cti\nname: voice\nstyle: twilio\nrequest: {path: /twilio/voice}\n"
        "signature: {scheme: twilio, secret: token}\n",
    )
    assert (twilio.method, twilio.encoding) == ("POST", "form")
    assert {"CallSid", "From", "To", "CallStatus", "Direction", "ApiVersion"} <= set(twilio.body)
    assert twilio.body["AccountSid"].startswith("AC") and len(twilio.body["AccountSid"]) == 34
    assert twilio.signing.header == "X-Twilio-Signature"
    assert twilio.wire_name("answered") == "in-progress"
    assert twilio.wire_name("hangup", "no-answer") == "no-answer"
    assert twilio.event_of("canceled") == "hangup"
    assert twilio.primary_form == "e164"
    assert "+266696687" in twilio.withheld_as  # Twilio's ANONYMOUS sentinel


def test_a_pbx_spells_its_events_its_own_way(tmp_path: Path) -> None:
    spelt = _contract(
        tmp_path,
        "kind: cti\nname: pbx\nrequest: {path: /x, query: {c: '{caller_id}', e: '{event}'}}\n"
        "event_names: {ringing: alerting, hangup: ended}\n",
    )
    assert spelt.wire_name("ringing") == "alerting"
    assert spelt.event_of("ended") == "hangup"
    assert spelt.event_of("ringing") is None  # spelt otherwise by this PBX


def test_callers_come_in_the_contracts_mix(plan: Plan, settings: CtiContract) -> None:
    book = CallerBook.of(merged_collections(plan), "DE")
    # the switchboard two customers share is nobody's in particular
    assert "+493012345600" in book.known_numbers
    assert all(c.e164 != "+493012345600" for c in book.customers)
    callers = book.mix(settings, 100, random.Random(1))
    kinds = Counter(c.kind for c in callers)
    assert kinds == {KNOWN: 85, UNKNOWN: 10, WITHHELD: 5}
    known = [c for c in callers if c.kind == KNOWN]
    assert {c.form for c in known} == set(settings.forms)
    for caller in known:
        assert caller.customer is not None
        assert same_caller(caller.number, caller.customer.e164, "DE"), caller
    for caller in (c for c in callers if c.kind == UNKNOWN):
        assert not any(same_caller(caller.number, n, "DE") for n in book.known_numbers)
    assert {c.number for c in callers if c.kind == WITHHELD} <= set(settings.withheld_as)


def test_a_short_run_still_covers_every_form(plan: Plan, settings: CtiContract) -> None:
    book = CallerBook.of(merged_collections(plan), "DE")
    callers = book.mix(settings, 8, random.Random(2))
    assert {c.form for c in callers if c.kind == KNOWN} == set(settings.forms)


def test_a_foreign_caller_comes_with_the_international_prefix_through_a_national_pbx(
    plan: Plan, settings: CtiContract
) -> None:
    book = CallerBook.of(merged_collections(plan), "DE")
    marie = next(c for c in book.customers if c.id == "C000003")
    assert book.known(marie, "national", "DE").number == "0033612345678"


def test_flows_follow_the_declared_events_with_realistic_waits(settings: CtiContract) -> None:
    rng = random.Random(4)
    for _ in range(50):
        abandoned = flow_steps("abandoned", settings, rng)
        assert [s.event for s in abandoned] == ["ringing", "hangup"]
        assert ABANDON_S[0] <= abandoned[1].wait_s <= ABANDON_S[1]
        assert abandoned[1].disposition == "canceled"
        # no "missed" event in this contract: a missed call ends with a no-answer hang-up
        missed = flow_steps("missed", settings, rng)
        assert [(s.event, s.disposition) for s in missed] == [
            ("ringing", ""),
            ("hangup", "no-answer"),
        ]
        assert missed[1].wait_s >= RING_TIMEOUT_S[0]
        answered = flow_steps("answered", settings, rng)
        assert [s.event for s in answered][-2:] == ["answered", "hangup"]
        assert answered[-1].duration_s <= TALK_S[1] and answered[-1].disposition == "answered"
        transferred = flow_steps("transferred", settings, rng)
        events = [(s.event, s.agent_ext) for s in transferred]
        assert [e for e, _ in events] == ["ringing", "answered", "ringing", "answered", "hangup"]
        assert events[0][1] != events[2][1]  # the call rings the next agent


def test_a_pbx_that_reports_missed_calls_says_so(tmp_path: Path) -> None:
    settings = _contract(
        tmp_path,
        "kind: cti\nname: pbx\nrequest: {path: /x, query: {c: '{caller_id}', e: '{event}'}}\n"
        "events: [ringing, answered, missed, hangup, held, transferred]\n",
    )
    rng = random.Random(5)
    assert [s.event for s in flow_steps("missed", settings, rng)] == ["ringing", "missed", "hangup"]
    flows = [[s.event for s in flow_steps("answered", settings, rng)] for _ in range(40)]
    assert any("held" in f for f in flows)
    transferred = [s.event for s in flow_steps("transferred", settings, rng)]
    assert transferred.index("transferred") == 2


def test_calls_follow_the_contracts_mix_with_unique_ids(plan: Plan, settings: CtiContract) -> None:
    rng = random.Random(6)
    book = CallerBook.of(merged_collections(plan), "DE")
    calls = plan_calls(settings, book.mix(settings, 200, rng), rng)
    flows = Counter(c.flow for c in calls)
    assert set(flows) == {"answered", "missed", "abandoned", "transferred"}
    assert flows["answered"] > flows["transferred"]
    assert len({c.call_id for c in calls}) == 200
    seconds, sequence = calls[0].call_id.split(".")
    assert seconds.isdigit() and sequence.isdigit()  # Asterisk's Linkedid


def test_chaos_twists_the_pop_event(settings: CtiContract) -> None:
    rng = random.Random(7)
    duplicate = chaos_steps(DUPLICATE, settings, rng)
    assert duplicate is not None
    assert [(s.event, s.twist) for s in duplicate][:2] == [("ringing", ""), ("ringing", DUPLICATE)]
    retry = chaos_steps(RETRY, settings, rng)
    assert retry is not None and retry[1].wait_s == 0.25  # after the PBX's 250 ms budget
    late = chaos_steps(LATE, settings, rng)
    assert late is not None
    assert [(s.event, s.twist) for s in late] == [
        ("ringing", ""),
        ("hangup", ""),
        ("answered", LATE),
    ]
    stale = chaos_steps(STALE, settings, rng)
    assert stale is not None
    assert [(s.event, s.twist) for s in stale][:2] == [("ringing", STALE), ("ringing", "")]
