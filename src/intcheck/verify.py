"""``intcheck verify-journal``: what a mock judged, as the standard report.

A team that points its own system at a mock (a PBX at the CTI receiver, a client at the REST
mock) gets the same evidence as a probe's: every journal entry that carries a verdict becomes
results. Nothing here knows a kind; it reads the journal's convention:

- ``validation`` is ``ok``, or the rules broken, comma-separated, each ``rule`` or
  ``rule:detail`` (``bad-signature``, ``missing-field:callid``, ``event-order:…``);
- ``note`` says it in words.

Each entry gives one ``meets_contract`` result (PASSED for ``ok``, else FAILED naming the rules)
and one FAILED result per broken rule, named by the rule. An entry a kind journals about
something larger than a request (a CTI call, with its events in order) is judged the same way.
A selected contract the journal holds nothing for is reported SKIPPED, never left out (with
the requests that reached no contract, the usual sign of a sender given the wrong address).
The journal is read from a directory (``intcheck mock --journal DIR``) or from a running mock's
admin API (``http://127.0.0.1:8080``).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

from intcheck import jsonwire
from intcheck.errors import TargetError, UsageError
from intcheck.kinds.probing import ProbeRequest
from intcheck.mock.journal import read_journal
from intcheck.model import Evidence, Result, Severity, Status
from intcheck.probe.runner import build_report, utc_now
from intcheck.probe.transport import Timeouts, create_session, send
from intcheck.redact import Redactor

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from intcheck.model import Contract, Plan, Report

CHECK = "meets_contract"
JOURNAL_PATH = "/__intcheck/journal"
BODY_LIMIT = 256 * 1024 * 1024  # a long mock session's journal, read in one answer

__all__ = ["CHECK", "journal_report", "journal_results", "read_entries"]


async def journal_report(
    plan: Plan, source: str | Path, *, only: Sequence[str] = (), timeout_s: float = 30.0
) -> Report:
    """The report of every verdict the journal at ``source`` (a directory or a mock's URL)
    holds for the plan's contracts (those named in ``only``, or all)."""
    started = utc_now()
    entries = await read_entries(source, timeout_s=timeout_s)
    results = journal_results(plan, entries, only=only)
    shown = str(source)
    return build_report(
        plan,
        results,
        started_at=started,
        complete=True,
        targets={c.name: f"journal {shown}" for c in plan.contracts},
        kind="journal",
    )


async def read_entries(source: str | Path, *, timeout_s: float = 30.0) -> list[dict[str, Any]]:
    """Every journal entry at ``source``, oldest first.

    UsageError for a directory that holds no journal, TargetError for a mock that cannot be
    asked."""
    text = str(source)
    if not text.startswith(("http://", "https://")):
        return await asyncio.to_thread(_read_directory, Path(source))
    url = text if text.rstrip("/").endswith(JOURNAL_PATH) else text.rstrip("/") + JOURNAL_PATH
    timeouts = Timeouts.from_total(timeout_s)
    async with create_session(timeouts) as session:
        exchange = await send(
            session, ProbeRequest(method="GET", url=url), timeouts, body_limit=BODY_LIMIT
        )
    if exchange.error:
        raise TargetError(f"cannot read the journal at {url}: {exchange.error}")
    if exchange.status != 200:
        raise TargetError(f"cannot read the journal at {url}: the mock answered {exchange.status}")
    try:
        document = jsonwire.loads(exchange.body)
        entries = document["entries"]
    except (ValueError, KeyError, TypeError) as exc:
        raise TargetError(f"{url} did not answer a mock journal: {exc}") from None
    if not isinstance(entries, list):
        raise TargetError(f"{url} did not answer a mock journal")
    return [e for e in entries if isinstance(e, dict)]


def _read_directory(directory: Path) -> list[dict[str, Any]]:
    if not directory.is_dir() or not any(directory.glob("journal-*.jsonl")):
        raise UsageError(
            f"no journal in {directory}: pass the folder given to `intcheck mock --journal` "
            "or a running mock's URL"
        )
    return read_journal(directory)[1]


def journal_results(
    plan: Plan, entries: Iterable[dict[str, Any]], *, only: Sequence[str] = ()
) -> list[Result]:
    """The results of the journal's verdicts, per selected contract in plan order."""
    names = {c.name for c in plan.contracts}
    unknown = sorted(set(only) - names)
    if unknown:
        raise UsageError(
            f"no contract of the plan is named {', '.join(unknown)}; "
            f"contracts: {', '.join(sorted(names))}"
        )
    redactor = Redactor(plan.secrets)
    by_contract: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        by_contract.setdefault(str(entry.get("contract", "")), []).append(entry)
    results: list[Result] = []
    for contract in plan.contracts:
        if only and contract.name not in only:
            continue
        held = by_contract.get(contract.name, [])
        judged = [e for e in held if e.get("validation")]
        if not judged:
            results.append(_nothing(contract, len(held), by_contract.get("", [])))
        for number, entry in enumerate(judged, 1):
            results += _entry_results(contract, number, entry, redactor)
    return results


def _entry_results(
    contract: Contract, number: int, entry: dict[str, Any], redactor: Redactor
) -> list[Result]:
    operation_name = str(entry.get("operation") or "")
    operation_id = str(entry.get("operation_id") or f"{contract.name}:*")
    known = contract.operation(operation_name) if operation_name else None
    source = known.source if known is not None and known.source else contract.source
    validation = str(entry["validation"])
    rules = [] if validation == "ok" else [r for r in validation.split(",") if r]
    note = str(entry.get("note") or "")
    request: dict[str, Any] = {
        "method": entry.get("method", ""),
        "url": entry.get("path", ""),
        "headers": entry.get("headers", {}),
    }
    if entry.get("body"):
        request["body"] = entry["body"]
    evidence = redactor.value(
        {
            "request": request,
            "details": {
                k: entry.get(k)
                for k in ("time", "protocol", "validation", "note", "fault", "worker")
                if entry.get(k) not in (None, "")
            },
        }
    )
    shared = Evidence(
        request=evidence["request"],
        status=entry.get("status") or None,
        elapsed_ms=entry.get("duration_ms"),
        details=evidence["details"],
    )
    case = f"{operation_id}#journal-{number:04d}"
    said = redactor.text(note)

    def result(check: str, status: Status, message: str) -> Result:
        return Result(
            integration=contract.name,
            operation=operation_id,
            case=case,
            check=check,
            status=status,
            severity=Severity.INFO if status is Status.PASSED else Severity.HIGH,
            message=message,
            evidence=shared,
            source=source,
        )

    if not rules:
        return [result(CHECK, Status.PASSED, said)]
    summary = f"broke {', '.join(rules)}" + (f": {said}" if said else "")
    families: dict[str, list[str]] = {}
    for rule in rules:
        families.setdefault(rule.split(":", 1)[0], []).append(rule)
    return [result(CHECK, Status.FAILED, summary)] + [
        result(family, Status.FAILED, ", ".join(broken) + (f": {said}" if said else ""))
        for family, broken in families.items()
    ]


def _nothing(contract: Contract, held: int, astray: list[dict[str, Any]]) -> Result:
    reason = (
        f"the journal holds {held} entries for {contract.name} but no verdict on any"
        if held
        else f"the journal holds nothing for {contract.name}"
    )
    if astray:
        # the usual cause: the sender was given the mock's address without /<contract>
        first, many = astray[0], "s" if len(astray) != 1 else ""
        reason += (
            f"; {len(astray)} request{many} reached no contract (e.g. "
            f"{first.get('method', '')} {first.get('path', '')}): "
            f"is the sender pointed at /{contract.name}/…?"
        )
    return Result(
        integration=contract.name,
        operation=f"{contract.name}:*",
        case=f"{contract.name}:*#journal",
        check=CHECK,
        status=Status.SKIPPED,
        severity=Severity.HIGH,
        message=f"not tested: {reason}",
        source=contract.source,
    )
