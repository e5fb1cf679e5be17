"""X-Frame-Options and CSP ``frame-ancestors``, evaluated the way browsers apply them.

The rules, each with where it is written:

- A ``Content-Security-Policy`` header holds policies separated by commas, and several headers
  add policies; every enforced policy must allow the frame (CSP3 §8.1). Within a policy the
  first ``frame-ancestors`` counts. Report-only policies and ``<meta>`` policies never block a
  frame.
- ``frame-ancestors`` is checked against every ancestor (here: the CRM page) with the page's
  own origin as ``'self'`` (CSP3 §6.4.2; source matching §6.7.2): ``'none'`` alone matches
  nothing, schemes match with the http→https upgrade, ``*.example.com`` matches subdomains only,
  a missing port means the scheme's default, a path must match the ancestor's ``/``.
- When any enforced policy has ``frame-ancestors``, X-Frame-Options is ignored (HTML's "check a
  navigation response's adherence to X-Frame-Options", CSP3 §6.4.2).
- X-Frame-Options values are split on commas and lower-cased: several distinct values that
  include ``deny``, ``sameorigin`` or ``allowall`` block; ``deny`` blocks; ``sameorigin``
  blocks unless every ancestor is the page's own origin; anything else, ``ALLOW-FROM`` included
  (never in Chrome or Safari, removed from Firefox 70 and Edge 79), is ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import unquote

from intcheck.kinds.iframe.origins import DEFAULT_PORTS, Origin

if TYPE_CHECKING:
    from collections.abc import Mapping

CSP_RULE = "CSP3 §6.4.2"
POLICIES_RULE = "CSP3 §8.1: every policy must allow it"
XFO_RULE = "HTML: X-Frame-Options processing"
_KNOWN_XFO = ("deny", "sameorigin", "allowall")
_META = re.compile(
    rb"<meta[^>]+http-equiv\s*=\s*[\"']?(x-frame-options|content-security-policy)[^>]*>", re.I
)


@dataclass(frozen=True, slots=True)
class FramingVerdict:
    """Whether browsers show the page in the CRM's frame, and why, in one sentence."""

    allowed: bool
    decided_by: str  # frame-ancestors | x-frame-options | nothing
    reason: str
    restricted: bool  # the page limits who may frame it at all (clickjacking protection)
    notes: tuple[str, ...] = ()  # what renders but deserves a flag: conflicts, dead values


def csp_frame_ancestors(header: str) -> list[list[str]]:
    """The ``frame-ancestors`` source list of each policy in a CSP header value that has one."""
    found = []
    for policy in header.split(","):
        seen: set[str] = set()
        for directive in policy.split(";"):
            tokens = directive.split()
            if not tokens:
                continue
            name = tokens[0].lower()
            if name in seen:
                continue  # a repeated directive is ignored: the first one counts
            seen.add(name)
            if name == "frame-ancestors":
                found.append(tokens[1:])
    return found


def xfo_values(header: str) -> list[str]:
    """The X-Frame-Options values browsers see: split on commas, trimmed, lower case."""
    values = []
    for raw in header.split(","):
        value = raw.strip().strip('"').strip().lower()
        if value not in values:
            values.append(value)
    return values


def evaluate(
    headers: Mapping[str, str], page: Origin, embedder: Origin, body: bytes = b""
) -> FramingVerdict:
    """The verdict for ``page`` framed directly by a CRM page at ``embedder``.

    ``headers`` has lower-case names, repeated headers joined with ", " (as the probe's client
    hands them over); ``body`` is only searched for ``<meta>`` tags that have no effect.
    """
    policies = csp_frame_ancestors(headers.get("content-security-policy", ""))
    xfo_header = headers.get("x-frame-options")
    notes = list(_meta_notes(body))
    xfo = _xfo(xfo_header, page, embedder) if xfo_header is not None else None
    if xfo is not None:
        notes += xfo.notes
    if policies:
        verdict = _by_frame_ancestors(policies, page, embedder)
        notes += _source_notes(policies)
        if xfo is not None and xfo.blocks and verdict.allowed:
            notes.append(
                f"X-Frame-Options: {xfo_header} contradicts CSP frame-ancestors, which allows "
                f"{embedder}: current browsers follow frame-ancestors ({CSP_RULE}), but legacy "
                "browsers (Internet Explorer, older Safari and Firefox) honour X-Frame-Options "
                "and block the frame; drop X-Frame-Options or make the two agree"
            )
        return FramingVerdict(
            allowed=verdict.allowed,
            decided_by="frame-ancestors",
            reason=verdict.reason
            + (", and X-Frame-Options is ignored when frame-ancestors is present" * bool(xfo)),
            restricted=True,
            notes=tuple(notes),
        )
    if xfo is not None and xfo.blocks:
        return FramingVerdict(False, "x-frame-options", xfo.reason, True, tuple(notes))
    restricted = xfo is not None and xfo.protects
    reason = (
        xfo.reason
        if xfo is not None and restricted
        else "no X-Frame-Options or CSP frame-ancestors restricts framing"
    )
    return FramingVerdict(
        True, "x-frame-options" if restricted else "nothing", reason, restricted, tuple(notes)
    )


