"""A rich, realistic report set over the example plan, for the outputs' tests.

probe, simulate and load reports with what a real pre-go-live week brings: a waived schema
finding, an unreachable ERP, a slow screen pop at peak hour, an iframe refused by its page
(with screenshots), load over time and latency histograms.
"""

from __future__ import annotations

import math
import random
import struct
import zlib
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from intcheck.contracts.digest import contract_digests
from intcheck.model import (
    Attachment,
    Evidence,
    LatencyBucket,
    LoadSample,
    LoadSummary,
    Report,
    Result,
    Severity,
    Status,
)
from intcheck.report.document import write_report
from tests.readiness.conftest import not_covered, result

if TYPE_CHECKING:
    from pathlib import Path

    from intcheck.model import Plan


def write_sample_reports(plan: Plan, reports: Path, now: datetime) -> list[Path]:
    """probe/, simulate/ and load/ report folders under ``reports``."""
    rng = random.Random(7)
    digests = contract_digests(plan)
    shots = reports / "probe" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    (shots / "order-view-embedded.png").write_bytes(page_png(ok=True))
    (shots / "invoice-view-refused.png").write_bytes(page_png(ok=False))
    written = [
        _write(plan, reports / "probe", "probe", _probe(rng), now - timedelta(hours=20), digests),
        _write(
            plan,
            reports / "simulate",
            "simulate",
            _simulate(rng),
            now - timedelta(hours=6),
            digests,
        ),
        _write(
            plan,
            reports / "load",
            "load",
            _load_results(),
            now - timedelta(hours=3),
            digests,
            load=(_load_summary(rng),),
        ),
    ]
    return written


def _write(
    plan: Plan,
    folder: Path,
    kind: str,
    results: list[Result],
    finished: datetime,
    digests: dict[str, str],
    load: tuple[LoadSummary, ...] = (),
) -> Path:
    stamp = "%Y-%m-%dT%H:%M:%SZ"
    report = Report(
        kind=kind,
        plan_name=plan.name,
        plan_path=str(plan.source.path),
        started_at=(finished - timedelta(minutes=4)).strftime(stamp),
        finished_at=finished.strftime(stamp),
        environment={"hostname": "qa-runner-2", "contracts": digests},
        results=tuple(results),
        load=load,
    )
    return write_report(report, folder / "report.json")


def _probe(rng: random.Random) -> list[Result]:
    out: list[Result] = []
    for op in ("GET /customers", "GET /customers/{id}", "GET /customers/{id}/orders"):
        for n in range(9):
            elapsed = rng.lognormvariate(math.log(60), 0.5)
            out += [
                result("customer-master", op, f"positive:{n}", check, elapsed_ms=elapsed)
                for check in ("status_is_documented", "body_matches_schema")
            ]
    eta = Evidence(
        request={
            "method": "GET",
            "url": "https://mdm-test.example.com/api/v1/orders/O20260001/delivery",
        },
        status=200,
        headers={"content-type": "application/json"},
        body='{"order_id": "O20260001", "status": "in_transit", "eta": "2026-12-03T14:00:00"}',
        elapsed_ms=212.0,
        schema_error={
            "message": "'2026-12-03T14:00:00' is not a 'date-time'",
            "instance_pointer": "/eta",
            "schema_location": "customer-master.openapi.yaml"
            "#/components/schemas/Delivery/properties/eta",
        },
        curl="curl -H 'Authorization: ***' https://mdm-test.example.com/api/v1/orders/O20260001/delivery",
    )
    out.append(
        result(
            "customer-master",
            "GET /orders/{order_id}/delivery",
            "positive:0",
            "body_matches_schema",
            Status.FAILED,
            message="/eta: '2026-12-03T14:00:00' is not a 'date-time'",
            evidence=eta,
        )
    )
    out.append(
        result(
            "customer-master",
            "GET /customers/{id}/orders",
            "example:vip",
            "latency_within_sla",
            Status.FAILED,
            severity=Severity.MEDIUM,
            message="answered in 1,240 ms, expect.max_ms 800",
            elapsed_ms=1240.0,
        )
    )
    refused = "connection failed: Cannot connect to host erp-test.example.com:8443 ssl:default"
    for op in ("GetProduct", "GetOrder", "ListCustomerOrders", "PlaceOrder"):
        for binding in ("soap11", "soap12"):
            for case in ("valid", "invalid", "unknown-id"):
                out += [
                    result(
                        "order-service",
                        op,
                        f"{binding}:{case}",
                        check,
                        Status.ERRORED,
                        message=refused,
                    )
                    for check in ("status_is_documented", "body_matches_xsd")
                ]
    out += [
        result(
            "sms-gateway", "POST /sms/json", f"send:{n}", "body_matches_schema", elapsed_ms=80.0 + n
        )
        for n in range(6)
    ]
    shot_ok = Attachment(
        kind="screenshot",
        path="screenshots/order-view-embedded.png",
        title="Order detail in the CRM frame",
    )
    shot_bad = Attachment(
        kind="screenshot", path="screenshots/invoice-view-refused.png", title="Invoice view refused"
    )
    out.append(
        result(
            "erp-order-page",
            "embed /orders/view",
            "embed",
            "embeddable_by_crm_origin",
            evidence=Evidence(status=200, elapsed_ms=310.0, attachments=(shot_ok,)),
        )
    )
    out.append(
        result(
            "erp-order-page",
            "embed /invoices/view",
            "embed",
            "embeddable_by_crm_origin",
            Status.FAILED,
            message="X-Frame-Options: SAMEORIGIN refuses https://crm.example.com",
            evidence=Evidence(
                request={"method": "GET", "url": "https://erp-test.example.com/invoices/view"},
                status=200,
                headers={"x-frame-options": "SAMEORIGIN"},
                elapsed_ms=290.0,
                details={"frame": "refused by the page", "console": ["Refused to display"]},
                attachments=(shot_bad,),
            ),
        )
    )
    out += [not_covered(name, "intcheck probe") for name in ("pbx-screen-pop", "email-channel")]
    return out


