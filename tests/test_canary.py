"""No secret, in any spelling, reaches any file or line intcheck writes.

Canary credentials (a bearer token, a basic-auth password, an API key) are set in the
environment as a user would. ``intcheck probe`` runs as a real process against a target that
echoes every credential back in every spelling and place (tests/servers/echo.py); then every
report file and the console output are searched, as written and as each format decodes them
(JSON strings, XML text and attributes, HTML entities, Markdown escapes), for the plain value,
its base64 (alone and as ``user:password``), percent- and form-encoded, JSON-, XML- and
repr-escaped and lower-cased spellings, and any 8-character slice of them (what a cut leaves).
The mock's journal gets the same search after requests that carry the canaries in headers,
query, bodies and bodies longer than the journal keeps.
"""

from __future__ import annotations

import asyncio
import base64
import html
import json
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode
from xml.etree import ElementTree as ET

import aiohttp
import pytest

from intcheck.contracts import load_plan
from intcheck.errors import ExitCode
from intcheck.mock import journal as journal_module
from intcheck.mock.server import MockServer
from intcheck.redact import MASK
from tests.servers.echo import EVIDENCE_CUT, SPEC, EchoServer, _straddling, spellings

ROOT = Path(__file__).resolve().parents[1]
ORDER_WSDL = ROOT / "contracts" / "specs" / "order-service.wsdl"
USER = "crm-ops"
CANARIES = {
    "CANARY_TOKEN": "Tk9.q7Vw/Zq+8x=Rv9~Lp-4217",
    "CANARY_PASSWORD": "Pw5 wörd\"Zk\\&<9>'QX-88",
    "CANARY_KEY": "pk_Mz7/Yq+Lw3=Nd9.Hc2",
}
LONG_FORMS = ("plain", "base64", "base64url", "percent", "form", "json", "xml", "repr")
SLICE = 8


def _canary_plan(folder: Path) -> Path:
    """Three REST contracts (bearer, basic, API key) and a SOAP one (basic), all on the echo."""
    basic = f'{{type: basic, username: {USER}, password: "${{CANARY_PASSWORD}}"}}'
    contracts = {
        "echo-bearer": 'kind: rest\nauth: {type: bearer, token: "${CANARY_TOKEN}"}\n',
        "echo-basic": f"kind: rest\nauth: {basic}\n",
        "echo-key": (
            'kind: rest\nauth: {type: apikey, header: X-Partner-Key, value: "${CANARY_KEY}"}\n'
        ),
        "echo-soap": f"kind: soap\nauth: {basic}\n",
    }
    lines = ["name: Canary plan", "integrations:"]
    for name, text in contracts.items():
        soap = name == "echo-soap"
        spec = ORDER_WSDL if soap else SPEC
        target = "${ECHO_URL}/soap" if soap else "${ECHO_URL}/rest"
        (folder / f"{name}.yaml").write_text(
            f"name: {name}\nspec: {spec}\ntarget: {target}\n{text}", "utf-8"
        )
        lines.append(f"  - contract: {name}.yaml")
    (folder / "plan.yaml").write_text("\n".join(lines) + "\n", "utf-8")
    return folder


