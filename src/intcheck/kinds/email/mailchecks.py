"""Checks on the mail the CRM sent, as the mock relay captured it.

Each check is a plain function ``(message, rules) -> MailVerdict`` named as its claim; only
what the contract wrote down is asserted exactly (the From address, the DKIM selector), the
rest is conformance (a link that parses, a text part beside the HTML). ``check_message`` runs
them all; the admin API shows the verdicts with each message, and a test or a probe can call
it on any ``CapturedMessage``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import dkim

from intcheck.kinds.email.contract import domain_of
from intcheck.model import Status

if TYPE_CHECKING:
    from intcheck.kinds.email.capture import CapturedMessage
    from intcheck.kinds.email.contract import MailRules

# Template syntaxes whose markers reach customers when a merge field was not filled.
PLACEHOLDERS = re.compile(
    r"\{\{\s*[\w.\[\]'\" -]{1,60}\s*\}\}"  # {{ name }}: Jinja, Handlebars, Liquid
    r"|%[A-Z][A-Z0-9_]{1,40}%"  # %FIRSTNAME%: classic mail-merge
    r"|\$\{[\w.]{1,60}\}"  # ${name}: shell, Java EL, JS templates
    r"|\*\|[A-Z0-9_]{1,40}\|\*"  # *|FNAME|*: Mailchimp merge tags
    r"|\[(?:First|Last|Full|Company|Customer|Contact|Account)_?Name\]",  # [FirstName]
    re.IGNORECASE,
)
_URL_IN_TEXT = re.compile(r"\bhttps?://[^\s<>\"')\]]+", re.IGNORECASE)
LINK_SCHEMES = ("http", "https", "mailto", "tel")


@dataclass(frozen=True, slots=True)
class MailVerdict:
    """One check's outcome on one message."""

    name: str
    status: Status
    message: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"check": self.name, "status": self.status.value, "message": self.message}


def _passed(name: str) -> MailVerdict:
    return MailVerdict(name, Status.PASSED)


def _skipped(name: str, why: str) -> MailVerdict:
    return MailVerdict(name, Status.SKIPPED, why)


def from_is_as_contracted(message: CapturedMessage, rules: MailRules) -> MailVerdict:
    name = "from_is_as_contracted"
    found = [address for _, address in message.addresses("from")]
    if not rules.sender and not rules.domains:
        return _skipped(name, "the contract names no mail.from and no mail.domains")
    if len(found) != 1:
        return MailVerdict(name, Status.FAILED, f"expected one From address, got {found or 'none'}")
    if rules.sender and found[0].lower() != rules.sender.lower():
        return MailVerdict(
            name, Status.FAILED, f"From is {found[0]}, the contract says {rules.sender}"
        )
    if rules.domains and domain_of(found[0]) not in rules.domains:
        allowed = ", ".join(rules.domains)
        return MailVerdict(name, Status.FAILED, f"From {found[0]} is outside the domains {allowed}")
    return _passed(name)


def reply_to_is_as_contracted(message: CapturedMessage, rules: MailRules) -> MailVerdict:
    name = "reply_to_is_as_contracted"
    if not rules.reply_to:
        return _skipped(name, "the contract names no mail.reply_to")
    found = [address.lower() for _, address in message.addresses("reply-to")]
    if found == [rules.reply_to.lower()]:
        return _passed(name)
    return MailVerdict(
        name,
        Status.FAILED,
        f"Reply-To is {', '.join(found) or 'missing'}, expected {rules.reply_to}",
    )


def no_unresolved_placeholders(message: CapturedMessage, rules: MailRules) -> MailVerdict:
    name = "no_unresolved_placeholders"
    for where, text in (
        ("subject", message.subject),
        ("text", message.text),
        ("html", message.html),
    ):
        found = PLACEHOLDERS.search(text)
        if found:
            return MailVerdict(
                name,
                Status.FAILED,
                f"unresolved template placeholder {found.group(0)!r} in the {where}",
            )
    return _passed(name)


