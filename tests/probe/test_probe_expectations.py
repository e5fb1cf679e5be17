"""What a generated case may assert, and what it sends: one test per class of false alarm.

Each test is named after the mistake it keeps out: an exact status taken from an example, a
404 to a generated id, an undocumented 401 on the missing-credentials case, a form body never
built, an object parameter sent as a Python repr, a body in the wrong media type.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

from aiohttp import web

from intcheck.kinds.probing import Exchange
from intcheck.model import Level, Status
from intcheck.probe import ProbeOptions, plan_cases
from intcheck.probe.checks import run_checks
from intcheck.redact import Redactor
from tests.servers.probe_helpers import plan_with, probe, serve_app

if TYPE_CHECKING:
    from pathlib import Path

    from intcheck.kinds.probing import ProbeCase

HEAD = 'openapi: 3.0.3\ninfo: {title: t, version: "1"}\n'
ITEM = """
  /items/{id}:
    get:
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: object, required: [id], properties: {id: {type: string}}}
              examples:
                found: {value: {id: IT-1}}
        "404":
          description: no such item
          content:
            application/json:
              schema: {type: object, required: [title], properties: {title: {type: string}}}
              examples:
                missing: {value: {title: no such item}}
"""


def _cases(plan_folder: Path, spec: str, contract: str = "") -> dict[str, ProbeCase]:
    plan = plan_with(plan_folder, spec, contract)
    return {c.id.partition("#")[2]: c for c in plan_cases(plan, ProbeOptions())}


def _answer(case: ProbeCase, status: int, body: bytes = b"{}") -> dict[str, Status]:
    exchange = Exchange(
        request=case.request,
        status=status,
        headers={"content-type": "application/json"},
        body=body,
    )
    return {r.check: r.status for r in run_checks(case, exchange, Redactor())}


def test_error_example_status_is_not_expected_of_valid_request(tmp_path: Path) -> None:
    cases = _cases(tmp_path, HEAD + "paths:" + ITEM)
    missing = cases["example:missing"]
    assert missing.expect_status == ()
    # the 404 example's values went out as an ordinary request: a 200 with a record is right
    assert set(_answer(missing, 200, b'{"id": "X"}').values()) == {Status.PASSED}


def test_generated_case_accepts_documented_not_found(tmp_path: Path) -> None:
    cases = _cases(tmp_path, HEAD + "paths:" + ITEM)
    for name in ("positive", "example:found"):
        case = cases[name]
        assert case.not_found is not None
        outcome = _answer(case, 404, b'{"title": "no such item"}')
        assert set(outcome.values()) == {Status.PASSED}, (name, outcome)
    # a positive case still must not crash the service, even where a 500 is documented
    assert _answer(cases["positive"], 500)["status_is_as_expected"] is Status.FAILED


def test_example_response_code_is_not_an_exact_expectation(tmp_path: Path) -> None:
    spec = (
        HEAD
        + """paths:
  /orders:
    post:
      requestBody:
        content:
          application/json:
            schema: {type: object}
      responses:
        "200": {description: already there}
        "201":
          description: created
          content:
            application/json:
              schema: {type: object}
              examples:
                made: {value: {id: 1}}
"""
    )
    case = _cases(tmp_path, spec)["example:made"]
    assert case.expect_status == ()
    assert _answer(case, 200)["status_is_as_expected"] is Status.PASSED


def test_error_request_example_is_not_expected_to_succeed(tmp_path: Path) -> None:
    spec = (
        HEAD
        + """paths:
  /orders:
    post:
      requestBody:
        content:
          application/json:
            schema: {type: object, required: [sku], properties: {sku: {type: string}}}
            examples:
              without-sku: {value: {}}
      responses:
        "201": {description: created}
        "400": {description: rejected}
"""
    )
    case = _cases(tmp_path, spec)["example:without-sku"]
    assert case.expect_status == ()
    assert set(_answer(case, 400).values()) == {Status.PASSED}


SECURED = (
    HEAD
    + """paths:
  /accounts/{id}:
    patch:
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/merge-patch+json:
            schema: {type: object, properties: {city: {type: string}}, minProperties: 1}
      responses:
        "200": {description: changed}
security: [{bearer: [], partner: []}]
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
    partner: {type: apiKey, in: header, name: X-Partner-Key}
"""
)
BOTH = """auth:
  - {type: bearer, token: "${T:-tok-3a9f}"}
  - {type: apikey, header: X-Partner-Key, value: "${K:-key-81c2}"}
