"""Locust's own processes: started with ``python -m locust``, watched, and stopped by PID.

intcheck never imports Locust (gevent patches the whole interpreter it lives in); it starts
``python -m locust -f locustfile.py`` as a child — one local process, or a master and N workers
with Locust's own distributed mode — each in its own session, so a Ctrl-C reaches intcheck,
which then stops exactly the processes it started (SIGTERM, which Locust answers by writing its
statistics, then SIGKILL after a grace period). Every run has a deadline.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
GRACE_S = 15.0  # how long Locust may take to write its statistics after SIGTERM


@dataclass(frozen=True, slots=True, kw_only=True)
class Topology:
    """Which Locust processes this run starts on this machine."""

    mode: str = "local"  # local | workers (master + N here) | master | worker
    workers: int = 0  # local workers to start (mode "workers")
    expect_workers: int = 0  # workers the master waits for
    master_host: str = "127.0.0.1"  # a worker connects here; a master binds here
    master_port: int = 5557
    web: bool = False
    web_port: int = 8089
    workers_wait_s: float = 120.0  # how long a master waits for its workers


@dataclass(slots=True)
class Child:
    """One Locust process this run started."""

    role: str  # "local", "master", "worker-1", ...
    process: subprocess.Popen[bytes]
    log: Path
    handle: IO[bytes] = field(repr=False)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on now (for a master on loopback)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def locust_arguments(topology: Topology, *, json_file: Path, role: str) -> list[str]:
    """The ``python -m locust`` command line of one process of ``topology``."""
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--only-summary"]
    if role.startswith("worker"):
        return [
            *command,
            "--worker",
            "--master-host",
            topology.master_host,
            "--master-port",
            str(topology.master_port),
        ]
    command += ["--json-file", str(json_file)]
    if topology.web:
        # the UI starts the scenario at once and stays a minute after it for a look
        command += ["--web-host", "127.0.0.1", "--web-port", str(topology.web_port)]
        command += ["--autostart", "--autoquit", "60"]
    else:
        command.append("--headless")
    if role == "master":
        command += [
            "--master",
            "--expect-workers",
            str(topology.expect_workers),
            "--expect-workers-max-wait",
            str(int(topology.workers_wait_s)),
            "--master-bind-host",
            topology.master_host,
            "--master-bind-port",
            str(topology.master_port),
        ]
    return command


class LocustProcesses:
    """The Locust processes of one run; a context manager that always stops them."""

    def __init__(self, topology: Topology, *, folder: Path, env: Mapping[str, str]) -> None:
        self.topology, self.folder, self.env = topology, folder, dict(env)
        self.children: list[Child] = []
        self.json_file = folder / "stats"  # Locust writes stats.json

    def __enter__(self) -> LocustProcesses:
        mode = self.topology.mode
        roles: list[str] = []
        if mode in ("local", "master"):
            roles = [mode]
        elif mode == "workers":
            roles = ["master", *(f"worker-{n}" for n in range(1, self.topology.workers + 1))]
        elif mode == "worker":
            roles = ["worker-1"]
        try:
            for role in roles:
                self._start(role)
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _start(self, role: str) -> None:
        log = self.folder / f"{role}.log"
        handle = log.open("wb")
        process = subprocess.Popen(
            locust_arguments(self.topology, json_file=self.json_file, role=role),
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
            env={**os.environ, **self.env, "PYTHONUNBUFFERED": "1"},
            cwd=self.folder,
            start_new_session=True,  # Ctrl-C goes to intcheck, which stops us in order
        )
        self.children.append(Child(role=role, process=process, log=log, handle=handle))

    @property
    def leader(self) -> Child:
        """The process whose end ends the run: the master, the local process, or the worker."""
        return self.children[0]

    def running(self) -> bool:
        return self.leader.process.poll() is None

    def wait_all(self, timeout_s: float) -> None:
        """Let the others (workers after their master quit them) end by themselves, bounded."""
        end = time.monotonic() + timeout_s
        for child in self.children:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.process.wait(max(0.0, end - time.monotonic()))

    def stop(self) -> None:
        """SIGTERM to each process still running (leader first), SIGKILL after the grace."""
        for child in self.children:
            if child.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child.process.pid, signal.SIGTERM)
        end = time.monotonic() + GRACE_S
        for child in self.children:
            try:
                child.process.wait(max(0.0, end - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child.process.pid, signal.SIGKILL)
                child.process.wait(5)
            child.handle.close()

    def log_tail(self, lines: int = 15) -> str:
        """The last lines of every process's log, for a run that went wrong."""
        parts = []
        for child in self.children:
            text = child.log.read_text("utf-8", "replace").splitlines()[-lines:]
            parts.append(
                f"--- {child.role} (exit {child.process.returncode}) ---\n" + "\n".join(text)
            )
        return "\n".join(parts)
