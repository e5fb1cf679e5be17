"""The readiness part of a plan: gates, thresholds, manual checklist items and waivers.

The plan schema has already checked the shapes; this module turns the entries into model
values and checks what a schema cannot: real calendar dates, a waiver that names no finding,
a waiver whose operation the contract does not have, a checklist item written twice.
"""

from __future__ import annotations

import difflib
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from intcheck.contracts.yamlsrc import dotted
from intcheck.model import (
    Diagnostic,
    Integration,
    ManualItem,
    ManualStatus,
    Severity,
    Thresholds,
    Waiver,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from intcheck.contracts.yamlsrc import SourceDoc
    from intcheck.model import Contract

_GLOB = frozenset("*?[")


def dates_as_text(data: Any) -> Any:
    """YAML reads ``2026-06-30`` as a date; the plan schema checks text, so turn dates back."""
    if isinstance(data, dict):
        return {k: dates_as_text(v) for k, v in data.items()}
    if isinstance(data, list):
        return [dates_as_text(v) for v in data]
    if isinstance(data, datetime):
        return data.isoformat()  # a time of day is refused by the schema: dates only
    if isinstance(data, date):
        return data.isoformat()
    return data


class PlanEntries:
    """Builds the readiness fields of one plan file, recording each problem as it goes."""

    def __init__(self, doc: SourceDoc, diagnostics: list[Diagnostic]) -> None:
        self.doc = doc
        self.diagnostics = diagnostics

    def integration(self, contract: Contract, entry: Mapping[str, Any], index: int) -> Integration:
        """The ``Integration`` for plan entry ``index``; ``entry`` is schema-valid."""
        pointer = f"/integrations/{index}"
        thresholds = entry.get("thresholds", {})
        return Integration(
            contract=contract,
            owner=entry.get("owner", ""),
            gates=tuple(entry.get("gates", ("conformance",))),
            criticality=entry.get("criticality", "medium"),
            thresholds=Thresholds(
                fail_on=Severity(thresholds.get("fail_on", "high")),
                max_errored=thresholds.get("max_errored", 0),
                slo_breach_blocks=thresholds.get("slo_breach", "blocks") == "blocks",
            ),
            manual=self.manual(entry.get("manual", []), f"{pointer}/manual"),
            waivers=tuple(
                waiver
                for i, item in enumerate(entry.get("waivers", []))
                if (waiver := self._waiver(item, f"{pointer}/waivers/{i}", contract)) is not None
            ),
            source=self.doc.ref(pointer),
        )

    def manual(self, items: list[Mapping[str, Any]], pointer: str) -> tuple[ManualItem, ...]:
        """Checklist items at ``pointer``; the same item written twice is an error."""
        built: list[ManualItem] = []
        first: dict[str, int] = {}
        for i, item in enumerate(items):
            where = f"{pointer}/{i}"
            key = " ".join(item["item"].lower().split())
            if key in first:
                self._error(
                    f"{where}/item",
                    f"checklist item written twice: {item['item']!r}",
                    hint=f"first written at {self.doc.ref(f'{pointer}/{first[key]}/item')}",
                    rule="duplicate-item",
                )
                continue
            first[key] = i
            built.append(
                ManualItem(
                    item=item["item"],
                    owner=item.get("owner", ""),
                    status=ManualStatus(item.get("status", "open")),
                    blocking=item.get("blocking", True),
                    due=self._date(item, "due", where),
                    note=item.get("note", ""),
                    source=self.doc.ref(where),
                )
            )
        return tuple(built)

    def _waiver(self, item: Mapping[str, Any], pointer: str, contract: Contract) -> Waiver | None:
        if not any(item.get(k) for k in ("operation", "case", "check")):
            self._error(
                pointer,
                "a waiver must name the finding it accepts",
                hint="give operation, case or check (shell patterns allowed), e.g. "
                "operation: GET /customers/{id}, check: body_matches_schema",
                rule="waiver-matches-everything",
            )
            return None
        operation = item.get("operation", "")
        exact = bool(operation) and not _GLOB & set(operation)
        known = contract.operation(operation.removeprefix(f"{contract.name}:")) if exact else None
        if known is not None:
            operation = known.name  # an operationId names it too; results carry the name
        elif exact:
            names = [op.name for op in contract.operations]
            close = difflib.get_close_matches(operation.split(":", 1)[-1], names, n=1)
            self._error(
                f"{pointer}/operation",
                f"{contract.name} has no operation {operation!r}",
                hint=f"did you mean {close[0]!r}?" if close else "operations: " + ", ".join(names),
                rule="unknown-operation",
            )
            return None
        until = self._date(item, "until", pointer)
        if until is None:
            return None
        return Waiver(
            operation=operation,
            case=item.get("case", ""),
            check=item.get("check", ""),
            reason=item["reason"],
            accepted_by=item["accepted_by"],
            until=until,
            source=self.doc.ref(pointer),
        )

    def _date(self, item: Mapping[str, Any], key: str, pointer: str) -> date | None:
        text = item.get(key)
        if text is None:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError as exc:
            self._error(
                f"{pointer}/{key}",
                f"expected a real calendar date, got {text!r} ({exc})",
                rule="date",
            )
            return None

    def _error(self, pointer: str, message: str, *, hint: str = "", rule: str = "") -> None:
        self.diagnostics.append(
            Diagnostic(
                source=self.doc.ref(pointer),
                field=dotted(pointer),
                message=message,
                hint=hint,
                rule=rule,
            )
        )