"""


def test_missing_credentials_case_accepts_implied_401(tmp_path: Path) -> None:
    case = _cases(tmp_path, SECURED, BOTH)["auth:missing-credentials"]
    for status in (401, 403):
        outcome = _answer(case, status)
        assert outcome["status_is_documented"] is Status.PASSED
        assert outcome["auth_is_enforced"] is Status.PASSED
    assert _answer(case, 200)["auth_is_enforced"] is Status.FAILED


def test_every_required_scheme_gets_its_credentials(tmp_path: Path) -> None:
    cases = _cases(tmp_path, SECURED, BOTH)
    headers = cases["positive"].request.headers
    assert headers["Authorization"] == "Bearer tok-3a9f"
    assert headers["X-Partner-Key"] == "key-81c2"
    # each credential is also left out alone: both are required, so each absence is refused
    without_key = cases["auth:without:partner"].request.headers
    assert "X-Partner-Key" not in without_key and without_key["Authorization"]
    without_bearer = cases["auth:without:bearer"].request.headers
    assert "Authorization" not in without_bearer and without_bearer["X-Partner-Key"]


def test_operation_without_credentials_is_skipped_and_validate_warns(tmp_path: Path) -> None:
    plan = plan_with(tmp_path, SECURED, 'auth: {type: bearer, token: "${T:-tok-3a9f}"}\n')
    (warning,) = [w for w in plan.warnings if w.rule == "missing-credentials"]
    assert warning.level is Level.WARNING
    assert "'partner'" in warning.message and "X-Partner-Key" in warning.hint
    cases = {c.id.partition("#")[2]: c for c in plan_cases(plan, ProbeOptions())}
    assert set(cases) == {"credentials", "auth:missing-credentials"}
    assert cases["credentials"].skipped_by == "credentials_are_provided"
    assert "partner" in cases["credentials"].skip


def test_merge_patch_body_goes_out_as_merge_patch(tmp_path: Path) -> None:
    request = _cases(tmp_path, SECURED, BOTH)["positive"].request
    assert request.headers["Content-Type"] == "application/merge-patch+json"
    assert request.body.startswith(b"{")


def test_form_body_is_built_for_a_form_only_operation(tmp_path: Path) -> None:
    spec = (
        HEAD
        + """paths:
  /consents:
    post:
      requestBody:
        required: true
        content:
          application/x-www-form-urlencoded:
            schema:
              type: object
              required: [channel, topics]
              properties:
                channel: {type: string, enum: [sms]}
                topics: {type: array, minItems: 2, items: {type: string, enum: [offers]}}
      responses:
        "201": {description: recorded}
        "400": {description: rejected}
"""
    )
    cases = _cases(tmp_path, spec)
    request = cases["positive"].request
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    # arrays go out exploded, as the form encoding's default says (style form, explode true)
    pairs = parse_qsl(request.body.decode())
    assert pairs[0] == ("channel", "sms")
    assert len(pairs) >= 3 and set(pairs[1:]) == {("topics", "offers")}
    # the schema-breaking case is an empty form in the same media type, not JSON
    broken = cases["negative:body-schema"].request
    assert (broken.body, broken.headers["Content-Type"]) == (
        b"",
        "application/x-www-form-urlencoded",
    )


def test_object_query_parameter_is_exploded(tmp_path: Path) -> None:
    spec = (
        HEAD
        + """paths:
  /events:
    get:
      parameters:
        - name: filter
          in: query
          required: true
          style: form
          explode: true
          schema:
            type: object
            required: [user_id, kind]
            properties:
              user_id: {type: integer, minimum: 7, maximum: 7}
              kind: {type: string, enum: [call]}
        - name: tags
          in: query
          required: true
          style: pipeDelimited
          schema: {type: array, minItems: 2, maxItems: 2, items: {type: string, enum: [a]}}
      responses:
        "200": {description: ok}
"""
    )
    query = urlsplit(_cases(tmp_path, spec)["positive"].request.url).query
    assert sorted(query.split("&")) == ["kind=call", "tags=a|a", "user_id=7"]


async def test_redirect_is_judged_not_followed(tmp_path: Path) -> None:
    """A documented 302 to another host is the answer: judged, never followed."""
    elsewhere: list[str] = []

    async def portal(request: web.Request) -> web.Response:
        elsewhere.append(request.path)
        return web.json_response({})

    spec = (
        HEAD
        + """paths:
  /portal:
    get:
      responses:
        "302":
          description: the portal
          headers:
            Location: {required: true, schema: {type: string}}
"""
    )
    other_app = web.Application()
    other_app.router.add_get("/{tail:.*}", portal)
    async with serve_app(other_app) as other:

        async def redirect(request: web.Request) -> web.Response:
            return web.Response(status=302, headers={"Location": other + "/login"})

        app = web.Application()
        app.router.add_get("/api/portal", redirect)
        async with serve_app(app) as url:
            plan = plan_with(tmp_path, spec)
            results = await probe(plan, targets={"svc": url + "/api"}, timeout_s=5)
    assert elsewhere == []
    assert {r.status for r in results} == {Status.PASSED}
    assert all(r.evidence is not None and r.evidence.status == 302 for r in results)
