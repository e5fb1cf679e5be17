"""The iframe mock: each setup's headers, switched at run time; its handshake in Chromium; the
example plan's erp-order-page end to end through mock and probe (screenshots in the report)."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import aiohttp
import pytest
from click.testing import CliRunner

from intcheck.cli import cli
from intcheck.contracts import load_plan
from intcheck.errors import ExitCode
from intcheck.mock import JournalQuery, MockServer
from intcheck.model import Plan, Result, Status
from intcheck.probe import ProbeOptions, run_probe
from tests.conftest import REPO

PNG = b"\x89PNG\r\n\x1a\n"
PAGE = "/erp-order-page/orders/view"
BEHAVIOUR = "/__intcheck/behaviour/erp-order-page/embed /orders/view"


@pytest.fixture
def example_plan(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "contracts", tmp_path / "contracts")
    shutil.copytree(REPO / "mocks", tmp_path / "mocks")
    return tmp_path / "contracts"


async def test_each_setup_is_served_and_switched_at_run_time(example_plan: Path) -> None:
    plan = load_plan(example_plan, environ={})
    timeout = aiohttp.ClientTimeout(total=10)
    async with (
        MockServer(plan, port=0) as mock,
        aiohttp.ClientSession(timeout=timeout) as http,
    ):
        async with http.get(mock.url + PAGE) as answer:
            assert answer.status == 200
            assert answer.content_type == "text/html"
            csp = answer.headers["Content-Security-Policy"]
            assert csp == "frame-ancestors 'self' https://crm.example.com"
            assert "X-Frame-Options" not in answer.headers
            cookie = answer.headers["Set-Cookie"]
            assert cookie.startswith("ERPSESSION=")
            assert "SameSite=None" in cookie and "Secure" in cookie and "Partitioned" in cookie
            assert "erp.ready" in await answer.text()  # the page's side of the handshake
        async with http.put(mock.url + BEHAVIOUR, json={"force": {"example": "deny+lax"}}) as put:
            assert put.status == 200
        async with http.get(mock.url + PAGE) as answer:
            assert answer.headers["X-Frame-Options"] == "DENY"
            assert "Content-Security-Policy" not in answer.headers
            assert "SameSite=Lax" in answer.headers["Set-Cookie"]
        async with http.put(mock.url + BEHAVIOUR, json={"force": {"example": "login-redirect"}}):
            pass
        async with http.get(mock.url + PAGE, allow_redirects=False) as answer:
            assert answer.status == 302
            location = answer.headers["Location"]
            assert location.startswith("/erp-order-page/__login?next=")
        async with http.get(mock.url + location) as login:
            assert login.headers["X-Frame-Options"] == "DENY"
            assert login.headers["Content-Security-Policy"] == "frame-ancestors 'none'"
        async with http.put(mock.url + BEHAVIOUR, json={"force": {"example": "denied"}}):
            pass
        async with http.get(mock.url + PAGE) as answer:
            assert answer.status == 400
            assert "'denied' is no mock page setup" in (await answer.json())["detail"]
        async with http.delete(mock.url + "/__intcheck/behaviour"):
            pass
        async with http.get(mock.url + PAGE) as answer:
            assert "X-Frame-Options" not in answer.headers
        setups_url = mock.url + "/__intcheck/contracts/erp-order-page/setups"
        async with http.get(setups_url) as listed:
            setups = await listed.json()
        assert setups["pages"][0]["setup"] == "allow+samesite-none+good"
        assert "login-redirect" in setups["framing"]
        _, entries = mock.journal.read(JournalQuery(contract="erp-order-page"))
    validations = {e["validation"] for e in entries if e["operation"] == "embed /orders/view"}
    assert validations == {"ok", "unknown-setup"}, "every page load is journaled"


SHAKE = "{ready: erp.ready, context: crm.context, ack: erp.ack, timeout_ms: 1500}"


def _handshake_plan(folder: Path) -> Path:
    """One page per handshake mode, all served by the mock (framing: none, so a decoy can
    frame them too and hear what is posted to '*')."""
    pages = "\n".join(
        f"  - path: /{mode}\n"
        f"    postmessage: {SHAKE}\n"
        f"    mock: {{framing: none, handshake: {mode}}}"
        for mode in ("good", "wildcard", "no-origin-check", "wrong-nonce", "silent")
    )
    (folder / "pages.yaml").write_text(
        "kind: iframe\nname: shake\nembedder: https://crm.example.com\n"
        f"pages:\n{pages}\nrequire: {{frame_ancestors: false}}\n",
        "utf-8",
    )
    (folder / "plan.yaml").write_text(
        "name: handshakes\nintegrations:\n  - contract: pages.yaml\n", "utf-8"
    )
    return folder


# mode -> the handshake claims that fail (all others pass)
HANDSHAKE_FAILS = {
    "good": set(),
    "wildcard": {"target_origin_is_explicit"},
    "no-origin-check": {"page_checks_message_origin"},
    "wrong-nonce": {"handshake_completes"},
    "silent": {"handshake_completes"},
}


@pytest.mark.timeout(120)
async def test_handshake_of_the_mock_page_in_chromium(tmp_path: Path) -> None:
    plan = load_plan(_handshake_plan(tmp_path), environ={})
    async with MockServer(plan, port=0) as mock:
        options = ProbeOptions(targets={"shake": f"{mock.url}/shake"}, timeout_s=10)
        results = await asyncio.wait_for(_collect(plan, options), 90)
    for mode, failing in HANDSHAKE_FAILS.items():
        mine = [r for r in results if r.case == f"shake:embed /{mode}#browser"]
        assert {r.check for r in mine if r.status is Status.FAILED} == failing, mode
        assert not [r for r in mine if r.status is Status.ERRORED]
    silent = next(
        r
        for r in results
        if r.case == "shake:embed /silent#browser" and r.check == "handshake_completes"
    )
    assert "no 'erp.ready' message from the page within 1500 ms" in silent.message
    skipped = next(
        r
        for r in results
        if r.case == "shake:embed /silent#browser" and r.check == "page_checks_message_origin"
    )
    assert skipped.status is Status.SKIPPED


async def _collect(plan: Plan, options: ProbeOptions) -> list[Result]:
    return [r async for r in run_probe(plan, options)]


@pytest.mark.timeout(180)
def test_example_plan_end_to_end_through_mock_and_probe(example_plan: Path) -> None:
    """``intcheck probe`` against ``intcheck mock``'s erp-order-page: green, with screenshots
    beside the report and linked from its HTML."""
    plan = load_plan(example_plan, environ={})
    reports = example_plan.parent / "reports"

    async def probe() -> object:
        async with MockServer(plan, port=0) as mock:
            target = f"erp-order-page={mock.url}/erp-order-page"
            args = ["--no-color", "probe", str(example_plan), "--only", "erp-order-page"]
            args += ["--target", target, "--report-dir", str(reports)]
            return await asyncio.to_thread(CliRunner().invoke, cli, args, standalone_mode=False)

    outcome = asyncio.run(probe())
    assert outcome.exception is None, outcome.output  # type: ignore[attr-defined]
    assert outcome.return_value == ExitCode.OK, outcome.output  # type: ignore[attr-defined]
    document = json.loads((reports / "report.json").read_text("utf-8"))
    checked = [r for r in document["results"] if r["integration"] == "erp-order-page"]
    assert {r["status"] for r in checked} == {"passed"}
    shots = [a for r in checked for a in r["evidence"].get("attachments", [])]
    paths = {a["path"] for a in shots}
    assert paths == {
        "screenshots/erp-order-page-orders-view.png",
        "screenshots/erp-order-page-invoices-view.png",
    }
    html = (reports / "report.html").read_text("utf-8")
    for path in paths:
        assert (reports / path).read_bytes().startswith(PNG)
        assert f'href="{path}"' in html
    handshake = next(
        r["evidence"]["details"]["handshake"]
        for r in checked
        if r["check"] == "handshake_completes"
    )
    assert handshake["ack"] == handshake["nonce"]


async def test_missing_chromium_is_errored_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INTCHECK_CHROMIUM", str(tmp_path / "no-chromium"))
    plan = load_plan(_handshake_plan(tmp_path), environ={})
    async with MockServer(plan, port=0) as mock:
        options = ProbeOptions(
            targets={"shake": f"{mock.url}/shake"}, timeout_s=5, only=("shake:embed /good",)
        )
        results = await _collect(plan, options)
    browser = [r for r in results if r.case.endswith("#browser")]
    assert browser and {r.status for r in browser} == {Status.ERRORED}
    assert "Chromium not found at" in browser[0].message
    assert "apt-get install chromium" in browser[0].message
    headers = [r for r in results if r.case.endswith("#headers")]
    assert headers and {r.status for r in headers} == {Status.PASSED}
