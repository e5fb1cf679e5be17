"""Webhooks between gateway and CRM: encoded as the contract says, signed as the provider signs.

``outbound`` builds the request a gateway sends (a receipt, an inbound message): fields in the
query, a form or JSON, then the signature (``kinds/signatures.py``): ``X-Twilio-Signature`` over
the URL and the form fields, Vonage's ``sig`` with ``timestamp`` and ``nonce`` among the fields,
or an HMAC of the raw body in a header. ``verify`` is the receiving side's check of the same.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from intcheck.kinds import signatures
from intcheck.kinds.probing import ProbeRequest

if TYPE_CHECKING:
    from intcheck.kinds.sms.contract import Signature, Webhook
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
