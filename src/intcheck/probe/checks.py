"""Checks every kind shares (status, auth) and the loop that runs checks on an answer.

A check is a plain function ``(case, exchange) -> Finding | None``; ``run_checks`` turns each
into a ``Result``. A check that raises ``CannotEvaluate`` is ERRORED; any other exception is a
bug in the check, reported as ERRORED with its type, so one broken check never stops a run.
"""

from __future__ import annotations

import math
import shlex
import time
from dataclasses import replace
from typing import TYPE_CHECKING

from intcheck.kinds.probing import CannotEvaluate, Check, Finding, status_matches
from intcheck.model import Evidence, Result, Severity, Status
from intcheck.redact import MASK, decode, printable

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from intcheck.kinds.probing import Exchange, ProbeCase
    from intcheck.redact import Redactor

EVIDENCE_BODY_LIMIT = 2048
MESSAGE_LIMIT = 500  # characters of a result's message and of each schema-error field


def _expected(case: ProbeCase) -> str:
    return " or ".join(case.expect_status) if case.expect_status else "a documented status < 500"


def status_is_documented(case: ProbeCase, exchange: Exchange) -> Finding | None:
    assert exchange.status is not None
    if not case.documented or status_matches(exchange.status, case.documented):
        return None
    return Finding(
        f"status {exchange.status} is not documented (documented: {', '.join(case.documented)})"
    )


def status_is_as_expected(case: ProbeCase, exchange: Exchange) -> Finding | None:
    assert exchange.status is not None
    if case.expect_status:
        if status_matches(exchange.status, case.expect_status):
            return None
    elif exchange.status < 500:
        return None
    return Finding(f"expected {_expected(case)}, got {exchange.status}")


def invalid_request_is_rejected(case: ProbeCase, exchange: Exchange) -> Finding | None:
    """An invalid request must get a documented 4xx: a 2xx accepts junk, a 5xx crashes on it."""
    assert exchange.status is not None
    if 400 <= exchange.status < 500:
        return None
    verdict = "accepted" if exchange.status < 400 else "crashed on"
    return Finding(f"the service {verdict} an invalid request: expected 4xx, got {exchange.status}")


def auth_is_enforced(case: ProbeCase, exchange: Exchange) -> Finding | None:
    assert exchange.status is not None
    if exchange.status in (401, 403):
        return None
    return Finding(f"a request without credentials got {exchange.status}, expected 401 or 403")


def generic_checks(case: ProbeCase) -> tuple[Check, ...]:
    """The shared checks that apply to ``case``, before the kind's own."""
    claim = {
        "negative": Check(name="invalid_request_is_rejected", function=invalid_request_is_rejected),
        "auth": Check(
            name="auth_is_enforced", function=auth_is_enforced, severity=Severity.CRITICAL
        ),
    }.get(case.kind, Check(name="status_is_as_expected", function=status_is_as_expected))
    # No per-answer SLA check: a p95 allows one answer in twenty to be slower, so the runner
    # judges the SLA once over the run's samples; a single answer only against ``max_ms``.
    checks = [claim]
    if case.documented:
        checks.insert(0, Check(name="status_is_documented", function=status_is_documented))
    return tuple(checks)


