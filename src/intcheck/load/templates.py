"""Step values that take fields of the flow's record: ``{id}``, ``{phones[0].number}``.

A value that is one template alone keeps the field's type (a number stays a number); a template
inside text is replaced by the field's text (``"{first_name} {last_name}"``). ``[*]`` takes one
item of a list at random, so a screen pop can send the caller's number in any of the forms the
PBX sends (``{caller_ids[*]}``) while the lookup after it uses the canonical one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import random

_TEMPLATE = re.compile(
    r"\{([A-Za-z_][A-Za-z0-9_]*(?:\[(?:[0-9]+|\*)\]|\.[A-Za-z_][A-Za-z0-9_]*)*)\}"
)
_PART = re.compile(r"\[([0-9]+|\*)\]|\.?([A-Za-z_][A-Za-z0-9_]*)")


class TemplateError(ValueError):
    """A template names a field the record does not have."""


def fields_of(value: Any) -> list[str]:
    """The field paths a value's templates take, e.g. ``["phones[0].number"]``."""
    return _TEMPLATE.findall(value) if isinstance(value, str) else []


def resolve(value: Any, record: Mapping[str, Any], rng: random.Random | None) -> Any:
    """``value`` with its templates filled from ``record``; ``rng`` None takes ``[*]`` as [0]."""
    if not isinstance(value, str) or "{" not in value:
        return value
    whole = _TEMPLATE.fullmatch(value)
    if whole is not None:
        return _lookup(whole.group(1), record, rng)
    return _TEMPLATE.sub(lambda m: _text(_lookup(m.group(1), record, rng)), value)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _lookup(path: str, record: Mapping[str, Any], rng: random.Random | None) -> Any:
    current: Any = record
    for match in _PART.finditer(path):
        index, name = match.groups()
        if name is not None:
            if not isinstance(current, Mapping) or name not in current:
                raise TemplateError(f"no field {path!r}")
            current = current[name]
        elif not isinstance(current, list) or not current:
            raise TemplateError(f"{path!r}: not a list, or an empty one")
        elif index == "*":
            current = rng.choice(current) if rng is not None else current[0]
        elif int(index) < len(current):
            current = current[int(index)]
        else:
            raise TemplateError(f"{path!r}: the list has {len(current)} items")
    if current is None or isinstance(current, Mapping | list):
        raise TemplateError(f"{path!r} is not a single value")
    return current