def _simulate(rng: random.Random) -> list[Result]:
    out = []
    forms = ("e164", "00-prefixed", "national", "withheld")
    for n in range(40):
        form = forms[n % 4]
        out.append(
            result(
                "pbx-screen-pop",
                "ringing",
                f"call:{n}:{form}",
                "screen_pop_found_customer" if form != "withheld" else "withheld_caller_answered",
                elapsed_ms=rng.lognormvariate(math.log(90), 0.4),
            )
        )
    out += [
        result("sms-gateway", "inbound", f"sms:{n}", "inbound_accepted", elapsed_ms=40.0 + n)
        for n in range(8)
    ]
    out += [
        result("email-channel", "inbound", f"mail:{n}", "case_created", elapsed_ms=300.0 + 9 * n)
        for n in range(5)
    ]
    return out


def _load_results() -> list[Result]:
    def slo(name: str, op: str, check: str, passed: bool, message: str = "") -> Result:
        return result(
            name,
            op,
            check,
            check,
            Status.PASSED if passed else Status.FAILED,
            message=message,
            evidence=Evidence(elapsed_ms=None),
        )

    return [
        slo("customer-master", "GET /customers", "slo_p95_ms", True),
        slo("customer-master", "GET /customers/{id}/orders", "slo_p95_ms", True),
        slo("customer-master", "*", "slo_error_rate", True),
        slo(
            "pbx-screen-pop",
            "ringing",
            "slo_p95_ms",
            False,
            "p95 412 ms over 9,840 callbacks at 200 users, SLO 250 ms",
        ),
        slo("pbx-screen-pop", "*", "slo_error_rate", True),
    ]


def _load_summary(rng: random.Random) -> LoadSummary:
    series = []
    for step in range(61):
        t = step * 5.0
        users = min(200, int(t / 120 * 200))
        rps = users * 0.45 * rng.uniform(0.93, 1.07)
        p50 = 38 + users * 0.12 + rng.uniform(-3, 3)
        p95 = 110 + (users / 200) ** 3 * 300 + rng.uniform(-10, 10)
        failures = 0.0 if users < 150 else rng.choice((0.0, 0.0, 0.2, 0.6))
        series.append(
            LoadSample(
                t_s=t,
                users=users,
                rps=round(rps, 2),
                failures_per_s=failures,
                p50_ms=round(p50, 1),
                p95_ms=round(p95, 1),
            )
        )
    edges = (0, 20, 50, 100, 200, 500, 1000, 2000, 5000)  # 9 edges
    counts = (120, 5400, 9800, 4100, 1300, 310, 42, 6)  # one per pair of edges
    return LoadSummary(
        scenario="peak-hour",
        users=200,
        duration_s=300.0,
        requests=sum(counts),
        failures=19,
        rps=70.4,
        p50_ms=61.0,
        p95_ms=236.0,
        p99_ms=540.0,
        operations={
            "customer-master:GET /customers": {
                "requests": 9840,
                "failures": 2,
                "p95_ms": 118,
                "p99_ms": 260,
            },
            "customer-master:GET /customers/{id}/orders": {
                "requests": 6100,
                "failures": 4,
                "p95_ms": 190,
                "p99_ms": 410,
            },
            "pbx-screen-pop:ringing": {
                "requests": 9840,
                "failures": 13,
                "p95_ms": 412,
                "p99_ms": 980,
            },
        },
        series=tuple(series),
        histogram=tuple(
            LatencyBucket(from_ms=lo, to_ms=hi, count=c)
            for lo, hi, c in zip(edges[:-1], edges[1:], counts, strict=True)
        ),
    )


def page_png(*, ok: bool, width: int = 480, height: int = 300) -> bytes:
    """A small PNG that looks like a page in a frame: a title bar and rows, or a refusal."""
    background = (255, 255, 255) if ok else (245, 245, 247)
    rows = []
    for y in range(height):
        row = bytearray([0])
        for x in range(width):
            colour = background
            if y < 36:
                colour = (31, 79, 191) if ok else (180, 35, 24)
            elif ok and 60 <= y < 260 and (y - 60) % 40 < 24 and 24 <= x < width - 24:
                colour = (228, 232, 242) if (y - 60) // 40 % 2 else (238, 241, 248)
            elif not ok and 120 <= y < 180 and 100 <= x < width - 100:
                colour = (253, 236, 235)
            row += bytes(colour)
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")
