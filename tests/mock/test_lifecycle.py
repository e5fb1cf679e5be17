"""``intcheck mock`` as Docker, systemd and CI run it: stopped by SIGTERM, with workers too."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _start(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[str], str, list[str]]:
    """The mock verb in a real process, with its temporary files in ``tmp_path``."""
    exe = shutil.which("intcheck") or str(Path(sys.executable).parent / "intcheck")
    env = {**os.environ, "TMPDIR": str(tmp_path / "tmp")}
    (tmp_path / "tmp").mkdir()
    command = [exe, "--no-color", "mock", "contracts/", "--port", "0", *args]
    proc = subprocess.Popen(command, cwd=REPO, stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stderr is not None
    lines: list[str] = []
    deadline = time.monotonic() + 60
    while not any(line.startswith("customer-master ") for line in lines):
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise AssertionError("mock did not start:\n" + "".join(lines))
        lines.append(proc.stderr.readline())
    url = next(line.split()[-1] for line in lines if line.startswith("customer-master "))
    return proc, url, lines


def _get_customer(url: str) -> None:
    request = urllib.request.Request(
        url + "/customers/C000001", headers={"Authorization": "Bearer t"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.loads(response.read())["id"] == "C000001"


def _stop(proc: subprocess.Popen[str]) -> str:
    try:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, "SIGTERM must stop the mock as Ctrl-C does"
        assert proc.stderr is not None
        return proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        if proc.stderr is not None:
            proc.stderr.close()


def test_sigterm_keeps_the_journal_complete(tmp_path: Path) -> None:
    journal = tmp_path / "journal"
    proc, url, _ = _start(tmp_path, "--journal", str(journal))
    for _ in range(3):
        _get_customer(url)
    stderr = _stop(proc)
    assert f"mock stopped; journal kept in {journal}" in stderr
    lines = [
        json.loads(line)
        for path in journal.glob("journal-*.jsonl")
        for line in path.read_text().splitlines()
    ]
    assert len(lines) == 3, "the last loop turn's entries are written before the mock exits"


@pytest.mark.slow
def test_sigterm_stops_every_worker_and_leaves_nothing_behind(tmp_path: Path) -> None:
    proc, url, _ = _start(tmp_path, "--workers", "2")
    _get_customer(url)
    stderr = _stop(proc)
    assert "mock stopped" in stderr
    assert "leaked semaphore" not in stderr
    assert "Traceback" not in stderr
    assert list((tmp_path / "tmp").iterdir()) == [], "the temporary journal folder is removed"
