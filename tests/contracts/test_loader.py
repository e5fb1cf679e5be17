"""The example plan loads; every broken contract is reported like a compiler would."""

from __future__ import annotations

from pathlib import Path

import pytest

from intcheck.cli import main
from intcheck.contracts import load_plan
from intcheck.errors import ContractError
from intcheck.model import Level
from tests.conftest import EXAMPLE_PLAN

INVALID = Path(__file__).resolve().parents[1] / "data" / "contracts" / "invalid"
CASES = sorted(p.name for p in INVALID.iterdir() if p.is_dir())


def _single_contract_plan(folder: Path, kind: str, name: str, spec: Path) -> None:
    """A plan in ``folder`` with one contract pointing at a real-world ``spec``."""
    (folder / "plan.yaml").write_text("name: corpus\nintegrations:\n  - contract: c.yaml\n")
    (folder / "c.yaml").write_text(f"kind: {kind}\nname: {name}\nspec: {spec}\n")


def test_example_plan_loads_every_document() -> None:
    plan = load_plan(EXAMPLE_PLAN, environ={})
    kinds = {c.kind for c in plan.contracts}
    assert kinds == {"rest", "soap", "cti", "sms", "email", "iframe"}
    rest = plan.contract("customer-master")
    assert rest.document.version.startswith("3.")
    assert "GET /customers/{id}" in [op.name for op in rest.operations]
    soap = plan.contract("order-service")
    # both bindings of the WSDL were read through zeep
    assert {type(b).__name__ for b in soap.document.bindings.values()} == {
        "Soap11Binding",
        "Soap12Binding",
    }
    assert [op.name for op in soap.operations] == [
        "GetProduct",
        "GetOrder",
        "ListCustomerOrders",
        "PlaceOrder",
    ]
    assert plan.datasets, "the shared master-data dataset is loaded"
    assert plan.warnings == ()


def test_operation_ids_point_back_at_their_spec_line() -> None:
    plan = load_plan(EXAMPLE_PLAN, environ={})
    op = next(o for o in plan.contract("customer-master").operations if o.name == "GET /customers")
    assert op.id == "customer-master:GET /customers"
    assert op.source is not None and op.source.path.name == "customer-master.openapi.yaml"
    spec_lines = op.source.path.read_text().splitlines()
    assert spec_lines[op.source.line - 1].strip() == "get:"


def test_environment_overrides_defaults_and_secrets_are_collected() -> None:
    plan = load_plan(
        EXAMPLE_PLAN,
        environ={"CUSTOMER_API_URL": "https://mdm.test/api", "CUSTOMER_API_TOKEN": "s3cr3t-token"},
    )
    contract = plan.contract("customer-master")
    assert contract.target == "https://mdm.test/api"
    assert contract.auth is not None and contract.auth.token == "s3cr3t-token"
    assert "s3cr3t-token" in plan.secrets


@pytest.mark.parametrize("case", CASES)
def test_invalid_contract_gives_the_exact_message(
    case: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(INVALID / case)
    monkeypatch.delenv("INTCHECK_TEST_UNSET_TOKEN", raising=False)
    assert main(["--no-color", "validate", "."]) == 2
    captured = capsys.readouterr()
    assert captured.err == (INVALID / case / "expected.txt").read_text()
    assert "Traceback" not in captured.err


def test_invalid_cases_cover_the_required_rules() -> None:
    required = {
        "unknown-key",
        "misspelt-kind",
        "wrong-type",
        "missing-field",
        "yaml-syntax",
        "missing-file",
        "broken-openapi",
        "broken-wsdl",
        "missing-env",
        "duplicate-name",
        "unknown-operation",
    }
    assert required <= set(CASES)


def test_all_errors_are_gathered_and_sorted() -> None:
    with pytest.raises(ContractError) as caught:
        load_plan(INVALID / "several-errors", environ={})
    diagnostics = caught.value.diagnostics
    assert len(diagnostics) == 6
    keys = [(d.source.path.name, d.source.line, d.source.col) for d in diagnostics]
    assert keys == sorted(keys)


def test_real_world_problems_are_warnings_and_strict_makes_them_errors(
    tmp_path: Path, corpus: Path
) -> None:
    intercom = corpus / "openapi" / "api.intercom.io.yaml"
    _single_contract_plan(tmp_path, "rest", "intercom", intercom)
    plan = load_plan(tmp_path, environ={})
    assert len(plan.contract("intercom").operations) == 162
    first = next(w for w in plan.warnings if w.rule == "openapi-validation")
    assert first.level is Level.WARNING
    assert "job_identifier" in first.message
    # the warning points at the offending operation in Intercom's file
    line = intercom.read_text().splitlines()[first.source.line - 1]
    assert line.strip() == "get:"
    with pytest.raises(ContractError) as caught:
        load_plan(tmp_path, environ={}, strict=True)
    assert all(d.level is Level.ERROR for d in caught.value.diagnostics)


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("wsdl", "operations"),
    [
        ("calculator-soap11and12.wsdl", 4),
        ("countryInformation.wsdl", 21),
        ("sugarcrm.wsdl", 63),
        ("enterprise.wsdl.xml", 32),
        ("DWService_12.wsdl", 9),
        ("groupwise/groupwise.wsdl", 83),
    ],
)
def test_real_world_wsdls_load_offline(
    tmp_path: Path, corpus: Path, wsdl: str, operations: int
) -> None:
    _single_contract_plan(tmp_path, "soap", "svc", corpus / "wsdl" / wsdl)
    plan = load_plan(tmp_path, environ={})
    assert len(plan.contract("svc").operations) == operations


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("spec", "operations"),
    [
        ("crm.yml", 53),
        ("api.intercom.io.yaml", 162),
        ("TMF629-Customer_Management-v5.0.1.oas.yaml", 12),
        ("twilio_messaging_v1.json", 58),
        ("sms.yml", 1),
        ("vgis.yml", 20),
    ],
)
def test_real_world_openapi_documents_load(
    tmp_path: Path, corpus: Path, spec: str, operations: int
) -> None:
    _single_contract_plan(tmp_path, "rest", "svc", corpus / "openapi" / spec)
    plan = load_plan(tmp_path, environ={})
    assert len(plan.contract("svc").operations) == operations
