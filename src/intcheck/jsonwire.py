"""JSON on the mock's hot path: orjson where it gives the same answer, else the standard library.

orjson is several times faster than ``json`` but narrower: integers beyond 64 bits, keys that
are not strings and lone surrogates in strings raise instead of encoding. Those values are
decoded (or encoded) by ``json`` instead, with ``json``'s own error messages for malformed
input, which the mock quotes in its problem answers.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON (no spaces, non-ASCII kept as is)."""
    try:
        return orjson.dumps(value)
    except TypeError:  # orjson.JSONEncodeError: a big integer, a non-string key, a surrogate
        # ASCII escapes: a lone surrogate cannot be encoded as UTF-8, but \udcff is valid JSON
        return json.dumps(value, separators=(",", ":")).encode()


def loads(raw: bytes | str) -> Any:
    """The decoded document; ``ValueError`` (json's message) when it is not JSON."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)  # valid JSON orjson declines (big integers), or json's error
