"""``Set-Cookie`` judged the way browsers store and send it inside the CRM's frame.

The rules (RFC 6265bis §4.1.2.7, §5.7; Chrome's SameSite-by-default; CHIPS), DOMAIN.md §4.2:

- anywhere: ``Secure`` needs a secure origin (https or loopback); ``SameSite=None`` and
  ``Partitioned`` need ``Secure``; ``__Secure-`` needs ``Secure``; ``__Host-`` also needs
  ``Path=/`` and no ``Domain``. Browsers drop a cookie that breaks one of these.
- in a cross-site frame: ``Lax`` and ``Strict`` cookies are neither stored nor sent, and Chrome
  treats a cookie without ``SameSite`` (or with a value it does not know) as ``Lax``; only
  ``SameSite=None; Secure`` works. Where third-party cookies are blocked (Safari by default,
  Chrome's incognito, Firefox's strict mode) only a ``Partitioned`` cookie (CHIPS) survives.
- in a same-site frame none of that applies: the frame is first-party for cookies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from intcheck.kinds.iframe.origins import Origin

# A header joined from several Set-Cookie lines ("a=1; Path=/, b=2"): split where a comma is
# followed by a new name=, never inside "Expires=Wed, 21 Oct 2026 07:28:00 GMT".
_NEXT_COOKIE = re.compile(r",\s*(?=[^;,=\s]+=)")


@dataclass(frozen=True, slots=True, kw_only=True)
class SetCookie:
    """One ``Set-Cookie`` as browsers read its attributes."""

    name: str
    samesite: str = ""  # lower case as written; "" when absent
    secure: bool = False
    partitioned: bool = False
    domain: str = ""
    path: str = ""
    deletes: bool = False  # Max-Age<=0 or Expires in the past: a logout, not a session

    @property
    def shown(self) -> str:
        flags = [f"SameSite={self.samesite.capitalize()}" if self.samesite else "no SameSite"]
        flags += ["Secure"] * self.secure + ["Partitioned"] * self.partitioned
        return f"{self.name} ({', '.join(flags)})"


@dataclass(frozen=True, slots=True, kw_only=True)
class CookieVerdict:
    """Whether the frame keeps a cookie, with third-party cookies allowed and blocked."""

    cookie: SetCookie
    kept: bool  # Chrome and Edge with default settings
    kept_when_blocked: bool  # Safari, Chrome incognito, Firefox strict: third-party blocked
    reason: str


def split_set_cookie(joined: str) -> list[str]:
    """The separate ``Set-Cookie`` lines of a header the client joined with commas."""
    return [part.strip() for part in _NEXT_COOKIE.split(joined) if part.strip()]


def parse(line: str) -> SetCookie | None:
    """One ``Set-Cookie`` value; None when it has no ``name=`` (browsers ignore it)."""
    pair, *attributes = line.split(";")
    name, equals, _ = pair.partition("=")
    if not equals or not name.strip():
        return None
    fields: dict[str, str] = {}
    for attribute in attributes:
        key, _, value = attribute.partition("=")
        fields.setdefault(key.strip().lower(), value.strip())
    max_age = fields.get("max-age", "")
    return SetCookie(
        name=name.strip(),
        samesite=fields.get("samesite", "").lower(),
        secure="secure" in fields,
        partitioned="partitioned" in fields,
        domain=fields.get("domain", ""),
        path=fields.get("path", ""),
        deletes=bool(re.fullmatch(r"-?0*|-\d+", max_age)) if max_age else _expired(fields),
    )


def _expired(fields: dict[str, str]) -> bool:
    expires = fields.get("expires", "")
    match = re.search(r"\b(19[0-9]{2}|200[0-9]|201[0-9])\b", expires)
    return match is not None  # a date this far back is how servers say "delete this cookie"


def judge(cookie: SetCookie, setter: Origin, embedder: Origin) -> CookieVerdict:
    """How browsers treat ``cookie``, set by a response from ``setter``, in the CRM's frame."""
    broken = _malformed(cookie, setter)
    if broken:
        return CookieVerdict(cookie=cookie, kept=False, kept_when_blocked=False, reason=broken)
    if setter.site == embedder.site:
        reason = f"{cookie.shown} is first-party: the page is same-site with the CRM"
        return CookieVerdict(cookie=cookie, kept=True, kept_when_blocked=True, reason=reason)
    if cookie.samesite != "none":
        written = f"SameSite={cookie.samesite.capitalize()}" if cookie.samesite else "no SameSite"
        treated = "" if cookie.samesite in ("lax", "strict") else ", which Chrome treats as Lax"
        reason = (
            f"{cookie.shown}: {written}{treated}, so browsers neither store nor send it in a "
            f"cross-site frame ({setter} inside {embedder}); send SameSite=None; Secure "
            "(RFC 6265bis §5.7)"
        )
        return CookieVerdict(cookie=cookie, kept=False, kept_when_blocked=False, reason=reason)
    if cookie.partitioned:
        reason = f"{cookie.shown} works in the cross-site frame, also where third-party "
        reason += "cookies are blocked (CHIPS)"
        return CookieVerdict(cookie=cookie, kept=True, kept_when_blocked=True, reason=reason)
    reason = (
        f"{cookie.shown} works in Chrome and Edge by default, but browsers that block "
        "third-party cookies (Safari by default, Chrome incognito, Firefox strict) drop it in "
        "the cross-site frame; add Partitioned (CHIPS) or use the Storage Access API"
    )
    return CookieVerdict(cookie=cookie, kept=True, kept_when_blocked=False, reason=reason)


def _malformed(cookie: SetCookie, setter: Origin) -> str:
    """Why every browser drops ``cookie`` wherever it is set, or ""."""
    if cookie.secure and not setter.secure:
        return f"{cookie.shown} is Secure but was set over plain http by {setter}: rejected"
    if cookie.samesite == "none" and not cookie.secure:
        return f"{cookie.shown}: SameSite=None without Secure is rejected by browsers"
    if cookie.partitioned and not cookie.secure:
        return f"{cookie.shown}: Partitioned without Secure is rejected by browsers"
    if cookie.name.startswith("__Secure-") and not cookie.secure:
        return f"{cookie.shown}: a __Secure- cookie without Secure is rejected"
    if cookie.name.startswith("__Host-") and (
        not cookie.secure or cookie.domain or cookie.path != "/"
    ):
        return f"{cookie.shown}: a __Host- cookie needs Secure, Path=/ and no Domain: rejected"
    return ""
