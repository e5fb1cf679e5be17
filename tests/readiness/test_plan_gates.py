"""Gates, thresholds, checklist items and waivers in the plan: read into the model, and every
mistake reported like a compiler would (file:line:col, field, expected/got, hint)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from intcheck.cli import main
from intcheck.contracts import load_plan
from intcheck.model import ManualStatus, Severity
from tests.conftest import EXAMPLE_PLAN

INVALID = Path(__file__).resolve().parent / "data" / "invalid-plans"
CASES = sorted(p.name for p in INVALID.iterdir() if p.is_dir())


def test_the_example_plan_reads_gates_checklist_and_waivers() -> None:
    plan = load_plan(EXAMPLE_PLAN, environ={})
    by_name = {i.contract.name: i for i in plan.integrations}
    customer = by_name["customer-master"]
    assert customer.gates == ("conformance", "load")
    assert customer.criticality == "critical"
    assert customer.thresholds.fail_on is Severity.HIGH
    assert customer.thresholds.max_errored == 0
    [waiver] = customer.waivers
    assert waiver.operation == "GET /orders/{order_id}/delivery"
    assert waiver.check == "body_matches_schema"
    assert waiver.until == date(2027, 6, 30)
    assert waiver.accepted_by == "Head of customer service"
    # every value points back at the plan line that wrote it
    assert waiver.source is not None and waiver.source.path == EXAMPLE_PLAN
    line = EXAMPLE_PLAN.read_text().splitlines()[waiver.source.line - 1]
    assert line.strip() == "- operation: GET /orders/{order_id}/delivery"
    pbx = by_name["pbx-screen-pop"]
    assert pbx.gates == ("simulation", "load")
    assert [m.status for m in pbx.manual] == [ManualStatus.DONE, ManualStatus.IN_PROGRESS]
    assert [m.blocking for m in pbx.manual] == [True, False]
    assert pbx.manual[1].due == date(2027, 1, 10)
    assert [m.item for m in plan.manual] == [
        "Test scenarios signed off by key users",
        "Go-live communication sent to the three sites",
    ]
    assert by_name["erp-order-page"].criticality == "low"


def test_defaults_for_an_entry_that_says_only_its_contract(tmp_path: Path) -> None:
    contract = EXAMPLE_PLAN.parent / "pbx-screen-pop.yaml"
    (tmp_path / "plan.yaml").write_text(f"name: x\nintegrations:\n  - contract: {contract}\n")
    [integration] = load_plan(tmp_path, environ={}).integrations
    assert integration.gates == ("conformance",)
    assert integration.criticality == "medium"
    assert integration.thresholds.fail_on is Severity.HIGH
    assert integration.thresholds.slo_breach_blocks is True
    assert (integration.manual, integration.waivers) == ((), ())


@pytest.mark.parametrize("case", CASES)
def test_invalid_plan_gives_the_exact_message(
    case: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(INVALID / case)
    assert main(["--no-color", "validate", "."]) == 2
    captured = capsys.readouterr()
    assert captured.err == (INVALID / case / "expected.txt").read_text()
    assert "Traceback" not in captured.err


def test_invalid_cases_cover_the_rules() -> None:
    text = "".join((INVALID / case / "expected.txt").read_text() for case in CASES)
    for expected in (
        "did you mean 'simulation'?",
        "did you mean 'high'?",
        "did you mean 'accepted_by'?",
        "did you mean 'GET /customers/{id}'?",
        "a waiver must name the finding it accepts",
        "expected a real calendar date",
        "expected a date like 2026-06-30",
        "'2026-02-30' is no date",
        "checklist item written twice",
        "expected one of open, in_progress, done",
    ):
        assert expected in text, expected


def test_a_waiver_may_name_an_operation_by_its_operation_id(tmp_path: Path) -> None:
    contract = EXAMPLE_PLAN.parent / "customer-master.yaml"
    (tmp_path / "plan.yaml").write_text(
        f"name: x\nintegrations:\n  - contract: {contract}\n    waivers:\n"
        "      - operation: getCustomer\n        reason: known\n"
        "        accepted_by: Head of customer service\n        until: 2027-01-31\n"
    )
    [integration] = load_plan(tmp_path, environ={}).integrations
    [waiver] = integration.waivers
    assert waiver.operation == "GET /customers/{id}"  # what results carry
