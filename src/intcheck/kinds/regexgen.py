"""Strings that match a regular expression, generated from Python's own regex parse tree."""

from __future__ import annotations

import functools
import importlib
import random
import re
import string
from typing import Any

# The regex parser behind ``re``; the public alias ``sre_parse`` warns on import since 3.11.
_parser: Any = importlib.import_module("re._parser")
_CATEGORIES = {
    "CATEGORY_DIGIT": string.digits,
    "CATEGORY_NOT_DIGIT": string.ascii_letters,
    "CATEGORY_WORD": string.ascii_letters + string.digits + "_",
    "CATEGORY_NOT_WORD": "-.!",
    "CATEGORY_SPACE": " ",
    "CATEGORY_NOT_SPACE": string.ascii_letters,
}
_PRINTABLE = string.ascii_letters + string.digits


def generate_matching(pattern: str, rng: random.Random, *, max_len: int = 64) -> str:
    """A string matching ``pattern`` (unbounded repeats kept short); "" if it cannot parse."""
    parsed = _parsed_pattern(pattern)
    if parsed is None:
        return ""
    groups: dict[int, str] = {}
    return _emit(parsed, rng, groups, max(1, min(max_len, 64)))


@functools.lru_cache(maxsize=1024)
def _parsed_pattern(pattern: str) -> Any:
    """The parse tree of ``pattern``, once per pattern: parsing costs more than emitting."""
    try:
        return _parser.parse(pattern)
    except (re.error, RecursionError, OverflowError):
        return None


def _emit(items: Any, rng: random.Random, groups: dict[int, str], budget: int) -> str:
    out: list[str] = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "NOT_LITERAL":
            out.append(rng.choice([c for c in _PRINTABLE if ord(c) != arg]))
        elif name == "ANY":
            out.append(rng.choice(_PRINTABLE))
        elif name == "IN":
            out.append(_from_set(arg, rng))
        elif name == "BRANCH":
            out.append(_emit(rng.choice(arg[1]), rng, groups, budget))
        elif name == "SUBPATTERN":
            text = _emit(arg[-1], rng, groups, budget)
            if arg[0] is not None:
                groups[arg[0]] = text
            out.append(text)
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, sub = arg
            top = low + 3 if high is _parser.MAXREPEAT or high > low + 3 else high
            top = max(low, min(top, budget))
            out.extend(_emit(sub, rng, groups, budget) for _ in range(rng.randint(low, top)))
        elif name == "GROUPREF":
            out.append(groups.get(arg, ""))
        elif name == "ATOMIC_GROUP":
            out.append(_emit(arg, rng, groups, budget))
        # AT (anchors), ASSERT and ASSERT_NOT emit nothing
    return "".join(out)


def _from_set(items: Any, rng: random.Random) -> str:
    allowed: list[str] = []
    negate = False
    for op, arg in items:
        name = str(op)
        if name == "NEGATE":
            negate = True
        elif name == "LITERAL":
            allowed.append(chr(arg))
        elif name == "RANGE":
            allowed.extend(chr(c) for c in range(arg[0], min(arg[1], arg[0] + 200) + 1))
        elif name == "CATEGORY":
            allowed.extend(_CATEGORIES.get(str(arg), _PRINTABLE))
    if negate:
        pool = [c for c in _PRINTABLE if c not in allowed]
        return rng.choice(pool or ["~"])
    return rng.choice(allowed or list(_PRINTABLE))
