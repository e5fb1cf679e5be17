"""Requests aiohttp refuses before any handler runs are answered, and journaled all the same."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

from intcheck.contracts import load_plan
from intcheck.mock.server import MockServer

if TYPE_CHECKING:
    from pathlib import Path


async def _send_raw(url: str, data: bytes) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(data)
        await writer.drain()
        return await asyncio.wait_for(reader.read(65536), 10)
    finally:
        writer.close()


@pytest.mark.parametrize(
    ("raw", "note"),
    [
        (b"GET /customer-master/customers HTTP/1.1\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n", "8190"),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40, "https"),
        (b"GET /\x00\x01 HTTP/1.1\r\nHost: x\r\n\r\n", "invalid char"),
    ],
    ids=["oversized-header", "tls-hello-on-http-port", "control-bytes-in-target"],
)
async def test_refused_request_is_answered_and_journaled(
    example_plan_path: Path, raw: bytes, note: str
) -> None:
    async with MockServer(load_plan(example_plan_path)) as mock:
        answer = await _send_raw(mock.url, raw)
        await asyncio.sleep(0.05)  # the journal writes once per loop turn
        total, entries = mock.journal.read()
    assert answer.split(b" ", 2)[1] == b"400", answer[:80]
    assert total == 1
    (entry,) = entries
    assert entry["validation"] == "http-parse-error"
    assert entry["status"] == 400
    assert entry["note"].startswith("refused by the HTTP parser")
    assert note.lower() in entry["note"].lower()
