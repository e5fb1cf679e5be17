"""The claims checked for each embedded page, on its headers and in the browser.

Severity says what a CRM team must do: HIGH means the page will not work in the CRM's frame
(forbidden by XFO or frame-ancestors, a login hop that forbids framing, a session cookie the
frame will not send, not HTML, mixed content); LOW means it works but deserves a flag (no
framing restriction at all, a dead ``ALLOW-FROM``, XFO and CSP in conflict, a cookie only
browsers that allow third-party cookies keep). Each message names the header and the rule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from intcheck.kinds.iframe import cookies as cookie_rules
from intcheck.kinds.iframe.framing import FramingVerdict, evaluate
from intcheck.kinds.iframe.origins import Origin, mixed_content
from intcheck.kinds.probing import Check, Finding
from intcheck.model import Severity, Status

if TYPE_CHECKING:
    from intcheck.kinds.iframe.contract import IframeSettings, Page
    from intcheck.kinds.probing import Exchange, ProbeCase

HTML_TYPES = ("text/html", "application/xhtml+xml")


def header_checks(settings: IframeSettings) -> tuple[Check, ...]:
    """What the ``#headers`` case claims, in the order a reader wants them."""
    checks = [
        Check(name="frame_is_allowed", function=frame_is_allowed),
        Check(name="page_is_html", function=page_is_html),
        Check(name="no_mixed_content", function=no_mixed_content),
        Check(name="cookies_work_in_frame", function=cookies_work_in_frame),
        Check(
            name="cookies_survive_third_party_blocking",
            function=cookies_survive_third_party_blocking,
            severity=Severity.LOW,
        ),
        Check(name="framing_headers_agree", function=framing_headers_agree, severity=Severity.LOW),
    ]
    if settings.require.frame_ancestors:
        checks.append(
            Check(
                name="framing_is_restricted", function=framing_is_restricted, severity=Severity.LOW
            )
        )
    if settings.require.https:
        checks.append(
            Check(name="page_uses_https", function=page_uses_https, severity=Severity.MEDIUM)
        )
    if settings.max_ms is not None:
        checks.append(
            Check(
                name="latency_within_case_limit",
                function=latency_within_case_limit,
                severity=Severity.MEDIUM,
            )
        )
    return tuple(checks)


def _settings(case: ProbeCase) -> IframeSettings:
    settings: IframeSettings = case.data["settings"]
    return settings


def _hops(exchange: Exchange) -> list[dict[str, Any]]:
    hops: list[dict[str, Any]] = exchange.observed.get("hops", [])
    return hops


def verdict_of(case: ProbeCase, exchange: Exchange) -> FramingVerdict:
    """The framing verdict of the chain's last answer: only it is shown in the frame."""
    final = str(exchange.observed.get("final_url", exchange.request.url))
    embedder = Origin.of(_settings(case).embedder)
    return evaluate(exchange.headers, Origin.of(final), embedder, exchange.body)


def _chain(exchange: Exchange) -> str:
    """``after 302 to https://login.example.com/…: `` when the page redirected, else ""."""
    hops = _hops(exchange)
    if len(hops) < 2:
        return ""
    steps = " → ".join(f"{h['status']} to {hops[i + 1]['url']}" for i, h in enumerate(hops[:-1]))
    return f"after {steps}: "


def frame_is_allowed(case: ProbeCase, exchange: Exchange) -> Finding | None:
    verdict = verdict_of(case, exchange)
    if verdict.allowed:
        return None
    hint = ""
    if len(_hops(exchange)) > 1:
        hint = (
            ". The redirect ends on a page that refuses the frame (a login page, often): sign "
            "in through a popup or a top-level window, or allow the CRM on that page"
        )
    return Finding(f"{_chain(exchange)}{verdict.reason}{hint}")


def page_is_html(case: ProbeCase, exchange: Exchange) -> Finding | None:
    if exchange.content_type in HTML_TYPES:
        return None
    shown = exchange.content_type or "no Content-Type"
    return Finding(f"{_chain(exchange)}the frame gets {shown}, not an HTML page")


def no_mixed_content(case: ProbeCase, exchange: Exchange) -> Finding | None:
    embedder = Origin.of(_settings(case).embedder)
    for hop in _hops(exchange):
        if mixed_content(embedder, hop["url"]):
            return Finding(
                f"the CRM page is https and the frame loads {hop['url']} over http: browsers "
                "block it as mixed content (Mixed Content §4.4); serve the page over https"
            )
    return None


