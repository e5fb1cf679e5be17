"""What a REST probe request carries on the wire: parameters, body, credentials.

* Parameters in the style the spec declares (OpenAPI 3 ``style``/``explode``): an object query
  parameter with ``style: form, explode: true`` goes out as ``user_id=7&role=admin``, an array
  as ``tag=a&tag=b``, a path array as ``a,b``; a parameter with ``content`` as its JSON text.
* The body in the media type the operation declares: JSON (``application/json``, any
  ``+json`` such as ``merge-patch+json``), ``application/x-www-form-urlencoded`` or
  ``text/plain``; any other media type cannot be built.
* Credentials where each security scheme wants them: a bearer or basic ``Authorization``, an
  API key in the header, query parameter or cookie the scheme names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from intcheck.contracts.security import serves

if TYPE_CHECKING:
    from intcheck.contracts.security import SecurityScheme
    from intcheck.model import Auth

_PREFERRED_MEDIA = ("application/json", "application/x-www-form-urlencoded", "text/plain")


def text(value: Any) -> str:
    """A scalar as it is written in a URL or header: JSON's spelling of true, false and null."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _pairs(value: dict[str, Any]) -> list[tuple[str, str]]:
    return [(str(k), text(v)) for k, v in value.items()]


def query_part(param: dict[str, Any], value: Any) -> str:
    """``name=value`` text (already percent-encoded) for one query parameter, per its style."""
    name = str(param["name"])
    if "content" in param and "schema" not in param:
        return f"{_q(name)}={_q(text(value))}"
    style = param.get("style", "form")
    explode = bool(param.get("explode", style == "form"))
    if isinstance(value, dict):
        if style == "deepObject":
            return "&".join(f"{_q(name)}%5B{_q(k)}%5D={_q(v)}" for k, v in _pairs(value))
        if explode:
            return "&".join(f"{_q(k)}={_q(v)}" for k, v in _pairs(value))
        flat = [part for pair in _pairs(value) for part in pair]
        return f"{_q(name)}=" + ",".join(_q(v) for v in flat)
    if isinstance(value, list):
        items = [text(v) for v in value]
        if style == "form" and explode:
            return "&".join(f"{_q(name)}={_q(v)}" for v in items)
        delimiter = {"spaceDelimited": "%20", "pipeDelimited": "|"}.get(style, ",")
        return f"{_q(name)}=" + delimiter.join(_q(v) for v in items)
    return f"{_q(name)}={_q(text(value))}"


def path_part(param: dict[str, Any], value: Any) -> str:
    """The text that replaces ``{name}`` in the path, percent-encoded, per the parameter's style."""
    name = str(param["name"])
    style = param.get("style", "simple")
    explode = bool(param.get("explode", False))
    if isinstance(value, dict):
        pairs = _pairs(value)
        if explode:
            joined = [f"{_q(k)}={_q(v)}" for k, v in pairs]
        else:
            joined = [_q(part) for pair in pairs for part in pair]
    elif isinstance(value, list):
        joined = [_q(text(v)) for v in value]
    else:
        joined = [_q(text(value))]
    if style == "label":
        return "." + ("." if explode else ",").join(joined)
    if style == "matrix":
        if explode and isinstance(value, list):
            return "".join(f";{_q(name)}={v}" for v in joined)
        if explode and isinstance(value, dict):
            return "".join(f";{v}" for v in joined)
        return f";{_q(name)}=" + ",".join(joined)
    return ",".join(joined)


def header_value(param: dict[str, Any], value: Any) -> str:
    """A header parameter's value (style ``simple``)."""
    if "content" in param and "schema" not in param:
        return text(value)
    explode = bool(param.get("explode", False))
    if isinstance(value, dict):
        if explode:
            return ",".join(f"{k}={v}" for k, v in _pairs(value))
        return ",".join(part for pair in _pairs(value) for part in pair)
    if isinstance(value, list):
        return ",".join(text(v) for v in value)
    return text(value)


def cookie_pair(param: dict[str, Any], value: Any) -> str:
    """``name=value`` for the Cookie header."""
    if isinstance(value, list):
        return f"{param['name']}=" + ",".join(_q(text(v)) for v in value)
    return f"{param['name']}={_q(text(value))}"


