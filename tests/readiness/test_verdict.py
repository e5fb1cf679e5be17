"""Readiness over hand-made report sets: each way to GO, GO WITH RISKS and NO-GO, with reasons."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from intcheck.contracts import load_plan
from intcheck.errors import ExitCode, UsageError
from intcheck.model import Attachment, Evidence, Severity, Status
from intcheck.readiness import Verdict, evaluate_readiness
from intcheck.readiness.findings import Disposition
from intcheck.readiness.gates import GateStatus
from tests.readiness.conftest import (
    CUSTOMER_OPERATIONS,
    NOW,
    green_page,
    green_probe,
    green_simulation,
    load_summary,
    not_covered,
    result,
    slo,
)

if TYPE_CHECKING:
    from intcheck.readiness import Readiness
    from tests.readiness.conftest import Rollout


def _verdicts(readiness: Readiness) -> dict[str, str]:
    return {v.name: v.verdict.value for v in readiness.integrations}


def _gate(readiness: Readiness, integration: str, gate: str) -> GateStatus:
    verdict = next(v for v in readiness.integrations if v.name == integration)
    outcome = verdict.gate(gate)
    assert outcome is not None
    return outcome.status


def test_all_green_is_go(rollout: Rollout) -> None:
    rollout.green()
    readiness = rollout.evaluate()
    assert readiness.verdict is Verdict.GO
    assert readiness.exit_code is ExitCode.OK
    assert set(_verdicts(readiness).values()) == {"GO"}
    assert _gate(readiness, "customer-master", "conformance") is GateStatus.MET
    assert _gate(readiness, "customer-master", "load") is GateStatus.MET
    assert _gate(readiness, "customer-master", "simulation") is GateStatus.NOT_REQUIRED
    assert readiness.reasons == ()
    assert len(readiness.reports) == 3


def _failed_schema(severity: Severity = Severity.HIGH) -> list:  # type: ignore[type-arg]
    broken = result(
        "customer-master",
        "GET /customers/{id}/orders",
        "positive:2",
        "body_matches_schema",
        Status.FAILED,
        severity=severity,
        message="/0/total: expected a number, got '12.50'",
    )
    return [r for r in green_probe() if r.case != broken.case or r.check != broken.check] + [
        broken,
        *green_page(),
    ]


def _with_failed_schema(rollout: Rollout, severity: Severity = Severity.HIGH) -> None:
    rollout.green()
    rollout.report("probe", "probe", _failed_schema(severity))


def test_high_severity_failure_is_no_go_naming_the_check(rollout: Rollout) -> None:
    _with_failed_schema(rollout)
    readiness = rollout.evaluate()
    assert readiness.verdict is Verdict.NO_GO
    assert readiness.exit_code is ExitCode.FINDINGS
    assert _gate(readiness, "customer-master", "conformance") is GateStatus.NOT_MET
    [reason] = readiness.reasons
    assert reason.startswith("customer-master (critical) is NO-GO: conformance: ")
    assert "body_matches_schema failed on GET /customers/{id}/orders (high)" in reason
    assert "expected a number, got '12.50'" in reason


def test_low_severity_failure_is_a_risk(rollout: Rollout) -> None:
    _with_failed_schema(rollout, Severity.LOW)
    readiness = rollout.evaluate()
    assert readiness.verdict is Verdict.GO_WITH_RISKS
    assert readiness.exit_code is ExitCode.OK
    [issue] = [i for i in readiness.issues if i.disposition is Disposition.RISK]
    assert "below fail_on high" in issue.detail


WAIVER = """\
    waivers:
      - operation: GET /customers/{{id}}/orders
        check: body_matches_schema
        reason: ERP sends totals as text until release 24.2; the CRM parses both
        accepted_by: Head of customer service
        until: {until}