def page_uses_https(case: ProbeCase, exchange: Exchange) -> Finding | None:
    plain = [h["url"] for h in _hops(exchange) if h["url"].startswith("http://")]
    if not plain:
        return None
    return Finding(f"require.https: {', '.join(plain)} is served over plain http")


def _verdicts(case: ProbeCase, exchange: Exchange) -> list[tuple[bool, cookie_rules.CookieVerdict]]:
    """Each cookie set along the chain, judged, with whether the page's session needs it."""
    settings = _settings(case)
    embedder = Origin.of(settings.embedder)
    named = set(settings.require.session_cookies)
    judged = []
    for hop in _hops(exchange):
        for line in cookie_rules.split_set_cookie(hop["set-cookie"]):
            cookie = cookie_rules.parse(line)
            if cookie is None or cookie.deletes:
                continue
            needed = cookie.name in named if named else settings.require.cookies_samesite_none
            judged.append((needed, cookie_rules.judge(cookie, Origin.of(hop["url"]), embedder)))
    return judged


def cookies_work_in_frame(case: ProbeCase, exchange: Exchange) -> Finding | None:
    dropped = [v.reason for needed, v in _verdicts(case, exchange) if needed and not v.kept]
    if not dropped:
        return None
    return Finding(f"{_chain(exchange)}{'; '.join(dropped)}")


def cookies_survive_third_party_blocking(case: ProbeCase, exchange: Exchange) -> Finding | None:
    flagged = [
        v.reason
        for needed, v in _verdicts(case, exchange)
        if (needed and v.kept and not v.kept_when_blocked) or (not needed and not v.kept)
    ]
    return Finding("; ".join(flagged)) if flagged else None


def framing_headers_agree(case: ProbeCase, exchange: Exchange) -> Finding | None:
    notes = verdict_of(case, exchange).notes
    return Finding("; ".join(notes)) if notes else None


def framing_is_restricted(case: ProbeCase, exchange: Exchange) -> Finding | None:
    verdict = verdict_of(case, exchange)
    if verdict.restricted or not verdict.allowed:
        return None
    embedder = _settings(case).embedder
    return Finding(
        f"{verdict.reason}: any site can frame the page (clickjacking); send "
        f"Content-Security-Policy: frame-ancestors 'self' {embedder}"
    )


def latency_within_case_limit(case: ProbeCase, exchange: Exchange) -> Finding | None:
    limit = _settings(case).max_ms
    if limit is None or exchange.elapsed_ms <= limit:
        return None
    return Finding(
        f"the page (every redirect included) answered in {exchange.elapsed_ms:.0f} ms, "
        f"expect.max_ms allows {limit:g} ms"
    )


# ---- the browser case ----------------------------------------------------------------------


def browser_checks(page: Page) -> tuple[Check, ...]:
    """What the ``#browser`` case claims; the handshake's claims when the page declares one."""
    checks = [
        Check(name="frame_renders", function=frame_renders),
        Check(name="frame_keeps_cookies", function=frame_keeps_cookies),
        Check(
            name="frame_keeps_cookies_when_third_party_blocked",
            function=frame_keeps_cookies_when_blocked,
            severity=Severity.LOW,
        ),
    ]
    if page.handshake is not None:
        checks += [
            Check(name="handshake_completes", function=handshake_completes),
            Check(name="page_checks_message_origin", function=page_checks_message_origin),
            Check(name="target_origin_is_explicit", function=target_origin_is_explicit),
        ]
    return tuple(checks)


def _refusals(exchange: Exchange) -> list[str]:
    words = ("frame", "Frame", "Content Security Policy", "Mixed Content", "X-Frame-Options")
    return [line for line in exchange.observed.get("console", []) if any(w in line for w in words)]


def frame_renders(case: ProbeCase, exchange: Exchange) -> Finding | None:
    if exchange.observed.get("frame") == "rendered":
        return None
    said = _refusals(exchange)
    why = f": the console says {' | '.join(said)}" if said else ""
    crm = exchange.observed.get("crm", "")
    return Finding(f"Chromium did not render the page in the frame of {crm}{why}")