@dataclass(frozen=True, slots=True)
class _Xfo:
    blocks: bool  # blocks this embedder
    protects: bool  # the header restricts framing at all (deny or sameorigin in effect)
    reason: str
    notes: tuple[str, ...]


def _xfo(header: str, page: Origin, embedder: Origin) -> _Xfo:
    values = xfo_values(header)
    shown = f"X-Frame-Options: {header.strip()}"
    if len(values) > 1 and any(v in _KNOWN_XFO for v in values):
        reason = f"{shown} holds conflicting values; browsers then block the frame ({XFO_RULE})"
        return _Xfo(True, True, reason, ())
    if len(values) > 1:
        return _Xfo(
            False,
            False,
            f"{shown} holds several unknown values; browsers ignore it",
            (f"{shown} holds values browsers do not know; they ignore the header",),
        )
    value = values[0] if values else ""
    if value == "deny":
        reason = f"{shown} forbids every frame; browsers block it ({XFO_RULE})"
        return _Xfo(True, True, reason, ())
    if value == "sameorigin":
        if page == embedder:
            return _Xfo(False, True, f"{shown} allows the CRM, which is the page's own origin", ())
        reason = (
            f"{shown} lets only {page} frame the page and the CRM at {embedder} is another "
            f"origin; browsers block the frame ({XFO_RULE}). SAMEORIGIN cannot allow another "
            f"origin: send Content-Security-Policy: frame-ancestors {embedder} instead"
        )
        return _Xfo(True, True, reason, ())
    if value == "allowall":
        return _Xfo(False, False, f"{shown} allows every frame", ())
    if value.startswith("allow-from"):
        note = (
            f"{shown} is obsolete: Chrome and Safari never supported ALLOW-FROM and Firefox 70 "
            "and Edge 79 removed it, so browsers ignore it and it protects nothing; send "
            f"Content-Security-Policy: frame-ancestors {embedder} instead"
        )
        return _Xfo(False, False, f"{shown} is ignored by browsers", (note,))
    note = f"{shown} is not a value browsers know ({XFO_RULE}); they ignore it"
    return _Xfo(False, False, f"{shown} is ignored by browsers", (note,))


@dataclass(frozen=True, slots=True)
class _Decision:
    allowed: bool
    reason: str


def _by_frame_ancestors(policies: list[list[str]], page: Origin, embedder: Origin) -> _Decision:
    for index, sources in enumerate(policies):
        shown = " ".join(sources) or "(empty)"
        if matching_source(sources, embedder, page) is not None:
            continue
        where = f"policy {index + 1} of {len(policies)}: " if len(policies) > 1 else ""
        rule = f"{CSP_RULE}; {POLICIES_RULE}" if len(policies) > 1 else CSP_RULE
        if [s.lower() for s in sources] == ["'none'"] or not sources:
            why = f"CSP {where}frame-ancestors {shown} forbids every frame; browsers block it"
            return _Decision(False, f"{why} ({rule})")
        return _Decision(
            False,
            f"CSP {where}frame-ancestors {shown} does not list {embedder}; browsers block the "
            f"frame ({rule})",
        )
    matched = [matching_source(sources, embedder, page) for sources in policies]
    listed = ", ".join(f"frame-ancestors {' '.join(s)}" for s in policies)
    return _Decision(
        True, f"CSP {listed} allows {embedder} (matched by {', '.join(map(str, matched))})"
    )