"""


def test_waived_finding_is_go_with_risks(rollout: Rollout) -> None:
    rollout.write_plan(customer_extra=WAIVER.format(until="2026-06-30"))
    _with_failed_schema(rollout)
    readiness = rollout.evaluate()
    assert readiness.verdict is Verdict.GO_WITH_RISKS
    [issue] = [i for i in readiness.issues if i.disposition is Disposition.WAIVED]
    assert "waived until 2026-06-30 by Head of customer service" in issue.detail
    [use] = next(v for v in readiness.integrations if v.name == "customer-master").waivers
    assert (use.state, use.matched) == ("active", 1)


def test_expired_waiver_is_no_go_naming_the_expiry(rollout: Rollout) -> None:
    rollout.write_plan(customer_extra=WAIVER.format(until="2026-05-19"))
    _with_failed_schema(rollout)
    readiness = rollout.evaluate()
    assert readiness.verdict is Verdict.NO_GO
    [issue] = [i for i in readiness.issues if i.disposition is Disposition.BLOCKING]
    assert "waiver by Head of customer service expired on 2026-05-19" in issue.detail
    [use] = next(v for v in readiness.integrations if v.name == "customer-master").waivers
    assert use.state == "expired"


def test_waiver_holds_through_its_last_day(rollout: Rollout) -> None:
    rollout.write_plan(customer_extra=WAIVER.format(until="2026-05-20"))
    _with_failed_schema(rollout)
    assert rollout.evaluate().verdict is Verdict.GO_WITH_RISKS


def test_slo_breach_is_no_go_naming_operation_and_figure(rollout: Rollout) -> None:
    rollout.green()
    breach = slo(
        "customer-master",
        "GET /customers/{id}/orders",
        "slo_p95_ms",
        False,
        "p95 870 ms over 412 requests, SLO 300 ms",
    )
    rollout.report("load", "load", [breach], load=(load_summary(),))
    readiness = rollout.evaluate()
    assert readiness.verdict is Verdict.NO_GO
    assert _gate(readiness, "customer-master", "load") is GateStatus.NOT_MET
    [reason] = readiness.reasons
    assert "slo_p95_ms failed on GET /customers/{id}/orders" in reason
    assert "p95 870 ms over 412 requests, SLO 300 ms" in reason


def test_slo_breach_may_be_set_to_a_risk(rollout: Rollout) -> None:
    rollout.write_plan(customer_extra="    thresholds: {slo_breach: risk}\n")
    rollout.green()
    breach = slo("customer-master", "GET /customers", "slo_error_rate", False, "2.1 % > 1 %")
    rollout.report("load", "load", [breach], load=(load_summary(),))
    assert rollout.evaluate().verdict is Verdict.GO_WITH_RISKS


def test_report_older_than_max_age_is_stale(rollout: Rollout) -> None:
    rollout.green()
    rollout.report("simulate", "simulate", green_simulation(), age=timedelta(days=9))
    readiness = rollout.evaluate()
    assert readiness.verdict is Verdict.NO_GO
    assert _gate(readiness, "pbx-screen-pop", "simulation") is GateStatus.NOT_MET
    [reason] = readiness.reasons
    assert "stale: the simulate report is 9 days old (readiness accepts 7 days" in reason
    # a longer --max-age accepts it
    assert rollout.evaluate(max_age=timedelta(days=10)).verdict is Verdict.GO


def test_report_made_against_another_contract_version_is_stale(rollout: Rollout) -> None:
    rollout.green()
    spec = rollout.plan_dir / "specs" / "customer-master.openapi.yaml"
    spec.write_text(spec.read_text() + "\n# a later edit\n")
    readiness = rollout.evaluate()
    assert readiness.verdict is Verdict.NO_GO
    reasons = " ".join(readiness.reasons)
    assert "made against another version of customer-master.yaml" in reasons
    # the other integrations' evidence is untouched by that edit
    assert _verdicts(readiness)["pbx-screen-pop"] == "GO"


def test_report_without_contract_versions_is_a_risk(rollout: Rollout) -> None:
    rollout.green()
    rollout.report("simulate", "simulate", green_simulation(), digests=False)
    readiness = rollout.evaluate()
    assert readiness.verdict is Verdict.GO_WITH_RISKS
    assert "does not say which version" in readiness.reasons[0]


def test_missing_report_is_not_tested_and_no_go(rollout: Rollout) -> None:
    rollout.report("probe", "probe", [*green_probe(), *green_page()])
    rollout.report("simulate", "simulate", green_simulation())
    readiness = rollout.evaluate()
    assert readiness.verdict is Verdict.NO_GO
    assert _gate(readiness, "customer-master", "load") is GateStatus.NOT_TESTED
    assert readiness.reasons == (
        "customer-master (critical) is NO-GO: load: not tested: no load report covers it",
    )


def test_integration_a_verb_does_not_cover_is_not_tested_never_green(rollout: Rollout) -> None:
    rollout.green()
    rollout.report(
        "probe", "probe", [*green_probe(), not_covered("erp-order-page", "intcheck probe")]
    )
    readiness = rollout.evaluate()
    assert _gate(readiness, "erp-order-page", "conformance") is GateStatus.NOT_TESTED
    assert _verdicts(readiness)["erp-order-page"] == "NO-GO"
    page = next(v for v in readiness.integrations if v.name == "erp-order-page")
    assert "intcheck probe does not cover this contract's kind yet" in page.reasons[0]
    # its criticality is low: the rollout goes ahead with that risk, and says so
    assert readiness.verdict is Verdict.GO_WITH_RISKS
    assert "criticality is low" in readiness.reasons[0]


def test_every_case_skipped_is_not_tested(rollout: Rollout) -> None:
    rollout.green()
    skipped = [
        result("customer-master", op, "positive", "probe_is_read_only", Status.SKIPPED)
        for op in ("POST /customers", "DELETE /customers/{id}")
    ]
    rollout.report("probe", "probe", [*skipped, *green_page()])
    readiness = rollout.evaluate()
    assert _gate(readiness, "customer-master", "conformance") is GateStatus.NOT_TESTED
    assert "not tested: 2 cases not sent" in readiness.reasons[0]


def test_unreachable_target_is_one_issue_with_its_reason(rollout: Rollout) -> None:
    rollout.green()
    refused = "connection failed: [Errno 111] Connect call failed ('127.0.0.1', 4{n})"
    errored = [
        result(
            "customer-master",
            op,
            f"case:{n}",
            check,
            Status.ERRORED,
            message=refused.format(n=n),
        )
        for n, op in enumerate(op for op in CUSTOMER_OPERATIONS for _ in range(5))
        for check in ("status_is_documented", "body_matches_schema", "auth_is_enforced")
    ]
    rollout.report("probe", "probe", [*errored, *green_page()])
    readiness = rollout.evaluate()
    issues = [i for i in readiness.issues if i.gate == "conformance" and i.status]
    [issue] = issues
    assert issue.title.startswith("unreachable or unusable: connection failed:")
    assert "(60 checks on 20 cases, 4 operations)" in issue.title
    assert issue.disposition is Disposition.BLOCKING


def test_errored_cases_within_max_errored_are_risks(rollout: Rollout) -> None:
    rollout.write_plan(customer_extra="    thresholds: {max_errored: 1}\n")
    rollout.green()
    timeout = result(
        "customer-master",
        "GET /customers",
        "slow",
        "status_is_documented",
        Status.ERRORED,
        message="timeout after 10 s",
    )
    rollout.report("probe", "probe", [*green_probe(), timeout, *green_page()])
    assert rollout.evaluate().verdict is Verdict.GO_WITH_RISKS
    rollout.write_plan()
    assert rollout.evaluate().verdict is Verdict.NO_GO


def test_interrupted_run_is_no_go(rollout: Rollout) -> None:
    rollout.green()
    rollout.report("simulate", "simulate", green_simulation(), complete=False)
    readiness = rollout.evaluate()
    assert readiness.verdict is Verdict.NO_GO
    assert "incomplete: the simulate run was interrupted" in readiness.reasons[0]


CHECKLIST = """\
    manual:
      - item: Softphone installed on every agent desktop
        owner: Desktop team
        status: {status}
        blocking: {blocking}
        due: 2026-05-15
