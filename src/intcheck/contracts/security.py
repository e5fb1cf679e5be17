"""Which contract credential serves which OpenAPI security scheme, and what validate warns.

A contract may give several credentials (``auth:`` as a list); each operation's security
requirement names the schemes it wants, all of one alternative together. ``serves`` matches a
credential to a scheme (by the ``scheme:`` it names, else by its kind), ``unserved`` says which
schemes an operation would lack, and ``probe_warnings`` turns that (and ``probe.data`` names no
parameter carries) into the warnings ``intcheck validate`` prints.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from intcheck.contracts.openapi import list_operations
from intcheck.contracts.yamlsrc import escape
from intcheck.data import field_key
from intcheck.model import Diagnostic, Level

if TYPE_CHECKING:
    from intcheck.contracts.openapi import OpenApiDocument
    from intcheck.model import Auth, SourceRef


@dataclass(frozen=True, slots=True)
class SecurityScheme:
    """One entry of ``components.securitySchemes``, flattened."""

    name: str
    type: str  # http | apiKey | oauth2 | openIdConnect | mutualTLS
    http_scheme: str = ""  # for http: bearer, basic, ...
    location: str = ""  # for apiKey: header, query or cookie
    key: str = ""  # for apiKey: the header, query or cookie name

    def describe(self) -> str:
        if self.type == "apiKey":
            return f"API key in {self.location} {self.key}"
        if self.type == "http":
            return f"HTTP {self.http_scheme}"
        return self.type

    def example(self) -> str:
        """An ``auth:`` entry that would serve this scheme, for hints."""
        if self.type == "apiKey" and self.location in ("header", "query"):
            return f"{{type: apikey, {self.location}: {self.key}, value: ${{MY_KEY}}}}"
        if self.type == "http" and self.http_scheme == "basic":
            return "{type: basic, username: ${MY_USER}, password: ${MY_PASSWORD}}"
        if self.type == "apiKey":
            return f"{{type: apikey, scheme: {self.name}, value: ${{MY_KEY}}}}"
        return "{type: bearer, token: ${MY_TOKEN}}"


def security_schemes(document: OpenApiDocument) -> dict[str, SecurityScheme]:
    """The document's security schemes by name."""
    found = {}
    raw = document.data.get("components", {}).get("securitySchemes", {}) or {}
    for name, node in raw.items():
        scheme = document.resolve(node)
        if not isinstance(scheme, dict):
            continue
        found[str(name)] = SecurityScheme(
            name=str(name),
            type=str(scheme.get("type", "")),
            http_scheme=str(scheme.get("scheme", "")).lower(),
            location=str(scheme.get("in", "")),
            key=str(scheme.get("name", "")),
        )
    return found


def serves(credential: Auth, scheme: SecurityScheme) -> bool:
    """Whether ``credential`` is meant for ``scheme`` (named by ``scheme:``, else by its type)."""
    if credential.scheme:
        return credential.scheme == scheme.name
    if credential.type == "bearer":
        return (scheme.type == "http" and scheme.http_scheme == "bearer") or scheme.type in (
            "oauth2",
            "openIdConnect",
        )
    if credential.type == "basic":
        return scheme.type == "http" and scheme.http_scheme == "basic"
    if scheme.type != "apiKey":
        return False
    if scheme.location == "header":
        return credential.header.lower() == scheme.key.lower()
    return scheme.location == "query" and credential.query == scheme.key


def requirements(document: OpenApiDocument, path: str, method: str) -> list[dict[str, Any]]:
    """The operation's security alternatives (any one suffices; each lists schemes needed together).

    An empty alternative (``{}``) means the operation may be called without credentials.
    """
    item = document.resolve(document.data["paths"][path])
    node = item.get(method.lower(), {}) if isinstance(item, dict) else {}
    found = node.get("security", document.data.get("security", []))
    return [r if isinstance(r, dict) else {} for r in found] if isinstance(found, list) else []


def unserved(
    alternatives: list[dict[str, Any]],
    schemes: dict[str, SecurityScheme],
    credentials: tuple[Auth, ...],
) -> list[str]:
    """The schemes lacking credentials, when no alternative can be met; [] when one can."""
    missing: list[str] = []
    for alternative in alternatives:
        lacking = [
            name
            for name in alternative
            if name not in schemes or not any(serves(c, schemes[name]) for c in credentials)
        ]
        if not lacking:
            return []
        missing += [name for name in lacking if name not in missing]
    return missing


