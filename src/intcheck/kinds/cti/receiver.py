"""The mock: a CRM-side receiver a telephony team points its PBX at.

Every callback to ``/<contract>/<request path>`` is judged against the contract: credentials
and signature (a forged one gets 401), fields and their formats (a malformed one gets 400:
an unknown event, a caller ID that is no number, a bad timestamp), then what a CRM accepts but
the PBX team must hear about (a caller-ID form the contract does not declare, an unencoded
``+``, a clock off by minutes, events out of order on a call). The verdict goes to the journal
(``request[VALIDATION]``: ``ok`` or the rules broken; ``request[NOTE]``: in words), and each
call, once it ends, gets one journal entry of its own with its events in order. A known caller
is popped from the plan's dataset; a repeated event gets the same answer and no second pop.
``/__intcheck/contracts/<contract>/calls`` lists the calls as the receiver saw them.
"""

from __future__ import annotations

import html
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from aiohttp import web

from intcheck.kinds.base import NOTE, OPERATION, VALIDATION, MockParts
from intcheck.kinds.callerid import NOT_A_NUMBER, PLUS_AS_SPACE, WITHHELD, form_of, readings
from intcheck.kinds.cti import answers
from intcheck.kinds.cti.callback import (
    form_pairs,
    json_pairs,
    parse_timestamp,
    read_fields,
    signature_problem,
    skew,
)
from intcheck.kinds.cti.callers import customer_values, phone_fields
from intcheck.kinds.cti.calls import CallState, CallTracker
from intcheck.kinds.cti.contract import CtiContract

if TYPE_CHECKING:
    from intcheck.kinds.base import MockContext

DISPOSITIONS = frozenset({"answered", "busy", "no-answer", "failed", "canceled", "completed"})
DIRECTIONS = frozenset({"inbound", "outbound", "internal", "outbound-api", "outbound-dial"})
CLOCK_SKEW_S = 300.0  # beyond this a timestamp is reported, even where nothing rejects it
MAX_ANSWERS = 20_000  # first answers kept for repeats
# Rules after which a CRM answers 401: whoever sent it may not pop screens.
UNAUTHORIZED = frozenset(
    {
        "missing-credentials",
        "bad-credentials",
        "missing-signature",
        "missing-signature-timestamp",
        "bad-signature",
        "bad-signature-timestamp",
        "stale-signature",
        "stale-timestamp",
    }
)
# Rules a CRM lets pass (it can still pop), reported so the PBX team can fix them.
ACCEPTED = ("caller-id-form", "caller-id-plus-as-space", "clock-skew", "event-order")


class CtiMock:
    """``Kind.mock`` of cti: the receiver's routes, its call tracker, its admin route."""

    def build_mock(self, ctx: MockContext) -> MockParts:
        receiver = Receiver(ctx)
        settings = receiver.settings
        return MockParts(
            routes=[
                web.route(settings.method, settings.path, receiver.handle),
                web.get("/contacts/{id}", receiver.contact),
            ],
            services=[receiver],
            admin=[web.get("/calls", receiver.calls_view)],
        )