def run_checks(case: ProbeCase, exchange: Exchange, redactor: Redactor) -> list[Result]:
    """Every check of ``case`` on ``exchange``, as Results with redacted evidence."""
    checks = (*generic_checks(case), *case.checks)
    if exchange.error:
        evidence = build_evidence(exchange, redactor)
        return [
            _result(
                case,
                check,
                Status.ERRORED,
                redactor.clip(exchange.error, MESSAGE_LIMIT),
                0.0,
                evidence,
            )
            for check in checks
        ]
    # One evidence per case, shared by its results (it is frozen): redaction and the curl line
    # are the costliest part of checking a fast answer.
    shared = build_evidence(exchange, redactor)
    results = []
    for check in checks:
        started = time.perf_counter()
        try:
            finding = check.function(case, exchange)
        except CannotEvaluate as exc:
            finding = Finding(str(exc), Status.ERRORED)
        except Exception as exc:  # a broken check must not stop the run
            finding = Finding(f"check crashed: {type(exc).__name__}: {exc}", Status.ERRORED)
        took = (time.perf_counter() - started) * 1000
        status = Status.PASSED if finding is None else finding.status
        evidence = shared
        if finding is not None and finding.schema_error:
            evidence = replace(shared, schema_error=_schema_error(finding.schema_error, redactor))
        message = redactor.clip(finding.message, MESSAGE_LIMIT) if finding is not None else ""
        results.append(_result(case, check, status, message, took, evidence))
    return results


def _result(
    case: ProbeCase,
    check: Check,
    status: Status,
    message: str,
    took: float,
    evidence: Evidence,
) -> Result:
    return Result(
        integration=case.integration,
        operation=case.operation.id,
        case=case.id,
        check=check.name,
        status=status,
        severity=check.severity if status is not Status.PASSED else Severity.INFO,
        message=message,
        duration_ms=took,
        evidence=evidence,
        source=case.source,
    )


def build_evidence(
    exchange: Exchange, redactor: Redactor, schema_error: Mapping[str, str] | None = None
) -> Evidence:
    """What was sent and received, redacted, bodies truncated, with a curl line to rerun it.

    Bodies and schema-error texts are redacted before they are cut (``truncate``); then the
    whole Evidence goes through ``Redactor.scrub``, so every string in it, including fields
    added later, is redacted and printable.
    """
    request = exchange.request
    headers = redactor.headers(request.headers)
    sent: dict[str, object] = {"method": request.method, "url": request.url, "headers": headers}
    if request.body:
        sent["body"] = truncate(request.body, redactor)
    evidence = Evidence(
        request=sent,
        status=exchange.status,
        headers=exchange.headers,
        body=truncate(exchange.body, redactor),
        elapsed_ms=round(exchange.elapsed_ms, 3),
        schema_error=_schema_error(schema_error, redactor) if schema_error else None,
        curl=curl_line(request.method, redactor.text(request.url), headers, request.body, redactor)
        if request.url.startswith(("http://", "https://"))
        else "",
        details=dict(exchange.observed),
        attachments=exchange.attachments,
    )
    return redactor.scrub(evidence)


def _schema_error(error: Mapping[str, str], redactor: Redactor) -> dict[str, str]:
    """A check's schema error as evidence: each text redacted, then cut (it quotes the body)."""
    return {key: printable(redactor.clip(text, MESSAGE_LIMIT)) for key, text in error.items()}


def truncate(body: bytes, redactor: Redactor, limit: int = EVIDENCE_BODY_LIMIT) -> str:
    """The first ``limit`` bytes of ``body`` as text: redacted first, then cut."""
    return redactor.excerpt(body, limit)


def curl_line(
    method: str, url: str, headers: Mapping[str, str], body: bytes, redactor: Redactor
) -> str:
    """A shell line that replays the request; masked credentials read from the environment."""
    parts = ["curl", "-sS", "-i", "-X", shlex.quote(method)]
    for name, value in headers.items():
        if value == MASK:
            # A masked secret: the user supplies it from the environment instead.
            parts += ["-H", f'"{name}: ${{INTCHECK_{_env_name(name)}}}"']
            continue
        parts += ["-H", shlex.quote(redactor.text(f"{name}: {value}"))]
    if body:
        parts += ["--data-binary", shlex.quote(redactor.text(decode(body)))]
    parts.append(shlex.quote(redactor.text(url)))
    return " ".join(parts)


def _env_name(header: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in header.upper())


def percentile(values: Iterable[float], fraction: float) -> float:
    """Nearest-rank percentile: the value below which ``fraction`` of ``values`` fall."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]
