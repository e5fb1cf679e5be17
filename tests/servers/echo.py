"""A target that gives back every credential it receives, in every spelling and every place.

What a careless service does with what it was sent: quotes the ``Authorization`` header in a
JSON field that breaks the schema (so the schema error quotes it), decodes basic auth and names
``user:password`` in an error, puts credentials percent-encoded into a ``Link`` header, base64
into a custom header, XML-escaped into a SOAP fault code, lower-cased into a content type, and
into long bodies where they straddle the probe's 2,048-byte evidence cut. The canary test
probes it and then looks for every spelling in every file intcheck wrote.

``EchoServer.seen`` records which credentials reached it, so a test can tell "nothing leaked"
from "nothing was sent".
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from urllib.parse import quote, quote_plus
from xml.sax.saxutils import escape

from aiohttp import web

SPEC = Path(__file__).with_name("echo.openapi.yaml")
EVIDENCE_CUT = 2048  # the probe keeps this many bytes of a body
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"


def spellings(secret: str) -> dict[str, str]:
    """The ways a careless service writes ``secret`` back (the canary test checks each)."""
    return {
        "plain": secret,
        "base64": base64.b64encode(secret.encode()).decode(),
        "base64url": base64.urlsafe_b64encode(secret.encode()).decode(),
        "percent": quote(secret, safe=""),
        "percent-lower": re.sub(
            "%[0-9A-F]{2}", lambda m: m.group().lower(), quote(secret, safe="")
        ),
        "form": quote_plus(secret),
        "json": json.dumps(secret)[1:-1],
        "json-raw": json.dumps(secret, ensure_ascii=False)[1:-1],
        "xml": escape(secret, {'"': "&quot;", "'": "&apos;"}),
        "repr": repr(secret)[1:-1],
        "lower": secret.lower(),
    }


def credentials(request: web.Request) -> dict[str, str]:
    """Every credential in ``request``: the bearer token, basic ``user:password``, API keys."""
    found: dict[str, str] = {}
    authorization = request.headers.get("Authorization", "")
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer" and value:
        found["bearer"] = value
    elif scheme.lower() == "basic" and value:
        found["basic"] = base64.b64decode(value).decode("utf-8", "replace")
        found["password"] = found["basic"].partition(":")[2]
    for name, header in request.headers.items():
        if name.lower().endswith("-key"):
            found[name.lower()] = header
    return found


def _straddling(form: str) -> str:
    """A text body in which ``form`` starts before the 2,048-byte cut and ends after it."""
    pad = EVIDENCE_CUT - len(form.encode()) // 2 - len("pad=")
    return "pad=" + "x" * pad + form + "&end=" + "y" * 64


class EchoServer:
    """``async with EchoServer() as echo: echo.url`` (REST under /rest, SOAP under /soap)."""

    def __init__(self) -> None:
        self.url = ""
        self.seen: dict[str, set[str]] = {}  # credential kind -> paths it arrived on
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> EchoServer:
        app = web.Application()
        app.router.add_route("*", "/soap{tail:.*}", self._soap)
        app.router.add_route("*", "/rest/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def _note(self, request: web.Request) -> dict[str, str]:
        found = credentials(request)
        for kind in found:
            self.seen.setdefault(kind, set()).add(request.path)
        return found

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        found = self._note(request)
        body = (await request.read()).decode("utf-8", "replace")
        secrets = list(found.values())
        echo = {
            "headers": dict(request.headers),
            "query": request.query_string,
            "body": body,
            "spellings": {
                f"{kind}:{k}": v for kind in found for k, v in spellings(found[kind]).items()
            },
        }
        headers = {
            "X-Echo-Authorization": request.headers.get("Authorization", ""),
            "Link": "".join(f"</next?c={quote_plus(s)}>; rel=next, " for s in secrets) or "</>",
            "X-Echo-Base64": " ".join(spellings(s)["base64"] for s in secrets),
        }
        tail = request.match_info["tail"]
        if tail == "echo":
            # "id" must be an integer: the schema error quotes the Authorization value.
            document = {"id": request.headers.get("Authorization", ""), "echo": echo}
            return web.json_response(document, headers=headers)
        if tail == "broken":
            problem = {"title": f"crashed serving {found}", "echo": echo}
            return web.json_response(problem, status=500, headers=headers)
        if tail == "ctype":
            # The probe lower-cases the media type it quotes: the secret goes with it.
            kind = "application/x-echo." + ".".join(quote(s, safe="") for s in secrets)
            return web.Response(body=b"{}", headers={**headers, "Content-Type": kind})
        if tail.startswith("long/"):
            form = tail.removeprefix("long/")
            text = "".join(_straddling(spellings(s)[form]) for s in secrets)
            return web.Response(text=text or "no credentials", headers=headers)
        return web.Response(text=json.dumps(echo, ensure_ascii=False), headers=headers)

    async def _soap(self, request: web.Request) -> web.StreamResponse:
        found = self._note(request)
        pair = found.get("basic", "")
        soap12 = request.content_type == "application/soap+xml"
        # The fault code names the user: the probe quotes codes it does not know.
        code, reason = escape(f"Server.{pair}"), escape(f"login refused for {pair}")
        detail = escape(json.dumps(dict(request.headers))) + escape(
            " ".join(spellings(pair)["base64"] for _ in [pair] if pair)
        )
        if soap12:
            fault = (
                f"<e:Fault><e:Code><e:Value>e:{code}</e:Value></e:Code>"
                f'<e:Reason><e:Text xml:lang="en">{reason}</e:Text></e:Reason>'
                f"<e:Detail><echo>{detail}</echo></e:Detail></e:Fault>"
            )
            namespace, media = SOAP12, "application/soap+xml"
        else:
            fault = (
                f"<e:Fault><faultcode>e:{code}</faultcode><faultstring>{reason}</faultstring>"
                f"<detail><echo>{detail}</echo></detail></e:Fault>"
            )
            namespace, media = SOAP11, "text/xml"
        envelope = f'<e:Envelope xmlns:e="{namespace}"><e:Body>{fault}</e:Body></e:Envelope>'
        return web.Response(
            text=envelope, status=500, content_type=media, headers={"X-Echo-User": quote(pair)}
        )
