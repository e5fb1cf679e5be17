"""Round trip: intcheck's own mock of the example plan passes intcheck's own probe."""

from __future__ import annotations

from typing import TYPE_CHECKING

from intcheck.mock.server import MockServer
from intcheck.model import Status
from intcheck.plugins import COVERAGE_CHECK
from intcheck.probe import ProbeOptions, run_probe

if TYPE_CHECKING:
    from intcheck.model import Plan


# The HTTP mocks the probe covers; erp-order-page's pages are also shown in headless Chromium.
MOCKED = ("customer-master", "order-service", "erp-order-page")


def _targets(mock: MockServer) -> dict[str, str]:
    return {name: f"{mock.url}/{name}" for name in MOCKED}


async def test_the_mock_passes_its_own_probe(plan: Plan) -> None:
    async with MockServer(plan, port=0) as mock:
        options = ProbeOptions(targets=_targets(mock), timeout_s=5)
        results = [r async for r in run_probe(plan, options)]
    not_passed = sorted(
        f"{r.status.value} {r.case} [{r.check}] {r.message}"
        for r in results
        if r.status is not Status.PASSED and r.check != COVERAGE_CHECK
    )
    assert not_passed == []
    assert {r.integration for r in results if r.check != COVERAGE_CHECK} == set(MOCKED)
    cases = {r.case for r in results}
    # every port of the WSDL is probed, and the credentials are enforced on both
    assert "order-service:GetOrder#soap11:auth:missing-credentials" in cases
    assert "order-service:GetOrder#soap12:auth:missing-credentials" in cases
    assert "customer-master:GET /customers/{id}#example:vip" in cases


async def test_read_only_sends_nothing_that_changes_data(plan: Plan) -> None:
    from intcheck.mock import JournalQuery

    async with MockServer(plan, port=0) as mock:
        options = ProbeOptions(targets=_targets(mock), timeout_s=5, read_only=True)
        results = [r async for r in run_probe(plan, options)]
        _, sent = mock.journal.read(JournalQuery())
    assert sent, "the read-only probe still sends the reads"
    assert {e["method"] for e in sent} <= {"GET", "POST"}
    # the only POSTs are SOAP calls, and none of them to an operation that writes
    posts = [e for e in sent if e["method"] == "POST"]
    assert {e["contract"] for e in posts} == {"order-service"}
    assert "PlaceOrder" not in {e["operation"] for e in posts}
    held = {r.case for r in results if r.check == "probe_is_read_only"}
    assert any(case.startswith("customer-master:DELETE /customers/{id}#") for case in held)
    assert any(case.startswith("order-service:PlaceOrder#") for case in held)
    assert all(r.status is Status.SKIPPED for r in results if r.check == "probe_is_read_only")
    assert not [r for r in results if r.status in (Status.FAILED, Status.ERRORED)]


async def test_probing_the_mock_again_raises_no_finding(plan: Plan) -> None:
    """The second run meets what the first changed (records created, erased, ids handed out
    again): the probe's own deletes go first, so a made-up id never erases a created record."""
    async with MockServer(plan, port=0) as mock:
        options = ProbeOptions(
            targets={"customer-master": f"{mock.url}/customer-master"},
            only=("customer-master",),
            timeout_s=5,
        )
        for _ in range(2):
            results = [r async for r in run_probe(plan, options)]
            bad = [
                f"{r.case} [{r.check}] {r.message}" for r in results if r.status is Status.FAILED
            ]
            assert bad == []
