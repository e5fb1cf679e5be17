"""Hand-made report sets over a copy of the example contracts.

``Rollout`` writes a plan of its own beside copies of the bundled contracts (so contract
digests are real and editable), and report.json files with whatever results a test needs.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from intcheck.contracts import load_plan
from intcheck.contracts.digest import contract_digests
from intcheck.model import (
    Evidence,
    LoadSummary,
    Plan,
    Report,
    Result,
    Severity,
    Status,
)
from intcheck.plugins import COVERAGE_CHECK
from intcheck.readiness import evaluate_readiness
from intcheck.report.document import write_report
from tests.conftest import REPO

if TYPE_CHECKING:
    from pathlib import Path

    from intcheck.readiness import Readiness

NOW = datetime(2026, 5, 20, 9, 0, tzinfo=UTC)
PLAN_NAME = "Test rollout"

# A plan over three of the example contracts: REST (conformance + load), CTI (simulation)
# and the embedded ERP page (conformance, low criticality).
BASE_PLAN = """\
name: Test rollout
integrations:
  - contract: customer-master.yaml
    owner: IT key user, master data
    criticality: critical
    gates: [conformance, load]
{customer_extra}
  - contract: pbx-screen-pop.yaml
    owner: Telephony team
    criticality: critical
    gates: [simulation]
{pbx_extra}
  - contract: erp-order-page.yaml
    owner: ERP team
    criticality: low
    gates: [conformance]
{rollout_extra}
"""

CUSTOMER_OPERATIONS = (
    "GET /customers",
    "GET /customers/{id}",
    "GET /customers/{id}/orders",
    "GET /orders/{order_id}/delivery",
)


def result(
    integration: str,
    operation: str,
    case: str,
    check: str = "status_is_documented",
    status: Status = Status.PASSED,
    *,
    severity: Severity = Severity.HIGH,
    message: str = "",
    elapsed_ms: float | None = 42.0,
    answer: int | None = 200,
    evidence: Evidence | None = None,
) -> Result:
    """One result; ``operation`` and ``case`` are written without the contract prefix."""
    return Result(
        integration=integration,
        operation=f"{integration}:{operation}",
        case=f"{integration}:{operation}#{case}",
        check=check,
        status=status,
        severity=severity if status is not Status.PASSED else Severity.INFO,
        message=message,
        evidence=evidence
        or Evidence(
            request={"method": operation.split()[0], "url": f"http://127.0.0.1:1/{integration}"},
            status=answer if status is not Status.ERRORED else None,
            elapsed_ms=elapsed_ms,
            body="" if status is Status.ERRORED else '{"id": "C000001"}',
            curl=f"curl http://127.0.0.1:1/{integration}",
        ),
    )


def green_probe(integration: str = "customer-master") -> list[Result]:
    """Every customer-master operation answered and conformant."""
    return [
        result(integration, op, f"positive:{i}", check, elapsed_ms=20.0 + 7 * i + j)
        for i, op in enumerate(CUSTOMER_OPERATIONS)
        for j, check in enumerate(("status_is_documented", "body_matches_schema"))
    ]


def green_page() -> list[Result]:
    return [result("erp-order-page", "embed /orders/view", "embed", "embeddable_by_crm_origin")]


def green_simulation() -> list[Result]:
    return [
        result("pbx-screen-pop", "ringing", f"call:{n}", "screen_pop_found_customer")
        for n in range(3)
    ]


def slo(integration: str, operation: str, check: str, passed: bool, message: str = "") -> Result:
    return result(
        integration,
        operation,
        check.removeprefix("slo_"),
        check,
        Status.PASSED if passed else Status.FAILED,
        message=message,
        evidence=Evidence(elapsed_ms=None),
    )


def load_summary(requests: int = 1200) -> LoadSummary:
    return LoadSummary(
        users=50,
        duration_s=60.0,
        requests=requests,
        failures=3,
        rps=20.0,
        p50_ms=40.0,
        p95_ms=120.0,
        p99_ms=300.0,
        operations={
            "customer-master:GET /customers": {"requests": 800.0, "p95_ms": 110.0},
            "customer-master:GET /customers/{id}/orders": {"requests": 400.0, "p95_ms": 150.0},
        },
    )


@dataclass
class Rollout:
    """A plan folder and a reports folder in ``root``."""

    root: Path

    @property
    def plan_dir(self) -> Path:
        return self.root / "contracts"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    def write_plan(
        self, customer_extra: str = "", pbx_extra: str = "", rollout_extra: str = ""
    ) -> Plan:
        text = BASE_PLAN.format(
            customer_extra=customer_extra, pbx_extra=pbx_extra, rollout_extra=rollout_extra
        )
        (self.plan_dir / "plan.yaml").write_text(text)
        return self.plan()

    def plan(self) -> Plan:
        return load_plan(self.plan_dir, environ={})

    def report(
        self,
        folder: str,
        kind: str,
        results: list[Result],
        *,
        age: timedelta = timedelta(hours=2),
        digests: bool = True,
        complete: bool = True,
        load: tuple[LoadSummary, ...] = (),
        plan_name: str = PLAN_NAME,
    ) -> Path:
        finished = NOW - age
        environment: dict[str, Any] = {"hostname": "test"}
        if digests:
            environment["contracts"] = contract_digests(self.plan())
        report = Report(
            kind=kind,
            plan_name=plan_name,
            plan_path=str(self.plan_dir / "plan.yaml"),
            started_at=_iso(finished - timedelta(minutes=3)),
            finished_at=_iso(finished),
            complete=complete,
            environment=environment,
            results=tuple(results),
            load=load,
        )
        return write_report(report, self.reports / folder / "report.json")

    def green(self) -> None:
        """Reports that meet every gate of the base plan."""
        self.report("probe", "probe", [*green_probe(), *green_page()])
        self.report("simulate", "simulate", green_simulation())
        self.report(
            "load",
            "load",
            [
                slo("customer-master", "GET /customers", "slo_p95_ms", True),
                slo("customer-master", "GET /customers", "slo_error_rate", True),
            ],
            load=(load_summary(),),
        )

    def evaluate(self, **options: Any) -> Readiness:
        options.setdefault("now", NOW)
        return evaluate_readiness(self.plan(), [self.reports], **options)


def not_covered(integration: str, verb: str) -> Result:
    return Result(
        integration=integration,
        operation=f"{integration}:*",
        case=f"{integration}:*#not-covered",
        check=COVERAGE_CHECK,
        status=Status.SKIPPED,
        severity=Severity.INFO,
        message=f"not tested: {verb} does not cover this contract's kind yet",
    )


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@pytest.fixture
def rollout(tmp_path: Path) -> Rollout:
    shutil.copytree(REPO / "contracts", tmp_path / "contracts")
    shutil.copytree(REPO / "mocks", tmp_path / "mocks")
    made = Rollout(tmp_path)
    made.write_plan()
    return made
