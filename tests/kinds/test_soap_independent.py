"""intcheck probing a correct SOAP service it did not write: no finding; each defect found.

The service (tests/servers/independent_soap.py) has its own WSDLs, records and ids
(tests/data/independent-soap): document/literal on two bindings, rpc/literal with WS-I wrappers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from intcheck.cli import cli
from intcheck.contracts import load_plan
from intcheck.errors import ExitCode
from intcheck.model import Status
from intcheck.probe import ProbeOptions, run_probe
from tests.servers.independent_soap import CAUGHT_BY, DATA, Defect, IndependentSoap
from tests.servers.probe_helpers import in_thread


@contextmanager
def serving(defect: Defect = Defect.NONE) -> Iterator[str]:
    """The service on its own loop in a thread: the CLI runs its own event loop."""
    with in_thread(lambda: IndependentSoap(defect)) as service:
        yield str(service.url)


def test_probing_the_independent_soap_service_finds_nothing(tmp_path: Path) -> None:
    with serving() as url:
        args = ["probe", str(DATA), "--report-dir", str(tmp_path), "--timeout", "5"]
        args += ["--target", f"subscriber-care={url}", "--target", f"billing={url}"]
        result = CliRunner().invoke(cli, args, standalone_mode=False)
    assert result.exception is None, result.output
    document = json.loads((tmp_path / "report.json").read_text("utf-8"))
    findings = [
        f"{r['case']} {r['check']}: {r['message']}"
        for r in document["results"]
        if r["status"] in ("failed", "errored")
    ]
    assert findings == []
    assert result.return_value == ExitCode.OK
    cases = {r["case"] for r in document["results"]}
    for port in ("soap11", "soap12"):  # every binding of both services was probed
        assert f"subscriber-care:GetSubscriber#{port}:valid" in cases
        assert f"billing:GetBalance#{port}:valid" in cases
    # the contract's test data reached a real record; generated account numbers did not
    valid = {
        r["case"]: r["evidence"]["body"]
        for r in document["results"]
        if r["case"].endswith(":valid") and r["check"] == "outcome_is_as_expected"
    }
    assert "Ingrid Lindqvist" in valid["subscriber-care:GetSubscriber#soap12:valid"]
    assert "UnknownAccount" in valid["billing:GetBalance#soap11:valid"]
    # said once per operation: reached with the contract's data, or no record for made-up ids
    reached = {
        r["operation"]: (r["status"], r["message"])
        for r in document["results"]
        if r["check"] == "record_exists"
    }
    assert reached["subscriber-care:GetSubscriber"][0] == "passed"
    assert "probe.data" in reached["subscriber-care:GetSubscriber"][1]
    assert reached["billing:GetBalance"][0] == "skipped"
    assert "no record" in reached["billing:GetBalance"][1]


async def test_a_record_the_contract_names_but_the_target_denies_is_a_finding(
    tmp_path: Path,
) -> None:
    for source in DATA.iterdir():
        (tmp_path / source.name).write_bytes(source.read_bytes())
    contract = tmp_path / "subscribers.yaml"
    contract.write_text(contract.read_text().replace("SUB-104233]", "SUB-000777]", 1))
    plan = load_plan(tmp_path)
    async with IndependentSoap() as service:
        options = ProbeOptions(
            targets={"subscriber-care": service.url, "billing": service.url},
            only=("subscriber-care:GetSubscriber",),
            timeout_s=5,
        )
        results = [r async for r in run_probe(plan, options)]
    denied = [r for r in results if r.check == "record_exists"]
    assert [r.status for r in denied] == [Status.FAILED]
    assert "probe.data" in denied[0].message
    # each answer itself was conformant: the declared fault for an unknown line
    assert not [r for r in results if r.status is Status.FAILED and r.check != "record_exists"]


@pytest.mark.parametrize("defect", list(CAUGHT_BY), ids=lambda d: d.value)
async def test_each_independent_defect_fails_the_check_named_for_it(defect: Defect) -> None:
    plan = load_plan(DATA)
    async with IndependentSoap(defect) as service:
        options = ProbeOptions(
            targets={"subscriber-care": service.url, "billing": service.url}, timeout_s=5
        )
        results = [r async for r in run_probe(plan, options)]
    failed = {r.check for r in results if r.status is Status.FAILED}
    assert CAUGHT_BY[defect] in failed
    assert not [r for r in results if r.status is Status.ERRORED]
