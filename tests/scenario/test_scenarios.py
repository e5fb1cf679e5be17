"""Key users' test scenarios: stories checked against their plan, played through the kinds."""

from __future__ import annotations

from pathlib import Path

import pytest

from intcheck.cli import main
from intcheck.mock.server import MockServer
from intcheck.model import Status
from intcheck.scenario import Outcome, ScenarioOptions, load_scenarios, run_scenarios
from intcheck.scenario.answers import NotInAnswer, extract

DATA = Path(__file__).resolve().parents[1] / "data" / "scenarios"
INVALID = sorted((DATA / "invalid").glob("*.yaml"))
LOOKUP_THEN_RECORD = """\
name: lookup-then-record
title: The CRM finds a caller by phone, then opens their record
plan: {plan}
steps:
  - name: look the caller up by the number the PBX sent
    contract: customer-master
    case:
      operation: searchCustomers
      query: {{phone: "03012345670"}}
      expect: {{status: 200, fields: {{/items/0/id: C000002}}}}
    save: {{customer_id: /items/0/id}}
  - name: open the record
    contract: customer-master
    case:
      operation: GET /customers/{{id}}
      path: {{id: "{{customer_id}}"}}
      expect: {{status: 200, fields: {{/last_name: Becker}}}}
"""


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_scenario_gives_the_exact_message(
    path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(DATA.parents[2])
    assert main(["--no-color", "scenario", "run", str(path.relative_to(DATA.parents[2]))]) == 2
    assert capsys.readouterr().err == path.with_suffix(".txt").read_text()


def _story(tmp_path: Path, example_plan_path: Path) -> Path:
    path = tmp_path / "story.yaml"
    path.write_text(LOOKUP_THEN_RECORD.format(plan=example_plan_path.parent))
    return path


async def _play(path: Path, mock: MockServer) -> tuple[list[Status], list[Outcome], list[str]]:
    (scenario,) = load_scenarios(path)
    targets = {c.name: f"{mock.url}/{c.name}" for c in scenario.plan.contracts}
    outcomes: list[Outcome] = []
    results = [
        r async for r in run_scenarios([scenario], ScenarioOptions(targets=targets), outcomes)
    ]
    messages = [f"{r.case} {r.check} {r.status.value}: {r.message}" for r in results]
    return [r.status for r in results], outcomes, messages


async def test_a_saved_value_feeds_the_next_step(tmp_path: Path, example_plan_path: Path) -> None:
    path = _story(tmp_path, example_plan_path)
    (scenario,) = load_scenarios(path)
    async with MockServer(scenario.plan) as mock:
        statuses, (outcome,), messages = await _play(path, mock)
        requests = [e["path"] for e in mock.journal.read()[1]]
    assert set(statuses) == {Status.PASSED}, messages
    assert outcome.passed and [s["status"] for s in outcome.steps] == ["passed", "passed"]
    assert "/customer-master/customers/C000002" in requests, "the saved id was sent"
    assert any("saved customer_id = C000002" in m for m in messages)


async def test_a_broken_mock_fails_the_story_and_skips_what_depended_on_it(
    tmp_path: Path, example_plan_path: Path
) -> None:
    path = _story(tmp_path, example_plan_path)
    (scenario,) = load_scenarios(path)
    async with MockServer(scenario.plan) as mock:
        mock.behaviours.update("customer-master", "GET /customers", {"force": {"status": 503}})
        _, (outcome,), messages = await _play(path, mock)
    assert not outcome.passed
    assert [s["status"] for s in outcome.steps] == ["failed", "skipped"]
    assert any("got 503" in m for m in messages), messages
    assert any("step 2 not sent: needs customer_id" in m for m in messages), messages


@pytest.mark.parametrize(
    ("body", "pointer", "value"),
    [
        (b'{"items": [{"id": "C1"}]}', "/items/0/id", "C1"),
        (
            b"<e:Envelope xmlns:e='urn:e'><e:Body><o:R xmlns:o='urn:o'><o:Order><o:Id>1</o:Id>"
            b"</o:Order><o:Order><o:Id>2</o:Id></o:Order></o:R></e:Body></e:Envelope>",
            "/R/Order/1/Id",
            "2",
        ),
    ],
)
def test_values_are_read_from_json_and_soap_answers(body: bytes, pointer: str, value: str) -> None:
    assert extract(body, "", pointer) == value
    with pytest.raises(NotInAnswer):
        extract(body, "", pointer.replace("1", "5").replace("0", "5"))


CALL_THEN_RECORD = """\
name: call-then-record
title: A known customer calls in national format; the agent opens the popped record
plan: {plan}
steps:
  - name: the phone rings with the caller's number as the PBX sends it
    contract: pbx-screen-pop
    case:
      operation: ringing
      caller: "03012345670"
      expect: {{status: 200, fields: {{/customer_id: C000002}}}}
    save: {{customer_id: /customer_id}}
  - name: the agent opens the popped record
    contract: customer-master
    case:
      operation: GET /customers/{{id}}
      path: {{id: "{{customer_id}}"}}
      expect: {{status: 200, fields: {{/email: jonas.becker@example.com}}}}
"""


async def test_a_call_pops_the_record_the_next_step_opens(
    tmp_path: Path, example_plan_path: Path
) -> None:
    path = tmp_path / "call.yaml"
    path.write_text(CALL_THEN_RECORD.format(plan=example_plan_path.parent))
    (scenario,) = load_scenarios(path)
    async with MockServer(scenario.plan) as mock:
        _, (outcome,), messages = await _play(path, mock)
    assert outcome.passed, messages
    assert any("saved customer_id = C000002" in m for m in messages)
