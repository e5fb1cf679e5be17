"""A correct REST service whose data is its own: the probe must raise no finding against it.

Nordlys subscriber accounts (``tests/data/independent/accounts.openapi.yaml``), written without
intcheck's example data: account numbers like ``NLA-4Q7ZK2``, Norwegian mobile numbers, strong
ETags with ``If-Match`` required on every change (428 without it, 412 when stale), updates only
as ``application/merge-patch+json``, a partner key required beside the bearer token to change
an account, consents posted as a web form, and the self-service portal answered with a 302 to
the portal's own host. ``NordlysAccounts`` serves it on 127.0.0.1:0 below ``/v2``.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from typing import Any

from aiohttp import web

TOKEN = "nl-test-bearer-5b1f"
PARTNER_KEY = "nl-partner-77c2"
_NUMBER = re.compile(r"^NLA-[0-9A-Z]{6}$")
_MSISDN = re.compile(r"^\+47[49][0-9]{7}$")
_SEGMENTS = ("consumer", "business")
_CHANNELS = ("sms", "email", "call")
_TOPICS = ("offers", "invoices", "outages")
_SEEDED = [
    {
        "accountNumber": "NLA-K3P9D1",
        "displayName": "Tor Haugen",
        "segment": "consumer",
        "city": "Tromsø",
        "email": None,
        "msisdns": [{"msisdn": "+4797730419", "kind": "mobile"}],
        "creditLimit": 1000.0,
        "openedAt": "2019-11-02T10:40:00Z",
    },
    {
        "accountNumber": "NLA-8M2XR5",
        "displayName": "Fjordfisk AS",
        "segment": "business",
        "city": "Ålesund",
        "email": "post@fjordfisk.example",
        "msisdns": [
            {"msisdn": "+4748813306", "kind": "mobile"},
            {"msisdn": "+4790011223", "kind": "mobile"},
        ],
        "creditLimit": 25000.0,
        "openedAt": "2020-06-30T07:05:00Z",
    },
    {
        "accountNumber": "NLA-4Q7ZK2",
        "displayName": "Ingrid Solberg",
        "segment": "consumer",
        "city": "Bergen",
        "email": "ingrid.solberg@post.example",
        "msisdns": [{"msisdn": "+4791234567", "kind": "mobile"}],
        "creditLimit": 2500.5,
        "openedAt": "2021-04-12T08:15:00Z",
    },
]


class Refused(Exception):
    """A request the service refuses: becomes a problem+json answer."""

    def __init__(self, status: int, title: str) -> None:
        super().__init__(title)
        self.status, self.title = status, title


def _etag(account: dict[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(account, sort_keys=True).encode()).hexdigest()
    return f'"{digest[:20]}"'


class NordlysAccounts:
    """The service on 127.0.0.1:0; ``.url`` is its base URL (ending in ``/v2``)."""

    def __init__(self) -> None:
        self.accounts = {a["accountNumber"]: copy.deepcopy(a) for a in _SEEDED}
        self.opened = 0x4B1D00  # the next account number, in base 36 below
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> NordlysAccounts:
        app = web.Application(middlewares=[self._problems])
        routes = [
            ("GET", "/v2/health", self.health),
            ("GET", "/v2/accounts", self.list_accounts),
            ("POST", "/v2/accounts", self.open_account),
            ("GET", "/v2/accounts/search", self.search),
            ("GET", "/v2/lookup", self.lookup),
            ("GET", "/v2/accounts/{number}", self.get_account),
            ("PATCH", "/v2/accounts/{number}", self.change_account),
            ("DELETE", "/v2/accounts/{number}", self.close_account),
            ("POST", "/v2/accounts/{number}/consents", self.record_consent),
            ("GET", "/v2/accounts/{number}/portal", self.portal),
        ]
        for method, path, handler in routes:
            app.router.add_route(method, path, handler)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/v2"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @web.middleware
    async def _problems(self, request: web.Request, handler: Any) -> web.StreamResponse:
        try:
            if request.path != "/v2/health":
                self._authorized(request)
            response: web.StreamResponse = await handler(request)
        except Refused as refused:
            body = {"type": "about:blank", "title": refused.title, "status": refused.status}
            headers = (
                {"WWW-Authenticate": 'Bearer realm="nordlys"'} if refused.status == 401 else {}
            )
            return web.Response(
                text=json.dumps(body),
                status=refused.status,
                content_type="application/problem+json",
                headers=headers,
            )
        return response

    @staticmethod
    def _authorized(request: web.Request) -> None:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            raise Refused(401, "bearer token missing or wrong")
        if request.method == "PATCH" and request.headers.get("X-Partner-Key") != PARTNER_KEY:
            raise Refused(403, "changes need the partner key")

    # -- reading

    async def health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "up"})

    def _page(self, accounts: list[dict[str, Any]]) -> web.Response:
        newest = sorted(accounts, key=lambda a: a["openedAt"], reverse=True)
        return web.json_response({"accounts": newest, "nextCursor": None})

    async def list_accounts(self, request: web.Request) -> web.Response:
        limit = request.query.get("limit", "10")
        if not (limit.isascii() and limit.isdigit() and 1 <= int(limit) <= 50):
            raise Refused(400, "limit is a whole number from 1 to 50")
        return self._page(list(self.accounts.values())[: int(limit)])

    async def search(self, request: web.Request) -> web.Response:
        segment, city = request.query.get("segment"), request.query.get("city")
        if segment not in _SEGMENTS or set(request.query) - {"segment", "city"}:
            raise Refused(400, "search by segment (consumer or business) and city")
        if city is not None and len(city) < 2:
            raise Refused(400, "city has at least two letters")
        found = [
            a
            for a in self.accounts.values()
            if a["segment"] == segment and city in (None, a["city"])
        ]
        return self._page(found)

    async def lookup(self, request: web.Request) -> web.Response:
        msisdn = request.query.get("msisdn", "")
        if not _MSISDN.match(msisdn):
            raise Refused(400, "msisdn is a Norwegian mobile number in E.164")
        found = [
            a for a in self.accounts.values() if any(m["msisdn"] == msisdn for m in a["msisdns"])
        ]
        return self._page(found)

    def _account(self, request: web.Request) -> dict[str, Any]:
        number = request.match_info["number"]
        if not _NUMBER.match(number):
            raise Refused(400, "account numbers look like NLA-4Q7ZK2")
        if number not in self.accounts:
            raise Refused(404, "no such account")
        return self.accounts[number]

    async def get_account(self, request: web.Request) -> web.Response:
        account = self._account(request)
        return web.json_response(account, headers={"ETag": _etag(account)})

    async def portal(self, request: web.Request) -> web.Response:
        number = request.match_info["number"]
        if number not in self.accounts:
            raise Refused(404, "no such account")
        where = f"https://mitt.nordlys.example/konto/{number}"
        return web.Response(status=302, headers={"Location": where})

    # -- changing

    async def open_account(self, request: web.Request) -> web.Response:
        if request.content_type != "application/json":
            raise Refused(415, "send the new account as application/json")
        body = await _json_body(request)
        _check_new_account(body)
        self.opened += 1
        number = "NLA-" + _base36(self.opened).rjust(6, "0")
        account = {
            "accountNumber": number,
            "displayName": body["displayName"],
            "segment": body["segment"],
            "city": body.get("city"),
            "email": body.get("email"),
            "msisdns": body["msisdns"],
            "creditLimit": 0.0,
            "openedAt": "2026-12-01T09:00:00Z",
        }
        self.accounts[number] = account
        headers = {"Location": f"/v2/accounts/{number}", "ETag": _etag(account)}
        return web.json_response(account, status=201, headers=headers)

    def _unchanged_since(self, request: web.Request, account: dict[str, Any]) -> None:
        condition = request.headers.get("If-Match")
        if condition is None:
            raise Refused(428, "changes need If-Match with the account's ETag")
        if condition != _etag(account):
            raise Refused(412, "the account changed since that ETag")

    async def change_account(self, request: web.Request) -> web.Response:
        account = self._account(request)
        if "If-Match" not in request.headers:
            raise Refused(428, "changes need If-Match with the account's ETag")
        if request.content_type != "application/merge-patch+json":
            raise Refused(415, "send changes as application/merge-patch+json")
        self._unchanged_since(request, account)
        patch = await _json_body(request)
        allowed = {"displayName", "city", "email"}
        if not isinstance(patch, dict) or not patch or set(patch) - allowed:
            raise Refused(400, f"a merge patch of {', '.join(sorted(allowed))}")
        name = patch.get("displayName", account["displayName"])
        if not isinstance(name, str) or not 1 <= len(name) <= 80:
            raise Refused(400, "displayName is 1 to 80 characters")
        for key in ("city", "email"):
            if key in patch and patch[key] is not None and not isinstance(patch[key], str):
                raise Refused(400, f"{key} is text or null")
        account.update(patch)
        return web.json_response(account, headers={"ETag": _etag(account)})

    async def close_account(self, request: web.Request) -> web.Response:
        account = self._account(request)
        self._unchanged_since(request, account)
        del self.accounts[account["accountNumber"]]
        return web.Response(status=204)

    async def record_consent(self, request: web.Request) -> web.Response:
        account = self._account(request)
        if request.content_type != "application/x-www-form-urlencoded":
            raise Refused(400, "post the consent form")
        form = await request.post()
        channel, granted = form.get("channel"), form.get("granted")
        topics = [str(t) for t in form.getall("topics", [])]
        if channel not in _CHANNELS or granted not in ("true", "false"):
            raise Refused(400, "channel is sms, email or call; granted is true or false")
        if any(t not in _TOPICS for t in topics):
            raise Refused(400, f"topics are {', '.join(_TOPICS)}")
        consent = {
            "accountNumber": account["accountNumber"],
            "channel": channel,
            "granted": granted == "true",
            "topics": topics,
        }
        return web.json_response(consent, status=201)


async def _json_body(request: web.Request) -> Any:
    try:
        return json.loads(await request.read())
    except ValueError as exc:
        raise Refused(400, "the body is not JSON") from exc


def _check_new_account(body: Any) -> None:
    allowed = {"displayName", "segment", "city", "email", "msisdns"}
    if not isinstance(body, dict) or set(body) - allowed:
        raise Refused(400, f"a new account has only {', '.join(sorted(allowed))}")
    name, msisdns = body.get("displayName"), body.get("msisdns")
    if not isinstance(name, str) or not 1 <= len(name) <= 80:
        raise Refused(400, "displayName is 1 to 80 characters")
    if body.get("segment") not in _SEGMENTS:
        raise Refused(400, "segment is consumer or business")
    if not isinstance(msisdns, list) or not 1 <= len(msisdns) <= 3:
        raise Refused(400, "one to three msisdns")
    for entry in msisdns:
        if not isinstance(entry, dict) or set(entry) != {"msisdn", "kind"}:
            raise Refused(400, "each msisdn has msisdn and kind")
        if not _MSISDN.match(str(entry["msisdn"])) or entry["kind"] not in ("mobile", "landline"):
            raise Refused(400, "msisdn is a Norwegian mobile number, kind mobile or landline")
    if "email" in body and "@" not in str(body["email"]):
        raise Refused(400, "email is an address")


def _base36(number: int) -> str:
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    text = ""
    while number:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
    return text or "0"
