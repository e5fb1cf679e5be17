"""One bad answer or one broken format never costs the run's report.

A target that sends header bytes that are not UTF-8 used to crash the probe at the very end
(exit 3, no report at all): the bytes are now kept as ``\\xNN`` text in the evidence. A report
format that cannot be written leaves the others written, says which failed and why, and the
exit code stays the verdict (3 only when report.json, the record of the verdict, is lost).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from intcheck.errors import ExitCode
from intcheck.redact import Redactor
from intcheck.report import junit
from intcheck.report.document import validation_errors
from intcheck.report.writers import write_reports
from tests.report.test_report_writers import _report
from tests.servers.raw import RawServer, answer

ROOT = Path(__file__).resolve().parents[2]
CASE = "customer-master:GET /customers/{id}#positive"
LATIN1_HEADERS = [
    b"Content-Type: application/json",
    b"X-Note: caf\xe9 cr\xe8me",  # Latin-1, as an old gateway sends it
    b"X-Raw: \xff\xfe\x80",  # no encoding at all
]


async def _probe(url: str, report_dir: Path) -> tuple[int, str]:
    """``intcheck probe`` as a real process, one case, against ``url``."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "intcheck",
        "probe",
        str(ROOT / "contracts"),
        "--only",
        CASE,
        "--target",
        f"customer-master={url}",
        "--report-dir",
        str(report_dir),
        "--timeout",
        "5",
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "NO_COLOR": "1", "TMPDIR": str(report_dir.parent)},  # crash logs
        cwd=report_dir.parent,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, stderr.decode("utf-8", "replace")


@pytest.mark.slow
async def test_non_utf8_header_becomes_escaped_evidence(tmp_path: Path) -> None:
    reply = answer("200 OK", LATIN1_HEADERS, b'{"id": "C000001"}')
    async with RawServer(reply) as server:
        code, stderr = await _probe(server.url, tmp_path / "reports")
    assert server.answered >= 1
    assert code in (ExitCode.OK, ExitCode.FINDINGS), stderr
    assert "internal error" not in stderr
    reports = tmp_path / "reports"
    assert sorted(p.name for p in reports.iterdir()) == [
        "junit.xml",
        "report.html",
        "report.json",
        "report.md",
    ]
    document = json.loads((reports / "report.json").read_text("utf-8"))
    assert validation_errors(document) == []
    answered = [r for r in document["results"] if r["case"] == CASE]
    headers = answered[0]["evidence"]["headers"]
    # The bytes, spelled out: nothing replaced by U+FFFD, nothing lost.
    assert headers["x-note"] == "caf\\xe9 cr\\xe8me"
    assert headers["x-raw"] == "\\xff\\xfe\\x80"
    ET.parse(reports / "junit.xml")  # the XML is well formed


@pytest.mark.slow
@pytest.mark.parametrize(
    ("broken", "expected"),
    [("report.html", ExitCode.FINDINGS), ("report.json", ExitCode.INTERNAL_ERROR)],
)
async def test_failing_writer_keeps_other_formats(
    tmp_path: Path, broken: str, expected: ExitCode
) -> None:
    reports = tmp_path / "reports"
    (reports / broken).mkdir(parents=True)  # a folder where the file goes: the write fails
    reply = answer("200 OK", [b"Content-Type: application/json"], b'{"id": "C000001"}')
    async with RawServer(reply) as server:
        code, stderr = await _probe(server.url, reports)
    # The answer lacks required fields: the verdict is findings, and it stays the exit code
    # unless report.json, which records it, is the file that was lost.
    assert code == expected, stderr
    assert f"could not write {broken}: IsADirectoryError" in stderr
    logs = await asyncio.to_thread(lambda: list(tmp_path.glob("intcheck-crash-*.log")))
    (log,) = logs  # the traceback, named in the message
    assert str(log) in stderr and "IsADirectoryError" in log.read_text("utf-8")
    written = {"report.json", "junit.xml", "report.md", "report.html"} - {broken}
    for name in written:
        assert (reports / name).is_file(), name
        assert f"wrote {reports / name}" in stderr
    if broken != "report.json":
        document = json.loads((reports / "report.json").read_text("utf-8"))
        assert document["summary"]["failed"] > 0


def test_a_renderer_that_raises_costs_only_its_own_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(report: object) -> str:
        raise RuntimeError("renderer bug")

    monkeypatch.setattr(junit, "render_junit", broken)
    written = write_reports(_report(), tmp_path, redactor=Redactor())
    assert [(name, str(exc)) for name, exc in written.failures] == [("junit.xml", "renderer bug")]
    assert sorted(p.name for p in written.paths) == ["report.html", "report.json", "report.md"]
    assert not written.record_lost
    assert not (tmp_path / "junit.xml").exists()
    assert not list(tmp_path.glob(".*.tmp"))  # the failed write left no temporary file
