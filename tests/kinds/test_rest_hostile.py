"""Hostile input to the REST mock: refused with 400 naming the rule, never a 500 or a guess.

Every place a request carries user input (path, query, header, cookie, a JSON parameter, a
form and a JSON body) is fed the same catalogue: deep nesting, non-ASCII digits, lone
surrogates, NUL, duplicate names, numbers beyond a double, bytes that are not UTF-8.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest

from intcheck.contracts import load_plan
from intcheck.jsonwire import MAX_DEPTH
from intcheck.mock import MockServer
from intcheck.model import Latency

AUTH = {"Authorization": "Bearer test-token"}
JSON = {"Content-Type": "application/json"}
_OK = {"200": {"description": "ok", "content": {"application/json": {"schema": {}}}}}
_NUMBERS = {
    "type": "object",
    "properties": {
        "count": {"type": "integer"},
        "amount": {"type": "number"},
        "note": {"type": "string"},
        "tree": {},  # anything, however nested: only the depth rule may refuse it
    },
}
SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "hostile", "version": "1"},
    "paths": {
        "/things/{id}": {
            "post": {
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer"}},
                    {"name": "amount", "in": "query", "schema": {"type": "number"}},
                    {"name": "X-Count", "in": "header", "schema": {"type": "integer"}},
                    {"name": "size", "in": "cookie", "schema": {"type": "integer"}},
                    {
                        "name": "filter",
                        "in": "query",
                        "content": {"application/json": {"schema": _NUMBERS}},
                    },
                ],
                "requestBody": {
                    "content": {
                        "application/json": {"schema": _NUMBERS},
                        "application/x-www-form-urlencoded": {"schema": _NUMBERS},
                    }
                },
                "responses": {**_OK, "400": {"description": "bad"}},
            }
        }
    },
}


@pytest.fixture
async def mock(tmp_path: Path) -> AsyncIterator[MockServer]:
    (tmp_path / "hostile.json").write_text(json.dumps(SPEC))
    (tmp_path / "hostile.yaml").write_text("kind: rest\nname: hostile\nspec: hostile.json\n")
    (tmp_path / "plan.yaml").write_text("name: h\nintegrations:\n  - contract: hostile.yaml\n")
    async with asyncio.timeout(60), MockServer(load_plan(tmp_path)) as server:
        yield server


@pytest.fixture
async def example(example_plan_path: Path) -> AsyncIterator[MockServer]:
    async with asyncio.timeout(60), MockServer(load_plan(example_plan_path)) as server:
        server.behaviours.update("customer-master", "", {"latency": Latency()})
        yield server


async def _send(
    url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    timeout = aiohttp.ClientTimeout(total=20)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.post(url, data=data, headers={**AUTH, **(headers or {})}) as resp,
    ):
        text = await resp.text()
        body = json.loads(text) if "json" in resp.headers.get("Content-Type", "") else {}
        return resp.status, body


def _nested(depth: int, kind: str) -> str:
    if kind == "array":
        return "[" * depth + "]" * depth
    return '{"a":' * depth + "1" + "}" * depth


def _rule(body: dict[str, Any]) -> str:
    return str(body.get("type", "")).rsplit(":", 1)[-1]


@pytest.mark.parametrize("kind", ["array", "object"])
@pytest.mark.parametrize("depth", [MAX_DEPTH, 300, 1025, 100_000])
async def test_deep_nesting_is_refused_with_400(mock: MockServer, kind: str, depth: int) -> None:
    # the body's own object is one level: the tree below it may take MAX_DEPTH - 1
    status, body = await _send(
        mock.url + "/hostile/things/1",
        data=('{"tree":' + _nested(depth, kind) + "}").encode(),
        headers=JSON,
    )
    assert status == 400 and _rule(body) == "max-depth", body
    assert str(MAX_DEPTH) in body["detail"]
    status, _ = await _send(
        mock.url + "/hostile/things/1",
        data=('{"tree":' + _nested(MAX_DEPTH - 1, kind) + "}").encode(),
        headers=JSON,
    )
    assert status == 200  # up to the limit, any nesting is read
    _, entries = mock.journal.read()
    assert [e["validation"] for e in entries[-2:]] == ["max-depth", "ok"]


async def test_deep_nesting_in_a_json_parameter_is_refused(mock: MockServer) -> None:
    deep = _nested(400, "array")
    status, body = await _send(mock.url + f"/hostile/things/1?filter={deep}")
    assert status == 400 and body["errors"][0]["rule"] == "max-depth", body


@pytest.mark.parametrize(
    "text",
    ["١٢", "１０", "۱۲", "१२", "1٢", "²", "1_0", " 10", "0x10", "+-1", "١.٥"],
)
async def test_non_ascii_digits_are_not_integers(mock: MockServer, text: str) -> None:
    base = mock.url + "/hostile/things"
    quoted = quote(text, safe="")
    for url, headers in (
        (f"{base}/{quoted}", {}),
        (f"{base}/1?limit={quoted}", {}),
        (f"{base}/1?amount={quoted}", {}),
        (f"{base}/1", {"Cookie": f"size={quoted}"}),
    ):
        status, body = await _send(url, headers=headers)
        assert status in (400, 404), (url, status, body)  # a path value that fits no route: 404
        assert status == 404 or body["errors"][0]["rule"] == "type", body
    status, body = await _send(
        f"{base}/1", data=f"count={quoted}&amount={quoted}".encode(), headers=_FORM
    )
    assert status == 400 and {e["rule"] for e in body["errors"]} == {"type"}, body


_FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def test_ascii_numbers_are_still_read(mock: MockServer) -> None:
    status, body = await _send(
        mock.url + "/hostile/things/7?limit=12&amount=-1.5e3",
        data=b"count=3&amount=.5",
        headers={**_FORM, "X-Count": "4", "Cookie": "size=10"},
    )
    assert status == 200, body


async def test_non_ascii_digits_find_no_phone_number(example: MockServer) -> None:
    # +4915112345678 is Anna's; in Arabic-Indic digits it is no caller id at all
    url = example.url + "/customer-master/customers"
    timeout = aiohttp.ClientTimeout(total=20)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        for phone, total in (("+4915112345678", 1), ("+٤٩١٥١١٢٣٤٥٦٧٨", 0), ("+49١٥١12345678", 0)):
            async with session.get(url, params={"phone": phone}, headers=AUTH) as resp:
                assert resp.status == 200
                assert (await resp.json())["total"] == total, phone


@pytest.mark.parametrize(
    "text", [r"\ud800", r"\udc00", r"\ud800\u0041", r"\ud800\ud800", r"x\udfff"]
)
async def test_lone_surrogate_is_refused(mock: MockServer, text: str) -> None:
    status, body = await _send(
        mock.url + "/hostile/things/1", data=f'{{"note":"{text}"}}'.encode(), headers=JSON
    )
    assert status == 400 and _rule(body) == "lone-surrogate", body
    status, _ = await _send(  # a whole pair is one character, and fine
        mock.url + "/hostile/things/1", data=rb'{"note":"\ud83d\ude00"}', headers=JSON
    )
    assert status == 200


@pytest.mark.parametrize(
    "raw",
    [
        b'{"count":1,"count":2}',
        b'{"note":"10:00","note":"11:00"}',
        b'{"tree":{"a":[{"b":1, "b" :2}]}}',
    ],
)
async def test_duplicate_names_are_refused(mock: MockServer, raw: bytes) -> None:
    status, body = await _send(mock.url + "/hostile/things/1", data=raw, headers=JSON)
    assert status == 400 and _rule(body) == "duplicate-key", body


async def test_colons_inside_strings_are_no_duplicates(mock: MockServer) -> None:
    raw = b'{"note":"sip:+4930123@pbx; at 10:00:00","tree":{"a":"b:c","c":["d:e"]}}'
    assert (await _send(mock.url + "/hostile/things/1", data=raw, headers=JSON))[0] == 200


@pytest.mark.parametrize(
    ("where", "text"),
    [("body", "1e400"), ("body", "-1e400"), ("body", "9" * 5000), ("query", "1e400")],
)
async def test_numbers_beyond_a_double_are_refused(mock: MockServer, where: str, text: str) -> None:
    url = mock.url + "/hostile/things/1"
    if where == "body":
        status, body = await _send(url, data=f'{{"amount":{text}}}'.encode(), headers=JSON)
        assert status == 400 and _rule(body) == "number-range", body
    else:
        status, body = await _send(url + f"?amount={text}")
        assert status == 400 and body["errors"][0]["rule"] == "number-range", body


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        (b'{"note":"\xff"}', "encoding"),
        (b'\xef\xbb\xbf{"note":"x"}', "encoding"),
        (b'{"note":"x"} trailing', "malformed"),
        (b"NaN", "malformed"),
        (b'{"amount":Infinity}', "malformed"),
    ],
)
async def test_text_that_is_not_json_is_refused(mock: MockServer, raw: bytes, rule: str) -> None:
    status, body = await _send(mock.url + "/hostile/things/1", data=raw, headers=JSON)
    assert status == 400 and _rule(body) == rule, body


HOSTILE = [
    "\x00",
    "a\x00b",
    "١٢",
    "\ud800",
    "9" * 5000,
    "1e400",
    "[" * 500,
    '{"a":1,"a":2}',
    "%00",
    "%ED%A0%80",  # a surrogate in UTF-8
    "%FF%FE",
    "../../etc/passwd",
    "\u202e\ufeff",
]


@pytest.mark.parametrize("value", HOSTILE)
async def test_hostile_input_anywhere_gets_no_5xx(mock: MockServer, value: str) -> None:
    quoted = quote(value, safe="%", errors="surrogatepass")
    base = mock.url + "/hostile/things"
    sent = [
        (f"{base}/{quoted}", None, {}),
        *((f"{base}/1?{name}={quoted}", None, {}) for name in ("limit", "amount", "filter")),
        (f"{base}/1", None, {"X-Count": quoted, "Cookie": f"size={quoted}"}),
        (f"{base}/1", f"count={quoted}&note={quoted}".encode(), _FORM),
        (f"{base}/1", value.encode("utf-8", "surrogatepass"), JSON),
        (f"{base}/1", json.dumps({"note": value, "count": value}).encode(), JSON),
    ]
    for url, data, headers in sent:
        status, body = await _send(url, data=data, headers=headers)
        assert status < 500, (url, data, status, body)
    total, _ = mock.journal.read()
    assert total == len(sent)  # every one answered and journaled