def _cores(secret: bytes) -> Iterator[str]:
    """Base64 characters that depend on ``secret`` alone, at each byte alignment."""
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + secret).decode()
        core = encoded[-(-8 * offset // 6) : 8 * (offset + len(secret)) // 6]
        yield core
        yield core.replace("+", "-").replace("/", "_")


def forbidden() -> list[tuple[str, str, bool]]:
    """(what, text, case-sensitive) for every spelling of every canary and their slices."""
    found: list[tuple[str, str, bool]] = []
    for variable, secret in CANARIES.items():
        forms = spellings(secret)
        pair = base64.b64encode(f"{USER}:{secret}".encode()).decode()
        found += [(f"{variable} {name}", text, "base64" in name) for name, text in forms.items()]
        found.append((f"{variable} base64 of user:password", pair, True))
        pieces = [(name, text, "base64" in name) for name, text in forms.items()]
        pieces += [("base64 core", core, True) for core in _cores(secret.encode())]
        for name, text, exact in pieces:
            for start in range(len(text) - SLICE + 1):
                found.append((f"{variable} {name} slice", text[start : start + SLICE], exact))
    return found


FORBIDDEN = forbidden()


def _strings(data: Any) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield key
            yield from _strings(value)
    elif isinstance(data, list):
        for value in data:
            yield from _strings(value)


def views(name: str, text: str) -> dict[str, str]:
    """``text`` as written, and as the format it is in decodes it."""
    seen = {f"{name} (as written)": text}
    if name.endswith((".json", ".jsonl", "journal")):
        lines = text.splitlines() if name.endswith((".jsonl", "journal")) else [text]
        decoded = [s for line in lines if line.strip() for s in _strings(json.loads(line))]
        seen[f"{name} (JSON strings)"] = "\n".join(decoded)
    if name.endswith(".xml"):
        root = ET.fromstring(text)
        parts = [t for e in root.iter() for t in (e.text, e.tail, *e.attrib.values()) if t]
        seen[f"{name} (XML text)"] = "\n".join(parts)
    if name.endswith(".html"):
        seen[f"{name} (HTML unescaped)"] = html.unescape(text)
    if name.endswith(".md"):
        seen[f"{name} (Markdown unescaped)"] = re.sub(r"\\(.)", r"\1", text)
    return seen


def leaks(outputs: dict[str, str]) -> list[str]:
    """Every forbidden spelling found in any view of any output, as ``where: what``."""
    found = []
    for name, text in outputs.items():
        for where, view in views(name, text).items():
            lowered = view.lower()
            for what, form, exact in FORBIDDEN:
                if (form in view) if exact else (form.lower() in lowered):
                    found.append(f"{where}: {what} {form!r}")
    return found


def test_the_search_finds_every_spelling_it_looks_for() -> None:
    """The detector itself: each spelling, and a half of one, planted in a report, is found."""
    token = CANARIES["CANARY_TOKEN"]
    for name, form in spellings(token).items():
        assert leaks({"report.json": json.dumps({"body": f"x {form} y"})}), name
    assert leaks({"report.md": "cut: " + token[: len(token) // 2] + "…"})
    pair = base64.b64encode(f"{USER}:{CANARIES['CANARY_PASSWORD']}".encode()).decode()
    assert leaks({"junit.xml": f'<a b="Basic {pair[:24]}"/>'})
    assert not leaks({"report.json": json.dumps({"body": f"x {MASK} y"})})


async def _probe(tmp_path: Path) -> tuple[dict[str, str], EchoServer, int]:
    plan = _canary_plan(tmp_path)
    reports = tmp_path / "reports"
    async with EchoServer() as echo:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "intcheck",
            "probe",
            str(plan),
            "--report-dir",
            str(reports),
            "--timeout",
            "10",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, **CANARIES, "ECHO_URL": echo.url, "NO_COLOR": "1"},
            cwd=tmp_path,
        )
        stdout, stderr = await asyncio.wait_for(process.communicate(), 240)
    assert process.returncode is not None
    outputs = {p.name: p.read_text("utf-8") for p in sorted(reports.iterdir())}
    outputs["stdout"] = stdout.decode("utf-8", "replace")
    outputs["stderr"] = stderr.decode("utf-8", "replace")
    return outputs, echo, process.returncode


async def _journal(tmp_path: Path) -> tuple[dict[str, str], int, int]:
    plan = load_plan(_canary_plan(tmp_path), environ={**CANARIES, "ECHO_URL": "http://127.0.0.1:9"})
    token, password, key = CANARIES.values()
    pair = base64.b64encode(f"{USER}:{password}".encode()).decode()
    headers = {
        "Authorization": f"Bearer {token}",
        "X-Trace": token,  # a header no name-based rule masks
        "X-Partner-Key": key,
        "X-Forwarded-Authorization": f"Basic {pair}",
        "Cookie": f"session={token}",
    }
    query = urlencode({"token": token, "password": password, "key": key, "b": pair})
    sent = 0
    async with MockServer(plan) as mock, aiohttp.ClientSession() as session:
        requests: list[tuple[str, str, dict[str, str], bytes]] = [
            ("GET", f"/echo-bearer/echo?{query}", headers, b""),
            ("GET", f"/echo-key/text?k={quote(key, safe='')}", {"X-Partner-Key": key}, b""),
            ("POST", "/echo-basic/echo", headers, json.dumps({"p": password, "t": token}).encode()),
            ("POST", "/echo-basic/echo", headers, query.encode()),
        ]
        for secret in CANARIES.values():
            for form in LONG_FORMS:
                requests.append(
                    ("POST", "/echo-bearer/text", {}, _straddling(spellings(secret)[form]).encode())
                )
        soap = (
            '<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body>'
            f"<Login><User>{USER}</User><Password>{spellings(password)['xml']}</Password></Login>"
            "</e:Body></e:Envelope>"
        )
        soap_headers = {"Authorization": f"Basic {pair}", "Content-Type": "text/xml"}
        requests.append(("POST", "/echo-soap", soap_headers, soap.encode()))
        requests.append(("POST", "/echo-soap", soap_headers, _straddling(soap).encode()))
        for method, path, extra, body in requests:
            async with session.request(method, mock.url + path, headers=extra, data=body) as answer:
                await answer.read()
                sent += 1
        async with session.get(mock.url + "/__intcheck/journal") as answer:
            admin = await answer.text()
        total, _ = mock.journal.read()
        outputs = {p.name: p.read_text("utf-8") for p in mock.journal.files()}
    outputs["GET /__intcheck/journal"] = admin
    return outputs, sent, total


@pytest.mark.slow
@pytest.mark.parametrize("output", ["probe reports", "mock journal"])
async def test_no_secret_form_reaches_any_output(tmp_path: Path, output: str) -> None:
    assert EVIDENCE_CUT == journal_module.BODY_LIMIT, "the long bodies straddle the real cut"
    if output == "probe reports":
        outputs, echo, code = await _probe(tmp_path)
        assert code == ExitCode.FINDINGS, outputs["stderr"]
        assert sorted(outputs) == [
            "junit.xml",
            "report.html",
            "report.json",
            "report.md",
            "stderr",
            "stdout",
        ]
        # Nothing leaked because the canaries travelled and were masked, not because none went:
        # every credential reached the echo, which sent each back in every long spelling.
        assert {"bearer", "basic", "password", "x-partner-key"} <= set(echo.seen)
        for form in LONG_FORMS:
            assert f"/rest/long/{form}" in echo.seen["bearer"], form
        document = json.loads(outputs["report.json"])
        bodies = [
            r["evidence"]["body"]
            for r in document["results"]
            if "/long/" in r["case"] and "auth:" not in r["case"]
        ]
        assert bodies and all(MASK in body for body in bodies)
        schema_errors = [
            r["evidence"]["schema_error"]["message"]
            for r in document["results"]
            if r.get("evidence", {}).get("schema_error")
        ]
        assert any(MASK in message for message in schema_errors), schema_errors
    else:
        outputs, sent, total = await _journal(tmp_path)
        assert total == sent > 20
        entries = json.loads(outputs["GET /__intcheck/journal"])["entries"]
        assert sum(MASK in entry["body"] for entry in entries) >= len(LONG_FORMS) * 3
    assert leaks(outputs) == []
