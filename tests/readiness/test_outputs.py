"""The four outputs over the realistic sample set: JSON against its schema, JUnit as CI reads
it, the Markdown checklist, the HTML page; redaction and escaping in all of them."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from xml.etree import ElementTree as ET

import pytest

from intcheck.contracts import load_plan
from intcheck.errors import UsageError
from intcheck.model import Status
from intcheck.readiness import Verdict, evaluate_readiness
from intcheck.readiness.document import validation_errors
from intcheck.readiness.writers import write_readiness
from tests.conftest import REPO
from tests.readiness.conftest import green_probe, result
from tests.readiness.samples import write_sample_reports

if TYPE_CHECKING:
    from pathlib import Path

    from intcheck.model import Plan
    from tests.readiness.conftest import Rollout

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Plan, Path, Path]:
    """The example plan, the sample reports and the readiness outputs written from them."""
    root = tmp_path_factory.mktemp("sample")
    shutil.copytree(REPO / "contracts", root / "contracts")
    shutil.copytree(REPO / "mocks", root / "mocks")
    plan = load_plan(root / "contracts", environ={})
    write_sample_reports(plan, root / "reports", NOW)
    readiness = evaluate_readiness(plan, [root / "reports"], now=NOW)
    write_readiness(readiness, root / "out")
    return plan, root / "reports", root / "out"


def test_every_output_is_written(sample: tuple[Plan, Path, Path]) -> None:
    _, _, out = sample
    assert sorted(p.name for p in out.iterdir()) == [
        "readiness-junit.xml",
        "readiness.html",
        "readiness.json",
        "readiness.md",
    ]


def test_json_matches_its_schema_and_tells_the_verdict(sample: tuple[Plan, Path, Path]) -> None:
    document = json.loads((sample[2] / "readiness.json").read_text())
    assert validation_errors(document) == []
    assert (document["verdict"], document["exit_code"]) == ("NO-GO", 1)
    verdicts = {i["name"]: i["verdict"] for i in document["integrations"]}
    assert verdicts == {
        "customer-master": "GO WITH RISKS",
        "order-service": "NO-GO",
        "pbx-screen-pop": "NO-GO",
        "sms-gateway": "GO",
        "email-channel": "GO",
        "erp-order-page": "NO-GO",
    }
    assert any("criticality is low" in r for r in document["risks"])
    # the unreachable ERP is one issue standing for its 24 cases, not 48 rows
    erp = next(i for i in document["integrations"] if i["name"] == "order-service")
    [errored] = [i for i in erp["issues"] if i.get("status") == "errored"]
    assert errored["title"].startswith("unreachable or unusable: connection failed")
    assert (errored["case_count"], errored["results"], len(errored["cases"])) == (24, 48, 20)
    customer = next(i for i in document["integrations"] if i["name"] == "customer-master")
    [waiver] = customer["waivers"]
    assert (waiver["state"], waiver["matched"]) == ("active", 1)


def test_a_broken_readiness_json_is_refused_naming_the_file(
    sample: tuple[Plan, Path, Path], tmp_path: Path
) -> None:
    plan, reports, _ = sample
    broken = tmp_path / "readiness.json"
    broken.write_text('{"verdict": "MAYBE"}')
    with pytest.raises(UsageError, match=re.escape(str(broken))):
        evaluate_readiness(plan, [reports], now=NOW, previous=broken)


def test_junit_has_a_suite_per_integration_and_a_case_per_gate(
    sample: tuple[Plan, Path, Path],
) -> None:
    root = ET.parse(sample[2] / "readiness-junit.xml").getroot()
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert list(suites) == [
        "customer-master",
        "order-service",
        "pbx-screen-pop",
        "sms-gateway",
        "email-channel",
        "erp-order-page",
        "rollout",
    ]
    cases = {s: [c.get("name") for c in suite.iter("testcase")] for s, suite in suites.items()}
    assert cases["customer-master"] == ["conformance", "load"]
    assert cases["pbx-screen-pop"] == ["simulation", "load", "manual"]
    order_load = next(
        c for c in suites["order-service"].iter("testcase") if c.get("name") == "load"
    )
    failure = order_load.find("failure")
    assert failure is not None and failure.get("type") == "not_tested"
    assert root.get("verdict") == "NO-GO"
    failing = sum(1 for c in root.iter("testcase") if c.find("failure") is not None)
    assert root.get("failures") == str(failing) == "4"


def test_markdown_checklist_reads_for_a_ticket(sample: tuple[Plan, Path, Path]) -> None:
    text = (sample[2] / "readiness.md").read_text()
    assert text.startswith("# ❌ NO-GO: Example contact-centre rollout\n")
    row = "| order-service | IT key user, ERP | high | ❌ NO-GO | ❌ not met | — | 🚫 NOT TESTED |"
    assert row in text
    assert "- [ ] **pbx-screen-pop** · load: slo\\_p95\\_ms failed on ringing (high)" in text
    assert "- [x] **customer-master** · conformance: body\\_matches\\_schema failed" in text
    assert "- [x] **rollout**: Test scenarios signed off by key users" in text
    # the unreachable target is told in a line or two, not once per case
    assert text.count("erp-test.example.com") <= 3


def test_html_is_self_contained_with_charts_and_screenshots(
    sample: tuple[Plan, Path, Path],
) -> None:
    page = (sample[2] / "readiness.html").read_text()
    assert '<div class="label">NO-GO</div>' in page
    assert re.findall(r'(?:src|href)="(?:https?:)?//', page) == []
    assert "<script" not in page
    charts = re.findall(r'<svg class="chart" data-chart="(\w+)"', page)
    assert charts.count("timeline") == 1
    assert charts.count("histogram") >= 6
    assert page.count('src="data:image/png;base64,') == 2
    assert "not tested" in page
    assert "refused by the page" in page  # what the kind observed beyond HTTP


def test_hostile_and_secret_text_is_escaped_and_masked(rollout: Rollout, tmp_path: Path) -> None:
    hostile = result(
        "customer-master",
        "GET /customers",
        "echo",
        "body_matches_schema",
        Status.FAILED,
        message="<script>alert(1)</script> | [x](https://evil.example) canary-token-1234",
    )
    rollout.green()
    rollout.report("probe", "probe", [*green_probe(), hostile])
    plan = load_plan(rollout.plan_dir, environ={"CUSTOMER_API_TOKEN": "canary-token-1234"})
    readiness = evaluate_readiness(
        plan, [rollout.reports], now=datetime(2026, 5, 20, 9, 0, tzinfo=UTC)
    )
    for path in write_readiness(readiness, tmp_path):
        text = path.read_text()
        assert "canary-token-1234" not in text, path.name
        if path.suffix != ".json":  # JSON carries the text as data; renderings escape it
            assert "<script>" not in text, path.name
    markdown = (tmp_path / "readiness.md").read_text()
    assert "\\[x\\](https://evil.example)" in markdown
    assert "\\<script\\>" in markdown


def test_previous_run_says_what_was_fixed_what_is_new_and_still_open(
    sample: tuple[Plan, Path, Path], tmp_path: Path
) -> None:
    plan, reports, out = sample
    later = tmp_path / "reports"
    shutil.copytree(reports, later)
    load = json.loads((later / "load" / "report.json").read_text())
    for item in load["results"]:
        if item["check"] == "slo_p95_ms" and item["integration"] == "pbx-screen-pop":
            item.update(status="passed", severity="info", message="")
    load["finished_at"] = (NOW + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    (later / "load" / "report.json").write_text(json.dumps(load))
    readiness = evaluate_readiness(
        plan, [later], now=NOW + timedelta(hours=2), previous=out / "readiness.json"
    )
    changes = readiness.changes
    assert changes is not None
    assert [r.id for r in changes.fixed] == ["pbx-screen-pop/load/failed/ringing/slo_p95_ms"]
    assert changes.new == ()
    assert "order-service/load/not-tested" in [r.id for r in changes.still_open]
    moved = {(v.name, v.before, v.after) for v in changes.verdicts}
    assert ("pbx-screen-pop", "NO-GO", "GO WITH RISKS") in moved
    assert readiness.verdict is Verdict.NO_GO  # the ERP is still unreachable
    text = "".join(p.read_text() for p in write_readiness(readiness, tmp_path / "out"))
    assert "Fixed (1)" in text
