"""Reaching real records: ids harvested from the target's answers and chained, record_exists.

The services here are small aiohttp apps with data of their own; each test is named after the
mistake it keeps out (a 404 to a generated id taken for a defect, a record the target named
itself taken for missing data, a delete of a record the probe did not create...).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from intcheck.contracts import load_plan
from intcheck.model import Status
from intcheck.probe import ProbeOptions, plan_cases
from intcheck.probe.phases import in_phases
from tests.servers.independent_rest import NordlysAccounts
from tests.servers.probe_helpers import plan_with, probe, serve_app

if TYPE_CHECKING:
    from pathlib import Path

    from intcheck.model import Result

INDEPENDENT = "tests/data/independent"
RECORDS = """openapi: 3.0.3
info: {title: records, version: "1"}
paths:
  /records:
    get:
      responses:
        "200":
          description: a page
          content:
            application/json:
              schema:
                type: object
                properties:
                  data: {type: array, items: {$ref: "#/components/schemas/Record"}}
  /records/{id}:
    get:
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: the record
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Record"}
        "404": {description: no such record}
  /records/{id}/delivery:
    get:
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        "200": {description: the delivery}
        "404": {description: not shipped yet}
components:
  schemas:
    Record:
      type: object
      required: [id]
      properties:
        id: {type: string}
