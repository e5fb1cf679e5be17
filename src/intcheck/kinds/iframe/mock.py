"""The iframe ``Mocker``: one embeddable page per contract page, in the setup asked for.

A page's setup comes from the contract (``mock.framing``/``cookies``/``handshake``, a page's
own ``mock``) and can be switched while the mock runs through the behaviour API, which every
worker follows: ``PUT /__intcheck/behaviour/<contract>/embed /orders/view`` with
``{"force": {"example": "deny+lax"}}`` serves that page with X-Frame-Options: DENY and a
``SameSite=Lax`` session cookie until ``DELETE /__intcheck/behaviour``. ``GET
/__intcheck/contracts/<contract>/setups`` lists each page's setup and every word there is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from aiohttp import web

from intcheck.kinds.base import OPERATION, PREFER, VALIDATION, MockParts
from intcheck.kinds.iframe.contract import COOKIE_SETUPS, FRAMINGS, HANDSHAKES, IframeSettings
from intcheck.kinds.iframe.page import (
    LOGIN_HEADERS,
    framing_headers,
    login_html,
    page_html,
    session_cookie,
)

if TYPE_CHECKING:
    from intcheck.kinds.base import Handler, MockContext
    from intcheck.kinds.iframe.contract import Page, Setup

LOGIN_PATH = "/__login"
_NO_STORE = ("Cache-Control", "no-store")


class IframeMocker:
    """Serves each page of an iframe contract with the headers its setup asks for."""

    def build_mock(self, ctx: MockContext) -> MockParts:
        settings = IframeSettings.of(ctx.contract)
        prefix = urlsplit(ctx.base_url).path.rstrip("/")
        routes = [
            web.get(urlsplit(page.path).path, _page_handler(page, settings, ctx, prefix))
            for page in settings.pages
        ]
        routes.append(web.get(LOGIN_PATH, _login))
        admin = [web.get("/setups", _setups_handler(settings, ctx))]
        return MockParts(routes=routes, admin=admin)


def _page_handler(page: Page, settings: IframeSettings, ctx: MockContext, prefix: str) -> Handler:
    contract = ctx.contract.name

    async def serve(request: web.Request) -> web.StreamResponse:
        request[OPERATION] = page.operation
        try:
            setup = _setup(request, page)
        except ValueError as exc:
            request[VALIDATION] = "unknown-setup"
            return web.json_response(
                {"title": "Unknown page setup", "status": 400, "detail": str(exc)},
                status=400,
                content_type="application/problem+json",
            )
        request[VALIDATION] = "ok"
        if setup.framing == "login-redirect":
            # an SSO hop: the app sends the frame to a login page that refuses to be framed
            target = f"{prefix}{LOGIN_PATH}?next={quote(request.path_qs, safe='')}"
            response: web.StreamResponse = web.Response(status=302, headers={"Location": target})
        else:
            response = web.Response(
                text=page_html(page, setup, settings.embedder, contract),
                content_type="text/html",
                charset="utf-8",
            )
        for name, value in (*framing_headers(setup.framing, settings.embedder), _NO_STORE):
            response.headers.add(name, value)
        cookie = session_cookie(setup.cookies, settings.cookie_name)
        if cookie is not None:
            response.headers.add("Set-Cookie", cookie)
        return response

    return serve


def _setup(request: web.Request, page: Page) -> Setup:
    """The contract's setup for ``page``, changed by a forced ``example`` if one is set."""
    prefer = request.get(PREFER)
    forced = prefer(page.operation) if prefer is not None else None
    if forced and "example" in forced:
        return page.setup.with_words(forced["example"])
    return page.setup


async def _login(request: web.Request) -> web.StreamResponse:
    request[OPERATION] = "login"
    request[VALIDATION] = "ok"
    response = web.Response(
        text=login_html(request.query.get("next", "/")), content_type="text/html", charset="utf-8"
    )
    for name, value in (*LOGIN_HEADERS, _NO_STORE):
        response.headers.add(name, value)
    return response


def _setups_handler(settings: IframeSettings, ctx: MockContext) -> Handler:
    async def setups(request: web.Request) -> web.StreamResponse:
        return web.json_response(
            {
                "embedder": settings.embedder,
                "pages": [
                    {
                        "operation": page.operation,
                        "url": ctx.base_url + page.path,
                        "setup": page.setup.words,
                    }
                    for page in settings.pages
                ],
                "framing": list(FRAMINGS),
                "cookies": list(COOKIE_SETUPS),
                "handshake": list(HANDSHAKES),
                "switch": 'PUT /__intcheck/behaviour/<contract>/<operation> {"force": '
                '{"example": "deny+lax"}}',
            }
        )

    return setups
