"""The probe's HTTP client: one aiohttp session per run, hardened against hostile endpoints.

Every request is bounded: a total deadline (so a slowloris that drips one byte a second still
ends), a cap on body size (so an endless body ends), a cap on decompressed size (so a gzip bomb
ends), a bounded number of redirects, and limits on header size. Whatever goes wrong below HTTP
becomes ``Exchange.error``, which the runner turns into ERRORED results: an endpoint we cannot
talk to has not broken its contract, we just cannot tell.

Redirects are followed only on the target's own origin, and not at all where the request says
the 3xx is the answer to judge: the probe never goes elsewhere on its own, so credentials never
reach another origin.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import time
import zlib
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import aiohttp
from yarl import URL

from intcheck.kinds.probing import Exchange, ProbeRequest
from intcheck.redact import printable

if TYPE_CHECKING:
    from collections.abc import Mapping

BODY_LIMIT = 2 * 1024 * 1024
MAX_REDIRECTS = 5
MAX_HEADER_BYTES = 16 * 1024
_REDIRECTS = (301, 302, 303, 307, 308)


@dataclass(frozen=True, slots=True, kw_only=True)
class Timeouts:
    """Every deadline the probe applies, in seconds.

    ======== =============================================================
    connect  TCP connect plus TLS handshake
    read     the longest silence while reading headers or body
    total    the whole exchange, redirects included (slowloris stops here)
    ======== =============================================================
    """

    connect: float = 5.0
    read: float = 10.0
    total: float = 10.0

    @classmethod
    def from_total(cls, seconds: float) -> Timeouts:
        return cls(connect=min(5.0, seconds), read=seconds, total=seconds)


def create_session(
    timeouts: Timeouts, *, insecure: bool = False, concurrency: int = 16
) -> aiohttp.ClientSession:
    """A session with TLS verification (unless ``insecure``) and strict size limits."""
    connector = aiohttp.TCPConnector(
        ssl=_tls_context(insecure), limit=max(concurrency, 1), force_close=False
    )
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(
            total=None, sock_connect=timeouts.connect, sock_read=timeouts.read
        ),
        # We decompress ourselves, with a cap, so a gzip bomb cannot fill memory.
        auto_decompress=False,
        max_line_size=MAX_HEADER_BYTES,
        max_field_size=MAX_HEADER_BYTES,
        cookie_jar=aiohttp.DummyCookieJar(),
        raise_for_status=False,
    )


@functools.cache
def _tls_context(insecure: bool) -> ssl.SSLContext:
    # Loading the system's CA store takes tens of milliseconds: once per process is enough.
    context = ssl.create_default_context()
    if insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


async def send(
    session: aiohttp.ClientSession,
    request: ProbeRequest,
    timeouts: Timeouts,
    *,
    body_limit: int = BODY_LIMIT,
) -> Exchange:
    """Send ``request`` and return what came back; never raises for network trouble."""
    started = time.perf_counter()
    current = request
    try:
        async with asyncio.timeout(timeouts.total):
            for _ in range(MAX_REDIRECTS + 1):
                exchange = await _once(session, current, body_limit, started)
                following = _next_hop(current, exchange)
                if following is None:
                    return exchange
                current = following
            return _failed(request, started, f"more than {MAX_REDIRECTS} redirects")
    except TimeoutError:
        return _failed(current, started, f"no complete answer within {timeouts.total:g} s")
    except aiohttp.ClientConnectorCertificateError as exc:
        reason = f"TLS certificate rejected: {exc.certificate_error}"
        return _failed(current, started, reason, unreachable=True)
    except aiohttp.ClientSSLError as exc:
        return _failed(current, started, f"TLS handshake failed: {exc}", unreachable=True)
    except aiohttp.ClientConnectorDNSError as exc:
        return _failed(current, started, f"DNS lookup failed: {exc}", unreachable=True)
    except aiohttp.ClientConnectorError as exc:
        reason = f"connection failed: {exc.os_error or exc}"
        return _failed(current, started, reason, unreachable=True)
    except aiohttp.ServerDisconnectedError:
        return _failed(current, started, "server closed the connection without an answer")
    except aiohttp.ClientPayloadError as exc:
        return _failed(current, started, f"body broken off: {exc}")
    except aiohttp.ClientResponseError as exc:
        # Raised for malformed status lines and oversized headers.
        return _failed(current, started, f"malformed HTTP answer: {exc.message}")
    except (aiohttp.ClientError, OSError, ValueError) as exc:
        return _failed(current, started, f"{type(exc).__name__}: {exc}")


async def _once(
    session: aiohttp.ClientSession, request: ProbeRequest, body_limit: int, started: float
) -> Exchange:
    async with session.request(
        request.method,
        URL(request.url, encoded=True),
        headers=dict(request.headers),
        data=request.body or None,
        allow_redirects=False,
    ) as response:
        raw = await _read_capped(response, body_limit)
        headers = _flatten(response.headers)
        elapsed = (time.perf_counter() - started) * 1000
        if raw is None:
            return _failed(request, started, f"body larger than {body_limit} bytes", response)
        body = _decompress(raw, headers.get("content-encoding", ""), body_limit)
        if body is None:
            return _failed(
                request, started, f"body decompresses to more than {body_limit} bytes", response
            )
        return Exchange(
            request=request, status=response.status, headers=headers, body=body, elapsed_ms=elapsed
        )


async def _read_capped(response: aiohttp.ClientResponse, limit: int) -> bytes | None:
    """The body, or None when it is longer than ``limit`` (we stop reading there)."""
    if response.content_length is not None and response.content_length > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _decompress(raw: bytes, encoding: str, limit: int) -> bytes | None:
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return raw
    if encoding in ("gzip", "x-gzip", "deflate"):
        wbits = 47 if encoding != "deflate" else 15  # 47: gzip or zlib header, auto-detected
        try:
            inflater = zlib.decompressobj(wbits)
            out = inflater.decompress(raw, limit + 1)
        except zlib.error:
            return raw  # not really compressed: let the checks see what was sent
        if len(out) > limit or inflater.unconsumed_tail:
            return None
        return out
    return raw  # br, zstd...: we did not ask for them; checks will see raw bytes


def _flatten(headers: Mapping[str, str]) -> dict[str, str]:
    """One entry per header name, lower case; repeated headers joined as RFC 9110 allows."""
    flat: dict[str, str] = {}
    for raw_name, raw_value in headers.items():
        key, value = _header_text(raw_name).lower(), _header_text(raw_value)
        flat[key] = f"{flat[key]}, {value}" if key in flat else value
    return flat


def _next_hop(request: ProbeRequest, exchange: Exchange) -> ProbeRequest | None:
    """The request a redirect leads to, or None when ``exchange`` is the answer to judge.

    Only a redirect on the same origin is followed: another origin is not the target, and
    whatever credentials the request carries are for the target alone.
    """
    location = exchange.headers.get("location")
    if not request.follow_redirects or exchange.status not in _REDIRECTS or not location:
        return None
    old = URL(request.url)
    try:
        new = old.join(URL(location))
        if new.origin() != old.origin():
            return None
    except ValueError:  # a Location that is no URL (or no http one): judge the answer
        return None
    if exchange.status == 303:
        return ProbeRequest(method="GET", url=str(new), headers=dict(request.headers))
    return replace(request, url=str(new))


def _header_text(value: str) -> str:
    """A header as text, bytes that are not UTF-8 kept as ``\\xNN`` escapes.

    aiohttp hands them over as lone surrogates (``surrogateescape``), which no UTF-8 writer
    accepts: left as they are, one such header from a target lost the whole run's report.
    """
    if value.isascii():
        return value
    try:
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        return printable(value)


def _failed(
    request: ProbeRequest,
    started: float,
    error: str,
    response: aiohttp.ClientResponse | None = None,
    *,
    unreachable: bool = False,
) -> Exchange:
    return Exchange(
        request=request,
        status=response.status if response is not None else None,
        headers=_flatten(response.headers) if response is not None else {},
        elapsed_ms=(time.perf_counter() - started) * 1000,
        error=error,
        unreachable=unreachable,
    )
