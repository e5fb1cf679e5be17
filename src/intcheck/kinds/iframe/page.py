"""The mock's embeddable page: its headers for each setup, its HTML, its side of the handshake.

A CRM team frames the mock page to rehearse a good setup and each broken one (DOMAIN.md §4):
``framing`` decides the X-Frame-Options and CSP headers, ``cookies`` the session cookie,
``handshake`` how the page plays the postMessage handshake: it posts ``ready`` to the CRM's
origin (never ``*``), accepts a ``context`` only from that origin and from its parent, and
echoes the context's nonce in its ``ack``. The broken handshakes do what real pages get wrong.
"""

from __future__ import annotations

import json
import secrets
from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from intcheck.kinds.iframe.contract import Handshake, Page, Setup

OTHER_ANCESTOR = "https://portal.example.net"  # the "exclude" setup's only allowed framer


def framing_headers(framing: str, embedder: str) -> list[tuple[str, str]]:
    """The framing headers of one setup (login-redirect: those of the page behind the login)."""
    allow = f"frame-ancestors 'self' {embedder}"
    return {
        "allow": [("Content-Security-Policy", allow)],
        "deny": [("X-Frame-Options", "DENY")],
        "sameorigin": [("X-Frame-Options", "SAMEORIGIN")],
        "none": [],
        "conflict": [("X-Frame-Options", "DENY"), ("Content-Security-Policy", allow)],
        "allow-from": [("X-Frame-Options", f"ALLOW-FROM {embedder}")],
        "exclude": [("Content-Security-Policy", f"frame-ancestors 'self' {OTHER_ANCESTOR}")],
        "login-redirect": [("Content-Security-Policy", allow)],
    }[framing]


# What an identity provider's login page sends: it must never render inside another site.
LOGIN_HEADERS = [
    ("X-Frame-Options", "DENY"),
    ("Content-Security-Policy", "frame-ancestors 'none'"),
]


def session_cookie(setup: str, name: str) -> str | None:
    """The ``Set-Cookie`` value of one cookie setup; None for ``off``."""
    value = secrets.token_hex(12)
    attributes = {
        "samesite-none": "; Secure; HttpOnly; SameSite=None; Partitioned",
        "lax": "; Secure; HttpOnly; SameSite=Lax",
        "unset": "; HttpOnly",
        "insecure": "; HttpOnly; SameSite=None",
        "off": None,
    }[setup]
    return None if attributes is None else f"{name}={value}; Path=/{attributes}"


def page_html(page: Page, setup: Setup, embedder: str, contract: str) -> str:
    """The embeddable page: a title, what it is rehearsing, and its handshake script."""
    title = escape(page.title or page.path)
    script = handshake_script(page.handshake, setup.handshake, embedder) if page.handshake else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font:15px/1.4 system-ui,sans-serif;margin:1rem;color:#1d1d1f}}
h1{{font-size:1.2rem}}code{{background:#f3f3f6;padding:0 .2rem}}</style></head>
<body><h1>{title}</h1>
<p>intcheck mock page of <code>{escape(contract)}</code>, <code>{escape(page.path)}</code>,
framed by <code>{escape(embedder)}</code>.</p>
<p>Setup: <code>{escape(setup.words)}</code></p>
<p id="handshake">{"handshake: waiting for the CRM" if page.handshake else ""}</p>
{script}</body></html>
"""


def handshake_script(handshake: Handshake, mode: str, embedder: str) -> str:
    """The page's side of the handshake in ``mode`` (good, silent, wrong-nonce, ...)."""
    settings = json.dumps(
        {
            "crm": embedder,
            "ready": handshake.ready,
            "context": handshake.context,
            "ack": handshake.ack,
            "mode": mode,
        }
    ).replace("</", "<\\/")
    return f"""<script>
(() => {{
  const S = {settings};
  const to = S.mode === "wildcard" ? "*" : S.crm;
  const line = document.getElementById("handshake");
  window.addEventListener("message", (event) => {{
    const checked = S.mode !== "no-origin-check";
    if (checked && (event.origin !== S.crm || event.source !== window.parent)) return;
    const data = event.data;
    if (!data || typeof data !== "object" || data.type !== S.context) return;
    const nonce = S.mode === "wrong-nonce" ? "not-" + data.nonce : data.nonce;
    window.parent.postMessage({{type: S.ack, nonce: nonce}}, to);
    line.textContent = "handshake: context from " + event.origin + ", ack sent";
  }});
  if (S.mode !== "silent") {{
    const nonce = Math.random().toString(36).slice(2);
    window.parent.postMessage({{type: S.ready, version: 1, nonce: nonce}}, to);
  }}
}})();
</script>"""


def login_html(next_path: str) -> str:
    """The login page the ``login-redirect`` setup sends the frame to."""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in</title></head>
<body><h1>Sign in</h1><form method="post"><input name="user"><input name="password"
type="password"><input type="hidden" name="next" value="{escape(next_path)}">
<button>Sign in</button></form></body></html>
"""
