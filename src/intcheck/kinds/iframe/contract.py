"""An iframe contract's fields as typed values, and the rules JSON Schema cannot say.

``read`` (in ``__init__``) calls ``settings_from`` once per contract file: rules across fields
(two pages on one path, a handshake whose steps share a type, a mock setup word that names
nothing) become diagnostics with the contract line, and the typed ``IframeSettings`` travel
as the contract's ``document``. Mock, probe and browser read them with ``IframeSettings.of``,
so every default lives here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from intcheck.contracts.yamlsrc import escape

if TYPE_CHECKING:
    from intcheck.contracts.source import ContractSource
    from intcheck.model import Contract

FRAMINGS = (
    "allow",
    "deny",
    "sameorigin",
    "none",
    "conflict",
    "allow-from",
    "exclude",
    "login-redirect",
)
COOKIE_SETUPS = ("samesite-none", "lax", "unset", "insecure", "off")
HANDSHAKES = ("good", "silent", "wrong-nonce", "wildcard", "no-origin-check")
DEFAULT_SESSION_COOKIE = "SESSIONID"
DEFAULT_HANDSHAKE_MS = 5000.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Setup:
    """What the mock page sends: its framing headers, its session cookie, its handshake."""

    framing: str = "allow"
    cookies: str = "samesite-none"
    handshake: str = "good"

    def with_words(self, words: str) -> Setup:
        """This setup changed by ``deny+lax``-style words (the admin API's ``force.example``)."""
        changed = self
        for word in filter(None, (w.strip() for w in words.split("+"))):
            changed = replace(changed, **{_dimension(word): word})
        return changed

    @property
    def words(self) -> str:
        return f"{self.framing}+{self.cookies}+{self.handshake}"


def _dimension(word: str) -> str:
    """Which part of a setup ``word`` names; ValueError for a word that names none."""
    for name, values in (("framing", FRAMINGS), ("cookies", COOKIE_SETUPS)):
        if word in values:
            return name
    if word in HANDSHAKES:
        return "handshake"
    every = ", ".join((*FRAMINGS, *COOKIE_SETUPS, *HANDSHAKES))
    raise ValueError(f"{word!r} is no mock page setup; setups: {every}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Handshake:
    """The postMessage handshake a page declares: ready, context with a nonce, ack."""

    ready: str = "ready"
    context: str = "context"
    ack: str = "ack"
    origin: str = ""  # the page's origin as the CRM allows it; "" means the target's
    timeout_ms: float = DEFAULT_HANDSHAKE_MS


@dataclass(frozen=True, slots=True, kw_only=True)
class Page:
    """One embedded page: its path below the target, and what the mock serves for it."""

    path: str
    title: str = ""
    handshake: Handshake | None = None
    setup: Setup = field(default_factory=Setup)

    @property
    def operation(self) -> str:
        return f"embed {self.path}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Requirements:
    """What the contract requires of every page beyond rendering in the frame."""

    https: bool = False
    frame_ancestors: bool = True
    cookies_samesite_none: bool = True
    session_cookies: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class IframeSettings:
    """Every iframe-specific field of one contract, with its defaults."""

    embedder: str
    pages: tuple[Page, ...]
    require: Requirements = field(default_factory=Requirements)
    expect_status: tuple[str, ...] = ("2XX",)
    max_ms: float | None = None

    @classmethod
    def of(cls, contract: Contract) -> IframeSettings:
        """The settings ``read`` stored as the contract's document."""
        if not isinstance(contract.document, IframeSettings):
            raise TypeError(f"{contract.name} was not read as an iframe contract")
        return contract.document

    def page(self, operation: str) -> Page:
        return next(p for p in self.pages if p.operation == operation)

    @property
    def cookie_name(self) -> str:
        """The session cookie the mock page sets."""
        return (self.require.session_cookies or (DEFAULT_SESSION_COOKIE,))[0]


def settings_from(source: ContractSource) -> IframeSettings | None:
    """The typed settings of a schema-valid contract file; None after reporting an error."""
    data = source.data
    before = len(source.diagnostics)
    mock = data.get("mock", {}) or {}
    default = Setup(
        framing=mock.get("framing", "allow"),
        cookies=mock.get("cookies", "samesite-none"),
        handshake=mock.get("handshake", "good"),
    )
    pages = tuple(_page(entry, default) for entry in data["pages"])
    _check_pages(source, data["pages"])
    _check_forced_setups(source, mock.get("operations", {}) or {})
    if len(source.diagnostics) > before:
        return None
    require = data.get("require", {}) or {}
    expect = data.get("expect", {}) or {}
    status = expect.get("status")
    return IframeSettings(
        embedder=str(data["embedder"]).lower(),
        pages=pages,
        require=Requirements(
            https=require.get("https", False),
            frame_ancestors=require.get("frame_ancestors", True),
            cookies_samesite_none=require.get("cookies_samesite_none", True),
            session_cookies=tuple(require.get("session_cookies", ())),
        ),
        expect_status=(str(status).upper(),) if status is not None else ("2XX",),
        max_ms=expect.get("max_ms"),
    )


def _page(entry: Mapping[str, Any], default: Setup) -> Page:
    own = entry.get("mock", {}) or {}
    setup = replace(default, **{k: v for k, v in own.items() if k in Setup.__slots__})
    handshake = entry.get("postmessage")
    return Page(
        path=entry["path"],
        title=entry.get("title", ""),
        handshake=None
        if handshake is None
        else Handshake(
            ready=handshake.get("ready", "ready"),
            context=handshake.get("context", "context"),
            ack=handshake.get("ack", "ack"),
            origin=str(handshake.get("origin", "")).lower(),
            timeout_ms=float(handshake.get("timeout_ms", DEFAULT_HANDSHAKE_MS)),
        ),
        setup=setup,
    )


def _check_pages(source: ContractSource, pages: list[Mapping[str, Any]]) -> None:
    seen: dict[str, int] = {}
    for index, entry in enumerate(pages):
        path = entry["path"]
        if path in seen:
            source.error(
                f"/pages/{index}/path",
                f"{path} is listed twice (first as pages[{seen[path]}])",
                hint="each page is one operation: give each its own path",
                rule="duplicate-page",
            )
        seen.setdefault(path, index)
        if "#" in path:
            source.error(
                f"/pages/{index}/path",
                f"expected a path without a fragment, got {path!r}",
                hint="a fragment never reaches the server, so it cannot change what is checked",
                rule="page-fragment",
            )
        handshake = entry.get("postmessage") or {}
        steps = [handshake.get(k, k) for k in ("ready", "context", "ack")]
        if len(set(steps)) < 3:
            source.error(
                f"/pages/{index}/postmessage",
                f"expected three different message types, got {', '.join(steps)}",
                hint="ready, context and ack must be told apart: ready: erp.ready, "
                "context: crm.context, ack: erp.ack",
                rule="handshake-types",
            )


def _check_forced_setups(source: ContractSource, operations: Mapping[str, Any]) -> None:
    """``mock.operations.<page>.force.example`` names a page setup: ``deny``, ``deny+lax``."""
    for name, behaviour in operations.items():
        example = ((behaviour or {}).get("force") or {}).get("example")
        if example is None:
            continue
        try:
            Setup().with_words(str(example))
        except ValueError as exc:
            source.error(
                f"/mock/operations/{escape(str(name))}/force/example",
                str(exc),
                hint="join a framing, a cookie and a handshake setup with +: deny+lax",
                rule="unknown-setup",
            )
