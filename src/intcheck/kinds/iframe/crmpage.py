"""The pages the browser check shows Chromium in the CRM's place, and the decoys beside them.

``crm_html`` is the CRM stand-in at the contract's ``embedder`` origin: it frames the target
and, when the page declares a handshake, plays the CRM's side as DOMAIN.md §4.4 asks (accepts
``ready`` only from the page's origin and from its frame, answers ``context`` with a fresh
nonce to that origin, waits for the ``ack``). A hidden forger frame at another origin first
sends the page a forged ``context``: a page that acks it does not check ``event.origin``.
``decoy_html`` frames the target from another origin: a message that reaches it was posted
with target origin ``*``.
"""

from __future__ import annotations

import json
from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from intcheck.kinds.iframe.contract import Handshake

DECOY_ORIGIN = "https://decoy.intcheck.invalid"  # .invalid never resolves: answered in-browser
FORGED_NONCE = "forged-by-another-origin"
FORGE_DELAY_MS = 300  # between the forged context and the CRM's own: time for a wrong ack
TARGET_NAME = "intcheck-target"
FRAME_HEIGHT = 640

_STYLE = (
    "<style>body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#eef1f5}"
    "header{background:#1f3a5f;color:#fff;padding:.5rem 1rem}code{font-size:.92em}"
    "iframe#target{display:block;margin:1rem;border:2px solid #1f3a5f;background:#fff;"
    f"width:calc(100% - 2rem);height:{FRAME_HEIGHT}px}}</style>"
)


def _json(value: object) -> str:
    return json.dumps(value).replace("</", "<\\/")


def crm_html(
    url: str, embedder: str, handshake: Handshake | None, page_origin: str, nonce: str
) -> str:
    """The CRM stand-in framing ``url``; with a handshake, the CRM's side of it."""
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>CRM at {escape(embedder)}</title>{_STYLE}</head><body>",
        f"<header>intcheck: the CRM at <code>{escape(embedder)}</code> framing "
        f"<code>{escape(url)}</code></header>",
        f'<iframe id="target" name="{TARGET_NAME}" src="{escape(url)}"></iframe>',
    ]
    if handshake is not None:
        parts.append(
            f'<iframe id="forger" src="{DECOY_ORIGIN}/forger" '
            'style="width:1px;height:1px;border:0;position:absolute;left:-10px"></iframe>'
        )
        settings = {
            "page": page_origin,
            "ready": handshake.ready,
            "context": handshake.context,
            "ack": handshake.ack,
            "nonce": nonce,
            "forged": FORGED_NONCE,
            "decoy": DECOY_ORIGIN,
            "delay": FORGE_DELAY_MS,
        }
        parts.append(_CRM_SCRIPT.replace("SETTINGS", _json(settings)))
    parts.append("</body></html>")
    return "\n".join(parts)


# The CRM's side: every message is logged for the report; only the page's origin, from the
# target frame, is acted on, and the context goes to that origin only.
_CRM_SCRIPT = """<script>
(() => {
  const S = SETTINGS;
  const log = window.__intcheck = {messages: [], done: false};
  const frame = document.getElementById("target");
  const forger = document.getElementById("forger");
  const t0 = performance.now();
  let ready = false, forgerUp = false, sent = false;
  const context = () => {
    if (!ready || !forgerUp || sent) return;
    sent = true;
    forger.contentWindow.postMessage({forge: S.context, nonce: S.forged}, S.decoy);
    setTimeout(() => {
      frame.contentWindow.postMessage(
        {type: S.context, nonce: S.nonce, customerId: "C000001", agentId: "agent-007"}, S.page);
      log.contextAt = performance.now() - t0;
    }, S.delay);
  };
  window.addEventListener("message", (event) => {
    if (event.source === forger.contentWindow) { forgerUp = true; context(); return; }
    const data = event.data;
    const type = data && typeof data === "object" ? String(data.type) : typeof data;
    const fromFrame = event.source === frame.contentWindow;
    log.messages.push({origin: event.origin, fromFrame: fromFrame, type: type,
                       nonce: data && typeof data === "object" ? String(data.nonce) : ""});
    if (!fromFrame || event.origin !== S.page) return;
    if (type === S.ready && !ready) {
      ready = true; log.readyAt = performance.now() - t0; context();
    }
    if (type === S.ack) {
      if (data.nonce === S.forged) { log.forgedAck = true; return; }
      log.ack = String(data.nonce); log.ackAt = performance.now() - t0; log.done = true;
    }
  });
})();
</script>"""


def forger_html(embedder: str) -> str:
    """The hidden frame that sends the page a context from an origin that is not the CRM."""
    return f"""<!DOCTYPE html><script>
parent.postMessage({{forger: "up"}}, {_json(embedder)});
window.addEventListener("message", (event) => {{
  if (event.origin !== {_json(embedder)} || !event.data || !event.data.forge) return;
  parent.frames[0].postMessage({{type: event.data.forge, nonce: event.data.nonce}}, "*");
}});
</script>"""


def decoy_html(url: str, handshake: Handshake) -> str:
    """A page at another origin framing ``url``: it only hears what is posted to ``*``."""
    settings = _json({"context": handshake.context})
    return f"""<!DOCTYPE html><html><head><title>decoy</title></head><body>
<iframe id="target" src="{escape(url)}" width="800" height="400"></iframe>
<script>
(() => {{
  const S = {settings};
  const log = window.__decoy = {{messages: []}};
  const frame = document.getElementById("target");
  window.addEventListener("message", (event) => {{
    if (event.source !== frame.contentWindow) return;
    const data = event.data;
    log.messages.push({{origin: event.origin,
                        type: data && typeof data === "object" ? String(data.type) : typeof data}});
  }});
  frame.addEventListener("load", () => {{
    frame.contentWindow.postMessage({{type: S.context, nonce: "decoy"}}, "*");
  }});
}})();
</script></body></html>"""
