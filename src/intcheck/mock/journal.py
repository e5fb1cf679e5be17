"""The request journal: one JSON line per request answered, appended to a file.

Each process appends to its own ``journal-<pid>-<id>.jsonl`` in one directory, with one
unbuffered ``write`` per event-loop turn (the entries of that turn), so memory stays flat however
long the mock runs, nothing waits in a buffer longer than one loop turn (workers flush when
stopped), and workers sharing a port never interleave lines. Reading merges every file in the
directory, which is how ``--workers N`` keeps one complete journal.

The disk it takes is bounded too (``max_bytes`` per process, 256 MiB by default: about two
million requests): when the current file reaches half of it, it becomes the older segment and
the previous older segment is deleted. What was deleted is counted, never silent: ``dropped``
(persisted beside the files, so every worker's reader sees it) is what the admin API reports.

Recording is on every request's path, so an entry is kept as a plain list until the turn's
flush encodes the batch with orjson; a positional line is about half the encoding work of an
object, and ``read`` names the fields (FIELDS) and derives the ISO time, operation id and worker.
"""

from __future__ import annotations

import asyncio
import heapq
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from intcheck import jsonwire
from intcheck.cache import BoundedCache
from intcheck.redact import Redactor, decode

BODY_LIMIT = 2048  # bytes of a request body kept in an entry
MAX_BYTES = 256 * 1024 * 1024  # disk a process's journal may take, in two segments
_HEADER_SETS = 1024  # distinct header sets kept redacted
RawHeaders = tuple[tuple[bytes, bytes], ...]  # as aiohttp parsed them


@dataclass(frozen=True, slots=True, kw_only=True)
class JournalQuery:
    """Filters for reading the journal; every field is optional."""

    contract: str | None = None
    operation: str | None = None  # operation name ("GET /customers/{id}") or id
    status: int | None = None
    since: float | None = None  # UNIX time
    limit: int | None = None  # the newest ``limit`` matching entries

    def matches(self, entry: Mapping[str, Any]) -> bool:
        if self.contract is not None and entry.get("contract") != self.contract:
            return False
        if self.operation is not None and self.operation not in (
            entry.get("operation"),
            entry.get("operation_id"),
        ):
            return False
        if self.status is not None and entry.get("status") != self.status:
            return False
        return self.since is None or float(entry.get("ts", 0)) >= self.since


def _tail(handle: BinaryIO, count: int) -> list[bytes]:
    """The last ``count`` complete lines of an open file, reading backwards in blocks."""
    end = handle.seek(0, os.SEEK_END)
    data = b""
    position = end
    while position > 0 and data.count(b"\n") <= count:
        step = min(1 << 16, position)
        position -= step
        handle.seek(position)
        data = handle.read(step) + data
    lines = data.split(b"\n")
    if position > 0:
        lines = lines[1:]  # the first piece may be a partial line
    return [line for line in lines if line][-count:]


FIELDS = (
    "ts",
    "contract",
    "operation",
    "method",
    "path",
    "headers",
    "body",
    "body_truncated",
    "validation",
    "status",
    "duration_ms",
    "fault",
    "protocol",  # "http", or what a kind's own service speaks ("smtp")
    "note",  # a kind's verdict in words, e.g. why a CTI callback broke its contract
)


def _entry(line: list[Any], worker: str) -> dict[str, Any]:
    """A stored line as the entry the admin API and ``read`` return."""
    entry = dict(zip(FIELDS, line, strict=True))
    flat = entry["headers"]
    entry["headers"] = dict(zip(flat[0::2], flat[1::2], strict=True))
    entry["time"] = datetime.fromtimestamp(entry["ts"], UTC).isoformat(timespec="milliseconds")
    operation = entry["operation"]
    entry["operation_id"] = f"{entry['contract']}:{operation}" if operation else ""
    entry["worker"] = int(worker) if worker.isdigit() else worker
    return entry


