"""Each framing setup on loopback gets the right verdict from the header check and from Chromium.

One probe run covers every page (one browser for all of them, as in a real run); the tests
below read its results. The CRM is ``https://crm.example.com``; the pages are on 127.0.0.1,
so the frame is cross-site.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from intcheck.contracts import load_plan
from intcheck.model import Result, Severity, Status
from intcheck.probe import ProbeOptions, run_probe
from tests.servers.iframe_pages import IframePages, plan_for

PNG = b"\x89PNG\r\n\x1a\n"

# page -> the checks that fail, with their severity, on (headers, browser); nothing else fails
EXPECTED: dict[str, tuple[dict[str, Severity], dict[str, Severity]]] = {
    "/none": ({"framing_is_restricted": Severity.LOW}, {}),
    "/deny": ({"frame_is_allowed": Severity.HIGH}, {"frame_renders": Severity.HIGH}),
    "/sameorigin": ({"frame_is_allowed": Severity.HIGH}, {"frame_renders": Severity.HIGH}),
    "/allowed": ({}, {}),
    "/excluded": ({"frame_is_allowed": Severity.HIGH}, {"frame_renders": Severity.HIGH}),
    "/conflict": ({"framing_headers_agree": Severity.LOW}, {}),
    "/allow-from": (
        {"framing_headers_agree": Severity.LOW, "framing_is_restricted": Severity.LOW},
        {},
    ),
    "/login-redirect": ({"frame_is_allowed": Severity.HIGH}, {"frame_renders": Severity.HIGH}),
    "/lax-cookie": (
        {"cookies_work_in_frame": Severity.HIGH},
        {"frame_keeps_cookies": Severity.HIGH},
    ),
    "/json": ({"page_is_html": Severity.HIGH}, {}),
    "/wildcard": (
        {"framing_is_restricted": Severity.LOW},
        {"target_origin_is_explicit": Severity.HIGH, "page_checks_message_origin": Severity.HIGH},
    ),
}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Result], Path]:
    folder = tmp_path_factory.mktemp("iframe-probe")
    reports = folder / "reports"

    async def probe() -> list[Result]:
        async with IframePages() as pages:
            plan = load_plan(plan_for(folder, pages.url), environ={})
            options = ProbeOptions(timeout_s=10, artifacts=reports)
            return [r async for r in run_probe(plan, options)]

    return asyncio.run(asyncio.wait_for(probe(), 120)), reports


def _failed(results: list[Result], case: str) -> dict[str, Severity]:
    mine = [r for r in results if r.case == case]
    assert mine, f"no results for {case}"
    assert not [r for r in mine if r.status is Status.ERRORED], [r.message for r in mine]
    return {r.check: r.severity for r in mine if r.status is Status.FAILED}


@pytest.mark.timeout(180)
@pytest.mark.parametrize("path", list(EXPECTED))
def test_each_setup_gets_its_verdict_from_headers_and_browser(
    run: tuple[list[Result], Path], path: str
) -> None:
    results, _ = run
    headers, browser = EXPECTED[path]
    assert _failed(results, f"pages:embed {path}#headers") == headers
    assert _failed(results, f"pages:embed {path}#browser") == browser


@pytest.mark.timeout(180)
def test_findings_name_the_header_and_the_rule(run: tuple[list[Result], Path]) -> None:
    results, _ = run

    def message(case: str, check: str) -> str:
        return next(r.message for r in results if r.case == case and r.check == check)

    csp = message("pages:embed /excluded#headers", "frame_is_allowed")
    assert "CSP frame-ancestors 'self' https://portal.example.net" in csp
    assert "does not list https://crm.example.com" in csp and "CSP3 §6.4.2" in csp
    assert "SAMEORIGIN cannot allow another origin" in message(
        "pages:embed /sameorigin#headers", "frame_is_allowed"
    )
    login = message("pages:embed /login-redirect#headers", "frame_is_allowed")
    assert login.startswith("after 302 to http://127.0.0.1:")
    assert "/login?next=/app" in login and "frame-ancestors 'none'" in login
    assert "legacy browsers" in message("pages:embed /conflict#headers", "framing_headers_agree")
    assert "ALLOW-FROM" in message("pages:embed /allow-from#headers", "framing_headers_agree")
    lax = message("pages:embed /lax-cookie#headers", "cookies_work_in_frame")
    assert "APPSESSION" in lax and "SameSite=Lax" in lax
    # Chromium's own words reach the report
    assert "X-Frame-Options" in message("pages:embed /deny#browser", "frame_renders")
    assert "frame-ancestors" in message("pages:embed /excluded#browser", "frame_renders")
    assert "'*'" in message("pages:embed /wildcard#browser", "target_origin_is_explicit")


@pytest.mark.timeout(180)
def test_each_browser_check_saves_a_screenshot_it_links(run: tuple[list[Result], Path]) -> None:
    results, reports = run
    shots = {a.path for r in results if r.evidence is not None for a in r.evidence.attachments}
    assert len(shots) == len(EXPECTED)
    for shot in shots:
        assert (reports / shot).read_bytes().startswith(PNG)
    # the per-hop evidence of a redirect
    login = next(
        r for r in results if r.case == "pages:embed /login-redirect#headers" and r.evidence
    )
    assert login.evidence is not None
    hops = login.evidence.details["hops"]
    assert [h["status"] for h in hops] == [302, 200]
    assert hops[1]["x-frame-options"] == "DENY"
