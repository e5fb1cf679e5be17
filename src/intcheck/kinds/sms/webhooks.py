"""Webhooks between gateway and CRM: encoded as the contract says, signed as the provider signs.

``outbound`` builds the request a gateway sends (a receipt, an inbound message): fields in the
query, a form or JSON, then the signature (``kinds/signatures.py``): ``X-Twilio-Signature`` over
the URL and the form fields, Vonage's ``sig`` with ``timestamp`` and ``nonce`` among the fields,
or an HMAC of the raw body in a header. ``verify`` is the receiving side's check of the same,
``forge`` what an attacker or a replay sends instead (for ``--chaos``).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from intcheck.kinds import signatures
from intcheck.kinds.probing import ProbeRequest

if TYPE_CHECKING:
    from intcheck.kinds.sms.contract import Signature, SmsContract, Webhook
    from intcheck.model import Auth

FORM = "application/x-www-form-urlencoded"
STALE_AFTER_S = 300.0  # a signed timestamp older than this is a replay
TWILIO_HEADER = "X-Twilio-Signature"


def outbound(
    url: str,
    webhook: Webhook,
    params: Mapping[str, Any],
    signature: Signature,
    auth: Auth | None = None,
    *,
    secret: str | None = None,
    signed: bool = True,
    timestamp: float | None = None,
) -> ProbeRequest:
    """The request that delivers ``params`` to ``url``.

    ``secret`` replaces the contract's (a forged signature), ``signed=False`` leaves the
    signature out, ``timestamp`` sets the signed time (a stale one).
    """
    key = signature.secret if secret is None else secret
    fields = dict(params)
    headers: dict[str, str] = {} if auth is None else auth.headers()
    scheme = signature.scheme if signed else "none"
    if signature.scheme.startswith("vonage-"):
        # Vonage puts the signed time and a nonce among the fields, then the sig itself
        fields["timestamp"] = str(int(time.time() if timestamp is None else timestamp))
        fields["nonce"] = str(uuid.uuid4())
        if signed:
            algorithm = signatures.VONAGE_ALGORITHMS[scheme]
            fields["sig"] = signatures.vonage(
                key, {k: str(v) for k, v in fields.items()}, algorithm
            )
    body = b""
    if webhook.encoding == "query":
        url = _with_query(url, fields)
    elif webhook.encoding == "json":
        body = json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()
        headers["Content-Type"] = "application/json"
    else:
        body = urlencode(fields).encode()
        headers["Content-Type"] = FORM
    if scheme == "twilio":
        posted = fields if webhook.encoding == "form" else None
        headers[TWILIO_HEADER] = signatures.twilio(key, url, posted)
    elif scheme in signatures.HMAC_ALGORITHMS:
        payload = body if body else _request_target(url).encode()
        headers[signature.header] = signatures.generic(scheme, key, payload)
    return ProbeRequest(method=webhook.method, url=url, headers=headers, body=body)


def _with_query(url: str, fields: Mapping[str, Any]) -> str:
    return url + ("&" if "?" in url else "?") + urlencode(fields)


def _request_target(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def verify(
    signature: Signature,
    *,
    url: str,
    headers: Mapping[str, str],
    fields: Mapping[str, Any],
    body: bytes,
    form: bool,
    now: float | None = None,
) -> str:
    """ "" when the webhook carries a valid signature, else the rule it breaks.

    ``url`` is the URL as the sender called it (query included), ``fields`` the decoded
    fields (query, form or top-level JSON), ``form`` whether they came as a form body.
    Rules: ``missing-signature``, ``bad-signature``, ``stale-timestamp``.
    """
    scheme, secret = signature.scheme, signature.secret
    if scheme == "none":
        return ""
    lowered = {k.lower(): v for k, v in headers.items()}
    if scheme == "twilio":
        given = lowered.get(TWILIO_HEADER.lower(), "")
        if not given:
            return "missing-signature"
        posted = {k: v for k, v in fields.items()} if form else None
        ok = any(
            signatures.equal(signatures.twilio(secret, variant, posted), given)
            for variant in signatures.twilio_url_variants(url)
        )
        return "" if ok else "bad-signature"
    if scheme.startswith("vonage-"):
        given = str(fields.get("sig", ""))
        if not given:
            return "missing-signature"
        flat = {k: str(v) for k, v in fields.items()}
        expected = signatures.vonage(secret, flat, signatures.VONAGE_ALGORITHMS[scheme])
        if not signatures.equal(expected.lower(), given.lower()):
            return "bad-signature"
        try:
            signed_at = float(flat.get("timestamp", ""))
        except ValueError:
            return "bad-signature"
        clock = time.time() if now is None else now
        return "stale-timestamp" if abs(clock - signed_at) > STALE_AFTER_S else ""
    given = lowered.get(signature.header.lower(), "")
    if not given:
        return "missing-signature"
    payload = body if body else _request_target(url).encode()
    expected = signatures.generic(scheme, secret, payload)
    return "" if signatures.equal(expected, given.removeprefix("sha256=")) else "bad-signature"


def decode(content_type: str, body: bytes, query: Mapping[str, str]) -> tuple[dict[str, Any], bool]:
    """A webhook's fields and whether they came as a form body (else query or JSON).

    Raises ValueError for a body that is not what its content type says.
    """
    from urllib.parse import parse_qsl

    media = content_type.split(";", 1)[0].strip().lower()
    if media == "application/json":
        data = json.loads(body or b"{}")
        if not isinstance(data, dict):
            raise ValueError("the JSON body is not an object")
        return data, False
    if media == FORM:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
        return dict(pairs), True
    return dict(query), False


STALE_BY_S = 3600.0  # a replayed webhook signed an hour ago


def forge(
    chaos: str, contract: SmsContract, url: str, webhook: Webhook, genuine: ProbeRequest
) -> ProbeRequest | str:
    """``genuine`` (a fresh message) as an attacker or a replay sends it, or why this contract
    cannot be forged so. ``chaos``: ``bad-signature`` (wrong secret and auth),
    ``missing-signature`` (neither), ``stale-timestamp`` (validly signed an hour ago)."""
    signature, auth = contract.signature, contract.webhook_auth
    fields = _fields_of(genuine, webhook)
    if chaos == "stale-timestamp":
        if not signature.scheme.startswith("vonage-"):
            return f"the {signature.scheme} scheme signs no timestamp, so a replay has no age"
        stale = time.time() - STALE_BY_S
        return outbound(url, webhook, fields, signature, auth, timestamp=stale)
    if signature.scheme == "none" and auth is None:
        return "the contract names no signature and no auth for its webhooks"
    if chaos == "missing-signature":
        return outbound(url, webhook, fields, signature, None, signed=False)
    wrong = None if auth is None else replace(auth, token="x", password="x", value="App x")
    return outbound(url, webhook, fields, signature, wrong, secret="not-" + signature.secret)


def _fields_of(request: ProbeRequest, webhook: Webhook) -> dict[str, Any]:
    """The unsigned fields of a request ``outbound`` built, under fresh message ids."""
    from urllib.parse import parse_qsl

    if webhook.encoding == "json":
        fields: dict[str, Any] = json.loads(request.body)
    elif webhook.encoding == "query":
        fields = dict(parse_qsl(urlsplit(request.url).query, keep_blank_values=True))
    else:
        fields = dict(parse_qsl(request.body.decode(), keep_blank_values=True))
    for signed in ("sig", "timestamp", "nonce"):
        fields.pop(signed, None)
    # a forged webhook is a fresh message, so no duplicate detection can hide its verdict
    for key in ("MessageSid", "SmsSid", "SmsMessageSid", "messageId", "id"):
        if key in fields:
            fields[key] = str(fields[key]) + "F"
    if isinstance(fields.get("results"), list):
        fields["results"] = [
            {**r, "messageId": str(r.get("messageId")) + "F"} for r in fields["results"]
        ]
    return fields
