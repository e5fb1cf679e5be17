"""A Twilio-style cti contract: Twilio's field names, form-encoded POSTs and X-Twilio-Signature,
checked by a client that signs as Twilio's own validator computes (written out here)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import pytest

from intcheck.contracts import load_plan
from intcheck.kinds.simulating import SimulationOptions
from intcheck.mock import MockServer
from intcheck.model import Plan, Status
from intcheck.simulate import run_simulation
from tests.conftest import REPO

TOKEN = "twilio-test-token"
CONTRACT = f"""\
kind: cti
name: twilio-voice
style: twilio
request:
  path: /twilio/status
events: [ringing, answered, hangup]
expect:
  status: 200
  max_ms: 1000
  fields:
    /customer_id: "{{customer_id}}"
duplicates:
  popped: /popped
signature:
  scheme: twilio
  secret: ${{TWILIO_AUTH_TOKEN:-{TOKEN}}}
mock:
  dataset: {REPO / "mocks" / "master-data.yaml"}
"""


def twilio_signature(url: str, params: dict[str, str], token: str = TOKEN) -> str:
    message = url + "".join(k + params[k] for k in sorted(params))
    digest = hmac.new(token.encode(), message.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


@pytest.fixture
def plan(tmp_path: Path) -> Plan:
    (tmp_path / "plan.yaml").write_text("name: t\nintegrations:\n  - contract: voice.yaml\n")
    (tmp_path / "voice.yaml").write_text(CONTRACT)
    return load_plan(tmp_path / "plan.yaml", environ={})


@pytest.fixture
async def mock(plan: Plan) -> AsyncIterator[MockServer]:
    async with asyncio.timeout(30), MockServer(plan) as server:
        yield server


def params(status: str, caller: str = "+4915112345678") -> dict[str, str]:
    return {
        "CallSid": "CA" + "0123456789abcdef" * 2,
        "AccountSid": "AC" + "f" * 32,
        "From": caller,
        "To": "+4930901820",
        "CallStatus": status,
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
    }


async def post(
    url: str, fields: dict[str, str], signature: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, object]]:
    sent = {
        "X-Twilio-Signature": signature,
        "Content-Type": "application/x-www-form-urlencoded",
        **(headers or {}),
    }
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session,
        session.post(url, data=urlencode(fields), headers=sent) as response,
    ):
        return response.status, await response.json(content_type=None)


async def test_a_twilio_status_callback_pops_and_a_forged_one_is_refused(mock: MockServer) -> None:
    url = f"{mock.url}/twilio-voice/twilio/status"
    fields = params("ringing")
    status, pop = await post(url, fields, twilio_signature(url, fields))
    assert (status, pop["customer_id"], pop["popped"]) == (200, "C000001", True)
    status, _ = await post(url, fields, twilio_signature(url, fields, "guessed-token"))
    assert status == 401
    ended = params("completed") | {"CallDuration": "61"}
    status, _ = await post(url, ended, twilio_signature(url, ended))
    assert status == 200
    callbacks = [e for e in mock.journal.read()[1] if e["protocol"] == "http"]
    assert [(e["operation"], e["validation"]) for e in callbacks] == [
        ("ringing", "ok"),
        ("ringing", "bad-signature"),
        ("hangup", "ok"),
    ]


async def test_behind_a_proxy_the_url_twilio_signed_is_the_public_one(mock: MockServer) -> None:
    # Twilio signs the URL it was given; a TLS-terminating proxy forwards to the mock
    public = "https://crm.example.com/twilio-voice/twilio/status"
    fields = params("ringing")
    forwarded = {"X-Forwarded-Proto": "https", "Host": "crm.example.com"}
    status, _ = await post(
        f"{mock.url}/twilio-voice/twilio/status",
        fields,
        twilio_signature(public, fields),
        forwarded,
    )
    assert status == 200


async def test_the_simulator_speaks_twilio_to_the_mock(plan: Plan, mock: MockServer) -> None:
    options = SimulationOptions(flows=12, pace=0, chaos=True, concurrency=4)
    targets = {"twilio-voice": f"{mock.url}/twilio-voice"}
    async with asyncio.timeout(60):
        results = [r async for r in run_simulation(plan, options, targets=targets)]
    bad = [f"{r.case} {r.check}: {r.message}" for r in results if r.status is Status.FAILED]
    assert [b for b in bad if "latency" not in b] == []
    got = [e for e in mock.journal.read()[1] if e["protocol"] == "http" and e["method"] == "POST"]
    bodies = [dict(p.split("=", 1) for p in e["body"].split("&")) for e in got]
    assert all(b["CallSid"].startswith("CA") and len(b["CallSid"]) == 34 for b in bodies)
    assert {b["CallStatus"] for b in bodies} >= {"ringing", "in-progress", "completed"}
    assert all("AccountSid" in b and b["ApiVersion"] == "2010-04-01" for b in bodies)
    assert {e["validation"] for e in got} >= {"ok", "bad-signature", "missing-signature"}
    assert all(
        e["headers"]["X-Twilio-Signature"] == "***"
        for e in got
        if "X-Twilio-Signature" in e["headers"]
    )
