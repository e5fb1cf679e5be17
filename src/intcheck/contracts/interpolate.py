"""``${VAR}`` and ``${VAR:-default}`` substitution from the environment.

A missing variable is reported with the file:line of the value that needs it; ``$${`` writes a
literal ``${``. When a whole scalar is one reference and the substituted text is a number, it
becomes that number, so ``p95_ms: ${P95_MS:-300}`` is 300, not the text "300".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from intcheck.contracts.yamlsrc import dotted, escape
from intcheck.model import Diagnostic

if TYPE_CHECKING:
    from intcheck.contracts.yamlsrc import SourceDoc

_REFERENCE = re.compile(r"\$\$\{|\$\{([^}]*)\}")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass(slots=True)
class Interpolation:
    """The substituted data, the pointers whose value came through ``${…}``, the errors."""

    data: Any
    interpolated: set[str] = field(default_factory=set)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def interpolate(doc: SourceDoc, environ: Mapping[str, str]) -> Interpolation:
    """Substitute every ``${…}`` in ``doc``'s string values (keys are left alone)."""
    result = Interpolation(data=None)
    result.data = _walk(doc, doc.data, "", environ, result)
    return result


def _walk(
    doc: SourceDoc, value: Any, pointer: str, environ: Mapping[str, str], out: Interpolation
) -> Any:
    if isinstance(value, dict):
        return {
            k: _walk(doc, v, f"{pointer}/{escape(str(k))}", environ, out) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_walk(doc, v, f"{pointer}/{i}", environ, out) for i, v in enumerate(value)]
    if isinstance(value, str) and "${" in value:
        return _substitute(doc, value, pointer, environ, out)
    return value


def _substitute(
    doc: SourceDoc, text: str, pointer: str, environ: Mapping[str, str], out: Interpolation
) -> Any:
    whole = _REFERENCE.fullmatch(text) is not None and not text.startswith("$$")
    failed = False

    def replace(match: re.Match[str]) -> str:
        nonlocal failed
        if match.group(0) == "$${":
            return "${"
        name, _, default = match.group(1).partition(":-")
        has_default = ":-" in match.group(1)
        if not _NAME.match(name):
            failed = True
            out.diagnostics.append(
                Diagnostic(
                    source=doc.ref(pointer),
                    field=dotted(pointer),
                    message=f"expected ${{NAME}} or ${{NAME:-default}}, got {match.group(0)!r}",
                    rule="bad-interpolation",
                )
            )
            return ""
        if name in environ:
            return environ[name]
        if has_default:
            return default
        failed = True
        out.diagnostics.append(
            Diagnostic(
                source=doc.ref(pointer),
                field=dotted(pointer),
                message=f"environment variable {name} is not set",
                hint=f"export {name}=… before running, or write ${{{name}:-default}}",
                rule="missing-env",
            )
        )
        return ""

    out.interpolated.add(pointer)
    substituted = _REFERENCE.sub(replace, text)
    if failed or not whole:
        return substituted
    # Only numbers are re-read: a password such as "yes" or "null" must stay text.
    for number in (int, float):
        try:
            return number(substituted)
        except ValueError:
            pass
    return substituted