def matching_source(sources: list[str], ancestor: Origin, page: Origin) -> str | None:
    """The first source expression of a frame-ancestors list that allows ``ancestor``."""
    if not sources or [s.lower() for s in sources] == ["'none'"]:
        return None
    for source in sources:
        if source_matches(source, ancestor, page):
            return source
    return None


def source_matches(source: str, ancestor: Origin, page: Origin) -> bool:
    """CSP3 §6.7.2.8 for an ancestor origin (as a URL, its path is ``/``); ``page`` is 'self'."""
    expression = source.lower()
    if expression == "'self'":
        return _self_matches(page, ancestor)
    if expression == "*":
        return True  # an ancestor is always an http(s) document
    if expression.startswith("'"):
        return False  # 'none', nonces, hashes, 'unsafe-*': never an ancestor
    scheme_only = re.fullmatch(r"([a-z][a-z0-9+.-]*):", expression)
    if scheme_only:
        return _scheme_part_matches(scheme_only.group(1), ancestor.scheme)
    host_source = re.fullmatch(
        r"(?:([a-z][a-z0-9+.-]*)://)?(\*|(?:\*\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.?|\[[0-9a-f:.]+\])"
        r"(?::(\*|[0-9]+))?(/[^?#]*)?",
        expression,
    )
    if host_source is None:
        return False  # not a source expression: browsers ignore it
    scheme, host, port, path = host_source.groups()
    if scheme is not None and not _scheme_part_matches(scheme, ancestor.scheme):
        return False
    if scheme is None and not _scheme_part_matches(page.scheme, ancestor.scheme):
        return False
    if not _host_part_matches(host.rstrip("."), ancestor.host):
        return False
    if not _port_part_matches(port or "", ancestor):
        return False
    return _path_part_matches(path or "", "/")


def _self_matches(page: Origin, ancestor: Origin) -> bool:
    if page == ancestor:
        return True
    default_ports = (
        page.port == DEFAULT_PORTS[page.scheme] and ancestor.port == DEFAULT_PORTS[ancestor.scheme]
    )
    upgraded = ancestor.scheme == "https" or (page.scheme == "http" and ancestor.scheme == "http")
    return page.host == ancestor.host and (page.port == ancestor.port or default_ports) and upgraded


def _scheme_part_matches(expression: str, scheme: str) -> bool:
    """``http`` also matches ``https`` (the upgrade); otherwise the scheme itself."""
    return expression == scheme or (expression == "http" and scheme == "https")


def _host_part_matches(pattern: str, host: str) -> bool:
    if pattern.startswith("*"):
        return host.endswith(pattern[1:])  # "*.example.com" never matches example.com
    return pattern.strip("[]") == host


def _port_part_matches(port: str, ancestor: Origin) -> bool:
    if port == "*":
        return True
    if not port:
        return ancestor.port == DEFAULT_PORTS[ancestor.scheme]
    if int(port) == ancestor.port:
        return True
    return port == "80" and ancestor.scheme == "https" and ancestor.port == 443


def _path_part_matches(pattern: str, path: str) -> bool:
    if not pattern:
        return True
    exact = not pattern.endswith("/")
    wanted, actual = pattern.split("/"), path.split("/")
    if len(wanted) > len(actual) or (exact and len(wanted) != len(actual)):
        return False
    if not exact:
        wanted = wanted[:-1]
    return all(unquote(a) == unquote(b) for a, b in zip(wanted, actual, strict=False))


def _source_notes(policies: list[list[str]]) -> list[str]:
    """Sources browsers ignore in frame-ancestors: worth a flag, never a block on their own."""
    notes = []
    for sources in policies:
        lowered = [s.lower() for s in sources]
        if "'none'" in lowered and len(lowered) > 1:
            notes.append(
                f"frame-ancestors {' '.join(sources)}: 'none' is ignored beside other sources"
            )
        for source in sources:
            if source.startswith("'") and source.lower() not in ("'self'", "'none'"):
                notes.append(f"frame-ancestors ignores {source}: only 'self' and 'none' apply")
    return notes


def _meta_notes(body: bytes) -> list[str]:
    return [
        f'a <meta http-equiv="{match.group(1).decode()}"> tag in the page has no effect on '
        "framing: browsers only apply the HTTP header"
        for match in _META.finditer(body[:65536])
    ]
