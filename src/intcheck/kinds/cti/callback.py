"""One call event as the PBX sends it, and as the CRM reads it back.

``values`` gives a step of a call its placeholder values, ``build`` turns them into the HTTP
request the contract describes (query, form or JSON; signature, timestamp, credentials), and
``read_fields`` / ``signature_problem`` are the receiver's side of the same rules, so the
simulator and the mock can never disagree about what a callback looks like.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from intcheck.kinds import signatures
from intcheck.kinds.cti.contract import TWILIO_REQUIRED
from intcheck.kinds.cti.events import BAD_SIGNATURE, NO_CREDENTIALS, STALE, UNSIGNED
from intcheck.kinds.cti.templates import SOMETIMES_EMPTY, placeholders_in, read_back, render
from intcheck.kinds.probing import ProbeRequest

if TYPE_CHECKING:
    from intcheck.kinds.cti.contract import CtiContract
    from intcheck.kinds.cti.events import Call, Step

STALE_BY_S = 600.0  # how much older than allowed a stale callback is stamped
WRONG_SECRET = "not-the-shared-secret"  # what a forger signs with
USER_AGENT = {"twilio": "TwilioProxy/1.1", "generic": "intcheck-pbx/1.0"}
FORM = "application/x-www-form-urlencoded"


def values(settings: CtiContract, call: Call, step: Step, sent_at: datetime) -> dict[str, str]:
    """The placeholder values of ``step`` of ``call``, sent at ``sent_at``."""
    ended = step.event == "hangup"
    return {
        "caller_id": call.caller.number,
        "dnis": settings.dnis,
        "call_id": call.call_id,
        "agent_ext": step.agent_ext,
        "event": settings.wire_name(step.event, step.disposition),
        "direction": "inbound",
        "timestamp": stamp(settings, sent_at),
        "queue": call.queue,
        "duration": str(step.duration_s) if ended else "",
        "disposition": step.disposition if ended else "",
    }


def stamp(settings: CtiContract, moment: datetime) -> str:
    """``{timestamp}``: ISO-8601 UTC, or RFC 2822 as Twilio writes its ``Timestamp``."""
    if settings.style == "twilio":
        return email.utils.format_datetime(moment.astimezone(UTC))
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sending_time(settings: CtiContract, twist: str, now: float) -> float:
    """The UNIX time a callback claims: now, or long ago for a stale one."""
    if twist != STALE:
        return now
    return now - (settings.signing.max_age_s or 300.0) - STALE_BY_S


def build(
    settings: CtiContract,
    target: str,
    call: Call,
    step: Step,
    *,
    now: float | None = None,
) -> tuple[ProbeRequest, dict[str, str]]:
    """The request the PBX sends for ``step`` of ``call`` to the CRM at ``target``, and the
    placeholder values it carries."""
    moment = sending_time(settings, step.twist, time.time() if now is None else now)
    filled = values(settings, call, step, datetime.fromtimestamp(moment, UTC))
    return build_from(settings, target, filled, twist=step.twist, moment=moment), filled


def build_from(
    settings: CtiContract, target: str, filled: Mapping[str, str], *, twist: str, moment: float
) -> ProbeRequest:
    """The request for placeholder values ``filled``; ``twist`` forges or strips what it names."""
    in_path = placeholders_in(settings.path)
    path = render(settings.path, {k: quote(filled.get(k, ""), safe="") for k in in_path})
    query = _pairs(settings, settings.query, filled)
    url = target.rstrip("/") + path + (("?" + urlencode(query, quote_via=quote)) if query else "")
    body = b""
    headers = {"User-Agent": USER_AGENT.get(settings.style, USER_AGENT["generic"])}
    form = _pairs(settings, settings.body, filled)
    if settings.encoding == "json":
        body = json.dumps(dict(form), ensure_ascii=False, separators=(",", ":")).encode()
        headers["Content-Type"] = "application/json"
    elif settings.encoding == "form":
        body = urlencode(form, quote_via=quote).encode()
        headers["Content-Type"] = FORM
    if settings.style == "twilio":
        # Twilio's retries of one webhook carry the same token (its idempotency hint)
        token = hashlib.sha256(f"{filled['call_id']}|{filled['event']}".encode()).hexdigest()
        headers["I-Twilio-Idempotency-Token"] = token[:36]
    if settings.auth is not None and twist != NO_CREDENTIALS:
        headers.update(settings.auth.headers())
    signing = settings.signing
    if signing.signed and twist != UNSIGNED:
        secret = WRONG_SECRET if twist == BAD_SIGNATURE else signing.secret
        if signing.scheme == "twilio":
            params = form if settings.encoding == "form" else None
            headers[signing.header] = signatures.twilio(secret, url, _grouped(params))
        else:
            stamp_text = str(int(moment)) if signing.timestamp_header else ""
            payload = body or _request_target(url).encode()
            headers[signing.header] = signatures.generic(
                signing.scheme, secret, payload, stamp_text
            )
            if stamp_text:
                headers[signing.timestamp_header] = stamp_text
    return ProbeRequest(method=settings.method, url=url, headers=headers, body=body)


def _pairs(
    settings: CtiContract, templates: Mapping[str, str], filled: Mapping[str, str]
) -> list[tuple[str, str]]:
    pairs = [(name, render(template, filled)) for name, template in templates.items()]
    if settings.style == "twilio":
        pairs = [(n, v) for n, v in pairs if v]  # Twilio leaves out what does not apply
    return pairs


def _grouped(pairs: Sequence[tuple[str, str]] | None) -> dict[str, list[str]] | None:
    if pairs is None:
        return None
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    return grouped


def _request_target(url: str) -> str:
    """Path and query as sent: what the generic HMAC signs for a body-less request."""
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def read_fields(
    settings: CtiContract,
    query: Sequence[tuple[str, str]],
    body: Sequence[tuple[str, str]],
    path_values: Mapping[str, str],
) -> tuple[dict[str, str], list[str]]:
    """The placeholder values an incoming callback carries, and the rules it breaks.

    A field whose template holds one placeholder between literal text gives that value back;
    a required field that is missing, or does not fit its template, is a broken rule.
    """
    found: dict[str, str] = dict(path_values)
    broken: list[str] = []
    for templates, pairs in ((settings.query, query), (settings.body, body)):
        received = dict(pairs)
        for name, template in templates.items():
            if name not in received:
                if not _may_be_absent(settings, name, template):
                    broken.append(f"missing-field:{name}")
                continue
            read = read_back(template, received[name])
            if read is None:
                broken.append(f"field-format:{name}")
            else:
                found.update(read)
    return found, broken


def _may_be_absent(settings: CtiContract, name: str, template: str) -> bool:
    """Twilio sends its core parameters and leaves out what does not apply; any PBX may
    leave out an event's empty fields (no duration before the hang-up)."""
    if settings.style == "twilio":
        return name not in TWILIO_REQUIRED
    names = placeholders_in(template)
    return bool(names) and all(n in SOMETIMES_EMPTY for n in names)


