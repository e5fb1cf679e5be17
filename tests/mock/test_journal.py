"""Journal units: what is recorded is written, whatever the values."""

from __future__ import annotations

import asyncio
from pathlib import Path

from intcheck.mock.journal import Journal
from intcheck.redact import Redactor


async def test_a_value_orjson_refuses_does_not_lose_the_batch(tmp_path: Path) -> None:
    journal = Journal(tmp_path, Redactor())
    entry = ("c", "GET /x", "GET")
    headers = ((b"Host", b"h"),)
    # both in one loop turn, so in one flush; the first path holds a lone surrogate
    journal.record(*entry, "/bad\udcff", headers, b"", "ok", 200, 1.0)
    journal.record(*entry, "/good", headers, b"", "ok", 200, 1.0)
    await asyncio.sleep(0)  # the flush runs at the end of this loop turn
    total, entries = journal.read()
    assert total == 2 and [e["path"] for e in entries] == ["/bad\udcff", "/good"]
    journal.close()


def test_journal_disk_is_bounded_and_what_it_drops_is_counted(tmp_path: Path) -> None:
    journal = Journal(tmp_path, Redactor(), max_bytes=8_000)
    for number in range(400):
        journal.record("c", "GET /x", "GET", f"/x/{number}", (), b"", "ok", 200, 1.0)
        journal.flush()
    journal.close()
    on_disk = sum(path.stat().st_size for path in journal.files())
    assert on_disk <= 8_000 + 200, "two segments of at most half the cap (plus one batch)"
    kept, entries = journal.read()
    assert journal.dropped_total() == 400 - kept > 0, "every deleted entry is counted"
    assert entries[-1]["path"] == "/x/399", "the newest entries are kept"
    assert [e["path"] for e in entries] == [f"/x/{n}" for n in range(400 - kept, 400)]
