"""The framing evaluator, the cookie rules and the site rules against tables of header values."""

from __future__ import annotations

import pytest

from intcheck.kinds.iframe import cookies
from intcheck.kinds.iframe.framing import csp_frame_ancestors, evaluate, source_matches, xfo_values
from intcheck.kinds.iframe.origins import Origin, mixed_content, registrable_domain, relation

CRM = Origin.of("https://crm.example.com")
PAGE = Origin.of("https://erp.vendor.net")

FA = "frame-ancestors"
HOST = "https://crm.example.com"
# (X-Frame-Options, Content-Security-Policy, allowed, decided by, restricted, a note expected)
TABLE: list[tuple[str | None, str | None, bool, str, bool, str]] = [
    (None, None, True, "nothing", False, ""),
    ("DENY", None, False, "x-frame-options", True, ""),
    ("deny", None, False, "x-frame-options", True, ""),
    ("SAMEORIGIN", None, False, "x-frame-options", True, ""),
    ("DENY, DENY", None, False, "x-frame-options", True, ""),
    # two distinct known values conflict: browsers block
    ("SAMEORIGIN, DENY", None, False, "x-frame-options", True, ""),
    (f"ALLOW-FROM {HOST}", None, True, "nothing", False, "obsolete"),
    ("ALLOWALL", None, True, "nothing", False, ""),
    ("yes please", None, True, "nothing", False, "not a value browsers know"),
    ("foo, bar", None, True, "nothing", False, "do not know"),
    (None, f"{FA} {HOST}", True, FA, True, ""),
    (None, f"{FA} 'self'", False, FA, True, ""),
    (None, f"{FA} 'none'", False, FA, True, ""),
    (None, FA, False, FA, True, ""),
    (None, f"{FA} *", True, FA, True, ""),
    (None, f"{FA} https:", True, FA, True, ""),
    (None, f"{FA} http:", True, FA, True, ""),
    (None, f"{FA} *.example.com", True, FA, True, ""),
    (None, f"{FA} https://*.example.com", True, FA, True, ""),
    (None, f"{FA} https://example.com", False, FA, True, ""),
    (None, f"{FA} http://crm.example.com", True, FA, True, ""),
    (None, f"{FA} {HOST}:443", True, FA, True, ""),
    (None, f"{FA} {HOST}:8443", False, FA, True, ""),
    (None, f"{FA} {HOST}:*", True, FA, True, ""),
    (None, f"{FA} {HOST}/", True, FA, True, ""),
    # a path must match the ancestor's "/": Chromium blocks this one too
    (None, f"{FA} {HOST}/app/", False, FA, True, ""),
    (None, f"{FA} CRM.EXAMPLE.COM", True, FA, True, ""),
    (None, f"{FA} 'none' {HOST}", True, FA, True, "'none' is ignored"),
    (None, f"{FA} 'unsafe-inline' {HOST}", True, FA, True, "ignores 'unsafe-inline'"),
    # the first frame-ancestors of a policy counts
    (None, f"{FA} {HOST}; {FA} 'none'", True, FA, True, ""),
    # several policies (two headers, joined): every one must allow
    (None, f"{FA} {HOST}, {FA} 'self'", False, FA, True, ""),
    (None, f"default-src 'self', {FA} {HOST}", True, FA, True, ""),
    (None, "default-src 'self'; script-src 'self'", True, "nothing", False, ""),
    # frame-ancestors wins over XFO, and the conflict is flagged
    ("DENY", f"{FA} {HOST}", True, FA, True, "legacy browsers"),
    ("SAMEORIGIN", f"{FA} {HOST}", True, FA, True, "legacy browsers"),
    ("SAMEORIGIN", f"{FA} 'self'", False, FA, True, ""),
]


@pytest.mark.parametrize(("xfo", "csp", "allowed", "decided", "restricted", "note"), TABLE)
def test_framing_verdicts(
    xfo: str | None, csp: str | None, allowed: bool, decided: str, restricted: bool, note: str
) -> None:
    headers = {"x-frame-options": xfo, "content-security-policy": csp}
    verdict = evaluate({k: v for k, v in headers.items() if v is not None}, PAGE, CRM)
    assert (verdict.allowed, verdict.decided_by, verdict.restricted) == (
        allowed,
        decided,
        restricted,
    )
    joined = " | ".join(verdict.notes)
    assert (note in joined) if note else not verdict.notes, joined


def test_sameorigin_allows_the_page_own_origin() -> None:
    assert evaluate({"x-frame-options": "SAMEORIGIN"}, CRM, CRM).allowed
    assert not evaluate(
        {"x-frame-options": "SAMEORIGIN"}, CRM, Origin.of("http://crm.example.com")
    ).allowed


