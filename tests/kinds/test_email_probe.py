"""The SMTP probe against the mock relay, compliant and not, and against nothing at all."""

from __future__ import annotations

from typing import TYPE_CHECKING

import aiohttp
import pytest

from intcheck.mock.server import MockServer
from intcheck.model import Status
from intcheck.probe import ProbeOptions, run_probe
from tests.kinds.email_support import NON_COMPLIANT, compliant, email_plan, relay_url

if TYPE_CHECKING:
    from pathlib import Path

    from intcheck.model import Plan, Result

pytestmark = pytest.mark.timeout(90)

SESSION = "mail:relay#session"


async def _probe(plan: Plan, url: str, **options: object) -> dict[tuple[str, str], Result]:
    settings: dict[str, object] = {"timeout_s": 10, **options}
    chosen = ProbeOptions(targets={"mail": url}, **settings)  # type: ignore[arg-type]
    return {(r.case, r.check): r async for r in run_probe(plan, chosen)}


async def _certificate(mock: MockServer) -> str:
    url = f"{mock.url}/__intcheck/contracts/mail/certificate"
    async with aiohttp.ClientSession() as session, session.get(url) as answer:
        return await answer.text()


async def test_a_compliant_relay_passes_every_check(tmp_path: Path) -> None:
    async with MockServer(email_plan(tmp_path / "mock", compliant())) as mock:
        expectations = compliant(
            "      sink: sink@example.com\n      certificate: {ca_file: relay.pem, min_days: 14}"
        )
        pem = await _certificate(mock)
        plan = email_plan(tmp_path / "probe", expectations, extra_files={"relay.pem": pem})
        results = await _probe(plan, relay_url(mock))
        captured = len(mock.journal.read()[1])
    not_passed = {k: r.message for k, r in results.items() if r.status is not Status.PASSED}
    assert not_passed == {}
    checks = {check for case, check in results if case == SESSION}
    assert checks >= {
        "status_is_as_expected",
        "starttls_is_offered",
        "starttls_is_required",
        "certificate_is_trusted",
        "certificate_matches_hostname",
        "certificate_is_not_expiring",
        "auth_is_offered_only_after_tls",
        "size_fits_largest_message",
    }
    assert results[("mail:relay#login:PLAIN", "credentials_are_accepted")].status is Status.PASSED
    assert results[("mail:relay#login:LOGIN", "credentials_are_accepted")].status is Status.PASSED
    refused = results[("mail:relay#login:wrong-password", "wrong_credentials_are_refused")]
    assert refused.status is Status.PASSED
    sent = results[("mail:send#test-message", "test_message_is_accepted")]
    assert sent.status is Status.PASSED
    assert captured >= 1  # the test message reached the relay
    evidence = results[(SESSION, "starttls_is_offered")].evidence
    assert evidence is not None
    assert "STARTTLS" in evidence.details["before_tls"]["extensions"]
    assert evidence.details["tls"]["certificate"]["hostname_matches"] is True
    assert "relay-password-1" not in str([r.evidence for r in results.values()])


async def test_a_relay_without_starttls_that_takes_auth_in_the_clear_fails(tmp_path: Path) -> None:
    async with MockServer(email_plan(tmp_path / "mock", NON_COMPLIANT)) as mock:
        plan = email_plan(tmp_path / "probe", compliant())
        results = await _probe(plan, relay_url(mock))
    failed = {check for (case, check), r in results.items() if r.status is Status.FAILED}
    assert failed == {
        "starttls_is_offered",
        "starttls_is_required",
        "auth_is_offered_only_after_tls",
    }
    required = results[(SESSION, "starttls_is_required")]
    assert "AUTH LOGIN PLAIN is offered before STARTTLS" in required.message
    assert results[(SESSION, "starttls_is_offered")].severity.value == "critical"
    for check in (
        "certificate_is_trusted",
        "certificate_matches_hostname",
        "certificate_is_not_expiring",
    ):
        assert results[(SESSION, check)].status is Status.SKIPPED
    assert results[(SESSION, "status_is_as_expected")].status is Status.PASSED  # it did greet


async def test_an_untrusted_or_expiring_certificate_fails_and_insecure_skips_trust(
    tmp_path: Path,
) -> None:
    mocked = compliant("      certificate: {valid_days: 5}")
    async with MockServer(email_plan(tmp_path / "mock", mocked)) as mock:
        plan = email_plan(tmp_path / "probe", compliant())
        strict = await _probe(plan, relay_url(mock))
        lenient = await _probe(plan, relay_url(mock), insecure=True)
    trusted = strict[(SESSION, "certificate_is_trusted")]
    assert trusted.status is Status.FAILED and "self-signed" in trusted.message
    expiring = strict[(SESSION, "certificate_is_not_expiring")]
    assert expiring.status is Status.FAILED and "min_days 14" in expiring.message
    assert lenient[(SESSION, "certificate_is_trusted")].status is Status.SKIPPED
    assert lenient[(SESSION, "certificate_is_not_expiring")].status is Status.FAILED


async def test_read_only_holds_the_test_message_back(tmp_path: Path) -> None:
    async with MockServer(email_plan(tmp_path / "mock", compliant())) as mock:
        plan = email_plan(tmp_path / "probe", compliant("      sink: sink@example.com"))
        results = await _probe(plan, relay_url(mock), read_only=True, insecure=True)
        _, entries = mock.journal.read()
    held = results[("mail:send#test-message", "probe_is_read_only")]
    assert held.status is Status.SKIPPED
    assert "DATA" not in {e["method"] for e in entries}


async def test_a_relay_that_cannot_be_reached_is_errored_not_failed(tmp_path: Path) -> None:
    plan = email_plan(tmp_path, compliant())
    results = await _probe(plan, "smtp://127.0.0.1:9", timeout_s=3)
    # said once for the relay, not once per case, and never FAILED
    (outage,) = results.values()
    assert outage.status is Status.ERRORED and outage.case == "mail:*#target"
    assert "connection refused" in outage.message and "smtp://127.0.0.1:9" in outage.message
