"""A spec's own flaws are said, never taken for the service's defects.

Each test is named after a false alarm the corpus round trip (intcheck's probe against
intcheck's mock of Intercom's, Twilio's and Vonage's specs) raised: the service here answers
exactly as a correct service would, and only the spec is at fault.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from intcheck.model import Status
from tests.servers.probe_helpers import plan_with, probe, serve_app

if TYPE_CHECKING:
    from pathlib import Path

    from intcheck.model import Result

SPEC = """openapi: 3.0.3
info: {title: flaws, version: "1"}
paths:
  /conversations:
    post:
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [from]
              properties:
                from:
                  type: object
                  required: [id]
                  properties:
                    # Intercom's: a uuid is 36 characters, so no value meets both rules
                    id: {type: string, format: uuid, minLength: 24, maxLength: 24}
            examples:
              contact: {value: {from: {id: 536e564f316c83104c000020}}}
      responses:
        "200": {description: created}
  /start:
    post:
      responses:
        "200":
          description: started
          content:
            application/json:
              schema:
                type: object
                properties:
                  conversation_id: {type: string}
  /threads/{conversation_id}:
    get:
      parameters:
        - {name: conversation_id, in: path, required: true, schema: {type: integer}}
      responses:
        "200": {description: the thread}
  /companies:
    post:
      responses:
        "200":
          description: created
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Company"}
  /companies/{company_id}:
    get:
      parameters:
        - {name: company_id, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: the company
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Company"}
        "404": {description: no such company}
  /sms:
    get:
      responses:
        "200":
          description: sent or refused, the spec cannot tell which
          content:
            application/json:
              schema:
                oneOf:
                  - {$ref: "#/components/schemas/Sent"}
                  - {$ref: "#/components/schemas/Refused"}
components:
  schemas:
    Company:
      type: object
      properties:
        id: {type: string}
        company_id: {type: string, description: the client's own number for it}
    Sent:
      type: object
      properties:
        message-count: {type: string}
    Refused:
      type: object
      properties:
        error-text: {type: string}
"""


def _service(received: list[str]) -> web.Application:
    """A correct service: it refuses what the spec forbids, and knows its own companies by
    their ``id`` only."""

    async def conversations(request: web.Request) -> web.Response:
        received.append("POST /conversations")
        body: Any = await request.json()
        ident = str((body.get("from") or {}).get("id", ""))
        return web.json_response({}, status=200 if len(ident) == 24 else 400)

    async def start(request: web.Request) -> web.Response:
        return web.json_response({"conversation_id": "ext-123"})

    async def thread(request: web.Request) -> web.Response:
        received.append(f"GET {request.path}")
        ok = request.match_info["id"].isdigit()
        return web.json_response({}, status=200 if ok else 400)

    async def create(request: web.Request) -> web.Response:
        return web.json_response({"id": "c-1", "company_id": "ACME-7"})

    async def company(request: web.Request) -> web.Response:
        if request.match_info["id"] == "c-1":
            return web.json_response({"id": "c-1", "company_id": "ACME-7"})
        return web.Response(status=404)

    async def sms(request: web.Request) -> web.Response:
        return web.json_response({"message-count": "1"})  # fits both branches

    app = web.Application()
    app.router.add_post("/api/conversations", conversations)
    app.router.add_post("/api/start", start)
    app.router.add_get("/api/threads/{id}", thread)
    app.router.add_post("/api/companies", create)
    app.router.add_get("/api/companies/{id}", company)
    app.router.add_get("/api/sms", sms)
    return app


async def _probe(tmp_path: Path) -> tuple[list[Result], list[str]]:
    plan = plan_with(tmp_path, SPEC)
    received: list[str] = []
    async with serve_app(_service(received)) as url:
        results = await probe(plan, targets={"svc": url + "/api"}, timeout_s=5)
    return results, received


def _of(results: list[Result], case: str, check: str) -> Result:
    return next(r for r in results if r.case == f"svc:{case}" and r.check == check)


async def test_a_correct_service_gets_no_finding_for_its_specs_flaws(tmp_path: Path) -> None:
    results, _ = await _probe(tmp_path)
    assert [f"{r.case} [{r.check}] {r.message}" for r in results if r.status is Status.FAILED] == []


async def test_a_request_the_spec_itself_forbids_is_not_sent_as_a_valid_one(
    tmp_path: Path,
) -> None:
    results, received = await _probe(tmp_path)
    assert "POST /conversations" not in received
    example = _of(results, "POST /conversations#example:contact", "request_fits_spec")
    assert example.status is Status.SKIPPED
    assert "the spec's example 'contact' breaks the spec's own request schema" in example.message
    assert "body at /from/id" in example.message and "uuid" in example.message
    positive = _of(results, "POST /conversations#positive", "request_fits_spec")
    assert positive.status is Status.SKIPPED
    assert "the request the probe could build" in positive.message
    assert "probe: {data:" in positive.message


async def test_a_harvested_value_that_does_not_fit_the_parameter_is_not_sent(
    tmp_path: Path,
) -> None:
    results, received = await _probe(tmp_path)
    assert "GET /api/threads/ext-123" not in received
    linked = _of(results, "GET /threads/{conversation_id}#link:POST /start", "link_is_followed")
    assert linked.status is Status.SKIPPED
    assert "gave no conversation_id that fits its parameter's schema" in linked.message


async def test_a_record_found_by_a_guessed_field_is_no_finding_when_not_found(
    tmp_path: Path,
) -> None:
    """The create answers both ``id`` and the client's own ``company_id``: the probe cannot
    know which one the path means, so the 404 to the one it tried is not a finding."""
    results, _ = await _probe(tmp_path)
    verdict = next(
        r
        for r in results
        if r.operation == "svc:GET /companies/{company_id}" and r.check == "record_exists"
    )
    assert verdict.status is not Status.FAILED


async def test_an_answer_fitting_overlapping_one_of_branches_is_said_not_failed(
    tmp_path: Path,
) -> None:
    results, _ = await _probe(tmp_path)
    judged = _of(results, "GET /sms#positive", "body_matches_schema")
    assert judged.status is Status.SKIPPED
    assert "fits more than one branch of the oneOf" in judged.message
    assert "not judged" in judged.message


async def test_a_value_the_user_gave_is_sent_even_where_the_spec_refuses_it(
    tmp_path: Path,
) -> None:
    """Only what intcheck made up is held to the spec before sending; ``probe.data`` is the
    user's word, and the service's answer to it is judged as usual."""
    plan = plan_with(tmp_path, SPEC, 'probe: {data: {conversation_id: ["ext-9"]}}\n')
    received: list[str] = []
    async with serve_app(_service(received)) as url:
        await probe(plan, targets={"svc": url + "/api"}, timeout_s=5)
    assert "GET /api/threads/ext-9" in received
