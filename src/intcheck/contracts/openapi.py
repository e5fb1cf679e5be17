"""Load an OpenAPI 3.0/3.1 document, check it with openapi-spec-validator, list its operations.

What stops us from using a document (unreadable, not OpenAPI 3.x, no paths, a ``$ref`` that
points nowhere) is an error; what the validator finds beyond that is a warning, because
real-world documents are often slightly wrong and still worth mocking and probing.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator

from intcheck.contracts.yamlsrc import SourceDoc, YamlSyntaxError, escape, parse_document
from intcheck.data import field_key
from intcheck.model import Auth, Diagnostic, Level, Operation

if TYPE_CHECKING:
    from pathlib import Path

    from intcheck.model import SourceRef

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_UNRESOLVED_PARAM = re.compile(r"for '(\w+)' operation in '([^']+)'")


@dataclass(slots=True)
class OpenApiDocument:
    """A parsed OpenAPI document and where each of its values sits in the file."""

    path: Path
    data: dict[str, Any]
    source: SourceDoc = field(repr=False)

    @property
    def version(self) -> str:
        return str(self.data.get("openapi", ""))

    def resolve(self, node: Any) -> Any:
        """Follow local ``$ref``s until a value that is not a reference."""
        return follow_refs(self.data, node, "")[0]


def follow_refs(root: Any, node: Any, pointer: str) -> tuple[Any, str]:
    """Follow ``node``'s chain of local ``$ref``s: the value reached and where it lives.

    ``pointer`` is where ``node`` itself sits; it is returned unchanged when ``node`` is not a
    reference. Chains longer than 32 stop where they are (a cycle, in a broken document).
    """
    for _ in range(32):
        if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
            break
        pointer = node["$ref"][1:]
        node = resolve_pointer(root, node["$ref"])
    return node, pointer


def resolve_pointer(root: Any, ref: str) -> Any:
    """The value at a local reference such as ``#/components/schemas/Customer``."""
    if not ref.startswith("#"):
        raise KeyError(ref)
    node = root
    for token in ref[1:].split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


@dataclass(slots=True)
class OpenApiLoad:
    document: OpenApiDocument | None
    operations: list[Operation]
    diagnostics: list[Diagnostic]


def load_openapi(path: Path, contract_name: str) -> OpenApiLoad:
    """Parse, validate and list the operations of the OpenAPI document at ``path``."""
    try:
        source = parse_document(path)
    except YamlSyntaxError as exc:
        return OpenApiLoad(None, [], [exc.diagnostic])
    data = source.data
    found: list[Diagnostic] = []

    def problem(
        pointer: str, message: str, level: Level = Level.ERROR, rule: str = "openapi"
    ) -> None:
        found.append(
            Diagnostic(
                source=source.ref(pointer), field="", message=message, level=level, rule=rule
            )
        )

    if not isinstance(data, dict):
        problem("", "not an OpenAPI document: expected a mapping at the top")
        return OpenApiLoad(None, [], found)
    version = str(data.get("openapi", ""))
    if not version.startswith(("3.0", "3.1")):
        got = (
            f"'{version}'"
            if version
            else ("Swagger 2.0" if "swagger" in data else "no openapi field")
        )
        problem(
            "/openapi" if version else "", f"expected an OpenAPI 3.0 or 3.1 document, got {got}"
        )
        return OpenApiLoad(None, [], found)
    if not isinstance(data.get("paths"), dict):
        problem("/paths" if "paths" in data else "", "OpenAPI document has no paths mapping")
        return OpenApiLoad(None, [], found)

    for pointer, ref in _local_refs(data, ""):
        try:
            resolve_pointer(data, ref)
        except (KeyError, IndexError, ValueError, TypeError):
            if ref.startswith("#"):
                problem(
                    pointer, f"$ref {ref!r} points to nothing in this document", rule="openapi-ref"
                )
            else:
                problem(
                    pointer, f"$ref {ref!r} to another file is not supported", rule="openapi-ref"
                )
    if found:
        return OpenApiLoad(None, [], found)

    validator_class = (
        OpenAPIV31SpecValidator if version.startswith("3.1") else OpenAPIV30SpecValidator
    )
    try:
        errors = list(validator_class(data, base_uri=path.resolve().as_uri()).iter_errors())
    except Exception as exc:
        errors = []
        problem("", f"OpenAPI validator could not check the document: {exc}", Level.WARNING)
    for error in errors:
        pointer = _error_pointer(error)
        message = str(getattr(error, "message", error)).splitlines()[0]
        problem(pointer, f"OpenAPI: {message}", Level.WARNING, rule="openapi-validation")

    document = OpenApiDocument(path=path, data=data, source=source)
    return OpenApiLoad(document, list_operations(document, contract_name), found)


def list_operations(document: OpenApiDocument, contract_name: str) -> list[Operation]:
    operations = []
    for template, item in document.data["paths"].items():
        item = document.resolve(item)
        if not isinstance(item, dict):
            continue
        for method in HTTP_METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            operations.append(
                Operation(
                    contract=contract_name,
                    name=f"{method.upper()} {template}",
                    summary=str(op.get("summary") or op.get("operationId") or ""),
                    method=method.upper(),
                    path=template,
                    source=document.source.ref(f"/paths/{escape(template)}/{method}"),
                )
            )
    return operations


def _local_refs(node: Any, pointer: str) -> list[tuple[str, str]]:
    refs: list[tuple[str, str]] = []
    stack = [(node, pointer)]
    while stack:
        value, where = stack.pop()
        if isinstance(value, dict):
            ref = value.get("$ref")
            if isinstance(ref, str):
                refs.append((where + "/$ref", ref))
            stack.extend((v, f"{where}/{escape(str(k))}") for k, v in value.items() if k != "$ref")
        elif isinstance(value, list):
            stack.extend((v, f"{where}/{i}") for i, v in enumerate(value))
    return refs


def _error_pointer(error: Any) -> str:
    path = list(getattr(error, "absolute_path", None) or [])
    if path:
        return "".join("/" + escape(str(p)) for p in path)
    match = _UNRESOLVED_PARAM.search(str(error))
    if match:
        return f"/paths/{escape(match.group(2))}/{match.group(1)}"
    return ""


# -- security: which contract credential serves which scheme -------------------------------


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
    data: dict[str, Any],
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