def html_has_text_alternative(message: CapturedMessage, rules: MailRules) -> MailVerdict:
    name = "html_has_text_alternative"
    if not message.html:
        return _skipped(name, "the message has no HTML part")
    if not message.text.strip():
        return MailVerdict(
            name,
            Status.FAILED,
            "HTML without a text/plain alternative: text-only clients and spam filters see nothing",
        )
    return _passed(name)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("a", "area"):
            self.links += [value or "" for key, value in attrs if key == "href"]


def links(message: CapturedMessage) -> list[str]:
    """Every link of the message: HTML hrefs, then URLs written in the text part."""
    parser = _Links()
    parser.feed(message.html)
    parser.close()
    return parser.links + _URL_IN_TEXT.findall(message.text)


def link_problem(link: str) -> str:
    """Why a link in a mail will not work ("" when it parses as an absolute link)."""
    text = link.strip()
    if not text or text.startswith("#"):
        return ""  # an in-page anchor: nothing to resolve
    if PLACEHOLDERS.search(text) or any(c in text for c in " \t\n{}"):
        return "contains spaces, braces or a template placeholder"
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 (raises ValueError for a port out of range or not a number)
    except ValueError as exc:
        return f"does not parse: {exc}"
    if not parts.scheme:
        return "is relative: a mail has no base URL to resolve it against"
    if parts.scheme.lower() not in LINK_SCHEMES:
        return f"uses the scheme {parts.scheme!r}"
    if parts.scheme.lower() in ("http", "https") and not parts.hostname:
        return "has no host"
    return ""


def links_parse(message: CapturedMessage, rules: MailRules) -> MailVerdict:
    name = "links_parse"
    found = links(message)
    if not found:
        return _skipped(name, "the message has no links")
    for link in found:
        problem = link_problem(link)
        if problem:
            return MailVerdict(name, Status.FAILED, f"link {link[:120]!r} {problem}")
    return _passed(name)


def dkim_signature_verifies(message: CapturedMessage, rules: MailRules) -> MailVerdict:
    name = "dkim_signature_verifies"
    key = rules.dkim
    if key is None:
        return _skipped(name, "the contract names no mail.dkim selector and key")
    fields = _signature_tags(message)
    if fields is None:
        return MailVerdict(
            name, Status.FAILED, f"not DKIM-signed; the contract says s={key.selector}"
        )
    selector, domain = fields.get("s", ""), fields.get("d", "").lower()
    if (selector, domain) != (key.selector, key.domain):
        return MailVerdict(
            name,
            Status.FAILED,
            f"signed with s={selector} d={domain}, "
            f"the contract says s={key.selector} d={key.domain}",
        )
    wanted = f"{key.selector}._domainkey.{key.domain}.".encode()

    # The key comes from the contract, never from DNS: the check must not depend on the network.
    def from_contract(name: bytes, timeout: int = 5) -> bytes | None:
        return key.record if name.lower() == wanted.lower() else None

    try:
        verified = dkim.DKIM(message.raw, minkey=1024).verify(dnsfunc=from_contract)
    except dkim.DKIMException as exc:
        return MailVerdict(name, Status.FAILED, f"the DKIM signature does not verify: {exc}")
    if not verified:
        return MailVerdict(name, Status.FAILED, "the DKIM signature does not verify")
    return _passed(name)


def _signature_tags(message: CapturedMessage) -> dict[str, str] | None:
    header = message.headers.get_all("DKIM-Signature")
    if not header:
        return None
    tags = {}
    for item in "".join(str(header[0]).split()).split(";"):
        key, _, value = item.partition("=")
        if key:
            tags[key] = value
    return tags


MailCheck = Callable[["CapturedMessage", "MailRules"], MailVerdict]
MAIL_CHECKS: tuple[MailCheck, ...] = (
    from_is_as_contracted,
    reply_to_is_as_contracted,
    no_unresolved_placeholders,
    html_has_text_alternative,
    links_parse,
    dkim_signature_verifies,
)


def check_message(message: CapturedMessage, rules: MailRules) -> list[MailVerdict]:
    """Every mail check on ``message``; computed once and kept with the message."""
    if message.results is None:
        message.results = [check(message, rules) for check in MAIL_CHECKS]
    return list(message.results)