class Receiver:
    """Judges and answers one contract's callbacks; a ``MockService`` for its calls' ends."""

    def __init__(self, ctx: MockContext) -> None:
        self.ctx = ctx
        self.settings = CtiContract.of(ctx.contract)
        self.tracker = CallTracker(self.settings.events)
        self.answers: OrderedDict[tuple[str, ...], answers.Answer] = OrderedDict()
        self.sent = self.settings.sent
        # where the dataset keeps numbers: (collection, field), found once
        self.phone_fields = list(
            dict.fromkeys(
                (name, key)
                for name in list(ctx.store.collections)
                for record in ctx.store.records(name)
                for key in phone_fields(record)
            )
        )

    # -- MockService: the calls still open when the mock stops are journaled as such --

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        for state in list(self.tracker.unfinished()):
            self._journal_call(state, "call-not-ended")

    @property
    def endpoints(self) -> list[tuple[str, str]]:
        return []

    # -- the callback --

    async def handle(self, request: web.Request) -> web.StreamResponse:
        settings, now = self.settings, time.time()
        request[OPERATION] = ""
        body = await request.read() if request.body_exists else b""
        try:
            if settings.encoding == "json":
                body_pairs = json_pairs(body)
            elif settings.encoding == "form":
                body_pairs = form_pairs(body)
            else:
                body_pairs = []
        except (ValueError, UnicodeDecodeError) as exc:
            return self._refuse(
                request, 400, ["bad-body"], f"the body is not {settings.encoding}: {exc}"
            )
        values, broken = read_fields(
            settings, list(request.rel_url.query.items()), body_pairs, dict(request.match_info)
        )
        security = self._credentials(request) or signature_problem(
            settings,
            urls=self._signed_urls(request) if settings.signing.scheme == "twilio" else (),
            raw_target=request.raw_path,
            body=body,
            form=body_pairs if settings.encoding == "form" else [],
            headers={k.lower(): v for k, v in request.headers.items()},
            now=now,
        )
        event = self._event(values)
        if event is None:
            broken.append(f"unknown-event:{values.get('event', '')}")
        else:
            request[OPERATION] = event
        broken += self._formats(values, event, now)
        if security:
            broken.insert(0, security)
        refusing = [r for r in broken if r.split(":")[0] in UNAUTHORIZED]
        if refusing:
            detail = f"{refusing[0]}: {_WHY.get(refusing[0].split(':')[0], 'refused')}"
            return self._refuse(request, 401, broken, detail, basic=self._basic)
        if any(not r.startswith(ACCEPTED) for r in broken):
            rules = [r for r in broken if not r.startswith(ACCEPTED)]
            return self._refuse(request, 400, broken, f"the callback breaks {', '.join(rules)}")
        assert event is not None  # an unknown event is refused above
        return self._accept(request, event, values, broken)

    def _accept(
        self, request: web.Request, event: str, values: dict[str, str], broken: list[str]
    ) -> web.StreamResponse:
        settings = self.settings
        call_id, ext = values.get("call_id", ""), values.get("agent_ext", "")
        key = (event, *(values.get(p, "") for p in settings.duplicate_key))
        first = self.answers.get(key)
        if first is not None:
            request[VALIDATION] = ",".join(broken) or "ok"
            request[NOTE] = f"repeat of {event} on call {call_id}: same answer, not popped again"
            return first.response(popped=False, pointer=settings.popped)
        order = self.tracker.order_problem(call_id, event) if call_id else ""
        if order:
            broken.append(order)
        caller = values.get("caller_id", "")
        popped = ""
        if not settings.pop_event(event):
            answer, said = answers.acknowledged(settings, values), f"{event} acknowledged"
        elif (record := self._lookup(caller)) is not None:
            customer = customer_values(record)
            popped = customer["customer_id"]
            contact = f"{self.ctx.base_url}/contacts/{popped}"
            answer = answers.pop(settings, values, customer, contact)
            said = f"{event} from {_shown(caller)}: popped {popped} {customer['name']}".rstrip()
        else:
            whom = (
                "a withheld number"
                if form_of(caller, settings.region) == WITHHELD
                else "a number no customer has"
            )
            answer = answers.nobody(settings, values, f"no customer: {whom}")
            said = f"{event} from {_shown(caller)}: {whom}, answered {answer.status}"
        self._remember(key, answer)
        if call_id:
            state, ended, forgotten = self.tracker.record(
                call_id, event, ext, broken=order, popped=popped
            )
            for old in forgotten:
                if not old.ended:
                    self._journal_call(old, "call-not-ended")
            if ended:  # once per call; an event after its end is judged on its own entry
                self._journal_call(state, "")
        request[VALIDATION] = ",".join(broken) or "ok"
        notes = [said, *(_WHY.get(r.split(":")[0], "") for r in broken)]
        request[NOTE] = "; ".join(n for n in notes if n)
        return answer.response()

    def _refuse(
        self,
        request: web.Request,
        status: int,
        broken: list[str],
        detail: str,
        *,
        basic: bool = False,
    ) -> web.Response:
        request[VALIDATION] = ",".join(broken)
        request[NOTE] = f"refused {status}: {detail}"
        return answers.refused(status, broken, detail, basic=basic)

    @property
    def _basic(self) -> bool:
        return self.settings.auth is not None and self.settings.auth.type == "basic"

    def _credentials(self, request: web.Request) -> str:
        auth = self.settings.auth
        if auth is None:
            return ""
        wanted = auth.headers()
        for name, value in wanted.items():
            given = request.headers.get(name)
            if given is None:
                return "missing-credentials"
            if given != value:
                return "bad-credentials"
        return ""

    def _signed_urls(self, request: web.Request) -> list[str]:
        """The URLs the PBX may have signed: the mock's own, and the one the request names
        (a proxy or tunnel in front of the mock shows its own host)."""
        own = self.ctx.base_url.split("/", 3)
        origin = "/".join(own[:3]) if len(own) >= 3 else ""
        scheme = request.headers.get("X-Forwarded-Proto", request.scheme)
        host = request.headers.get("X-Forwarded-Host", request.host)
        return list(
            dict.fromkeys([origin + request.raw_path, f"{scheme}://{host}{request.raw_path}"])
        )

    def _event(self, values: dict[str, str]) -> str | None:
        if "event" not in self.sent:
            return self.settings.events[0]  # one declared event: nothing to tell apart
        return self.settings.event_of(values.get("event", ""))

    def _formats(self, values: dict[str, str], event: str | None, now: float) -> list[str]:
        """The format rules the values break."""
        settings, sent, broken = self.settings, self.sent, []
        caller = values.get("caller_id", "")
        if "caller_id" in sent and not (
            settings.style == "twilio" and caller.startswith("client:")
        ):
            form = form_of(caller, settings.region)
            if form == NOT_A_NUMBER:
                broken.append("bad-caller-id")
            elif form == PLUS_AS_SPACE:
                broken.append("caller-id-plus-as-space")
            elif (
                form not in (WITHHELD, *settings.declared_forms)
                and settings.primary_form != "as-is"
            ):
                broken.append(f"caller-id-form:{form}")
        if "call_id" in values:  # a missing field is reported as such already
            call_id = values["call_id"]
            if not call_id or (settings.style == "twilio" and not _is_call_sid(call_id)):
                broken.append("bad-call-id")
        dnis = values.get("dnis")
        if dnis is not None and not (readings(dnis, settings.region) or dnis.isdigit()):
            broken.append("bad-dnis")
        if values.get("timestamp"):
            moment = parse_timestamp(values["timestamp"])
            limit = settings.signing.max_age_s
            if moment is None:
                broken.append("bad-timestamp")
            elif skew(moment, now).total_seconds() > (limit or CLOCK_SKEW_S):
                broken.append("stale-timestamp" if limit is not None else "clock-skew")
        if event == "hangup":
            duration = values.get("duration", "")
            if duration and not duration.isdigit():
                broken.append("bad-duration")
            disposition = values.get("disposition", "")
            if disposition and disposition not in DISPOSITIONS:
                broken.append("bad-disposition")
        if "direction" in sent and values.get("direction") not in DIRECTIONS:
            broken.append("bad-direction")
        return broken

    def _lookup(self, caller: str) -> dict[str, Any] | None:
        """The record whose number ``caller`` is, in any form (the first of several)."""
        store, region = self.ctx.store, self.settings.region
        for number in readings(caller, region):
            for collection, key in self.phone_fields:
                found = store.find_by_phone(collection, key, number, region)
                if found:
                    return found[0]
        return None

    def _remember(self, key: tuple[str, ...], answer: answers.Answer) -> None:
        self.answers[key] = answer
        if len(self.answers) > MAX_ANSWERS:
            self.answers.popitem(last=False)

    def _journal_call(self, state: CallState, problem: str) -> None:
        broken = ",".join([*state.broken, *([problem] if problem else [])]) or "ok"
        note = state.summary() + ("; no hang-up received" if problem == "call-not-ended" else "")
        self.ctx.journal(
            "call", protocol="cti", method="CALL", path=state.call_id, validation=broken, note=note
        )

    # -- the pages and the admin view --

    async def contact(self, request: web.Request) -> web.Response:
        """The CRM page a pop's ``contact_url`` opens (like 3CX's ContactUrl)."""
        # a page view, not a callback: journaled without a verdict, so no report counts it
        request[OPERATION], request[VALIDATION] = "contact", ""
        wanted = request.match_info["id"]
        for collection, _ in self.phone_fields:
            for record in self.ctx.store.find(collection, "id", wanted):
                values = customer_values(record)
                rows = "".join(
                    f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
                    for k, v in values.items()
                    if v
                )
                title = html.escape(values["name"])
                page = f"<!doctype html><title>{title}</title><table>{rows}</table>"
                return web.Response(text=page, content_type="text/html")
        return web.Response(status=404, text="no such contact", content_type="text/plain")

    async def calls_view(self, request: web.Request) -> web.Response:
        """The calls as the receiver saw them, oldest first."""
        return web.json_response(
            {
                "calls": [
                    {
                        "call_id": s.call_id,
                        "events": s.steps,
                        "ended": s.ended,
                        "broken": s.broken,
                        "popped": s.pops,
                    }
                    for s in self.tracker.calls.values()
                ]
            }
        )


# What each rule means, for the journal's note and the refusal's detail.
_WHY = {
    "missing-credentials": "no credentials of the contract's auth",
    "bad-credentials": "the credentials are not the contract's",
    "missing-signature": "the signature header is missing",
    "missing-signature-timestamp": "the signature's timestamp header is missing",
    "bad-signature": "the signature does not match the payload signed with the shared secret",
    "bad-signature-timestamp": "the signature's timestamp is not a UNIX time",
    "stale-signature": "the signed timestamp is older than signature.max_age_s (a replay?)",
    "stale-timestamp": "the timestamp is older than signature.max_age_s (a replay?)",
    "clock-skew": "the timestamp is minutes away from the receiver's clock",
    "caller-id-form": "the caller ID is in a form the contract does not declare",
    "caller-id-plus-as-space": "the caller ID's '+' arrived as a space: encode it as %2B",
    "event-order": "the event is out of order for this call",
}


def _shown(caller: str) -> str:
    return repr(caller) if not caller.strip() or caller != caller.strip() else caller


def _is_call_sid(text: str) -> bool:
    return (
        len(text) == 34
        and text.startswith("CA")
        and all(c in "0123456789abcdef" for c in text[2:].lower())
    )