def probe_warnings(
    document: OpenApiDocument | None,
    data: Mapping[str, Any],
    credentials: tuple[Auth, ...],
    ref: Callable[[str], SourceRef],
) -> list[Diagnostic]:
    """What the probe will not be able to do with this contract, as warnings for ``validate``.

    An operation whose security scheme has no credentials in ``auth`` is skipped by the probe;
    a ``probe.data`` name that no parameter carries is never used; a ``scheme:`` naming no
    scheme of the document serves nothing.
    """
    if document is None:
        return []
    auth = data.get("auth")
    schemes = security_schemes(document)
    found: list[Diagnostic] = []

    def warn(pointer: str, field_path: str, message: str, hint: str, rule: str) -> None:
        found.append(
            Diagnostic(
                source=ref(pointer),
                field=field_path,
                message=message,
                hint=hint,
                level=Level.WARNING,
                rule=rule,
            )
        )

    for index, credential in enumerate(credentials):
        if credential.scheme and credential.scheme not in schemes:
            pointer = f"/auth/{index}/scheme" if isinstance(auth, list) else "/auth/scheme"
            close = difflib.get_close_matches(credential.scheme, list(schemes), n=1)
            hint = f"did you mean {close[0]!r}?" if close else _known("schemes", schemes)
            warn(
                pointer,
                pointer[1:].replace("/", "."),
                f"no security scheme {credential.scheme!r} in the spec",
                hint,
                "unknown-scheme",
            )
    skipped: dict[str, list[str]] = {}
    names: set[str] = set()
    for operation in list_operations(document, data.get("name", "")):
        alternatives = requirements(document, operation.path, operation.method)
        if alternatives and {} not in alternatives:
            for scheme in unserved(alternatives, schemes, credentials):
                skipped.setdefault(scheme, []).append(operation.name)
        names |= _parameter_names(document, operation.path, operation.method)
    for scheme, operations in skipped.items():
        known = schemes.get(scheme)
        shown = ", ".join(operations[:3]) + (", …" if len(operations) > 3 else "")
        warn(
            "/auth" if auth else "/name",
            "auth" if auth else "",
            f"security scheme {scheme!r} ({known.describe() if known else 'not declared'}) has "
            f"no credentials in the contract: the probe skips the {len(operations)} "
            f"operation{'s' if len(operations) != 1 else ''} that require it ({shown})",
            f"add to auth: {known.example()}" if known else "declare the scheme in the spec",
            "missing-credentials",
        )
    probe = data.get("probe") or {}
    by_key = {field_key(n): n for n in names}
    for name in probe.get("data") or {}:
        if field_key(name) not in by_key:
            close = difflib.get_close_matches(name, sorted(names), n=1)
            warn(
                f"/probe/data/{escape(name)}",
                f"probe.data.{name}",
                f"no parameter or body field of the spec is named {name!r}: its values are unused",
                f"did you mean {close[0]!r}?" if close else "",
                "unused-data",
            )
    return found


def _known(what: str, names: dict[str, Any]) -> str:
    return f"known {what}: {', '.join(sorted(names))}" if names else f"the spec declares no {what}"


def _parameter_names(document: OpenApiDocument, path: str, method: str) -> set[str]:
    """Names of the operation's parameters and of its JSON body's top-level properties."""
    item = document.resolve(document.data["paths"][path])
    node = item.get(method.lower(), {})
    names = set()
    for raw in [*item.get("parameters", []), *node.get("parameters", [])]:
        param = document.resolve(raw)
        if isinstance(param, dict) and "name" in param:
            names.add(str(param["name"]))
    body = document.resolve(node.get("requestBody")) if isinstance(node, dict) else None
    for media in (body or {}).get("content", {}).values() if isinstance(body, dict) else ():
        schema = document.resolve(media.get("schema")) if isinstance(media, dict) else None
        if isinstance(schema, dict):
            names |= {str(k) for k in schema.get("properties", {}) or {}}
    return names
