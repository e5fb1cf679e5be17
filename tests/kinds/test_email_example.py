"""The example plan's email-channel end to end: mock, probe against its relay, simulate."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import aiohttp
import pytest

from intcheck.contracts import load_plan
from intcheck.kinds.simulating import SimulationOptions
from intcheck.mock.server import MockServer
from intcheck.model import Status
from intcheck.probe import ProbeOptions, run_probe
from intcheck.simulate import run_simulation
from tests.kinds.email_support import host_port, message, relay_url

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.timeout(120)
NAME = "email-channel"


def _crm_sends(url: str) -> None:
    """What the CRM does: STARTTLS, AUTH with the contract's credentials, one case mail."""
    import smtplib

    from tests.kinds.email_support import unverified

    with smtplib.SMTP(*host_port(url), timeout=10) as client:
        client.starttls(context=unverified())
        client.login("crm", "demo-smtp-password")
        client.send_message(
            message(html='<p>See <a href="https://crm.example.com/c/42">case</a></p>')
        )


async def test_example_email_channel_through_mock_probe_and_simulate(
    example_plan_path: Path,
) -> None:
    plan = load_plan(example_plan_path, environ={})
    async with MockServer(plan) as mock:
        relay = relay_url(mock, NAME)
        await asyncio.to_thread(_crm_sends, relay)
        async with aiohttp.ClientSession() as session:
            url = f"{mock.url}/__intcheck/contracts/{NAME}/messages/latest"
            async with session.get(url) as answer:
                captured = await answer.json()
        probe = ProbeOptions(only=(NAME,), targets={NAME: relay}, insecure=True, timeout_s=10)
        probed = [r async for r in run_probe(plan, probe)]
        options = SimulationOptions(flows=6, chaos=True, seed=1, timeout_s=10)
        simulated = [
            r
            async for r in run_simulation(
                plan, options, only=(NAME,), targets={NAME: f"{mock.url}/{NAME}"}
            )
        ]
        _, entries = mock.journal.read()
    failed = {c["check"] for c in captured["checks"] if c["status"] == "failed"}
    assert failed == set()
    assert {r.status for r in probed} <= {Status.PASSED, Status.SKIPPED}
    skipped = {r.check for r in probed if r.status is Status.SKIPPED}
    assert skipped == {"certificate_is_trusted", "operation_is_probed"}  # --insecure; inbound
    assert [
        f"{r.case} {r.check}: {r.message}" for r in simulated if r.status is not Status.PASSED
    ] == []
    assert any(r.check == "signature_is_verified" for r in simulated)
    # the mock's stand-in CRM refused what a careful receiver refuses, and said why
    validations = {e["validation"] for e in entries if e["operation"] == "inbound"}
    assert {
        "ok",
        "bad-signature",
        "missing-signature",
        "stale-timestamp",
        "replayed-token",
    } <= validations
