"""The probe's client: redirects followed but bounded, credentials kept to their origin."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

from intcheck.kinds.probing import ProbeRequest
from intcheck.probe.transport import Timeouts, create_session, send


@asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


def _echo_auth() -> web.Application:
    async def echo(request: web.Request) -> web.Response:
        return web.json_response({"auth": request.headers.get("Authorization", "")})

    app = web.Application()
    app.router.add_get("/end", echo)
    return app


async def _get(url: str, **headers: str) -> tuple[int | None, bytes, str]:
    timeouts = Timeouts.from_total(3)
    async with create_session(timeouts) as session:
        request = ProbeRequest(method="GET", url=url, headers=headers)
        exchange = await send(session, request, timeouts)
    return exchange.status, exchange.body, exchange.error


async def test_redirect_on_the_same_origin_keeps_credentials() -> None:
    app = _echo_auth()

    async def start(request: web.Request) -> web.Response:
        raise web.HTTPTemporaryRedirect("/end")

    app.router.add_get("/start", start)
    async with serve(app) as url:
        status, body, error = await _get(url + "/start", Authorization="Bearer t0ken")
    assert (status, error) == (200, "")
    assert b"Bearer t0ken" in body


async def test_redirect_to_another_origin_is_not_followed() -> None:
    visits: list[str] = []

    async def end(request: web.Request) -> web.Response:
        visits.append(request.headers.get("Authorization", ""))
        return web.json_response({})

    other_app = web.Application()
    other_app.router.add_get("/end", end)
    async with serve(other_app) as other:
        app = web.Application()

        async def start(request: web.Request) -> web.Response:
            raise web.HTTPFound(other + "/end")

        app.router.add_get("/start", start)
        async with serve(app) as url:
            status, _, error = await _get(url + "/start", Authorization="Bearer t0ken")
    # the 302 is the answer: the probe never goes to another origin, with or without credentials
    assert (status, error) == (302, "")
    assert visits == []


async def test_redirect_is_judged_not_followed_when_the_request_says_so() -> None:
    app = _echo_auth()

    async def start(request: web.Request) -> web.Response:
        raise web.HTTPTemporaryRedirect("/end")

    app.router.add_get("/start", start)
    timeouts = Timeouts.from_total(3)
    async with serve(app) as url, create_session(timeouts) as session:
        request = ProbeRequest(method="GET", url=url + "/start", follow_redirects=False)
        exchange = await send(session, request, timeouts)
    assert (exchange.status, exchange.headers.get("location")) == (307, "/end")


async def test_refused_connection_is_marked_unreachable() -> None:
    timeouts = Timeouts.from_total(3)
    async with serve(web.Application()) as url:
        pass  # the port is free again once the server is gone
    async with create_session(timeouts) as session:
        exchange = await send(session, ProbeRequest(method="GET", url=url + "/x"), timeouts)
    assert exchange.unreachable
    assert exchange.error.startswith("connection failed")


async def test_gzip_within_the_cap_is_decompressed() -> None:
    async def zipped(request: web.Request) -> web.Response:
        data = gzip.compress(b'{"ok": true}')
        return web.Response(body=data, headers={"Content-Encoding": "gzip"})

    app = web.Application()
    app.router.add_get("/z", zipped)
    async with serve(app) as url:
        status, body, error = await _get(url + "/z")
    assert (status, body, error) == (200, b'{"ok": true}', "")
