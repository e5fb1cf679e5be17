"""JSON on the mock's hot path: orjson to write and read, and the rules a request must keep.

orjson is several times faster than ``json`` but narrower on writing: integers beyond 64 bits,
keys that are not strings and lone surrogates raise instead of encoding, so ``dumps`` falls
back to ``json`` for those. ``loads`` reads intcheck's own files (the journal), falling back to
``json`` for what orjson declines there.

A request body is read by ``read_request`` instead, which keeps to I-JSON (RFC 7493): the
interoperable subset every real service can read the same way. What it refuses raises
``Refused`` naming the rule, so the mock answers 400 with the rule instead of a 500 or a
silent guess:

==================  ==========================================================================
``malformed``       not JSON at all (orjson's message, with line and column)
``encoding``        not UTF-8, or UTF-8 behind a byte order mark (RFC 8259 §8.1)
``max-depth``       arrays and objects nested deeper than ``MAX_DEPTH`` levels (RFC 8259 §9
                    lets a parser set a limit; the schema validator cannot go past ~250)
``lone-surrogate``  a ``\\ud800``-style escape without its pair (RFC 7493 §2.1)
``number-range``    a number beyond what a double holds, such as ``1e400`` (RFC 7493 §2.2)
``duplicate-key``   the same name twice in one object (RFC 7493 §2.3): services disagree on
                    which value wins
==================  ==========================================================================

Numbers written as text (a query value, a header, a form field) are read by ``number`` with
the same grammar: ASCII digits only, so ``١٢`` or ``１０``, which Python's ``int`` accepts, are
not numbers.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

MAX_DEPTH = 64  # levels of arrays and objects in a request body or JSON parameter
_MAX_INT_DIGITS = 4300  # Python's own limit for int(text); longer is refused as number-range
_INTEGER = re.compile(r"-?[0-9]+")
_DECIMAL = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_CONTAINERS = (dict, list)


class Refused(ValueError):
    """Input that breaks a rule of ``read_request`` or ``number``; ``rule`` names it."""

    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(detail)
        self.rule = rule


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON (no spaces, non-ASCII kept as is)."""
    try:
        return orjson.dumps(value)
    except TypeError:  # orjson.JSONEncodeError: a big integer, a non-string key, a surrogate
        # ASCII escapes: a lone surrogate cannot be encoded as UTF-8, but \udcff is valid JSON
        return json.dumps(value, separators=(",", ":")).encode()


def loads(raw: bytes | str) -> Any:
    """intcheck's own JSON (a journal line); ``ValueError`` (json's message) when it is not."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)  # what dumps wrote through json (escaped lone surrogates)


def read_request(raw: bytes | str) -> Any:
    """A request's JSON document, or ``Refused`` naming the rule it breaks (see the table)."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise _refusal(raw, str(exc)) from None
    if isinstance(value, _CONTAINERS):
        data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
        # Each level takes two bytes at least: a short body cannot nest too deep. Longer
        # ones count their brackets (in C; brackets inside strings only count too many).
        if len(data) > 2 * MAX_DEPTH and data.count(b"{") + data.count(b"[") > MAX_DEPTH:
            _check_depth(value)
        # Outside strings a colon follows a name. Written again, the value has one per name
        # it kept plus those inside its strings; the body had as many more as names it wrote
        # twice (and their values' colons). Only an escaped colon (\u003a) could hide one.
        colons = data.count(b":")
        if colons and (
            (0x5C in data and (b"\\u003a" in data or b"\\u003A" in data))  # a backslash first
            or colons != orjson.dumps(value).count(b":")
        ):
            json.loads(data, object_pairs_hook=_unique_names)
    return value


def number(text: str, *, integer: bool) -> int | float | None:
    """``text`` as a number written in ASCII digits, None when it is none (with ``integer``,
    only whole digits count); ``Refused("number-range")`` when it is too big to hold."""
    if _INTEGER.fullmatch(text):
        if len(text) > _MAX_INT_DIGITS:
            raise Refused("number-range", f"an integer of {len(text)} digits is out of range")
        return int(text)
    if not integer and _DECIMAL.fullmatch(text):
        value = float(text)
        if value in (float("inf"), float("-inf")):
            raise Refused("number-range", f"{text[:40]!r} is beyond what a double holds")
        return value
    return None


def _refusal(raw: bytes | str, message: str) -> Refused:
    if message.startswith("depth limit exceeded"):
        return Refused("max-depth", f"nested deeper than {MAX_DEPTH} levels ({message})")
    if "surrogate" in message and not message.startswith("str is not valid UTF-8"):
        return Refused("lone-surrogate", f"a \\u escape of half a surrogate pair ({message})")
    if "infinity" in message or "out of range" in message:
        return Refused("number-range", f"a number beyond what a double holds ({message})")
    if "byte order mark" in message:
        return Refused(
            "encoding", "a UTF-8 byte order mark, which senders must not add (RFC 8259 §8.1)"
        )
    if isinstance(raw, bytes):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            return Refused("encoding", f"not UTF-8: byte {exc.start} ({raw[exc.start]:#04x})")
    return Refused("malformed", message)


def _check_depth(value: Any) -> None:
    todo = [(value, 1)]
    while todo:
        node, depth = todo.pop()
        if depth > MAX_DEPTH:
            raise Refused("max-depth", f"nested deeper than {MAX_DEPTH} levels")
        for child in node.values() if isinstance(node, dict) else node:
            if isinstance(child, _CONTAINERS):
                todo.append((child, depth + 1))


def _unique_names(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, item in pairs:
        if name in found:
            raise Refused("duplicate-key", f"the name {name!r} appears twice in one object")
        found[name] = item
    return found