def _browser_cookies(case: ProbeCase, exchange: Exchange) -> list[tuple[bool, bool, str]]:
    """(needed, kept by Chrome's defaults, why) for each cookie Chromium did not keep.

    What was kept is observed (the frame's cookie jar); the rules only say which loss a
    default Chrome would share (HIGH) and which only browsers blocking third-party cookies
    cause (LOW).
    """
    settings = _settings(case)
    named = set(settings.require.session_cookies)
    kept = {c["name"] for c in exchange.observed.get("cookies_kept", [])}
    embedder = Origin.of(settings.embedder)
    lost = []
    for response in exchange.observed.get("chain", []):
        for line in response.get("set-cookie", []):
            cookie = cookie_rules.parse(line)
            if cookie is None or cookie.deletes or cookie.name in kept:
                continue
            needed = cookie.name in named if named else settings.require.cookies_samesite_none
            rule = cookie_rules.judge(cookie, Origin.of(response["url"]), embedder)
            lost.append((needed, rule.kept, rule.reason))
    return lost


def frame_keeps_cookies(case: ProbeCase, exchange: Exchange) -> Finding | None:
    """A cookie the page needs that Chromium dropped and a default Chrome drops too."""
    lost = [why for needed, usual, why in _browser_cookies(case, exchange) if needed and not usual]
    if not lost:
        return None
    return Finding(f"Chromium did not keep the cookie in the frame: {'; '.join(lost)}")


def frame_keeps_cookies_when_blocked(case: ProbeCase, exchange: Exchange) -> Finding | None:
    """Cookies dropped only because third-party cookies are blocked, or not needed anyway."""
    lost = [why for needed, usual, why in _browser_cookies(case, exchange) if usual or not needed]
    if not lost:
        return None
    return Finding(f"Chromium with third-party cookies blocked dropped: {'; '.join(lost)}")


def _handshake(exchange: Exchange) -> dict[str, Any] | None:
    found: dict[str, Any] | None = exchange.observed.get("handshake")
    return found


def _not_rendered() -> Finding:
    return Finding("the page did not render in the frame, so it could not talk", Status.SKIPPED)


def handshake_completes(case: ProbeCase, exchange: Exchange) -> Finding | None:
    seen = _handshake(exchange)
    if seen is None:
        return _not_rendered()
    page: Page = case.data["page"]
    assert page.handshake is not None
    shake, expected = page.handshake, exchange.observed.get("page_origin", "")
    if seen.get("readyAt") is None:
        others = [m for m in seen.get("messages", []) if m.get("fromFrame")]
        if any(m["type"] == shake.ready for m in others):
            origin = next(m["origin"] for m in others if m["type"] == shake.ready)
            return Finding(
                f"the page's {shake.ready!r} came from {origin}, and the CRM accepts only "
                f"{expected} (postmessage.origin): the CRM's origin check drops it"
            )
        return Finding(
            f"no {shake.ready!r} message from the page within {shake.timeout_ms:g} ms "
            f"(messages seen: {_types(seen)})"
        )
    if not seen.get("done"):
        return Finding(
            f"the CRM sent {shake.context!r} with a nonce, and no {shake.ack!r} came back within "
            f"{shake.timeout_ms:g} ms (messages seen: {_types(seen)})"
        )
    if seen.get("ack") != seen.get("nonce"):
        return Finding(
            f"the page's {shake.ack!r} carries nonce {seen.get('ack')!r}, not the "
            f"{seen.get('nonce')!r} the CRM sent in {shake.context!r}: it must echo the nonce"
        )
    return None


def _types(seen: dict[str, Any]) -> str:
    return ", ".join(f"{m['type']} from {m['origin']}" for m in seen.get("messages", [])) or "none"


def page_checks_message_origin(case: ProbeCase, exchange: Exchange) -> Finding | None:
    seen = _handshake(exchange)
    if seen is None:
        return _not_rendered()
    if seen.get("forgedAck"):
        return Finding(
            "the page acknowledged a context a frame at another origin sent it: it does not "
            "check event.origin (and event.source) before trusting a message"
        )
    if seen.get("readyAt") is None:
        return Finding(
            "the page never said ready, so its origin check was not exercised", Status.SKIPPED
        )
    return None


def target_origin_is_explicit(case: ProbeCase, exchange: Exchange) -> Finding | None:
    decoy = exchange.observed.get("decoy")
    if decoy is None:
        return _not_rendered()
    heard = decoy.get("messages", [])
    if heard:
        kinds = ", ".join(sorted({m["type"] for m in heard}))
        return Finding(
            f"framed by {decoy['origin']}, the page posted {kinds} to it: it sends with target "
            "origin '*' (or whatever origin frames it), so any site that frames it reads its "
            "messages; post to the CRM's origin"
        )
    return None
