"""Loopback pages with each framing setup an embedded app gets right or wrong (DOMAIN.md §4).

``IframePages`` serves them on 127.0.0.1; ``SETUPS`` maps each path to its headers, and
``plan_for`` writes a plan whose iframe contract lists every page, framed by
``https://crm.example.com`` (cross-site to 127.0.0.1).
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

from aiohttp import web

CRM = "https://crm.example.com"
ALLOW = f"frame-ancestors 'self' {CRM}"
# path -> the headers of its answer (repeated names allowed)
SETUPS: dict[str, list[tuple[str, str]]] = {
    "/none": [],
    "/deny": [("X-Frame-Options", "DENY")],
    "/sameorigin": [("X-Frame-Options", "SAMEORIGIN")],
    "/allowed": [("Content-Security-Policy", ALLOW)],
    "/excluded": [("Content-Security-Policy", "frame-ancestors 'self' https://portal.example.net")],
    "/conflict": [("X-Frame-Options", "DENY"), ("Content-Security-Policy", ALLOW)],
    "/allow-from": [("X-Frame-Options", f"ALLOW-FROM {CRM}")],
    "/lax-cookie": [
        ("Content-Security-Policy", ALLOW),
        ("Set-Cookie", "APPSESSION=f00d; Path=/; Secure; HttpOnly; SameSite=Lax"),
    ],
    "/wildcard": [],
}
LOGIN_HEADERS = [("X-Frame-Options", "DENY"), ("Content-Security-Policy", "frame-ancestors 'none'")]

# A page that does the handshake but posts with target origin "*" and trusts any sender.
_WILDCARD_SCRIPT = """<script>
window.addEventListener("message", (event) => {
  if (event.data && event.data.type === "crm.context")
    parent.postMessage({type: "erp.ack", nonce: event.data.nonce}, "*");
});
parent.postMessage({type: "erp.ready", version: 1}, "*");
</script>"""


async def _page(request: web.Request) -> web.Response:
    path = request.path
    body = f"<!DOCTYPE html><title>{path}</title><h1>page {path}</h1>"
    if path == "/wildcard":
        body += _WILDCARD_SCRIPT
    response = web.Response(text=body, content_type="text/html")
    for name, value in SETUPS[path]:
        response.headers.add(name, value)
    return response


async def _login_redirect(request: web.Request) -> web.Response:
    # the SSO hop: allowed framing on the app, then a login page that forbids it
    return web.Response(
        status=302,
        headers={"Location": "/login?next=/app", "Content-Security-Policy": ALLOW},
    )


async def _login(request: web.Request) -> web.Response:
    response = web.Response(text="<!DOCTYPE html><h1>Sign in</h1>", content_type="text/html")
    for name, value in LOGIN_HEADERS:
        response.headers.add(name, value)
    return response


async def _json(request: web.Request) -> web.Response:
    return web.json_response({"order": 4711}, headers={"Content-Security-Policy": ALLOW})


def app() -> web.Application:
    application = web.Application()
    for path in SETUPS:
        application.router.add_get(path, _page)
    application.router.add_get("/login-redirect", _login_redirect)
    application.router.add_get("/login", _login)
    application.router.add_get("/json", _json)
    return application


class IframePages:
    """The pages on a free 127.0.0.1 port: ``async with IframePages() as pages: pages.url``."""

    def __init__(self) -> None:
        self.url = ""
        self._runner = web.AppRunner(app(), access_log=None)

    async def __aenter__(self) -> IframePages:
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._runner.cleanup()


PAGES = [*SETUPS, "/login-redirect", "/json"]


def plan_for(folder: Path, url: str, *, handshake_on: tuple[str, ...] = ("/wildcard",)) -> Path:
    """A plan with one iframe contract listing every page at ``url``; its folder."""
    lines = [
        "kind: iframe",
        "name: pages",
        f"target: {url}",
        f"embedder: {CRM}",
        "pages:",
    ]
    for path in PAGES:
        lines.append(f"  - path: {path}")
        if path in handshake_on:
            lines.append(
                "    postmessage: {ready: erp.ready, context: crm.context, ack: erp.ack, "
                "timeout_ms: 1500}"
            )
    lines += ["expect:", "  status: 200"]
    (folder / "pages.yaml").write_text("\n".join(lines) + "\n", "utf-8")
    (folder / "plan.yaml").write_text(
        "name: iframe pages\nintegrations:\n  - contract: pages.yaml\n", "utf-8"
    )
    return folder
