"""What the loader hands a kind's ``read`` (a validated contract file) and what it gets back.

A kind reads its own documents (an OpenAPI file, a WSDL) and lists its operations; problems it
finds go into the run's diagnostics through ``error``/``warning``, with the contract line that
named the document, so they are reported with every other problem of the plan at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from intcheck.contracts.yamlsrc import dotted, value_at
from intcheck.model import Auth, Diagnostic, Level, Operation, display_path

if TYPE_CHECKING:
    from pathlib import Path

    from intcheck.contracts.yamlsrc import SourceDoc


@dataclass(slots=True)
class ContractSource:
    """One contract file: its interpolated, schema-valid data with line marks."""

    path: Path
    doc: SourceDoc
    data: Mapping[str, Any]
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.data["name"])

    def error(self, pointer: str, message: str, *, hint: str = "", rule: str = "") -> None:
        self._add(pointer, message, hint, rule, Level.ERROR)

    def warning(self, pointer: str, message: str, *, hint: str = "", rule: str = "") -> None:
        self._add(pointer, message, hint, rule, Level.WARNING)

    def _add(self, pointer: str, message: str, hint: str, rule: str, level: Level) -> None:
        self.diagnostics.append(
            Diagnostic(
                source=self.doc.ref(pointer),
                field=dotted(pointer),
                message=message,
                hint=hint,
                level=level,
                rule=rule,
            )
        )

    def document_path(self, pointer: str) -> Path | None:
        """The file a field names (relative to the contract), or None after reporting it missing."""
        written = str(value_at(self.data, pointer))
        resolved = (self.path.parent / written).resolve()
        if resolved.is_file():
            return resolved
        shown = display_path(resolved)
        self.error(
            pointer,
            f"file not found: {written}",
            hint="" if shown == written else f"looked for {shown}",
            rule="missing-file",
        )
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class ContractParts:
    """What a kind read from a contract: its document (if any) and its operations."""

    operations: tuple[Operation, ...]
    document: Any = None  # the loaded OpenAPI document, zeep WSDL document, or None
    spec: Path | None = None  # the document's file


def credentials_of(data: Mapping[str, Any]) -> tuple[Auth, ...]:
    """The contract's credentials: ``auth:`` as one mapping or a list of them."""
    auth = data.get("auth")
    entries = auth if isinstance(auth, list) else [auth] if auth else []
    return tuple(Auth(**entry) for entry in entries)