class Journal:
    """Append-only record of every request the mock answered, redacted, in JSONL files."""

    def __init__(
        self,
        directory: Path,
        redactor: Redactor,
        *,
        body_limit: int = BODY_LIMIT,
        max_bytes: int = MAX_BYTES,
    ) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        stem = f"journal-{os.getpid()}-{id(self):x}"
        self.path = directory / f"{stem}.jsonl"
        self._older = directory / f"{stem}.older.jsonl"
        self._dropped_path = directory / f"dropped-{os.getpid()}-{id(self):x}.txt"
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self._segment_bytes = max(max_bytes // 2, 1)
        self._size = 0  # bytes in the current segment
        self._lines = 0  # entries in the current segment
        self._older_lines = 0  # entries in the older segment
        self.dropped = 0  # entries deleted with an older segment
        self._redactor = redactor
        self._body_limit = body_limit
        self._pending: list[list[Any]] = []
        # raw -> redacted and flattened
        self._headers: BoundedCache[RawHeaders, tuple[str, ...]] = BoundedCache(_HEADER_SETS)
        # methods and validation rules, redacted: a few words said again and again
        self._words: BoundedCache[str, str] = BoundedCache(_HEADER_SETS)
        self.written = 0

    def record(
        self,
        contract: str,
        operation: str,
        method: str,
        path: str,
        raw_headers: RawHeaders,
        body: bytes,
        validation: str,
        status: int,
        duration_ms: float,
        fault: str = "",
        protocol: str = "http",
        note: str = "",
    ) -> None:
        """Append one entry; secrets in headers, path, body and note are masked first.

        Everything the client chose (method, path, headers, body) is redacted here, the body
        before it is cut to ``body_limit``, so a secret across the cut is masked whole.
        """
        redactor = self._redactor
        text = redactor.text
        flat = self._headers.get(raw_headers)
        if flat is None:
            flat = self._redact_headers(raw_headers)
        words = self._words
        said_method, said_validation = words.get(method), words.get(validation)
        if said_method is None:
            said_method = self._word(method)
        if said_validation is None:
            said_validation = self._word(validation)
        pending = self._pending
        pending.append(
            [
                time.time(),
                contract,
                operation,
                said_method,
                text(path),
                flat,
                redactor.excerpt(body, self._body_limit) if body else "",
                len(body) > self._body_limit,
                said_validation,
                status,
                round(duration_ms, 3),
                fault,
                protocol,
                text(note) if note else note,
            ]
        )
        self.written += 1
        if len(pending) == 1:
            self._schedule_flush()

    def _word(self, word: str) -> str:
        said = self._redactor.text(word)
        self._words.put(word, said, len(word))
        return said

    def _redact_headers(self, raw_headers: RawHeaders) -> tuple[str, ...]:
        """Name, value, name, value... masked; kept, as clients send the same headers again."""
        header = self._redactor.header
        flat: list[str] = []  # cheaper to encode than an object
        for raw_name, raw_value in raw_headers:
            name = decode(raw_name)
            flat += (name, header(name, decode(raw_value)))
        result = tuple(flat)
        self._headers.put(raw_headers, result)
        return result

    def _schedule_flush(self) -> None:
        # One write per event-loop turn instead of one per request; without a running loop
        # (a thread, a test calling record directly) write at once.
        try:
            asyncio.get_running_loop().call_soon(self.flush)
        except RuntimeError:
            self.flush()

    def flush(self) -> None:
        """Write what was recorded since the last flush; a reader sees it from now on."""
        if self._pending and self._fd >= 0:
            lines, self._pending = self._pending, []
            try:
                data = b"\n".join(map(orjson.dumps, lines)) + b"\n"
            except TypeError:  # a value orjson declines (a lone surrogate): never drop the batch
                data = b"\n".join(map(jsonwire.dumps, lines)) + b"\n"
            os.write(self._fd, data)
            self._size += len(data)
            self._lines += len(lines)
            if self._size >= self._segment_bytes:
                self._rotate()

    def _rotate(self) -> None:
        """The current file becomes the older segment; the previous older one is deleted."""
        if self._older_lines:
            self.dropped += self._older_lines
            self._dropped_path.write_text(str(self.dropped))
        os.close(self._fd)
        self.path.replace(self._older)
        self._older_lines, self._lines, self._size = self._lines, 0, 0
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def dropped_total(self) -> int:
        """Entries every process of this directory deleted to keep its journal bounded."""
        total = 0
        for path in self.directory.glob("dropped-*.txt"):
            try:
                total += int(path.read_text() or 0)
            except (OSError, ValueError):
                continue
        return total

    def files(self) -> list[Path]:
        return journal_files(self.directory)

    def read(self, query: JournalQuery | None = None) -> tuple[int, list[dict[str, Any]]]:
        """``(matching count, entries)``: all files merged by time, newest ``limit`` kept."""
        self.flush()
        return read_journal(self.directory, query)

    def count(self) -> int:
        """Entries in every file of the directory (every worker's)."""
        self.flush()
        return count_entries(self.directory)

    def reset(self) -> None:
        """Empty the journal of every worker."""
        self._pending.clear()
        for path in self.files():
            try:
                os.truncate(path, 0)
            except FileNotFoundError:
                continue
        for path in self.directory.glob("dropped-*.txt"):
            path.unlink(missing_ok=True)
        self._size = self._lines = self._older_lines = self.dropped = 0

    def close(self) -> None:
        self.flush()
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def journal_files(directory: Path) -> list[Path]:
    """The journal files of a directory, one per process that wrote to it."""
    return sorted(directory.glob("journal-*.jsonl"))


def read_journal(
    directory: Path, query: JournalQuery | None = None
) -> tuple[int, list[dict[str, Any]]]:
    """``(matching count, entries)`` of a journal directory, running mock or not."""
    query = query or JournalQuery()
    # the common "how many, and the newest few" question: count lines, parse only the tails
    newest = query.limit or 0
    tails_only = newest > 0 and query == JournalQuery(limit=newest)
    total = count_entries(directory) if tails_only else 0
    keep: list[tuple[float, int, dict[str, Any]]] = []  # a min-heap by time when limited
    seen = 0
    for path in journal_files(directory):
        worker = path.name.split("-")[1]
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            continue
        with handle:
            for line in _tail(handle, newest) if tails_only else handle:
                try:
                    entry = _entry(jsonwire.loads(line), worker)
                except (ValueError, TypeError):
                    continue  # a line another worker is writing right now
                if not query.matches(entry):
                    continue
                seen += 1
                item = (float(entry.get("ts", 0)), seen, entry)
                if not query.limit:
                    keep.append(item)
                elif len(keep) < query.limit:
                    heapq.heappush(keep, item)
                else:
                    heapq.heappushpop(keep, item)
    return (total if tails_only else seen), [
        entry for _, _, entry in sorted(keep, key=lambda i: (i[0], i[1]))
    ]


def count_entries(directory: Path) -> int:
    """Entries in every journal file of ``directory``."""
    total = 0
    for path in journal_files(directory):
        try:
            with path.open("rb") as handle:
                while chunk := handle.read(1 << 20):
                    total += chunk.count(b"\n")
        except FileNotFoundError:
            continue
    return total
