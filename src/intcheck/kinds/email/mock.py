"""``intcheck mock`` for email: the SMTP relay, the inbound webhook, and the mail API.

Admin routes, below ``/__intcheck/contracts/<contract>`` (a subset of Mailpit's API, in
intcheck's own snake_case):

==================================  =========================================================
``GET    /messages``                captured mail, newest first (``start``, ``limit``)
``GET    /search?query=``           ``from:anna to:support subject:"order 42" refund``
``GET    /messages/{id}``           one message parsed: headers, text, HTML, parts, checks
                                    (``latest`` is the newest)
``GET    /messages/{id}/raw``       as received, ``message/rfc822``
``GET    /messages/{id}/parts/{n}`` one part decoded (an attachment)
``DELETE /messages``                delete every captured message
``GET|PUT /chaos``                  the chaos triggers in force ({sender, recipient,
                                    authentication: {code, rate}})
``GET    /certificate``             the relay's certificate (PEM), for a CRM to trust
``GET    /inbound``                 what the inbound webhook stand-in received
==================================  =========================================================
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from intcheck.kinds.base import MockParts
from intcheck.kinds.email.capture import MailStore
from intcheck.kinds.email.contract import CHAOS_COMMANDS, EmailSettings, Trigger
from intcheck.kinds.email.mailchecks import check_message
from intcheck.kinds.email.receiver import InboundReceiver
from intcheck.kinds.email.relay import Chaos, RelayState, SmtpRelay

if TYPE_CHECKING:
    from intcheck.kinds.base import MockContext

PAGE = 50  # messages per page by default, as Mailpit


class EmailMocker:
    """The ``Mocker`` of the email kind."""

    def build_mock(self, ctx: MockContext) -> MockParts:
        settings = EmailSettings.of(ctx.contract)
        state = RelayState(
            relay=settings.relay,
            rules=settings.mail,
            store=MailStore(),
            chaos=Chaos(dict(settings.relay.chaos), ctx.rng),
            journal=ctx.journal,
        )
        port = 0 if ctx.any_port else settings.relay.port
        relay = SmtpRelay(state=state, host=ctx.host, port=port, reuse_port=ctx.reuse_port)
        receiver = None
        inbound = settings.inbound
        if inbound is not None and inbound.via == "webhook" and inbound.path:
            receiver = InboundReceiver(ctx.contract, inbound)
        return MockParts(
            routes=receiver.routes() if receiver else (),
            services=[relay],
            admin=_MailApi(state, receiver).routes(),
        )


class _MailApi:
    def __init__(self, state: RelayState, receiver: InboundReceiver | None) -> None:
        self.state = state
        self.receiver = receiver

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/messages", self.list),
            web.delete("/messages", self.delete_all),
            web.get("/search", self.search),
            web.get("/messages/{id}", self.one),
            web.get("/messages/{id}/raw", self.raw),
            web.get("/messages/{id}/parts/{index:[0-9]+}", self.part),
            web.get("/chaos", self.chaos),
            web.put("/chaos", self.set_chaos),
            web.get("/certificate", self.certificate),
            web.get("/inbound", self.inbound),
        ]

    def _page(self, request: web.Request, found: list[Any]) -> web.Response:
        try:
            start = max(0, int(request.query.get("start", 0)))
            limit = max(1, int(request.query.get("limit", PAGE)))
        except ValueError:
            return _problem(400, "start and limit are whole numbers")
        chosen = found[start : start + limit]
        summaries = []
        for message in chosen:
            verdicts = check_message(message, self.state.rules)
            failed = [v.name for v in verdicts if v.status.value == "failed"]
            summaries.append({**message.summary(), "failed_checks": failed})
        return web.json_response(
            {
                "total": len(self.state.store),
                "received": self.state.store.received,
                "messages_count": len(found),
                "start": start,
                "count": len(chosen),
                "messages": summaries,
            }
        )

    async def list(self, request: web.Request) -> web.Response:
        return self._page(request, self.state.store.newest())

    async def search(self, request: web.Request) -> web.Response:
        query = request.query.get("query", "")
        return self._page(request, self.state.store.search(query))

    async def delete_all(self, request: web.Request) -> web.Response:
        self.state.store.clear()
        return web.json_response({"deleted": True})

    def _message(self, request: web.Request) -> Any:
        message = self.state.store.get(request.match_info["id"])
        if message is None:
            raise web.HTTPNotFound(
                text=f'{{"error": "no message {request.match_info["id"]}"}}',
                content_type="application/json",
            )
        return message

    async def one(self, request: web.Request) -> web.Response:
        message = self._message(request)
        verdicts = check_message(message, self.state.rules)
        return web.json_response({**message.details(), "checks": [v.as_json() for v in verdicts]})

    async def raw(self, request: web.Request) -> web.Response:
        message = self._message(request)
        return web.Response(body=message.raw, content_type="message/rfc822")

    async def part(self, request: web.Request) -> web.Response:
        message = self._message(request)
        found = message.part_bytes(int(request.match_info["index"]))
        if found is None:
            return _problem(404, f"message {message.id} has no part {request.match_info['index']}")
        content_type, data = found
        return web.Response(body=data, content_type=content_type)

    async def chaos(self, request: web.Request) -> web.Response:
        return web.json_response(_triggers(self.state.chaos.triggers))

    async def set_chaos(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            return _problem(400, "expected a JSON object")
        if not isinstance(body, dict) or set(body) - set(CHAOS_COMMANDS):
            return _problem(400, f"expected an object with any of {', '.join(CHAOS_COMMANDS)}")
        triggers = {}
        for name, value in body.items():
            if value is None:
                continue
            code, rate = (value or {}).get("code"), (value or {}).get("rate")
            valid_code = isinstance(code, int) and 400 <= code <= 599
            if not valid_code or not isinstance(rate, int | float) or not 0 <= rate <= 1:
                return _problem(400, f"{name}: expected {{code: 400..599, rate: 0..1}}")
            triggers[name] = Trigger(code=int(str(code)), rate=float(rate))
        self.state.chaos.triggers = triggers
        return web.json_response(_triggers(triggers))

    async def certificate(self, request: web.Request) -> web.Response:
        if self.state.certificate is None:
            return _problem(404, "the relay does not offer STARTTLS (relay.starttls is off)")
        return web.Response(
            body=self.state.certificate.cert_pem, content_type="application/x-pem-file"
        )

    async def inbound(self, request: web.Request) -> web.Response:
        received = list(self.receiver.received) if self.receiver else []
        return web.json_response({"count": len(received), "messages": received[::-1]})


def _triggers(triggers: dict[str, Trigger]) -> dict[str, Any]:
    return {name: {"code": t.code, "rate": t.rate} for name, t in triggers.items()}


def _problem(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)