@pytest.mark.parametrize(
    ("source", "page", "ancestor", "matches"),
    [
        # 'self' is the page's origin, with the http -> https upgrade
        ("'self'", "https://crm.example.com", "https://crm.example.com", True),
        ("'self'", "http://crm.example.com", "https://crm.example.com", True),
        ("'self'", "https://crm.example.com", "http://crm.example.com", False),
        ("'self'", "https://crm.example.com:8443", "https://crm.example.com", False),
        # a host without a scheme takes the page's scheme
        ("crm.example.com", "https://erp.vendor.net", "https://crm.example.com", True),
        ("crm.example.com", "https://erp.vendor.net", "http://crm.example.com", False),
        ("crm.example.com", "http://erp.vendor.net", "https://crm.example.com", True),
        ("*.example.com", "https://erp.vendor.net", "https://a.b.example.com", True),
        ("*.example.com", "https://erp.vendor.net", "https://example.com", False),
        ("http://crm.example.com:80", "https://erp.vendor.net", "https://crm.example.com", True),
        (
            "https://crm.example.com:8443",
            "https://erp.vendor.net",
            "https://crm.example.com:8443",
            True,
        ),
        ("'nonce-abc'", "https://erp.vendor.net", "https://crm.example.com", False),
        ("not a source", "https://erp.vendor.net", "https://crm.example.com", False),
    ],
)
def test_source_expression_matching(source: str, page: str, ancestor: str, matches: bool) -> None:
    assert source_matches(source, Origin.of(ancestor), Origin.of(page)) is matches


def test_header_parsing() -> None:
    assert csp_frame_ancestors("default-src 'self'; FRAME-ANCESTORS a b, frame-ancestors c") == [
        ["a", "b"],
        ["c"],
    ]
    assert xfo_values(' DENY , "sameorigin", deny') == ["deny", "sameorigin"]


def test_meta_tags_are_flagged_as_ineffective() -> None:
    body = b'<html><head><meta http-equiv="X-Frame-Options" content="DENY"></head></html>'
    verdict = evaluate({}, PAGE, CRM, body)
    assert verdict.allowed
    assert "has no effect" in verdict.notes[0]


@pytest.mark.parametrize(
    ("line", "setter", "kept", "kept_when_blocked", "reason"),
    [
        ("s=1; Secure; SameSite=None; Partitioned", "https://erp.vendor.net", True, True, "CHIPS"),
        ("s=1; Secure; SameSite=None", "https://erp.vendor.net", True, False, "Partitioned"),
        ("s=1; Secure; SameSite=Lax", "https://erp.vendor.net", False, False, "SameSite=Lax"),
        ("s=1; Secure; SameSite=Strict", "https://erp.vendor.net", False, False, "Strict"),
        ("s=1; Secure", "https://erp.vendor.net", False, False, "treats as Lax"),
        ("s=1; Secure; SameSite=Nonee", "https://erp.vendor.net", False, False, "treats as Lax"),
        ("s=1; SameSite=None", "https://erp.vendor.net", False, False, "without Secure"),
        ("s=1; SameSite=None; Secure", "http://erp.vendor.net", False, False, "plain http"),
        ("s=1; SameSite=None; Secure", "http://127.0.0.1:8080", True, False, "Partitioned"),
        (
            "s=1; Partitioned; SameSite=None",
            "https://erp.vendor.net",
            False,
            False,
            "without Secure",
        ),
        (
            "__Host-s=1; Secure; Path=/; Domain=vendor.net; SameSite=None",
            "https://erp.vendor.net",
            False,
            False,
            "__Host-",
        ),
        ("__Secure-s=1; SameSite=Lax", "https://erp.vendor.net", False, False, "__Secure-"),
        # same-site: the frame is first-party, Lax is fine
        ("s=1; SameSite=Lax", "https://erp.example.com", True, True, "same-site"),
    ],
)
def test_cookie_rules(
    line: str, setter: str, kept: bool, kept_when_blocked: bool, reason: str
) -> None:
    cookie = cookies.parse(line)
    assert cookie is not None
    verdict = cookies.judge(cookie, Origin.of(setter), CRM)
    assert (verdict.kept, verdict.kept_when_blocked) == (kept, kept_when_blocked)
    assert reason in verdict.reason


def test_joined_set_cookie_headers_split_outside_dates() -> None:
    joined = "a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Path=/, b=2; SameSite=None; Secure"
    assert cookies.split_set_cookie(joined) == [
        "a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Path=/",
        "b=2; SameSite=None; Secure",
    ]
    gone = cookies.parse("a=; Max-Age=0")
    assert gone is not None and gone.deletes
    assert cookies.parse("no-equals-sign") is None


def test_sites_and_mixed_content() -> None:
    assert registrable_domain("erp.vendor.co.uk") == "vendor.co.uk"
    assert registrable_domain("127.0.0.1") == "127.0.0.1"
    assert relation(CRM, Origin.of("https://erp.example.com:8443")) == "same-site"
    assert relation(CRM, Origin.of("http://erp.example.com")) == "cross-site"  # schemeful
    assert relation(CRM, PAGE) == "cross-site"
    assert relation(CRM, CRM) == "same-origin"
    assert mixed_content(CRM, "http://erp.vendor.net/x")
    assert not mixed_content(CRM, "http://127.0.0.1:8080/x")  # loopback is trustworthy
    assert not mixed_content(Origin.of("http://crm.example.com"), "http://erp.vendor.net/")
