"""Load scenarios: the bundled example, what a step's values take, file:line errors."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from intcheck.cli import main
from intcheck.errors import ContractError, UsageError
from intcheck.load.scenario import load_scenario, seconds
from intcheck.load.templates import TemplateError, resolve
from tests.load.conftest import ROOT, SCENARIOS

INVALID = SCENARIOS / "invalid"
CASES = sorted(p.name for p in INVALID.iterdir() if p.is_dir())


def test_the_bundled_peak_hour_scenario_reads_against_the_example_plan() -> None:
    scenario = load_scenario(ROOT / "load" / "peak-hour.yaml")
    assert [f.name for f in scenario.flows] == ["screen-pop", "erp-order-query", "sms-notification"]
    pop = scenario.flows[0]
    assert [s.operation.id for s in pop.steps] == [
        "pbx-screen-pop:ringing",
        "customer-master:GET /customers",  # written as its operationId, searchCustomers
        "customer-master:GET /customers/{id}/orders",
    ]
    assert pop.records and all(r["status"] == "active" for r in pop.records)
    assert pop.steps[1].think == (2.0, 5.0) and pop.think == (0.2, 0.5)
    assert scenario.shape.arrival_rate == 8 and scenario.shape.peak_users == 200
    assert scenario.shape.duration_s == 30.0
    ringing = next(s for s in scenario.slos if s.operation == "pbx-screen-pop:ringing")
    assert ringing.abort and ringing.limits == {"p95_ms": 250, "p99_ms": 500, "error_rate": 0.01}
    overall = next(s for s in scenario.slos if not s.operation)
    assert overall.limits["min_rps"] == 8
    # every operation called has a scenario SLO, so no contract sla is added
    assert {s.origin for s in scenario.slos} == {"scenario"}


def test_a_contract_sla_applies_where_the_scenario_sets_no_slo() -> None:
    scenario = load_scenario(SCENARIOS / "lookups.yaml")
    assert {s.operation for s in scenario.slos} == {
        "",
        "customer-master:GET /customers",
        "order-service:GetOrder",
    }
    with_sla = load_scenario(SCENARIOS / "with-contract-sla.yaml")
    taken = {s.operation: s for s in with_sla.slos if s.origin == "contract sla"}
    # customer-master's sla (p95 300 ms, 1 %) for the orders call nobody set an SLO for
    assert taken["customer-master:GET /customers/{id}/orders"].limits == {
        "p95_ms": 300.0,
        "error_rate": 0.01,
    }
    assert "customer-master:GET /customers" not in taken  # the scenario's own SLO wins


def test_durations_and_stretched_shapes() -> None:
    assert [seconds(v) for v in ("500ms", "30s", "2m", "1.5h", 12)] == [0.5, 30, 120, 5400, 12]
    assert seconds("45") == 45
    for wrong in ("30 secs", "0s", "-5s"):
        with pytest.raises(UsageError, match="is not a duration"):
            seconds(wrong)
    shape = load_scenario(SCENARIOS / "stages.yaml").shape
    assert [(s.duration_s, s.users) for s in shape.stages] == [(10, 5), (20, 20), (10, 0)]
    short = shape.lasting(8)
    assert [s.duration_s for s in short.stages] == [2, 4, 2]
    assert short.peak_users == 20


def test_templates_take_fields_of_the_flow_record() -> None:
    record = {"id": "C1", "balance": 13.37, "phones": [{"number": "+4930"}], "ids": ["a", "b"]}
    assert resolve("{id}", record, None) == "C1"
    assert resolve("{balance}", record, None) == 13.37  # a lone template keeps the type
    assert resolve("{phones[0].number}", record, None) == "+4930"
    assert resolve("tel:{phones[0].number};{id}", record, None) == "tel:+4930;C1"
    assert resolve("{ids[*]}", record, random.Random(3)) in ("a", "b")
    assert resolve("plain", record, None) == "plain"
    for broken in ("{phone}", "{phones[3].number}", "{phones}", "{id[0]}"):
        with pytest.raises(TemplateError):
            resolve(broken, record, None)


@pytest.mark.parametrize("case", CASES)
def test_a_bad_scenario_gives_the_exact_message(
    case: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(INVALID / case)
    assert main(["--no-color", "load", "scenario.yaml"]) == 2
    captured = capsys.readouterr()
    assert captured.err == (INVALID / case / "expected.txt").read_text()
    assert "Traceback" not in captured.err


def test_the_invalid_cases_cover_the_rules() -> None:
    assert {
        "unknown-key",
        "bad-duration",
        "unknown-operation",
        "unknown-collection",
        "missing-field",
        "slo-without-step",
        "shape-conflict",
        "yaml-syntax",
    } <= set(CASES)


def test_a_missing_plan_is_named_at_the_scenario_line(tmp_path: Path) -> None:
    scenario = tmp_path / "scenario.yaml"
    text = (SCENARIOS / "lookups.yaml").read_text()
    scenario.write_text(text.replace("../../../contracts/", "contracts-gone/"))
    with pytest.raises(ContractError) as caught:
        load_scenario(scenario)
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.source.line == 3
    assert diagnostic.message == "no plan at 'contracts-gone/' (relative to this file)"
