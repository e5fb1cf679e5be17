"""Webhook signatures as the real senders compute them (DOMAIN.md §0.2), to sign and to verify.

One function per scheme named in the contract vocabulary (``signature.scheme``):

==================  ===========================================================================
``hmac-sha256``     hex HMAC of ``"<timestamp>.<payload>"`` (or of the payload alone without a
``hmac-sha1``       timestamp) in a header of the contract's choosing; the payload is the raw
                    body, or for a body-less GET the request target (path and query as sent)
``twilio``          ``X-Twilio-Signature``: base64 HMAC-SHA1 over the full URL as configured,
                    then each POST parameter sorted by name (name + value, no separators)
``vonage-md5``      ``sig`` parameter: lower-case hex MD5 of ``&k=v…`` (every parameter but sig,
``vonage-sha256``   sorted, ``&`` and ``=`` in values turned into ``_``) plus the secret; the
                    HMAC modes give the UPPER-case hex HMAC of the same string
``mailgun``         hex HMAC-SHA256 of ``timestamp + token`` with the webhook signing key
==================  ===========================================================================

Every comparison is constant-time. Secrets never leave these functions except as signatures.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping

HMAC_ALGORITHMS = {"hmac-sha256": hashlib.sha256, "hmac-sha1": hashlib.sha1}
VONAGE_ALGORITHMS = {
    "vonage-md5": "md5hash",
    "vonage-sha256": "sha256",
}

Params = Mapping[str, str | Iterable[str]]


def equal(expected: str, given: str) -> bool:
    """Constant-time comparison of two signatures."""
    return hmac.compare_digest(expected.encode(), given.encode())


def generic(scheme: str, secret: str, payload: bytes, timestamp: str = "") -> str:
    """The ``hmac-sha256`` / ``hmac-sha1`` header value (lower-case hex)."""
    message = f"{timestamp}.".encode() + payload if timestamp else payload
    return hmac.new(secret.encode(), message, HMAC_ALGORITHMS[scheme]).hexdigest()


def twilio(auth_token: str, url: str, params: Params | None = None) -> str:
    """``X-Twilio-Signature`` for ``url`` (exactly as configured, query string included) and the
    form ``params`` of a POST (none for a GET: its parameters are in the URL already).

    >>> twilio("12345", "https://mycompany.com/myapp.php?foo=1&bar=2",
    ...        {"CallSid": "CA1234567890ABCDE", "Caller": "+12349013030", "Digits": "1234",
    ...         "From": "+12349013030", "To": "+18005551212"})
    '0/KCTR6DLpKmkAf8muzZqo1nDgQ='
    """
    message = url
    for name in sorted(params or {}):
        value = (params or {})[name]
        values = [value] if isinstance(value, str) else sorted(value)
        message += "".join(name + v for v in values)
    digest = hmac.new(auth_token.encode(), message.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def twilio_url_variants(url: str) -> list[str]:
    """The URL as signed with and without its default port, as Twilio's validator accepts."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    host = parts.hostname or ""
    if parts.port is not None and parts.port == default:
        return [url, urlunsplit(parts._replace(netloc=host))]
    if parts.port is None and default is not None:
        return [url, urlunsplit(parts._replace(netloc=f"{host}:{default}"))]
    return [url]


def vonage(secret: str, params: Mapping[str, str], algorithm: str = "md5hash") -> str:
    """The ``sig`` parameter of a signed Vonage SMS callback or request.

    ``algorithm`` is ``md5hash`` (the dashboard default) or an HMAC: ``md5``, ``sha1``,
    ``sha256``, ``sha512``.
    """
    message = "".join(
        f"&{key}={str(value).replace('&', '_').replace('=', '_')}"
        for key, value in sorted(params.items())
        if key != "sig"
    )
    if algorithm == "md5hash":
        return hashlib.md5((message + secret).encode(), usedforsecurity=False).hexdigest()
    digest = hmac.new(secret.encode(), message.encode(), getattr(hashlib, algorithm))
    return digest.hexdigest().upper()


def mailgun(signing_key: str, timestamp: str, token: str) -> str:
    """The ``signature`` field of a Mailgun webhook or route post."""
    return hmac.new(signing_key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()
