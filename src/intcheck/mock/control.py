"""Admin changes shared by the workers of one port: a control file, and each worker's ack.

With ``intcheck mock --workers N`` an admin request (switch a fault on, reset the data) reaches
one worker. It writes the new state to ``control.json`` in the shared journal directory under a
lock, with the next generation number; every worker follows the file (a ``stat`` every 20 ms,
read only when it changed), applies a newer generation and acknowledges it in
``ack-<pid>.json``. The admin request returns once all N workers have acknowledged, so the next
request sees the change whichever worker answers it.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

CONTROL_FILE = "control.json"
FOLLOW_INTERVAL_S = 0.02
ACK_TIMEOUT_S = 5.0

State = Mapping[str, Any]  # {"resets": n, "overrides": [...]}: what the server applies


class SharedControl:
    """One worker's end of the shared control file."""

    def __init__(self, directory: Path, workers: int, apply: Callable[[State, bool], None]) -> None:
        self.path = directory / CONTROL_FILE
        self.directory = directory
        self.workers = workers
        self._apply = apply  # (state, reset data too) -> None
        self._generation = 0
        self._resets = 0
        self._stamp = 0

    async def publish(self, overrides: list[dict[str, Any]], *, reset: bool = False) -> int:
        """Write the new state, then wait until every worker applied it; how many did."""
        with _locked(self.directory / "control.lock"):
            current = _read(self.path)
            generation = int(current.get("generation", 0)) + 1
            resets = int(current.get("resets", 0)) + (1 if reset else 0)
            _write(self.path, {"generation": generation, "resets": resets, "overrides": overrides})
        # this worker applied the change already; only the bookkeeping is left
        self._generation, self._resets = generation, resets
        self._acknowledge()
        deadline = time.monotonic() + ACK_TIMEOUT_S
        while (applied := self._applied(generation)) < self.workers:
            if time.monotonic() > deadline:
                return applied
            await asyncio.sleep(FOLLOW_INTERVAL_S / 2)
        return applied

    async def follow(self) -> None:
        """Apply every newer generation another worker publishes; runs until cancelled."""
        self._acknowledge()
        while True:
            await asyncio.sleep(FOLLOW_INTERVAL_S)
            try:
                stamp = self.path.stat().st_mtime_ns
            except FileNotFoundError:
                continue
            if stamp == self._stamp:
                continue
            self._stamp = stamp
            state = _read(self.path)
            generation = int(state.get("generation", 0))
            if generation <= self._generation:
                continue
            resets = int(state.get("resets", 0))
            self._apply(state, resets > self._resets)
            self._generation, self._resets = generation, resets
            self._acknowledge()

    def _acknowledge(self) -> None:
        _write(self.directory / f"ack-{os.getpid()}.json", {"generation": self._generation})

    def _applied(self, generation: int) -> int:
        return sum(
            1
            for ack in self.directory.glob("ack-*.json")
            if int(_read(ack).get("generation", -1)) >= generation
        )

    def forget(self) -> None:
        """Remove this worker's ack when it stops, so a later run does not count it."""
        with contextlib.suppress(FileNotFoundError):
            (self.directory / f"ack-{os.getpid()}.json").unlink()


@contextlib.contextmanager
def _locked(path: Path) -> Any:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write(path: Path, data: Mapping[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data))
    tmp.replace(path)
