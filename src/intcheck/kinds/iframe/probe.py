"""The iframe ``Prober``: two cases per page, the headers as sent and the page in a browser.

``#headers`` follows the page's redirects one hop at a time through the probe's own client
(bounded like every probe request; a hop to another origin, such as an SSO login, is followed
as the browser would, with no credentials), keeping each hop's status, framing headers and
cookies. ``#browser`` shows the page inside the CRM's frame in headless Chromium and records
what rendered, the console, the cookies kept, the postMessage handshake and a screenshot.
"""

from __future__ import annotations

import re
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from intcheck.kinds.iframe.browser import BrowserUnavailable, chromium, visit
from intcheck.kinds.iframe.checks import browser_checks, header_checks
from intcheck.kinds.iframe.contract import IframeSettings
from intcheck.kinds.iframe.origins import Origin, relation
from intcheck.kinds.probing import Exchange, ProbeCase, ProbeRequest
from intcheck.model import Attachment

if TYPE_CHECKING:
    from intcheck.kinds.iframe.contract import Page
    from intcheck.kinds.probing import DatasetIndex, Perform, PerformContext
    from intcheck.model import Contract, Operation

_REDIRECTS = (301, 302, 303, 307, 308)
BROWSER_KEY = "iframe:chromium"
# What a browser sends when it loads a frame's document (Fetch metadata): some servers decide
# their framing headers on Sec-Fetch-Dest.
_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


class IframeProber:
    """Cases for each page of an iframe contract, judged against its CRM origin."""

    def build_cases(self, contract: Contract, target: str, index: DatasetIndex) -> list[ProbeCase]:
        settings = IframeSettings.of(contract)
        cases = []
        for page in settings.pages:
            operation = contract.operation(page.operation)
            assert operation is not None  # read() made one operation per page
            url = target.rstrip("/") + page.path
            data = {"settings": settings, "page": page, "url": url}
            request = ProbeRequest(method="GET", url=url, headers=frame_headers(settings, url))
            common: dict[str, Any] = {
                "operation": operation,
                "kind": "contract",
                "request": request,
                "expect_status": settings.expect_status,
                "source": operation.source,
                "data": data,
            }
            cases.append(
                ProbeCase(
                    id=f"{operation.id}#headers",
                    checks=header_checks(settings),
                    perform=_follow(request, settings),
                    **common,
                )
            )
            cases.append(
                ProbeCase(
                    id=f"{operation.id}#browser",
                    checks=browser_checks(page),
                    perform=_browse(request, settings, page, contract.name),
                    **common,
                )
            )
        return cases

    def writes(self, operation: Operation) -> bool:
        return False  # loading a page changes nothing a CRM team would mind


def frame_headers(settings: IframeSettings, url: str) -> dict[str, str]:
    """The request headers of a frame's document load, as the CRM's page would cause them."""
    try:
        site = relation(Origin.of(settings.embedder), Origin.of(url))
    except ValueError:
        site = "cross-site"
    return {
        "Accept": _ACCEPT,
        "Referer": settings.embedder + "/",
        "Sec-Fetch-Dest": "iframe",
        "Sec-Fetch-Mode": "navigate",
        "Sec-Fetch-Site": site,
        "Upgrade-Insecure-Requests": "1",
    }


def _follow(first: ProbeRequest, settings: IframeSettings) -> Perform:
    async def perform(ctx: PerformContext) -> Exchange:
        if ctx.send is None:
            return Exchange(request=first, error="no HTTP client: run this case through a probe")
        started = time.perf_counter()
        hops: list[Exchange] = []
        request = first
        for _ in range(ctx.max_redirects + 1):
            answer = await ctx.send(replace(request, follow_redirects=False))
            hops.append(answer)
            following = _next(request, answer, settings)
            if answer.error or following is None:
                break
            request = following
        else:
            return Exchange(
                request=first,
                error=f"more than {ctx.max_redirects} redirects from {first.url}",
                elapsed_ms=(time.perf_counter() - started) * 1000,
                observed={"hops": [_hop(h) for h in hops]},
            )
        final = hops[-1]
        return replace(
            final,
            request=first,
            # a login hop that cannot be reached is this page's problem, not the whole target's
            unreachable=final.unreachable and len(hops) == 1,
            elapsed_ms=(time.perf_counter() - started) * 1000,
            observed={
                "crm": settings.embedder,
                "final_url": final.request.url,
                "hops": [_hop(h) for h in hops],
            },
        )

    return perform


