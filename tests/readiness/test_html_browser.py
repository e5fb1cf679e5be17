"""The HTML report in a real headless Chromium (Debian's, at /usr/bin/chromium): it renders
without console errors, its charts and screenshots are drawn, and it prints to PDF.

Playwright drives the installed browser; it never downloads one. Every step has a timeout.
"""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from intcheck.contracts import load_plan
from intcheck.readiness import evaluate_readiness
from intcheck.readiness.writers import write_readiness
from tests.conftest import REPO
from tests.readiness.samples import write_sample_reports

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def chromium() -> Path:
    """The system's Chromium; its absence is an error, never a skip."""
    if not CHROMIUM.is_file():
        raise FileNotFoundError(
            f"{CHROMIUM} not found: the HTML tests need `apt-get install chromium`"
        )
    return CHROMIUM


@pytest.fixture(scope="module")
def page_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("html")
    shutil.copytree(REPO / "contracts", root / "contracts")
    shutil.copytree(REPO / "mocks", root / "mocks")
    plan = load_plan(root / "contracts", environ={})
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    write_sample_reports(plan, root / "reports", now)
    write_readiness(evaluate_readiness(plan, [root / "reports"], now=now), root / "out")
    return root / "out" / "readiness.html"


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_html_renders_in_chromium_with_its_charts(
    chromium: Path, page_path: Path, tmp_path: Path
) -> None:
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium), args=FLAGS, timeout=30_000
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(15_000)
            page.on(
                "console",
                lambda m: (
                    problems.append(f"{m.type}: {m.text}")
                    if m.type in ("error", "warning")
                    else None
                ),
            )
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
            page.goto(page_path.as_uri(), wait_until="load")
            charts = page.eval_on_selector_all(
                "svg.chart",
                """els => els.map(e => {
                    const box = e.getBoundingClientRect();
                    const marks = e.querySelectorAll('rect.bar, polyline.line, rect.failures');
                    return [e.dataset.chart, box.width, box.height, marks.length];
                })""",
            )
            images = page.eval_on_selector_all(
                "img", "els => els.map(e => [e.complete, e.naturalWidth, e.naturalHeight])"
            )
            verdict = page.inner_text("header.verdict .label")
            page.screenshot(path=str(tmp_path / "readiness.png"), full_page=True)
            page.emulate_media(media="print")
            pdf = page.pdf(format="A4", print_background=True)
        finally:
            browser.close()
    assert problems == []
    assert verdict == "NO-GO"
    assert (tmp_path / "readiness.png").read_bytes().startswith(PNG)
    kinds = [kind for kind, *_ in charts]
    assert kinds.count("timeline") == 1 and kinds.count("histogram") >= 6
    for kind, width, height, marks in charts:
        assert width > 200 and height > 80, (kind, width, height)
        assert marks > 0, kind
    assert images == [[True, 480, 300], [True, 480, 300]]
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) >= 3