"""


def _records_app(listed: list[str], found: set[str]) -> web.Application:
    async def page(request: web.Request) -> web.Response:
        return web.json_response({"data": [{"id": i} for i in listed]})

    async def record(request: web.Request) -> web.Response:
        ident = request.match_info["id"]
        if ident in found:
            return web.json_response({"id": ident})
        return web.Response(status=404)

    async def delivery(request: web.Request) -> web.Response:
        return web.Response(status=404)

    app = web.Application()
    app.router.add_get("/api/records", page)
    app.router.add_get("/api/records/{id}", record)
    app.router.add_get("/api/records/{id}/delivery", delivery)
    return app


async def _probe_records(
    tmp_path: Path, listed: list[str], found: set[str], contract: str = ""
) -> list[Result]:
    plan = plan_with(tmp_path, RECORDS, contract)
    async with serve_app(_records_app(listed, found)) as url:
        return await probe(plan, targets={"svc": url + "/api"}, timeout_s=5)


def _record_results(results: list[Result]) -> dict[str, Result]:
    return {r.operation.partition(":")[2]: r for r in results if r.check == "record_exists"}


async def test_ids_are_harvested_from_a_list_for_the_read_by_id(tmp_path: Path) -> None:
    results = await _probe_records(tmp_path, ["RX-204"], {"RX-204"})
    linked = [r for r in results if r.case == "svc:GET /records/{id}#link:GET /records"]
    assert linked and all(r.status is Status.PASSED for r in linked)
    assert linked[0].evidence is not None
    assert linked[0].evidence.request["url"].endswith("/records/RX-204")
    verdict = _record_results(results)["GET /records/{id}"]
    assert verdict.status is Status.PASSED
    assert "harvested from svc:GET /records#positive" in verdict.message


async def test_no_record_for_generated_values_is_skipped_once(tmp_path: Path) -> None:
    results = await _probe_records(tmp_path, [], set())
    assert not [r for r in results if r.status is Status.FAILED]
    verdicts = [r for r in results if r.operation == "svc:GET /records/{id}"]
    skipped = [r for r in verdicts if r.check == "record_exists"]
    assert len(skipped) == 1 and skipped[0].status is Status.SKIPPED
    assert "no record" in skipped[0].message and "probe: {data:" in skipped[0].message
    # the linked case had nothing to follow: said, not sent
    assert any(r.check == "link_is_followed" and r.status is Status.SKIPPED for r in verdicts)


async def test_record_the_target_named_itself_that_is_not_found_is_a_finding(
    tmp_path: Path,
) -> None:
    results = await _probe_records(tmp_path, ["RX-204"], set())
    verdict = _record_results(results)["GET /records/{id}"]
    assert verdict.status is Status.FAILED
    assert verdict.case == "svc:GET /records/{id}#link:GET /records"
    assert verdict.evidence is not None and verdict.evidence.status == 404
    assert "harvested from svc:GET /records#positive" in verdict.message


async def test_missing_child_of_a_real_parent_is_not_a_finding(tmp_path: Path) -> None:
    # /records/RX-204 exists, its delivery does not: the target never named a delivery
    results = await _probe_records(tmp_path, ["RX-204"], {"RX-204"})
    verdict = _record_results(results)["GET /records/{id}/delivery"]
    assert verdict.status is Status.SKIPPED
    assert not [r for r in results if r.status is Status.FAILED]


async def test_known_test_data_that_is_not_found_is_a_finding(tmp_path: Path) -> None:
    contract = "probe:\n  data:\n    id: [RX-900]\n"
    results = await _probe_records(tmp_path, [], {"RX-204"}, contract)
    verdict = _record_results(results)["GET /records/{id}"]
    assert verdict.status is Status.FAILED
    assert verdict.case == "svc:GET /records/{id}#positive"
    assert "probe.data" in verdict.message


async def test_known_test_data_reaches_the_record(tmp_path: Path) -> None:
    contract = "probe:\n  data:\n    id: [RX-204]\n"
    results = await _probe_records(tmp_path, [], {"RX-204"}, contract)
    verdict = _record_results(results)["GET /records/{id}"]
    assert (verdict.status, verdict.message) == (
        Status.PASSED,
        "reached a record with probe.data",
    )


def test_delete_erases_only_what_the_probe_created() -> None:
    cases = plan_cases(load_plan(INDEPENDENT), ProbeOptions())
    deletes = [c for c in cases if c.operation.method == "DELETE" and c.kind != "negative"]
    linked = [c for c in deletes if c.kind == "linked"]
    assert [c.id.partition("#")[2] for c in linked] == ["link:openAccount"]
    assert {s for c in linked for n in c.needs for s in n.sources} >= {
        "nordlys-accounts:POST /accounts#positive"
    }
    # the user's known account is never the one erased, and deletes go after every read
    positive = next(c for c in deletes if c.kind == "positive")
    assert "NLA-8M2XR5" not in positive.request.url
    # the probe's own records are erased before any made-up id is tried
    assert {c.stage for c in linked} == {1}
    assert positive.stage == 2


def test_linked_case_goes_after_the_cases_it_needs() -> None:
    cases = plan_cases(load_plan(INDEPENDENT), ProbeOptions())
    phase_of = {case.id: n for n, phase in enumerate(in_phases(cases)) for case in phase}
    for case in cases:
        for need in case.needs:
            for source in need.sources:
                assert phase_of[source] < phase_of[case.id], (case.id, source)
    patch = next(
        c for c in cases if c.id.endswith("PATCH /accounts/{accountNumber}#link:openAccount")
    )
    (if_match,) = [n for n in patch.needs if n.slot == "header:If-Match"]
    assert if_match.sources[0].endswith("GET /accounts/{accountNumber}#link:ReadOpened")


def test_only_brings_the_cases_a_linked_case_needs() -> None:
    plan = load_plan(INDEPENDENT)
    only = ("nordlys-accounts:PATCH /accounts/{accountNumber}#link:openAccount",)
    chosen = [c.id.partition(":")[2] for c in plan_cases(plan, ProbeOptions(only=only))]
    assert chosen == [
        "POST /accounts#positive",
        "GET /accounts/{accountNumber}#link:ReadOpened",
        "PATCH /accounts/{accountNumber}#link:openAccount",
    ]


async def test_etag_and_ids_chain_through_create_read_change_and_close() -> None:
    plan = load_plan(INDEPENDENT)
    async with NordlysAccounts() as service:
        results = await probe(plan, targets={"nordlys-accounts": service.url}, timeout_s=5)
        left = set(service.accounts)
    answered: dict[str, Any] = {
        r.case.partition(":")[2]: r.evidence.status
        for r in results
        if "#link:" in r.case and r.check == "status_is_as_expected" and r.evidence
    }
    # the service answers 428 without If-Match and 412 with a stale one: 200/204 shows the chain
    account = "/accounts/{accountNumber}#link:"
    assert answered[f"GET {account}ReadOpened"] == 200
    assert answered[f"GET {account}listAccounts"] == 200
    assert answered[f"PATCH {account}openAccount"] == 200
    assert answered[f"DELETE {account}openAccount"] == 204
    # what the probe opened, it closed; the service's own accounts are all still there
    assert left == {"NLA-K3P9D1", "NLA-8M2XR5", "NLA-4Q7ZK2"}