def _next(request: ProbeRequest, answer: Exchange, settings: IframeSettings) -> ProbeRequest | None:
    location = answer.headers.get("location")
    if answer.status not in _REDIRECTS or not location:
        return None
    url = urljoin(request.url, location.strip())
    if not url.startswith(("http://", "https://")):
        return None
    return ProbeRequest(method="GET", url=url, headers=frame_headers(settings, url))


def _hop(answer: Exchange) -> dict[str, Any]:
    """One hop as the checks and the report read it: where, what status, what headers."""
    headers = answer.headers
    return {
        "url": answer.request.url,
        "status": answer.status,
        "location": headers.get("location", ""),
        "content-type": headers.get("content-type", ""),
        "x-frame-options": headers.get("x-frame-options"),
        "content-security-policy": headers.get("content-security-policy", ""),
        "set-cookie": headers.get("set-cookie", ""),
        "error": answer.error,
    }


def _browse(request: ProbeRequest, settings: IframeSettings, page: Page, contract: str) -> Perform:
    async def perform(ctx: PerformContext) -> Exchange:
        handshake = page.handshake
        try:
            page_origin = handshake.origin if handshake and handshake.origin else ""
            page_origin = page_origin or str(Origin.of(request.url))
            if ctx.resources is not None:
                browsing = await ctx.resources.get(BROWSER_KEY, chromium)
                seen = await _visit(browsing, request, settings, page, page_origin, ctx, contract)
            else:
                async with chromium() as browsing:
                    seen = await _visit(
                        browsing, request, settings, page, page_origin, ctx, contract
                    )
        except BrowserUnavailable as exc:
            return Exchange(request=request, error=str(exc))
        except TimeoutError:
            return Exchange(request=request, error="the browser check did not finish in time")
        except Exception as exc:  # Playwright's own errors: the browser could not judge
            return Exchange(request=request, error=f"browser: {type(exc).__name__}: {exc}")
        return seen

    return perform


async def _visit(
    browsing: Any,
    request: ProbeRequest,
    settings: IframeSettings,
    page: Page,
    page_origin: str,
    ctx: PerformContext,
    contract: str,
) -> Exchange:
    relative = f"screenshots/{contract}-{_slug(page.path)}.png"
    shot = ctx.artifacts / relative if ctx.artifacts is not None else None
    seen = await visit(
        browsing,
        request.url,
        settings.embedder,
        page.handshake,
        page_origin,
        timeout_s=ctx.timeout_s,
        insecure=ctx.insecure,
        screenshot=shot,
    )
    observed = {
        "browser": f"{browsing.version}, headless; third-party cookies blocked (incognito)",
        "crm": settings.embedder,
        "frame": "rendered" if seen.rendered else "not rendered",
        "frame_url": seen.frame_url,
        "chain": seen.chain,
        "console": seen.console[:20],
        "cookies_kept": seen.cookies,
        "page_origin": page_origin,
        **({"handshake": seen.handshake} if seen.handshake is not None else {}),
        **({"decoy": seen.decoy} if seen.decoy is not None else {}),
        **({"screenshot": relative} if seen.screenshot is not None else {}),
    }
    attachments = (
        (
            Attachment(
                kind="screenshot",
                path=relative,
                title=f"{page.title or page.path} in the frame of {settings.embedder}",
            ),
        )
        if seen.screenshot is not None
        else ()
    )
    if seen.status is None:
        error = seen.failure or "the frame's document never answered"
        if any("Mixed Content" in line for line in seen.console):
            error = "the browser blocked the frame as mixed content before sending the request"
        return Exchange(
            request=request,
            error=error,
            elapsed_ms=seen.elapsed_ms,
            observed=observed,
            attachments=attachments,
            unreachable=bool(seen.failure),
        )
    return Exchange(
        request=request,
        status=seen.status,
        headers=seen.headers,
        elapsed_ms=seen.elapsed_ms,
        observed=observed,
        attachments=attachments,
    )


def _slug(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")[:60] or "root"