def form_pairs(body: bytes) -> list[tuple[str, str]]:
    """A form-encoded body as name/value pairs; ValueError when it is not one."""
    return parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body))


def json_pairs(body: bytes) -> list[tuple[str, str]]:
    """A JSON object body as name/value pairs (values as text); ValueError otherwise."""
    data = json.loads(body.decode("utf-8")) if body else {}
    if not isinstance(data, dict):
        raise ValueError("the body is not a JSON object")
    return [(str(k), v if isinstance(v, str) else json.dumps(v)) for k, v in data.items()]


def signature_problem(
    settings: CtiContract,
    *,
    urls: Sequence[str],
    raw_target: str,
    body: bytes,
    form: Sequence[tuple[str, str]],
    headers: Mapping[str, str],
    now: float,
) -> str:
    """The signature rule an incoming callback breaks ("" when it is signed as agreed).

    ``urls`` are the URLs the sender may have signed (Twilio signs the URL as configured,
    which a proxy in front of the CRM may not show as it was).
    """
    signing = settings.signing
    if not signing.signed:
        return ""
    given = headers.get(signing.header.lower(), "")
    if not given:
        return "missing-signature"
    if signing.scheme == "twilio":
        params = _grouped(form) if settings.encoding == "form" else None
        for url in urls:
            for variant in signatures.twilio_url_variants(url):
                if signatures.equal(signatures.twilio(signing.secret, variant, params), given):
                    return ""
        return "bad-signature"
    stamp_text = ""
    if signing.timestamp_header:
        stamp_text = headers.get(signing.timestamp_header.lower(), "")
        if not stamp_text:
            return "missing-signature-timestamp"
    expected = signatures.generic(
        signing.scheme, signing.secret, body or raw_target.encode(), stamp_text
    )
    if not signatures.equal(expected, given):
        return "bad-signature"
    if stamp_text and signing.max_age_s is not None:
        try:
            age = abs(now - float(stamp_text))
        except ValueError:
            return "bad-signature-timestamp"
        if age > signing.max_age_s:
            return "stale-signature"
    return ""


def parse_timestamp(text: str) -> datetime | None:
    """``{timestamp}`` as sent: ISO-8601, RFC 2822 (Twilio) or UNIX seconds; None otherwise."""
    text = text.strip()
    if not text:
        return None
    if text.replace(".", "", 1).isdigit():
        return datetime.fromtimestamp(float(text), UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def skew(moment: datetime, now: float) -> timedelta:
    """How far ``moment`` is from the receiver's clock."""
    return abs(moment - datetime.fromtimestamp(now, UTC))
