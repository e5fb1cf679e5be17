"""Which cases a contract yields: stable ids, examples, negatives, datasets, options."""

from __future__ import annotations

from pathlib import Path

import pytest

from intcheck.contracts import load_plan
from intcheck.errors import UsageError
from intcheck.model import Plan
from intcheck.probe import ProbeOptions, plan_cases

ROOT = Path(__file__).resolve().parents[2]

SPEC = """
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /things/{id}:
    get:
      parameters:
        - name: id
          in: path
          required: true
          schema: {type: string, pattern: "^T[0-9]{3}$"}
          examples:
            first: {value: T001}
        - name: q
          in: query
          required: true
          schema: {type: integer}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: object}
              examples:
                same: {value: {id: T002}}
        "400":
          description: bad
          content:
            application/json:
              schema: {type: object}
              examples:
                same: {value: {}}
  /open:
    get:
      security: []
      responses:
        "200": {description: ok}
security: [{key: []}]
components:
  securitySchemes:
    key: {type: apiKey, in: header, name: X-Key}
"""


def _plan(tmp_path: Path) -> Plan:
    (tmp_path / "spec.yaml").write_text(SPEC)
    (tmp_path / "things.yaml").write_text(
        "kind: rest\nname: things\nspec: spec.yaml\ntarget: http://127.0.0.1:9/api\n"
        "auth:\n  type: apikey\n  header: X-Key\n  value: ${THINGS_KEY:-k3y-value}\n"
    )
    (tmp_path / "plan.yaml").write_text("name: p\nintegrations:\n  - contract: things.yaml\n")
    return load_plan(tmp_path)


def test_case_ids_are_stable_unique_and_readable(tmp_path: Path) -> None:
    cases = plan_cases(_plan(tmp_path), ProbeOptions())
    ids = [c.id for c in cases]
    assert len(ids) == len(set(ids))
    assert ids == [
        "things:GET /things/{id}#example:same",
        "things:GET /things/{id}#example:same~2",
        "things:GET /things/{id}#example:id=first",
        "things:GET /things/{id}#positive",
        "things:GET /things/{id}#negative:missing:q",
        "things:GET /things/{id}#negative:wrong-type:id",
        "things:GET /things/{id}#auth:missing-credentials",
        "things:GET /open#positive",
    ]
    by_id = {c.id: c for c in cases}
    # a response example fills the parameters it names; its status code is no expectation
    assert by_id["things:GET /things/{id}#example:same"].request.url.startswith(
        "http://127.0.0.1:9/api/things/T002?q="
    )
    assert by_id["things:GET /things/{id}#example:same"].expect_status == ()
    assert "/things/T001?" in by_id["things:GET /things/{id}#example:id=first"].request.url
    assert "q=" not in by_id["things:GET /things/{id}#negative:missing:q"].request.url
    assert "X-Key" not in by_id["things:GET /things/{id}#auth:missing-credentials"].request.headers
    assert by_id["things:GET /things/{id}#positive"].request.headers["X-Key"] == "k3y-value"


def test_targets_and_only_are_checked(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    cases = plan_cases(
        plan, ProbeOptions(targets={"things": "https://other/x"}, only=("*#positive",))
    )
    assert [c.request.url.split("?")[0] for c in cases] == [
        "https://other/x/things/T001",
        "https://other/x/open",
    ]
    with pytest.raises(UsageError, match="nosuch"):
        plan_cases(plan, ProbeOptions(targets={"nosuch": "http://x"}))
    with pytest.raises(UsageError, match="matches no case"):
        plan_cases(plan, ProbeOptions(only=("things:GET /nothing",)))


def test_dataset_values_feed_parameters(plan: Plan) -> None:
    cases = {c.id: c for c in plan_cases(plan, ProbeOptions(only=("customer-master",)))}
    positive = cases["customer-master:GET /customers#positive"].request.url
    assert "phone=%2B4915112345678" in positive  # a known phone number from mocks/
    orders = cases["customer-master:GET /customers/{id}/orders#positive"].request.url
    assert "/customers/C000001/orders" in orders


def test_wsse_username_token_is_sent_except_in_the_auth_case(tmp_path: Path) -> None:
    for name in ("order-service.wsdl", "order-service.xsd"):
        (tmp_path / name).write_bytes((ROOT / "contracts" / "specs" / name).read_bytes())
    (tmp_path / "c.yaml").write_text(
        "kind: soap\nname: orders\nspec: order-service.wsdl\ntarget: http://127.0.0.1:9\n"
        "wsse:\n  username: crm\n  password: ${WSSE_PW:-s3cret-wsse}\n"
    )
    (tmp_path / "plan.yaml").write_text("name: p\nintegrations:\n  - contract: c.yaml\n")
    cases = plan_cases(load_plan(tmp_path), ProbeOptions(only=("orders:GetOrder#soap11:*",)))
    tokens = {c.id.rpartition("#")[2]: b"UsernameToken" in c.request.body for c in cases}
    # no dataset and no probe data: no known id to turn into an unknown one
    assert tokens == {
        "soap11:valid": True,
        "soap11:invalid": True,
        "soap11:auth:missing-credentials": False,
    }
