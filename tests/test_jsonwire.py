"""The request reader keeps to I-JSON; its shortcuts (counts in C) agree with a full read."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intcheck.jsonwire import MAX_DEPTH, Refused, number, read_request

# -- a JSON text written by hand, so names may repeat and colons may be escaped -----------

_TEXT = st.text(
    alphabet=st.sampled_from(["a", "b", ":", '"', "\\", "é", " ", "{", "["]), max_size=4
)


def _string(text: str, escape_colons: bool) -> str:
    out = json.dumps(text)
    return out.replace(":", "\\u003a") if escape_colons else out


@st.composite
def _documents(draw: st.DrawFn, depth: int = 0) -> tuple[str, bool]:
    """(JSON text, whether some object in it names a key twice)."""
    escape = draw(st.booleans())
    if depth >= 3 or draw(st.integers(0, 3)) == 0:
        return draw(
            st.sampled_from(["1", "true", "null", "-2.5"]) | _TEXT.map(lambda t: _string(t, escape))
        ), False
    if draw(st.booleans()):
        items = draw(st.lists(_documents(depth + 1), max_size=3))
        return "[" + ",".join(t for t, _ in items) + "]", any(d for _, d in items)
    names = draw(st.lists(st.sampled_from(["a", "a:", "b"]) | _TEXT, max_size=4))
    values = [draw(_documents(depth + 1)) for _ in names]
    pairs = ",".join(f"{_string(n, escape)} : {v}" for n, (v, _) in zip(names, values, strict=True))
    twice = len(set(names)) != len(names) or any(d for _, d in values)
    return "{" + pairs + "}", twice


@settings(max_examples=400, deadline=None)
@given(_documents())
def test_duplicate_names_are_found_exactly(document: tuple[str, bool]) -> None:
    text, twice = document
    if twice:
        with pytest.raises(Refused) as refused:
            read_request(text.encode())
        assert refused.value.rule == "duplicate-key"
    else:
        assert read_request(text.encode()) == json.loads(text)


@pytest.mark.parametrize("kind", ["[", '{"a":'])
def test_depth_is_counted_exactly_at_the_limit(kind: str) -> None:
    def nested(depth: int) -> bytes:
        close = "]" if kind == "[" else "}"
        return (kind * depth + "1" + close * depth).encode()

    read_request(nested(MAX_DEPTH))
    with pytest.raises(Refused) as refused:
        read_request(nested(MAX_DEPTH + 1))
    assert refused.value.rule == "max-depth"
    # brackets inside strings do not count as nesting
    assert read_request(json.dumps({"a": "[" * 500}).encode()) == {"a": "[" * 500}


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        (rb'"\ud800"', "lone-surrogate"),
        (rb'["\udfff x"]', "lone-surrogate"),
        (b"1e400", "number-range"),
        (b"[-" + b"9" * 400 + b"]", "number-range"),
        (b'"\xc3"', "encoding"),
        (b'\xef\xbb\xbf{"a":1}', "encoding"),
        (b"{'a': 1}", "malformed"),
        (b"[1,]", "malformed"),
        (b"NaN", "malformed"),
    ],
)
def test_what_i_json_refuses_names_its_rule(raw: bytes, rule: str) -> None:
    with pytest.raises(Refused) as refused:
        read_request(raw)
    assert refused.value.rule == rule


def test_what_i_json_allows_is_read() -> None:
    raw = rb'{"n":"a\u0000b","e":"\ud83d\ude00","big":18446744073709551616,"t":"10:00"}'
    value: Any = read_request(raw)
    assert value["n"] == "a\x00b" and value["e"] == "\U0001f600" and value["t"] == "10:00"


@pytest.mark.parametrize(
    ("text", "integer", "expected"),
    [
        ("12", True, 12),
        ("-7", True, -7),
        ("1.5", True, None),
        ("1.5", False, 1.5),
        ("-2e3", False, -2000.0),
        (".5", False, 0.5),
        ("١٢", True, None),
        ("１０", False, None),
        ("²", True, None),
        ("1_000", True, None),
        (" 1", True, None),
        ("nan", False, None),
        ("inf", False, None),
        ("0x1A", True, None),
    ],
)
def test_numbers_are_ascii_digits_only(text: str, integer: bool, expected: object) -> None:
    assert number(text, integer=integer) == expected


@pytest.mark.parametrize("text", ["1e400", "-1e999", "9" * 4301])
def test_numbers_beyond_reach_are_refused(text: str) -> None:
    with pytest.raises(Refused) as refused:
        number(text, integer=False)
    assert refused.value.rule == "number-range"
