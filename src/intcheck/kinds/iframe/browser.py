"""The real-browser check: headless Chromium shows the page inside the CRM's frame.

Debian's Chromium (``/usr/bin/chromium``, or ``INTCHECK_CHROMIUM``) is driven with
Playwright, which never downloads a browser here. One browser serves a whole probe run
(``RunResources``); each check gets its own browser context, so cookies never leak between
checks, and at most ``SLOTS`` run at once.

How the CRM's origin is reproduced: the CRM stand-in page is answered inside the browser at
the contract's exact ``embedder`` URL (Playwright request routing), so the frame's ancestor is
``https://crm.example.com`` to the byte — what frame-ancestors, X-Frame-Options SAMEORIGIN,
schemeful same-site cookies and mixed content are decided on — while the target is fetched
over the real network. Only the stand-in's network address is not the CRM's: Chromium's Local
Network Access rule would block a "public" CRM from framing a loopback or intranet page, so
the context grants the CRM origin that permission, as a user accepting the prompt would. A
new context is like an incognito window: third-party cookies are blocked, which is how
Safari, Firefox's strict mode and incognito windows treat the frame.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from intcheck.kinds.iframe.crmpage import (
    DECOY_ORIGIN,
    FORGE_DELAY_MS,
    TARGET_NAME,
    crm_html,
    decoy_html,
    forger_html,
)

if TYPE_CHECKING:
    from playwright.async_api import (
        Browser,
        BrowserContext,
        Frame,
        Page,
        Request,
        Response,
        Route,
    )

    from intcheck.kinds.iframe.contract import Handshake

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LAUNCH_TIMEOUT_MS = 30_000
SLOTS = 4  # browser contexts at once: each is a renderer process or two on a small machine
VIEWPORT_WIDTH, VIEWPORT_HEIGHT = 1280, 760
DECOY_WAIT_S = 1.5  # how long the decoy listens for messages posted to "*"


class BrowserUnavailable(Exception):
    """Chromium is not installed, or does not start."""


def chromium_path() -> Path:
    """Where Chromium is looked for: ``INTCHECK_CHROMIUM`` or Debian's ``/usr/bin/chromium``."""
    return Path(os.environ.get("INTCHECK_CHROMIUM", "/usr/bin/chromium"))


@dataclass(frozen=True, slots=True)
class Browsing:
    """A running browser and the slots its checks share."""

    browser: Browser
    slots: asyncio.Semaphore
    version: str


@contextlib.asynccontextmanager
async def chromium(executable: Path | None = None) -> AsyncIterator[Browsing]:
    """Start headless Chromium once; BrowserUnavailable says why it cannot start."""
    executable = executable or chromium_path()
    if not executable.is_file():
        raise BrowserUnavailable(
            f"Chromium not found at {executable}: install Debian's chromium (apt-get install "
            "chromium) or point INTCHECK_CHROMIUM at a Chromium binary"
        )
    from playwright.async_api import Error, async_playwright

    async with async_playwright() as playwright:
        try:
            browser = await playwright.chromium.launch(
                executable_path=str(executable), args=FLAGS, timeout=LAUNCH_TIMEOUT_MS
            )
        except Error as exc:
            raise BrowserUnavailable(f"Chromium at {executable} did not start: {exc}") from exc
        try:
            yield Browsing(browser, asyncio.Semaphore(SLOTS), f"Chromium {browser.version}")
        finally:
            await browser.close()


@dataclass(slots=True, kw_only=True)
class Visit:
    """What one visit of the page inside the CRM's frame showed."""

    rendered: bool = False
    frame_url: str = ""
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    chain: list[dict[str, Any]] = field(default_factory=list)  # the frame's responses
    failure: str = ""  # the frame's request failed below HTTP (refused, DNS, TLS)
    console: list[str] = field(default_factory=list)
    cookies: list[dict[str, Any]] = field(default_factory=list)  # kept in the frame's jar
    handshake: dict[str, Any] | None = None
    decoy: dict[str, Any] | None = None
    screenshot: Path | None = None
    elapsed_ms: float = 0.0


