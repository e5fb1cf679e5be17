"""An OpenAPI operation as the REST probe sees it: resolved parameters, bodies, responses.

``SpecView`` converts and compiles schemas once per document; ``describe`` flattens one
operation (path-level and operation-level parameters, ``$ref`` chains followed) so that case
building and checks never walk the raw document themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from intcheck.contracts.openapi import follow_refs, resolve_pointer
from intcheck.contracts.security import requirements
from intcheck.contracts.yamlsrc import escape
from intcheck.kinds import openapi_schema
from intcheck.kinds.rest.encode import body_media

if TYPE_CHECKING:
    from intcheck.contracts.openapi import OpenApiDocument
    from intcheck.model import Operation

JSON_MEDIA = re.compile(r"^application/(.+\+)?json$")


@dataclass(slots=True)
class SpecView:
    """The OpenAPI document with converted schemas and compiled validators, cached."""

    document: OpenApiDocument
    _validators: dict[tuple[str, str], openapi_schema.CompiledSchema] = field(default_factory=dict)
    _components: dict[str, Any] = field(default_factory=dict)

    @property
    def openapi30(self) -> bool:
        """OpenAPI 3.0 schemas are a dialect (nullable, boolean exclusive bounds); 3.1's are not."""
        return self.document.version.startswith("3.0")

    def resolve(self, node: Any) -> Any:
        return self.document.resolve(node)

    def where(self, node: Any, pointer: str) -> str:
        """Where ``node`` really lives: the target of its ``$ref`` chain, else ``pointer``."""
        return follow_refs(self.document.data, node, pointer)[1]

    def schema(self, pointer: str, direction: str) -> openapi_schema.CompiledSchema:
        """The converted schema at ``pointer``, as a root that local refs resolve against."""
        key = (pointer, direction)
        if key not in self._validators:
            root = self.components(direction)
            node = resolve_pointer(self.document.data, "#" + pointer)
            converted = openapi_schema.convert(
                node, direction=direction, resolve=self.original, openapi30=self.openapi30
            )
            schema = {**converted, "components": root} if isinstance(converted, dict) else converted
            self._validators[key] = openapi_schema.CompiledSchema(schema)
        return self._validators[key]

    def body_schema(self, pointer: str) -> Any:
        """The converted request schema at ``pointer`` with its ``$ref`` chain followed."""
        node = openapi_schema.convert(
            resolve_pointer(self.document.data, "#" + pointer),
            direction="request",
            resolve=self.original,
            openapi30=self.openapi30,
        )
        return follow_refs({"components": self.components("request")}, node, "")[0]

    def original(self, ref: str) -> Any:
        return resolve_pointer(self.document.data, ref)

    def components(self, direction: str) -> Any:
        if direction not in self._components:
            schemas = self.document.data.get("components", {}).get("schemas", {})
            self._components[direction] = {
                "schemas": {
                    name: openapi_schema.convert(
                        s, direction=direction, resolve=self.original, openapi30=self.openapi30
                    )
                    for name, s in schemas.items()
                }
            }
        return self._components[direction]


@dataclass(slots=True)
class OperationView:
    operation: Operation
    operation_id: str  # the spec's operationId, "" when it has none
    params: list[dict[str, Any]]
    body_pointer: str  # the schema of the body the probe sends; "" when it sends none
    body_media: str  # the media type it sends the body as (``encode.body_media``)
    body_required: bool
    body_unbuildable: str  # the declared media types when none of them can be built, else ""
    responses: dict[str, dict[str, Any]]  # status -> resolved response object
    response_pointers: dict[str, str]  # status -> where that response object really lives
    requirements: list[dict[str, Any]]  # security alternatives; [] declares none

    @property
    def secured(self) -> bool:
        """Whether the spec wants credentials: a requirement, and no ``{}`` alternative."""
        return bool(self.requirements) and {} not in self.requirements

    def param(self, name: str, where: str) -> dict[str, Any] | None:
        return next(
            (p for p in self.params if p["name"] == name and p.get("in", "query") == where), None
        )

    def success_schema_pointers(self) -> list[str]:
        """Pointers to the JSON schemas of the documented 2xx answers."""
        found = []
        for code, response in self.responses.items():
            if not code.startswith("2") and code.upper() != "2XX":
                continue
            for media, node in (response.get("content") or {}).items():
                if JSON_MEDIA.match(media.split(";")[0].strip().lower()) and "schema" in node:
                    found.append(f"{self.response_pointers[code]}/content/{escape(media)}/schema")
        return found


def describe(spec: SpecView, operation: Operation) -> OperationView:
    data = spec.document.data
    path_pointer = f"/paths/{escape(operation.path)}"
    pointer = f"{path_pointer}/{operation.method.lower()}"
    item = spec.resolve(data["paths"][operation.path])
    node = item[operation.method.lower()]
    params: dict[tuple[str, str], dict[str, Any]] = {}
    for raw in [*item.get("parameters", []), *node.get("parameters", [])]:
        param = spec.resolve(raw)
        if isinstance(param, dict) and "name" in param:
            params[(param["name"], param.get("in", "query"))] = param
    body = spec.resolve(node.get("requestBody")) if "requestBody" in node else None
    body_pointer = body_media_key = unbuildable = ""
    content = body.get("content") if isinstance(body, dict) else None
    if isinstance(content, dict) and content:
        chosen = body_media(content)
        if chosen is None:
            unbuildable = ", ".join(content)
        else:
            body_media_key = chosen
            if "schema" in (content[chosen] or {}):
                body_pointer = spec.where(node["requestBody"], pointer + "/requestBody")
                body_pointer += f"/content/{escape(chosen)}/schema"
    raw_responses = node.get("responses") or {}
    responses = {str(code): spec.resolve(resp) for code, resp in raw_responses.items()}
    response_pointers = {
        str(code): spec.where(resp, f"{pointer}/responses/{escape(str(code))}")
        for code, resp in raw_responses.items()
    }
    return OperationView(
        operation=operation,
        operation_id=str(node.get("operationId") or ""),
        params=list(params.values()),
        body_pointer=body_pointer,
        body_media=body_media_key,
        body_required=bool(isinstance(body, dict) and body.get("required")),
        body_unbuildable=unbuildable,
        responses=responses,
        response_pointers=response_pointers,
        requirements=requirements(spec.document, operation.path, operation.method),
    )
