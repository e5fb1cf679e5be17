"""The example services, correct and with one defect at a time, probed end to end."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from intcheck.model import Status
from intcheck.plugins import COVERAGE_CHECK, Registry
from tests.servers.example_services import CAUGHT_BY, SOAP_DEFECTS, Defect, ExampleServices
from tests.servers.probe_helpers import probe, targets_for

if TYPE_CHECKING:
    from intcheck.model import Plan


async def test_correct_services_pass_every_check(plan: Plan) -> None:
    # the example services are REST and SOAP; every contract the probe cannot check is named
    uncovered = {c.name for c in Registry.default().uncovered(plan, "probe")}
    only = ("customer-master", "order-service", *sorted(uncovered))
    async with ExampleServices() as services:
        results = await probe(plan, only=only, targets=targets_for(services.url), timeout_s=5)
    checked = [r for r in results if r.check != COVERAGE_CHECK]
    bad = [f"{r.case} {r.check}: {r.message}" for r in checked if r.status is not Status.PASSED]
    assert bad == []
    cases = {r.case for r in checked}
    assert {r.integration for r in checked} == {"customer-master", "order-service"}
    # the kinds the probe cannot check yet are named, never silently left out
    assert {r.integration for r in results if r.check == COVERAGE_CHECK} == uncovered
    assert "sms-gateway" not in uncovered  # the sms kind has a prober
    # every kind of case is there, with its stable id
    for wanted in (
        "customer-master:GET /customers/{id}#example:vip",
        "customer-master:GET /customers#case:lookup-by-e164",
        "customer-master:POST /customers#negative:body-schema",
        "customer-master:GET /customers#negative:wrong-type:limit",
        "customer-master:GET /customers#auth:missing-credentials",
        "order-service:GetOrder#soap12:case:known-order",
        "order-service:GetProduct#soap11:invalid",
        "order-service:PlaceOrder#soap12:unknown-id",
    ):
        assert wanted in cases


@pytest.mark.parametrize("defect", list(CAUGHT_BY), ids=lambda d: d.value)
async def test_each_defect_fails_the_check_named_for_it(plan: Plan, defect: Defect) -> None:
    only = ("order-service",) if defect in SOAP_DEFECTS else ("customer-master",)
    async with ExampleServices(defect) as services:
        results = await probe(plan, only=only, targets=targets_for(services.url), timeout_s=5)
    failed = [r for r in results if r.status is Status.FAILED]
    assert CAUGHT_BY[defect] in {r.check for r in failed}
    # the endpoint answered, so nothing is ERRORED: FAILED and ERRORED are never merged
    assert not [r for r in results if r.status is Status.ERRORED]
    finding = next(r for r in failed if r.check == CAUGHT_BY[defect])
    assert finding.message
    assert finding.evidence is not None
    if defect is Defect.SLOW:  # judged over the run's answers, not on one of them
        assert finding.message.startswith("p95 over ")
        return
    assert finding.evidence.status is not None
    assert finding.evidence.curl.startswith("curl ")


async def test_schema_finding_points_at_instance_and_spec(plan: Plan) -> None:
    async with ExampleServices(Defect.BAD_MULTIPLE_OF) as services:
        results = await probe(
            plan,
            only=("customer-master:GET /customers/{id}#example:vip",),
            targets=targets_for(services.url),
        )
    finding = next(r for r in results if r.check == "body_matches_schema")
    assert finding.status is Status.FAILED
    assert finding.evidence is not None
    error = finding.evidence.schema_error
    assert error is not None
    assert error["message"] == "13.375 is not a multiple of 0.01"
    assert error["instance_pointer"] == "/balance"
    assert error["schema_location"].endswith(
        "customer-master.openapi.yaml#/components/schemas/Customer/properties/balance/multipleOf"
    )


async def test_secrets_never_reach_results(plan: Plan) -> None:
    async with ExampleServices(Defect.WRONG_STATUS) as services:
        results = await probe(plan, targets=targets_for(services.url))
    text = repr(results)
    for secret in plan.secrets:
        assert secret not in text
    assert "Bearer" not in text  # the whole Authorization header is masked


async def test_only_selects_cases_by_glob(plan: Plan) -> None:
    async with ExampleServices() as services:
        results = await probe(
            plan, only=("order-service:*#soap12:valid",), targets=targets_for(services.url)
        )
    cases = {r.case for r in results if "#p95" not in r.case}
    assert cases == {
        f"order-service:{op}#soap12:valid"
        for op in ("GetProduct", "GetOrder", "ListCustomerOrders", "PlaceOrder")
    }
