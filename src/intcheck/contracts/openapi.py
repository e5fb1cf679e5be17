"""Load an OpenAPI 3.0/3.1 document, check it with openapi-spec-validator, list its operations.

What stops us from using a document (unreadable, not OpenAPI 3.x, no paths, a ``$ref`` that
points nowhere) is an error; what the validator finds beyond that is a warning, because
real-world documents are often slightly wrong and still worth mocking and probing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator

from intcheck.contracts.yamlsrc import SourceDoc, YamlSyntaxError, escape, parse_document
from intcheck.model import Diagnostic, Level, Operation

if TYPE_CHECKING:
    from pathlib import Path

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
                    aliases=(op["operationId"],) if isinstance(op.get("operationId"), str) else (),
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
