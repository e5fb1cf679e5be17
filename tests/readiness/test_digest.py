"""Contract digests: what a report records so readiness can tell it was made against other files."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

from intcheck.contracts import load_plan
from intcheck.contracts.digest import contract_digests
from intcheck.probe.runner import build_report
from intcheck.report.document import read_report, to_document, validation_errors, write_report
from tests.conftest import REPO

if TYPE_CHECKING:
    from pathlib import Path


def _copy(root: Path) -> Path:
    shutil.copytree(REPO / "contracts", root / "contracts")
    shutil.copytree(REPO / "mocks", root / "mocks")
    return root / "contracts"


def test_digest_follows_the_contract_its_spec_and_their_imports(tmp_path: Path) -> None:
    plans = _copy(tmp_path / "a")
    before = contract_digests(load_plan(plans, environ={}))
    assert set(before) == {c.name for c in load_plan(plans, environ={}).contracts}
    assert all(d.startswith("sha256:") and len(d) == 71 for d in before.values())

    # the XSD the WSDL imports is part of the order service's contract
    xsd = plans / "specs" / "order-service.xsd"
    xsd.write_text(xsd.read_text().replace("</xs:schema>", "<!-- edited --></xs:schema>"))
    after = contract_digests(load_plan(plans, environ={}))
    assert after["order-service"] != before["order-service"]
    assert after["customer-master"] == before["customer-master"]

    # the dataset is test data, not the contract
    dataset = tmp_path / "a" / "mocks" / "master-data.yaml"
    dataset.write_text(dataset.read_text() + "\n# more data\n")
    assert contract_digests(load_plan(plans, environ={})) == after


def test_digest_does_not_depend_on_where_the_plan_lies(tmp_path: Path) -> None:
    here = contract_digests(load_plan(_copy(tmp_path / "a"), environ={}))
    there = contract_digests(load_plan(_copy(tmp_path / "b" / "deeper"), environ={}))
    assert here == there


def test_a_contract_edit_changes_only_its_own_digest(tmp_path: Path) -> None:
    plans = _copy(tmp_path)
    before = contract_digests(load_plan(plans, environ={}))
    contract = plans / "pbx-screen-pop.yaml"
    contract.write_text(contract.read_text() + "\n# reviewed\n")
    after = contract_digests(load_plan(plans, environ={}))
    assert {name for name in before if before[name] != after[name]} == {"pbx-screen-pop"}


def test_the_probe_report_records_the_digests(tmp_path: Path) -> None:
    plan = load_plan(_copy(tmp_path), environ={})
    report = build_report(plan, [], started_at="2026-05-20T09:00:00Z", complete=True, targets={})
    assert report.environment["contracts"] == contract_digests(plan)
    assert validation_errors(to_document(report)) == []
    path = write_report(report, tmp_path / "report.json")
    assert read_report(path).environment["contracts"] == contract_digests(plan)
