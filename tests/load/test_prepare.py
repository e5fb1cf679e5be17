"""Requests built up front through each step's kind: the same customer through a flow."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from intcheck.errors import ContractError, UsageError
from intcheck.kinds.loading import LoadContext, LoadRequest, PinnedIndex
from intcheck.kinds.probing import DatasetIndex
from intcheck.load.prepare import prepare, write_handoff
from intcheck.load.scenario import Scenario, load_scenario
from intcheck.model import Level
from intcheck.plugins import Registry
from tests.load.conftest import ROOT, SCENARIOS

TARGETS = {
    "customer-master": "http://127.0.0.1:9/customer-master",
    "order-service": "http://127.0.0.1:9/order-service",
}


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return load_scenario(SCENARIOS / "lookups.yaml")


def test_each_flow_run_speaks_of_one_customer_from_the_dataset(scenario: Scenario) -> None:
    prepared = prepare(scenario, targets=TARGETS, registry=Registry.default())
    lookup = prepared.flows[0]
    customers = {c["id"]: c for c in scenario.flows[0].records}
    assert len(lookup.runs) == len(customers) == 12
    seen = set()
    for search, orders in lookup.runs:
        phone = parse_qs(urlsplit(search[0].url).query)["phone"][0]
        customer_id = unquote(urlsplit(orders[0].url).path).split("/")[-2]
        assert customers[customer_id]["phones"][0]["number"] == phone
        # only what the step gives and the spec requires: no email filter from the dataset
        assert set(parse_qs(urlsplit(search[0].url).query)) == {"phone"}
        assert search[0].headers["Authorization"] == "Bearer demo-token"
        assert (
            search[0].ok_statuses == (200,) and search[0].name == "customer-master:GET /customers"
        )
        seen.add(customer_id)
    assert seen == set(customers)


def test_a_soap_step_sends_the_envelope_for_the_flow_records_order(scenario: Scenario) -> None:
    prepared = prepare(scenario, targets=TARGETS, registry=Registry.default())
    orders = prepared.flows[1]
    for (get_order,), record in zip(orders.runs, scenario.flows[1].records, strict=True):
        request = get_order[0]
        assert request.method == "POST" and request.url == TARGETS["order-service"]
        assert request.headers["SOAPAction"] == '"urn:example:orders:v1/GetOrder"'
        assert f"<ns0:OrderId>{record['order_id']}</ns0:OrderId>".encode() in request.body
        assert request.ok_statuses == (200,)


def test_a_screen_pop_for_the_flow_customer_is_judged_as_a_known_caller() -> None:
    peak = load_scenario(ROOT / "load" / "peak-hour.yaml")
    prepared = prepare(peak, targets={}, registry=Registry.default())
    pop = prepared.flows[0]
    assert pop.steps[0].operation.id == "pbx-screen-pop:ringing"
    for (ringing, search, _orders), record in zip(pop.runs, pop.flow.records, strict=True):
        number = record["phones"][0]["number"]
        # every variant: a fresh call, the same caller, who is in the dataset: 200, never 404
        assert {parse_qs(urlsplit(r.url).query)["caller"][0] for r in ringing} == {number}
        assert len({parse_qs(urlsplit(r.url).query)["callid"][0] for r in ringing}) == len(ringing)
        assert {r.ok_statuses for r in ringing} == {(200,)}
        assert parse_qs(urlsplit(search[0].url).query)["phone"] == [number]
    assert prepared.warnings == ()


def test_a_step_whose_kind_cannot_load_is_left_out_and_named(scenario: Scenario) -> None:
    registry = Registry.default()
    registry = registry.with_kind(replace(registry.get("rest"), load=None))
    prepared = prepare(scenario, targets=TARGETS, registry=registry)
    assert [c.name for c in prepared.uncovered] == ["customer-master"]
    assert [f.flow.name for f in prepared.flows] == ["order-query"]
    assert prepared.operations == ("order-service:GetOrder",)


def test_a_kind_that_refuses_a_step_is_reported_at_the_step_line(scenario: Scenario) -> None:
    class Refusing:
        def load_requests(self, ctx: LoadContext) -> list[LoadRequest]:
            raise ValueError("no such thing")

    registry = Registry.default()
    registry = registry.with_kind(replace(registry.get("soap"), load=Refusing()))
    with pytest.raises(ContractError) as caught:
        prepare(scenario, targets=TARGETS, registry=registry)
    (problem,) = caught.value.diagnostics
    assert problem.source.line == 18 and problem.source.path.name == "lookups.yaml"
    assert problem.message == (
        "cannot build load requests for order-service:GetOrder: no such thing"
    )


def test_a_value_the_request_does_not_carry_is_warned_about(tmp_path: Path) -> None:
    text = (SCENARIOS / "lookups.yaml").read_text().replace("{phone:", "{phonee:")
    path = tmp_path / "lookups.yaml"
    path.write_text(text.replace("../../../contracts/", str(ROOT / "contracts") + "/"))
    prepared = prepare(load_scenario(path), targets=TARGETS, registry=Registry.default())
    (warning,) = prepared.warnings
    assert warning.level is Level.WARNING and warning.field == "values.phonee"
    assert warning.hint == "does customer-master:GET /customers take an input named 'phonee'?"


def test_expect_status_overrides_what_the_kind_counts_as_success(tmp_path: Path) -> None:
    text = (
        (SCENARIOS / "lookups.yaml")
        .read_text()
        .replace(
            '        values: {OrderId: "{order_id}"}',
            '        values: {OrderId: "{order_id}"}\n        expect_status: [200, 500]',
        )
    )
    path = tmp_path / "lookups.yaml"
    path.write_text(text.replace("../../../contracts/", str(ROOT / "contracts") + "/"))
    prepared = prepare(load_scenario(path), targets=TARGETS, registry=Registry.default())
    assert {r.ok_statuses for run in prepared.flows[1].runs for r in run[0]} == {(200, 500)}


def test_an_unknown_target_name_is_a_usage_error(scenario: Scenario) -> None:
    with pytest.raises(UsageError, match="--target names no contract of the plan: crm"):
        prepare(scenario, targets={"crm": "http://x"}, registry=Registry.default())


def test_the_handoff_holds_each_request_once(scenario: Scenario, tmp_path: Path) -> None:
    prepared = prepare(scenario, targets=TARGETS, registry=Registry.default())
    path = tmp_path / "handoff.json"
    write_handoff(
        path,
        scenario,
        prepared,
        scenario.shape,
        progress=tmp_path / "p",
        outcome=tmp_path / "o",
        parent_pid=1,
    )
    handoff = json.loads(path.read_text())
    assert handoff["stages"] == [[4.0, 4, 4.0]] and handoff["arrival_rate"] is None
    # 12 customers x 2 steps + 18 orders, each built VARIANTS/records times but stored once
    assert len(handoff["requests"]) == 12 * 2 + 18
    flow = handoff["flows"][0]
    assert flow["weight"] == 3 and len(flow["runs"]) == 12
    name, method, _url, _headers, body, ok = handoff["requests"][flow["runs"][0][1][0]]
    assert name == "customer-master:GET /customers/{id}/orders" and method == "GET"
    assert base64.b64decode(body) == b"" and ok == [200]


def test_a_pinned_index_offers_the_step_values_first() -> None:
    base = DatasetIndex({"orders": ({"order_id": "O1"}, {"order_id": "O2"})})
    pinned = PinnedIndex(base, {"OrderId": "O2"})
    assert pinned.candidates("order_id") == ["O2", "O1"]
    assert pinned.candidates_in("orders", "orderId") == ["O2", "O1"]
    assert pinned.candidates("customer_id") == base.candidates("customer_id")


def test_only_the_locustfile_imports_locust_or_gevent() -> None:
    importing = sorted(
        str(path.relative_to(ROOT / "src"))
        for path in (ROOT / "src").rglob("*.py")
        if any(
            line.lstrip().startswith(
                ("import locust", "from locust", "import gevent", "from gevent")
            )
            for line in path.read_text().splitlines()
        )
    )
    assert importing == ["intcheck/load/locustfile.py"]
