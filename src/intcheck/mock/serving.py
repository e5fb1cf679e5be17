"""``serve``: ``intcheck mock``'s processes: one, or N workers on one port, until stopped.

One process runs a ``MockServer`` until cancelled or until a stop signal (SIGTERM, as Docker,
systemd and CI stop processes) arrives. With ``--workers N`` the parent reserves the port and
starts N spawned processes sharing it through ``SO_REUSEPORT`` and one journal folder; each
reloads the plan (nothing unpicklable crosses), follows the shared control file for admin
changes, and stops cleanly on SIGTERM or when the parent is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import multiprocessing
import os
import shutil
import signal
import socket
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from intcheck import eventloop
from intcheck.mock.journal import MAX_BYTES as JOURNAL_MAX_BYTES
from intcheck.mock.server import Endpoint, MockServer, listen_socket

if TYPE_CHECKING:
    from intcheck.model import Plan

__all__ = ["Endpoint", "freeze_heap", "serve"]


async def serve(
    plan: Plan,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    seed: int = 0,
    workers: int = 1,
    on_ready: Callable[[list[Endpoint]], None] | None = None,
    journal_path: str | Path | None = None,
    journal_max_bytes: int = JOURNAL_MAX_BYTES,
    stop_signals: tuple[signal.Signals, ...] = (),
) -> None:
    """Serve the plan's mocks until cancelled, or until one of ``stop_signals`` arrives.

    ``on_ready`` gets ``(name, kind, url)`` tuples. A stop signal ends the run as Ctrl-C does:
    workers stop, the journal's last entries are written and a temporary journal is removed;
    ``intcheck mock`` passes SIGTERM, which Docker, systemd and CI stop processes with.
    """
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in stop_signals:
        loop.add_signal_handler(number, stopped.set)
    try:
        if workers <= 1:
            async with MockServer(
                plan,
                host=host,
                port=port,
                seed=seed,
                journal_path=journal_path,
                journal_max_bytes=journal_max_bytes,
            ) as mock:
                freeze_heap()
                if on_ready is not None:
                    on_ready(list(mock.endpoints))
                await stopped.wait()
        else:
            await _serve_workers(
                plan, host, port, seed, workers, on_ready, journal_path, journal_max_bytes, stopped
            )
    finally:
        for number in stop_signals:
            loop.remove_signal_handler(number)


async def _serve_workers(
    plan: Plan,
    host: str,
    port: int,
    seed: int,
    workers: int,
    on_ready: Callable[[list[Endpoint]], None] | None,
    journal_path: str | Path | None,
    journal_max_bytes: int,
    stopped: asyncio.Event,
) -> None:
    directory = (
        Path(journal_path) if journal_path else Path(tempfile.mkdtemp(prefix="intcheck-journal-"))
    )
    reserved = _reserve(host, port)  # holds the port; bound, not listening, so gets no connections
    any_service_port = port == 0
    port = reserved.getsockname()[1]
    spawn = multiprocessing.get_context("spawn")
    ready = spawn.Queue()
    procs = [
        spawn.Process(
            target=_worker,
            args=(
                str(plan.source.path),
                host,
                port,
                seed,
                str(directory),
                workers,
                journal_max_bytes,
                ready,
                any_service_port,
            ),
            daemon=True,
        )
        for _ in range(workers)
    ]
    try:
        for proc in procs:
            proc.start()
        endpoints: list[Endpoint] = []
        for _ in procs:
            message = await asyncio.to_thread(ready.get, True, 120)
            if isinstance(message, str):
                raise RuntimeError(f"mock worker failed to start: {message}")
            endpoints = message
        if on_ready is not None:
            on_ready(endpoints)
        await stopped.wait()
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
        for proc in procs:
            await asyncio.to_thread(proc.join, 5)
        # the queue's feeder thread and semaphores go with it (no "leaked semaphore" warnings)
        ready.close()
        ready.join_thread()
        reserved.close()
        if journal_path is None:
            shutil.rmtree(directory, ignore_errors=True)


def _worker(
    plan_path: str,
    host: str,
    port: int,
    seed: int,
    directory: str,
    workers: int,
    journal_max_bytes: int,
    ready: Any,
    any_service_port: bool = False,
) -> None:
    """One worker process: reload the plan (nothing unpicklable crosses) and serve the port."""
    from intcheck.contracts import load_plan

    async def main() -> None:
        try:
            plan = load_plan(plan_path)
            server = MockServer(
                plan,
                host=host,
                port=port,
                seed=seed,
                journal_path=directory,
                reuse_port=True,
                shared=True,
                workers=workers,
                journal_max_bytes=journal_max_bytes,
                any_service_port=any_service_port,
            )
            await server.start()
        except Exception as exc:  # reported to the parent, which raises it
            ready.put(f"{type(exc).__name__}: {exc}")
            return
        freeze_heap()
        ready.put(server.endpoints)
        # SIGTERM from the parent: stop cleanly, so the journal's last loop turn is written
        task = asyncio.current_task()
        if task is not None:
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        try:
            await _orphan_watch(parent)
        finally:
            await server.close()

    parent = os.getppid()
    with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
        eventloop.run(main())


def freeze_heap() -> None:
    """Take what start-up built out of the collector's walks, in a process that only serves.

    The compiled specs, schemas and datasets are large and live as long as the server; frozen,
    the collector stops walking them again and again under load. It freezes every object of
    the process, so only process entry points call it, never ``MockServer`` itself (inside an
    integration engineer's test suite it would pin their objects too).
    """
    gc.collect()
    gc.freeze()


async def _orphan_watch(parent: int) -> None:
    """Return when the parent process is gone (killed without a chance to stop us)."""
    while True:
        await asyncio.sleep(0.5)
        if os.getppid() != parent:
            return


def _reserve(host: str, port: int) -> socket.socket:
    sock = listen_socket(host, port, reuse_port=True)
    return sock
