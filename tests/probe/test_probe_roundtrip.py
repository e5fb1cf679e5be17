"""Round trip: intcheck's own mock of the example plan passes intcheck's own probe."""

from __future__ import annotations

from typing import TYPE_CHECKING

from intcheck.mock.server import MockServer
from intcheck.model import Status
from intcheck.probe import ProbeOptions, run_probe

if TYPE_CHECKING:
    from intcheck.model import Plan


async def test_the_mock_passes_its_own_probe(plan: Plan) -> None:
    async with MockServer(plan, port=0) as mock:
        targets = {name: f"{mock.url}/{name}" for name in ("customer-master", "order-service")}
        options = ProbeOptions(targets=targets, timeout_s=5)
        results = [r async for r in run_probe(plan, options)]
    not_passed = sorted(
        f"{r.status.value} {r.case} [{r.check}] {r.message}"
        for r in results
        if r.status is not Status.PASSED
    )
    assert not_passed == []
    assert {r.integration for r in results} == {"customer-master", "order-service"}
    cases = {r.case for r in results}
    # every port of the WSDL is probed, and the credentials are enforced on both
    assert "order-service:GetOrder#soap11:auth:missing-credentials" in cases
    assert "order-service:GetOrder#soap12:auth:missing-credentials" in cases
    assert "customer-master:GET /customers/{id}#example:vip" in cases
