"""The example plan's pbx-screen-pop end to end from the command line: mock, simulate against
it, probe it, and verify-journal turning what the mock judged into the standard report."""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from intcheck.cli import cli
from intcheck.contracts import load_plan
from intcheck.errors import ExitCode
from intcheck.mock import MockServer
from intcheck.report.document import validation_errors
from tests.conftest import EXAMPLE_PLAN, REPO
from tests.kinds.test_cti_mock import SECRET

TIMED = ("latency_within_max_ms", "screen_pop_p95_within_sla", "p95_latency_within_sla")


@contextmanager
def mock_in_thread(journal: Path | None = None) -> Iterator[str]:
    """The example plan's mock on its own loop (the CLI runs a loop of its own)."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    stop = asyncio.Event()
    url: list[str] = []

    async def serve() -> None:
        plan = load_plan(EXAMPLE_PLAN, environ={})
        async with MockServer(plan, journal_path=journal) as mock:
            url.append(mock.url)
            ready.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    assert ready.wait(20)
    try:
        yield url[0]
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(20)
        loop.close()


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, ["--no-color", *args], standalone_mode=False)


def report(folder: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((folder / "report.json").read_text("utf-8"))
    assert validation_errors(document) == []
    return document


def findings(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        r
        for r in document["results"]
        if r["status"] in ("failed", "errored") and r["check"] not in TIMED
    ]


def test_simulate_probe_and_verify_the_example_against_the_mock(tmp_path: Path) -> None:
    journal = tmp_path / "journal"
    with mock_in_thread(journal) as url:
        target = f"pbx-screen-pop={url}/pbx-screen-pop"
        simulated = invoke(
            "simulate", str(EXAMPLE_PLAN.parent), "--only", "pbx-screen-pop", "--target", target,
            "--flows", "12", "--pace", "0", "--chaos", "--report-dir", str(tmp_path / "sim"),
        )  # fmt: skip
        probed = invoke(
            "probe", str(EXAMPLE_PLAN.parent), "--only", "pbx-screen-pop", "--target", target,
            "--report-dir", str(tmp_path / "probe"),
        )  # fmt: skip
        verified = invoke(
            "verify-journal", str(EXAMPLE_PLAN.parent), "--journal", url,
            "--only", "pbx-screen-pop", "--report-dir", str(tmp_path / "verify"),
        )  # fmt: skip
    for result, folder in ((simulated, "sim"), (probed, "probe")):
        assert result.exception is None, result.output
        document = report(tmp_path / folder)
        assert findings(document) == []
        failed = document["summary"]["failed"] + document["summary"]["errored"]
        assert result.return_value == (ExitCode.FINDINGS if failed else ExitCode.OK)
    simulation = report(tmp_path / "sim")
    assert simulation["kind"] == "simulate"
    checks = {r["check"] for r in simulation["results"]}
    assert {"caller_is_popped_in_every_form", "screen_pop_p95_within_sla"} <= checks
    forms = [r for r in simulation["results"] if r["check"] == "caller_is_popped_in_every_form"]
    assert forms[0]["evidence"]["details"]["forms"]["national"]["calls"] >= 1
    assert "results:" in simulated.output
    # what the mock judged: the chaos' forged callbacks were refused, everything else was ok
    assert verified.return_value == ExitCode.FINDINGS
    verdicts = report(tmp_path / "verify")
    assert verdicts["kind"] == "journal"
    broken = {r["check"] for r in verdicts["results"] if r["status"] == "failed"}
    assert {"bad-signature", "missing-signature", "stale-signature", "event-order"} <= broken
    calls = [r for r in verdicts["results"] if r["operation"] == "pbx-screen-pop:call"]
    assert len(calls) >= 12
    # the same verdicts from the journal folder, once the mock has stopped
    again = invoke(
        "verify-journal", str(EXAMPLE_PLAN.parent), "--journal", str(journal),
        "--only", "pbx-screen-pop", "--report-dir", str(tmp_path / "again"),
    )  # fmt: skip
    assert again.return_value == ExitCode.FINDINGS
    assert len(report(tmp_path / "again")["results"]) >= len(verdicts["results"])


def test_verify_journal_says_what_it_cannot_read(tmp_path: Path) -> None:
    missing = invoke("verify-journal", str(EXAMPLE_PLAN.parent), "--journal", str(tmp_path))
    assert isinstance(missing.exception, Exception) and "no journal in" in str(missing.exception)
    refused = invoke("verify-journal", str(EXAMPLE_PLAN.parent), "--journal", "http://127.0.0.1:9")
    assert "cannot read the journal at http://127.0.0.1:9/__intcheck/journal" in str(
        refused.exception
    )


def _signed_get(url: str, event: str, call_id: str) -> int:
    import hashlib
    import hmac
    from urllib.parse import quote, urlencode

    stamp = str(int(time.time()))
    query = urlencode(
        {
            "caller": "015112345678",
            "called": "+4930901820",
            "callid": call_id,
            "ext": "101",
            "event": event,
            "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "queue": "support",
            "duration": "30" if event == "hangup" else "",
            "disposition": "answered" if event == "hangup" else "",
        },
        quote_via=quote,
    )
    path = f"/pbx-screen-pop/cti/incoming?{query}"
    signature = hmac.new(SECRET.encode(), f"{stamp}.{path}".encode(), hashlib.sha256).hexdigest()
    headers = {"X-Signature": signature, "X-Signature-Timestamp": stamp}
    request = urllib.request.Request(url.split("/pbx-screen-pop")[0] + path, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(response.status)


@pytest.mark.slow
def test_a_pbx_pointed_at_intcheck_mock_gets_a_clean_report(tmp_path: Path) -> None:
    """The telephony team's loop: ``intcheck mock --journal``, calls, ``verify-journal``."""
    exe = shutil.which("intcheck") or str(Path(sys.executable).parent / "intcheck")
    journal = tmp_path / "journal"
    command = [exe, "--no-color", "mock", "contracts/", "--port", "0", "--journal", str(journal)]
    with subprocess.Popen(command, cwd=REPO, stderr=subprocess.PIPE, text=True) as proc:
        assert proc.stderr is not None
        try:
            lines: list[str] = []
            deadline = time.monotonic() + 60
            while not any(line.startswith("pbx-screen-pop ") for line in lines):
                assert time.monotonic() < deadline and proc.poll() is None, "".join(lines)
                lines.append(proc.stderr.readline())
            url = next(line.split()[-1] for line in lines if line.startswith("pbx-screen-pop "))
            for event in ("ringing", "answered", "hangup"):
                assert _signed_get(url, event, "1700000000.42") == 200
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=30) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
    done = subprocess.run(
        [exe, "--no-color", "verify-journal", "contracts/", "--journal", str(journal),
         "--only", "pbx-screen-pop", "--report-dir", str(tmp_path / "reports")],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    document = report(tmp_path / "reports")
    assert [r["status"] for r in document["results"]] == ["passed"] * 4  # 3 callbacks, 1 call