"""


@pytest.mark.parametrize(
    ("status", "blocking", "verdict"),
    [
        ("done", "true", Verdict.GO),
        ("in_progress", "false", Verdict.GO_WITH_RISKS),
        ("open", "true", Verdict.NO_GO),
    ],
)
def test_manual_items_weigh_by_status_and_blocking(
    rollout: Rollout, status: str, blocking: str, verdict: Verdict
) -> None:
    rollout.write_plan(pbx_extra=CHECKLIST.format(status=status, blocking=blocking))
    rollout.green()
    readiness = rollout.evaluate()
    assert readiness.verdict is verdict
    if verdict is Verdict.NO_GO:
        assert readiness.reasons[0] == (
            "pbx-screen-pop (critical) is NO-GO: manual: open: Softphone installed on every "
            "agent desktop"
        )
        [issue] = readiness.issues
        assert issue.detail == "owner Desktop team; due 2026-05-15 (overdue)"


def test_rollout_checklist_blocks_the_whole_go_live(rollout: Rollout) -> None:
    rollout.write_plan(
        rollout_extra="manual:\n  - item: Test scenarios signed off by key users\n"
        "    owner: Key users, customer service\n"
    )
    rollout.green()
    readiness = rollout.evaluate()
    assert readiness.verdict is Verdict.NO_GO
    assert readiness.reasons == ("rollout checklist: open: Test scenarios signed off by key users",)
    assert set(_verdicts(readiness).values()) == {"GO"}


def test_a_broken_report_is_an_error_naming_the_file(rollout: Rollout) -> None:
    rollout.green()
    broken = rollout.reports / "broken" / "report.json"
    broken.parent.mkdir()
    broken.write_text(json.dumps({"schema_version": "1.1", "kind": "probe"}))
    with pytest.raises(UsageError) as caught:
        rollout.evaluate()
    assert str(broken) in str(caught.value)
    assert "not a valid intcheck report" in str(caught.value)


def test_reports_of_another_plan_and_superseded_reports_are_set_aside(rollout: Rollout) -> None:
    rollout.green()
    rollout.report("other", "probe", green_probe(), plan_name="Another rollout")
    rollout.report("older", "probe", _failed_schema(), age=timedelta(days=1))
    readiness = rollout.evaluate()
    assert readiness.verdict is Verdict.GO  # the newer green probe decides
    reasons = {u.path.parent.name: u.reason for u in readiness.unused}
    assert reasons == {
        "other": "made for the plan 'Another rollout', not 'Test rollout'",
        "older": "a newer probe report covers each of its integrations",
    }


def test_secrets_known_to_the_plan_are_masked(rollout: Rollout) -> None:
    rollout.green()
    leaked = result(
        "customer-master",
        "GET /customers",
        "echo",
        "body_matches_schema",
        Status.FAILED,
        message="echoed Bearer canary-token-1234 in the body",
    )
    rollout.report("probe", "probe", [*green_probe(), leaked, *green_page()])
    plan = load_plan(rollout.plan_dir, environ={"CUSTOMER_API_TOKEN": "canary-token-1234"})
    readiness = evaluate_readiness(plan, [rollout.reports], now=NOW)
    text = " ".join(i.title + i.detail for i in readiness.issues)
    assert "canary-token-1234" not in text
    assert "echoed Bearer *** in the body" in text


def test_a_screenshot_must_lie_in_its_report_folder(rollout: Rollout) -> None:
    rollout.green()
    shots = [
        Attachment(kind="screenshot", path="shots/page.png"),
        Attachment(kind="screenshot", path="shots/link.png"),  # a symlink to outside
        Attachment(kind="screenshot", path="shots/gone.png"),
    ]
    page = result(
        "erp-order-page",
        "embed /orders/view",
        "embed",
        "embeddable_by_crm_origin",
        evidence=Evidence(status=200, elapsed_ms=30.0, attachments=tuple(shots)),
    )
    folder = rollout.report("probe", "probe", [*green_probe(), page]).parent
    (folder / "shots").mkdir()
    (folder / "shots" / "page.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    outside = rollout.root / "outside.png"
    outside.write_bytes(b"\x89PNG\r\n\x1a\n")
    (folder / "shots" / "link.png").symlink_to(outside)
    readiness = rollout.evaluate()
    verdict = next(v for v in readiness.integrations if v.name == "erp-order-page")
    conformance = verdict.gate("conformance")
    assert conformance is not None
    found = {s.written: s.file for s in conformance.screenshots}
    assert found == {
        "shots/page.png": (folder / "shots" / "page.png").resolve(),
        "shots/link.png": None,
        "shots/gone.png": None,
    }