async def visit(
    browsing: Browsing,
    url: str,
    embedder: str,
    handshake: Handshake | None,
    page_origin: str,
    *,
    timeout_s: float,
    insecure: bool,
    screenshot: Path | None,
) -> Visit:
    """Load the CRM stand-in framing ``url``; bounded by ``timeout_s`` plus the handshake's."""
    seen = Visit()
    budget = timeout_s + (handshake.timeout_ms / 1000 + DECOY_WAIT_S if handshake else 0) + 5
    # the budget starts once a slot is free: waiting behind other checks is not this page's time
    async with browsing.slots, asyncio.timeout(budget):
        started = time.perf_counter()
        context = await browsing.browser.new_context(
            viewport={"width": VIEWPORT_WIDTH, "height": VIEWPORT_HEIGHT},
            ignore_https_errors=insecure,
        )
        try:
            context.set_default_timeout(timeout_s * 1000)
            for origin in (embedder, DECOY_ORIGIN):
                with contextlib.suppress(Exception):  # an older Chromium has no such permission
                    await context.grant_permissions(["local-network-access"], origin=origin)
            nonce = secrets.token_hex(8)
            crm = crm_html(url, embedder, handshake, page_origin, nonce)
            await _answer(context, embedder + "/**", crm)
            await _answer(context, DECOY_ORIGIN + "/forger", forger_html(embedder))
            page = await context.new_page()
            responses = _watch(page, seen)
            with contextlib.suppress(Exception):  # a frame that never loads: judged below
                await page.goto(embedder + "/", wait_until="load", timeout=timeout_s * 1000)
            target = _target_frame(page)
            seen.frame_url = target.url if target is not None else ""
            seen.rendered = seen.frame_url.startswith(("http://", "https://"))
            await _read_chain(responses, seen)
            if handshake is not None and seen.rendered:
                seen.handshake = await _handshake(page, handshake, nonce)
            seen.cookies = [
                {"name": c.get("name", ""), "partitioned": bool(c.get("partitionKey"))}
                for c in await context.cookies()
            ]
            seen.elapsed_ms = (time.perf_counter() - started) * 1000
            if screenshot is not None:
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                await page.screenshot(path=screenshot)
                seen.screenshot = screenshot
            if handshake is not None and seen.rendered:
                seen.decoy = await _decoy(context, url, handshake, timeout_s)
        finally:
            await context.close()
    return seen


async def _answer(context: BrowserContext, pattern: str, html: str) -> None:
    """Answer every request matching ``pattern`` with ``html`` inside the browser."""

    async def fulfil(route: Route) -> None:
        await route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)

    await context.route(pattern, fulfil)


def _watch(page: Page, seen: Visit) -> list[Response]:
    """Collect the console's errors and the target frame's responses as they come."""
    responses: list[Response] = []

    # A cross-site frame has no name yet when its first response arrives: the target's
    # navigations are those of a child frame that are not the forger's.
    def ours(request: Request) -> bool:
        return (
            request.is_navigation_request()
            and request.frame != page.main_frame
            and not request.url.startswith(DECOY_ORIGIN)
        )

    def on_response(response: Response) -> None:
        if ours(response.request):
            responses.append(response)

    def on_failed(request: Request) -> None:
        if ours(request):
            seen.failure = f"{request.failure or 'failed'} ({request.url})"

    page.on("response", on_response)
    page.on("requestfailed", on_failed)
    page.on(
        "console",
        lambda message: (
            seen.console.append(message.text) if message.type in ("error", "warning") else None
        ),
    )
    return responses


def _target_frame(page: Page) -> Frame | None:
    return next((f for f in page.frames if f.name == TARGET_NAME), None)


async def _read_chain(responses: list[Response], seen: Visit) -> None:
    for response in responses:
        try:
            cookies = await response.header_values("set-cookie")
            headers = await response.all_headers()
        except Exception:  # the frame went away before its headers were read
            cookies, headers = [], {}
        seen.chain.append({"url": response.url, "status": response.status, "set-cookie": cookies})
        seen.status, seen.headers = response.status, headers


async def _handshake(page: Page, handshake: Handshake, nonce: str) -> dict[str, Any]:
    """Wait for the CRM's side to see the ack (or time out); what it logged, and the nonce."""
    wait_ms = handshake.timeout_ms + FORGE_DELAY_MS
    with contextlib.suppress(Exception):
        await page.wait_for_function(
            "() => window.__intcheck && window.__intcheck.done", timeout=wait_ms
        )
    logged: dict[str, Any] = await page.evaluate("() => window.__intcheck || {}")
    return {**logged, "nonce": nonce, "timeout_ms": handshake.timeout_ms}


async def _decoy(
    context: BrowserContext, url: str, handshake: Handshake, timeout_s: float
) -> dict[str, Any]:
    """Frame the page from another origin and listen for messages posted to ``*``."""
    await _answer(context, DECOY_ORIGIN + "/decoy", decoy_html(url, handshake))
    page = await context.new_page()
    with contextlib.suppress(Exception):
        await page.goto(DECOY_ORIGIN + "/decoy", wait_until="load", timeout=timeout_s * 1000)
    frame = next((f for f in page.frames if f != page.main_frame), None)
    rendered = frame is not None and frame.url.startswith(("http://", "https://"))
    if rendered:
        with contextlib.suppress(Exception):
            await page.wait_for_function(
                "() => window.__decoy.messages.length > 0", timeout=DECOY_WAIT_S * 1000
            )
    logged = await page.evaluate("() => (window.__decoy || {messages: []}).messages")
    await page.close()
    return {"origin": DECOY_ORIGIN, "rendered": rendered, "messages": logged}