def _q(value: str) -> str:
    return quote(value, safe="")


# -- bodies


def body_media(content: dict[str, Any]) -> str | None:
    """The media type the probe sends for a body declared with ``content``, or None if none fits.

    JSON first (``application/json`` itself, then any JSON flavour such as
    ``application/merge-patch+json``), then forms, then plain text.
    """
    declared = {key.split(";", 1)[0].strip().lower(): key for key in content}
    if "application/json" in declared:
        return declared["application/json"]
    for media, key in declared.items():
        if is_json(media):
            return key
    for media in (*_PREFERRED_MEDIA[1:], "*/*", "application/*"):
        if media in declared:
            return declared[media]
    return None


def content_type(media: str) -> str:
    """The Content-Type to send a body of the declared ``media`` with (JSON for a wildcard)."""
    return (
        "application/json" if media.split(";", 1)[0].strip() in ("*/*", "application/*") else media
    )


def is_json(media: str) -> bool:
    """``application/json`` and its flavours (``+json``, ``json-patch+json``...)."""
    base = media.split(";", 1)[0].strip().lower()
    return base.startswith("application/") and (base.endswith("/json") or base.endswith("+json"))


def encode_body(media: str, value: Any) -> bytes:
    """``value`` as bytes of ``media`` (one of what ``body_media`` returns)."""
    base = content_type(media).split(";", 1)[0].strip().lower()
    if base == "application/x-www-form-urlencoded":
        return form(value).encode("ascii")
    if base == "text/plain" and isinstance(value, str):
        return value.encode()
    return json.dumps(value, separators=(",", ":")).encode()


def form(value: Any) -> str:
    """A form body: each property ``name=value``, arrays repeated (``explode``), nested as JSON."""
    if not isinstance(value, dict):
        return ""
    parts = []
    for name, item in value.items():
        for one in item if isinstance(item, list) else [item]:
            parts.append(f"{quote(str(name), safe='')}={quote(text(one), safe='')}")
    return "&".join(parts)


# -- credentials


@dataclass(frozen=True, slots=True)
class Presented:
    """The credentials one request carries, and the security schemes they serve."""

    headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    schemes: tuple[str, ...] = ()


def present(
    alternatives: list[dict[str, Any]],
    schemes: dict[str, SecurityScheme],
    credentials: tuple[Auth, ...],
) -> Presented | None:
    """The credentials for the first security alternative the contract can meet; None if none.

    Without a declared requirement every credential goes along (a spec that forgot its
    ``security`` still reaches a target that needs it); ``{}`` allows calling without any.
    """
    if not alternatives:
        headers: dict[str, str] = {}
        query: dict[str, str] = {}
        for credential in credentials:
            headers.update(credential.headers())
            query.update(credential.query_params())
        return Presented(headers, query)
    for alternative in alternatives:
        chosen = []
        for name in alternative:
            scheme = schemes.get(name)
            match = next((c for c in credentials if scheme and serves(c, scheme)), None)
            if scheme is None or match is None:
                break
            chosen.append((scheme, match))
        else:
            return _placed(chosen)
    return None


def _placed(chosen: list[tuple[SecurityScheme, Auth]]) -> Presented:
    headers: dict[str, str] = {}
    query: dict[str, str] = {}
    cookies = []
    for scheme, credential in chosen:
        if scheme.type != "apiKey":
            headers.update(credential.headers())
        elif scheme.location == "query":
            query[scheme.key] = credential.value or credential.token
        elif scheme.location == "cookie":
            cookies.append(f"{scheme.key}={credential.value or credential.token}")
        else:
            headers[scheme.key] = credential.value or credential.token
    if cookies:
        headers["Cookie"] = "; ".join(cookies)
    return Presented(headers, query, tuple(scheme.name for scheme, _ in chosen))


def without(presented: Presented, scheme: SecurityScheme, credential: Auth) -> Presented:
    """``presented`` minus what one scheme added (the case that leaves one credential out)."""
    alone = _placed([(scheme, credential)])
    return Presented(
        {k: v for k, v in presented.headers.items() if k not in alone.headers},
        {k: v for k, v in presented.query.items() if k not in alone.query},
        tuple(s for s in presented.schemes if s != scheme.name),
    )
