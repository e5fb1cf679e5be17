"""Several credentials per contract, probe.data, and what `intcheck validate` warns about."""

from __future__ import annotations

from typing import TYPE_CHECKING

from intcheck.contracts import load_plan
from intcheck.contracts.security import SecurityScheme, serves
from intcheck.model import Auth, Level

if TYPE_CHECKING:
    from pathlib import Path

    from intcheck.model import Plan

SPEC = """openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /accounts/{accountNumber}:
    get:
      parameters:
        - {name: accountNumber, in: path, required: true, schema: {type: string}}
      security: [{bearer: [], partner: []}]
      responses:
        "200": {description: ok}
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
    partner: {type: apiKey, in: header, name: X-Partner-Key}
"""


def _plan(folder: Path, contract: str, environ: dict[str, str] | None = None) -> Plan:
    (folder / "spec.yaml").write_text(SPEC)
    (folder / "c.yaml").write_text("kind: rest\nname: accounts\nspec: spec.yaml\n" + contract)
    (folder / "plan.yaml").write_text("name: p\nintegrations:\n  - contract: c.yaml\n")
    return load_plan(folder, environ=environ or {})


def test_auth_list_gives_every_credential_and_keeps_single_auth_working(tmp_path: Path) -> None:
    plan = _plan(
        tmp_path,
        "auth:\n  - {type: bearer, token: '${TOKEN}'}\n"
        "  - {type: apikey, header: X-Partner-Key, value: '${KEY}'}\n",
        {"TOKEN": "tok-19aa", "KEY": "key-77bc"},
    )
    contract = plan.contract("accounts")
    assert [c.type for c in contract.credentials] == ["bearer", "apikey"]
    assert contract.auth == contract.credentials[0]
    # both values are secrets: redacted everywhere; no warning, both schemes are served
    assert {"tok-19aa", "key-77bc"} <= plan.secrets
    assert plan.warnings == ()


def test_literal_credential_in_a_list_is_warned_about(tmp_path: Path) -> None:
    plan = _plan(
        tmp_path,
        "auth:\n  - {type: bearer, token: '${TOKEN:-tok-19aa}'}\n"
        "  - {type: apikey, header: X-Partner-Key, value: written-in-key}\n",
    )
    (warning,) = plan.warnings
    assert (warning.rule, warning.field, warning.source.line) == (
        "literal-secret",
        "auth[1].value",
        6,
    )
    assert "written-in-key" in plan.secrets


def test_credential_serves_the_scheme_of_its_kind_or_the_one_it_names() -> None:
    partner = SecurityScheme(name="partner", type="apiKey", location="header", key="X-Partner-Key")
    bearer = SecurityScheme(name="bearer", type="http", http_scheme="bearer")
    assert serves(Auth(type="apikey", header="x-partner-key", value="k"), partner)
    assert not serves(Auth(type="apikey", header="X-Api-Key", value="k"), partner)
    assert serves(Auth(type="apikey", scheme="partner", value="k"), partner)
    assert serves(Auth(type="bearer", token="t"), bearer)
    assert not serves(Auth(type="bearer", token="t", scheme="other"), bearer)
    assert not serves(Auth(type="basic", username="u", password="p"), bearer)


def test_validate_warns_about_unused_probe_data_and_unknown_schemes(tmp_path: Path) -> None:
    plan = _plan(
        tmp_path,
        "auth:\n  - {type: bearer, token: '${T:-tok-19aa}'}\n"
        "  - {type: apikey, scheme: partnr, value: '${K:-key-77bc}'}\n"
        "probe:\n  data:\n    acountNumber: [NLA-8M2XR5]\n    accountNumber: [NLA-4Q7ZK2]\n",
    )
    by_rule = {w.rule: w for w in plan.warnings}
    assert set(by_rule) == {"unknown-scheme", "missing-credentials", "unused-data"}
    assert all(w.level is Level.WARNING for w in by_rule.values())
    assert by_rule["unknown-scheme"].hint == "did you mean 'partner'?"
    assert by_rule["unused-data"].field == "probe.data.acountNumber"
    assert by_rule["unused-data"].hint == "did you mean 'accountNumber'?"
    assert "'partner'" in by_rule["missing-credentials"].message
