"""Origins and sites as browsers compare them (HTML §7.1.1, RFC 6265bis "same-site").

An origin is (scheme, host, port); a site is (scheme, registrable domain), the registrable
domain coming from the Public Suffix List (``publicsuffixlist`` ships a copy). The CRM at
``https://crm.example.com`` and a page at ``https://erp.example.com`` are same-site, so
``SameSite=Lax`` cookies work in the frame; ``https://erp.vendor.net`` is cross-site, and so is
``http://erp.example.com`` (schemeful same-site).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit

from publicsuffixlist import PublicSuffixList

DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


@dataclass(frozen=True, slots=True)
class Origin:
    """A tuple origin; ``str()`` gives its serialisation (``https://crm.example.com``)."""

    scheme: str
    host: str
    port: int

    @classmethod
    def of(cls, url: str) -> Origin:
        """The origin of an absolute http(s) URL; ValueError for anything else."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        port = parts.port if parts.port is not None else DEFAULT_PORTS[scheme]
        return cls(scheme, parts.hostname.lower().rstrip("."), port)

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        if self.port == DEFAULT_PORTS.get(self.scheme):
            return f"{self.scheme}://{host}"
        return f"{self.scheme}://{host}:{self.port}"

    @property
    def secure(self) -> bool:
        """Potentially trustworthy (Secure Contexts §3.1): https, or a loopback host."""
        return self.scheme == "https" or is_loopback(self.host)

    @property
    def site(self) -> tuple[str, str]:
        """(scheme, registrable domain): what same-site compares."""
        return self.scheme, registrable_domain(self.host)


@cache
def _suffixes() -> PublicSuffixList:
    return PublicSuffixList()


def registrable_domain(host: str) -> str:
    """``erp.example.co.uk`` -> ``example.co.uk``; an IP address or ``localhost`` is itself."""
    if _is_ip(host):
        return host
    found = _suffixes().privatesuffix(host)
    return str(found) if found else host


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1, localhost and *.localhost: never mixed content, always secure."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def same_site(a: Origin, b: Origin) -> bool:
    """Schemeful same-site: same scheme and same registrable domain (ports do not count)."""
    return a.site == b.site


def relation(embedder: Origin, page: Origin) -> str:
    """How the page stands to the CRM: ``same-origin``, ``same-site`` or ``cross-site``."""
    if embedder == page:
        return "same-origin"
    return "same-site" if same_site(embedder, page) else "cross-site"


def mixed_content(embedder: Origin, url: str) -> bool:
    """Whether an https CRM page framing ``url`` is blocked as mixed content (the frame is
    blockable content, Mixed Content §4.4): http, unless the host is loopback."""
    try:
        target = Origin.of(url)
    except ValueError:
        return False
    return embedder.scheme == "https" and target.scheme == "http" and not target.secure
