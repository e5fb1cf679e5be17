"""``intcheck probe`` for cti: the conformance pass against the mock and a defective CRM, and
what ``--read-only`` holds back, and the load step's requests."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import aiohttp
import pytest
from yarl import URL

from intcheck.contracts import load_plan
from intcheck.kinds.cti import KIND
from intcheck.kinds.loading import LoadContext
from intcheck.mock import MockServer
from intcheck.model import Plan, Result, Status
from intcheck.probe import ProbeOptions, run_probe
from intcheck.probe.runner import dataset_index
from tests.conftest import EXAMPLE_PLAN, REPO
from tests.servers.cti_crm import CtiCrm, Defect

TIMED = {"latency_within_max_ms", "p95_latency_within_sla"}


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_plan(EXAMPLE_PLAN, environ={})


async def probe(plan: Plan, url: str, **options: object) -> list[Result]:
    chosen = ProbeOptions(
        only=("pbx-screen-pop",),
        targets={"pbx-screen-pop": url},
        timeout_s=5,
        **options,  # type: ignore[arg-type]
    )
    async with asyncio.timeout(60):
        return [r async for r in run_probe(plan, chosen)]


async def test_the_mock_receiver_passes_the_probe(plan: Plan) -> None:
    async with MockServer(plan) as mock:
        results = await probe(plan, f"{mock.url}/pbx-screen-pop")
        journal = mock.journal.read()[1]
    # the known customer's events arrived as one call, in order
    (call,) = [e for e in journal if e["protocol"] == "cti" and "answered" in e["note"]]
    assert call["validation"] == "ok"
    assert "ringing(101) → answered(101) → hangup(101); popped C000001" in call["note"]
    bad = [f"{r.case} {r.check}: {r.message}" for r in results if r.status is not Status.PASSED]
    assert [b for b in bad if not any(t in b for t in TIMED)] == []
    by_case: dict[str, set[str]] = {}
    for result in results:
        by_case.setdefault(result.case.split("#", 1)[1], set()).add(result.check)
    assert "caller_is_popped" in by_case["known:national"]
    assert {"known:national", "unknown", "withheld:anonymous", "withheld:empty"} <= set(by_case)
    assert "signature_is_verified" in by_case["forged:bad-signature"]
    assert "unsigned_callback_is_rejected" in by_case["forged:unsigned"]
    assert "stale_callback_is_rejected" in by_case["forged:stale"]
    ops = {r.operation for r in results if r.case.split("#", 1)[1] == "known:national"}
    assert ops == {"pbx-screen-pop:ringing", "pbx-screen-pop:answered", "pbx-screen-pop:hangup"}


@pytest.mark.parametrize(
    ("defect", "check", "case"),
    [
        (Defect.IGNORES_SIGNATURES, "signature_is_verified", "forged:bad-signature"),
        (Defect.IGNORES_SIGNATURES, "stale_callback_is_rejected", "forged:stale"),
        (Defect.NO_NATIONAL_FORM, "caller_is_popped", "known:national"),
        (Defect.POPS_WITHHELD, "caller_is_not_popped", "withheld:empty"),
    ],
    ids=lambda v: v.value if isinstance(v, Defect) else str(v),
)
async def test_a_defective_crm_fails_the_check_named_for_it(
    plan: Plan, defect: Defect, check: str, case: str
) -> None:
    async with CtiCrm(defect) as crm:
        results = await probe(plan, crm.url)
    failed = {(r.case.split("#", 1)[1], r.check) for r in results if r.status is Status.FAILED}
    assert (case, check) in failed
    assert not [r for r in results if r.status is Status.ERRORED]


async def test_read_only_holds_back_callbacks_only_where_the_crm_creates_records(
    plan: Plan, tmp_path: Path
) -> None:
    async with MockServer(plan) as mock:
        results = await probe(plan, f"{mock.url}/pbx-screen-pop", read_only=True)
        assert not [r for r in results if r.check == "probe_is_read_only"]
        text = (REPO / "contracts" / "pbx-screen-pop.yaml").read_text("utf-8")
        (tmp_path / "c.yaml").write_text(
            text.replace("../mocks/", str(REPO / "mocks") + "/") + "creates_records: true\n"
        )
        (tmp_path / "plan.yaml").write_text("name: t\nintegrations:\n  - contract: c.yaml\n")
        writing = load_plan(tmp_path / "plan.yaml", environ={})
        held = await probe(writing, f"{mock.url}/pbx-screen-pop", read_only=True)
        sent = [e for e in mock.journal.read()[1] if e["protocol"] == "http"]
    assert held and {r.check for r in held} == {"probe_is_read_only"}
    assert {r.status for r in held} == {Status.SKIPPED}
    first_run = {r.case for r in results if not r.case.endswith("#p95")}
    assert len(sent) == len(first_run)  # the second run sent nothing


async def test_load_requests_are_signed_callbacks_the_mock_accepts(plan: Plan) -> None:
    contract = plan.contract("pbx-screen-pop")
    operation = contract.operation("ringing")
    assert operation is not None and KIND.load is not None
    async with MockServer(plan) as mock:
        ctx = LoadContext(
            contract=contract,
            operation=operation,
            target=f"{mock.url}/pbx-screen-pop",
            index=dataset_index(plan),
            rng=random.Random(3),
            count=40,
        )
        requests = KIND.load.load_requests(ctx)
        assert len(requests) == 40 and len({r.url for r in requests}) == 40
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            for request in requests:
                url = URL(request.url, encoded=True)
                async with session.request(request.method, url, headers=request.headers) as got:
                    assert got.status in request.ok_statuses, await got.text()
        journal = [e for e in mock.journal.read()[1] if e["protocol"] == "http"]
    assert {e["validation"] for e in journal} == {"ok"}
    assert {r.name for r in requests} == {"pbx-screen-pop:ringing"}
    assert {404} <= {s for r in requests for s in r.ok_statuses}  # unknown callers: 404


async def test_written_cases_assert_exactly_what_the_user_wrote(plan: Plan, tmp_path: Path) -> None:
    """A ``cases:`` callback: sent once from the caller written, its ``expect`` asserted."""
    text = (REPO / "contracts" / "pbx-screen-pop.yaml").read_text()
    text += """cases:
  - name: anna-national
    operation: ringing
    caller: "015112345678"
    expect: {status: 200, fields: {/customer_id: C000001}}
  - name: wrong-customer
    operation: ringing
    caller: "015112345678"
    expect: {fields: {/customer_id: C000002}}
  - name: withheld
    operation: ringing
    caller: anonymous
    expect: {status: 404}
"""
    folder = tmp_path / "contracts"
    folder.mkdir()
    (folder / "pbx-screen-pop.yaml").write_text(text.replace("../mocks/", f"{REPO}/mocks/"))
    (folder / "plan.yaml").write_text("name: t\nintegrations:\n  - contract: pbx-screen-pop.yaml\n")
    written_plan = load_plan(folder, environ={})
    async with MockServer(written_plan) as mock:
        results = await probe(written_plan, f"{mock.url}/pbx-screen-pop")
    verdict = {(r.case.rsplit("#", 1)[1], r.check): r for r in results}
    assert verdict["case:anna-national", "fields_are_as_expected"].status is Status.PASSED
    assert verdict["case:withheld", "status_is_as_expected"].status is Status.PASSED
    wrong = verdict["case:wrong-customer", "fields_are_as_expected"]
    assert wrong.status is Status.FAILED
    assert "/customer_id: expected 'C000002', got 'C000001'" in wrong.message
