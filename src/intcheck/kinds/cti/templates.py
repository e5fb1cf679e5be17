"""The contract's field templates: ``"{caller_id}"``, ``"ext-{agent_ext}"``, written and read back.

Templates use Python's format syntax without format specs (``string.Formatter`` parses them),
so a literal brace is written ``{{``. The simulator renders a template with a call's values;
the mock's receiver reads a value back out of a field whose template holds one placeholder.
"""

from __future__ import annotations

import functools
import string
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

# What a callback may carry (DOMAIN.md §1.1).
PLACEHOLDERS = (
    "caller_id",
    "dnis",
    "call_id",
    "agent_ext",
    "event",
    "direction",
    "timestamp",
    "queue",
    "duration",
    "disposition",
)
# Empty on some events or for some callers: no hang-up yet, a withheld number, no queue.
SOMETIMES_EMPTY = frozenset({"caller_id", "duration", "disposition", "queue"})

_FORMATTER = string.Formatter()
Parsed = tuple[tuple[str, str | None], ...]  # (literal text, placeholder or None)


@functools.lru_cache(maxsize=1024)  # a contract has a few templates, read on every callback
def _parsed(template: str) -> Parsed:
    return tuple((literal, name) for literal, name, _, _ in _FORMATTER.parse(template))


def placeholders_in(template: str) -> list[str]:
    """The placeholder names in ``template``, in order (none when it is malformed)."""
    try:
        return [name for _, name in _parsed(template) if name is not None]
    except ValueError:
        return []


def template_error(template: str) -> str:
    """Why ``template`` cannot be used ("" when it can)."""
    try:
        parsed = list(_FORMATTER.parse(template))
    except ValueError as exc:
        return f"{exc}; write a literal brace as {{{{ or }}}}"
    for _, name, spec, conversion in parsed:
        if name == "":
            return "an empty placeholder {}; name one, e.g. {caller_id}"
        if spec or conversion:
            return f"placeholders take no format spec or conversion: {{{name}}}"
    return ""


def render(template: str, values: Mapping[str, str]) -> str:
    """``template`` with each placeholder replaced by its value ("" when it has none)."""
    out: list[str] = []
    for literal, name in _parsed(template):
        out.append(literal)
        if name is not None:
            out.append(values.get(name, ""))
    return "".join(out)


def read_back(template: str, value: str) -> dict[str, str] | None:
    """The placeholder value ``value`` carries, for a template with one placeholder.

    ``{}`` when the template holds none or several (nothing can be read back safely), None
    when ``value`` does not have the template's literal text around it.

    >>> read_back("ext-{agent_ext}", "ext-101")
    {'agent_ext': '101'}
    """
    name, prefix, suffix = _reader(template)
    if name is None:
        return {}
    if len(value) < len(prefix) + len(suffix):
        return None
    if not (value.startswith(prefix) and value.endswith(suffix)):
        return None
    return {name: value[len(prefix) : len(value) - len(suffix)]}


@functools.lru_cache(maxsize=1024)  # read on every callback the mock receives
def _reader(template: str) -> tuple[str | None, str, str]:
    """The one placeholder of ``template`` and the text before and after it (None: not one)."""
    parsed = _parsed(template)
    names = [name for _, name in parsed if name is not None]
    if len(names) != 1:
        return None, "", ""
    prefix, suffix, seen = "", "", False
    for literal, name in parsed:
        if seen:
            suffix += literal
        else:
            prefix += literal
        seen = seen or name is not None
    return names[0], prefix, suffix
