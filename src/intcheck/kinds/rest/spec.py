"""The compiled OpenAPI document of one REST contract: converted schemas, operations, routes.

Everything the spec says is compiled once when the mock is built (routes, parameter styles,
validators, the responses and their examples), so a request only runs compiled code.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import jsonschema_rs
from faker import Faker

from intcheck.contracts.openapi import HTTP_METHODS, follow_refs, resolve_pointer
from intcheck.contracts.yamlsrc import escape
from intcheck.kinds.rest.request import Param, RequestBody, compile_security
from intcheck.kinds.rest.router import Router
from intcheck.kinds.rest.shape import Shapes
from intcheck.kinds.schema_convert import SchemaValidator, convert_schema
from intcheck.kinds.valuegen import Generator

if TYPE_CHECKING:
    from intcheck.kinds.rest.state import Resource

JSON = "application/json"


@dataclass(slots=True)
class Reply:
    """One documented response of an operation, ready to render."""

    status: str  # "200", "4XX" or "default"
    media_type: str | None
    schema: Any  # converted (response direction) schema, or None
    examples: dict[str, Any]
    headers: list[tuple[str, Any, Any]]  # name, schema, example
    validator: SchemaValidator | None


@dataclass(slots=True)
class Op:
    """One operation with everything compiled that a request needs."""

    name: str
    method: str
    template: str
    params: list[Param]
    body: RequestBody | None
    security: list[list[tuple[str, str, str]]]
    replies: dict[str, Reply]
    success: str
    resource: Resource | None = None

    def documents(self, status: int) -> bool:
        return str(status) in self.replies

    def reply_for(self, status: int) -> Reply | None:
        return (
            self.replies.get(str(status))
            or self.replies.get(f"{str(status)[0]}XX")
            or self.replies.get("default")
        )


class Spec:
    """The compiled OpenAPI document of one contract: converted schemas, operations, router."""

    def __init__(self, data: Mapping[str, Any], name: str, seed: int) -> None:
        data = self.data = _json_safe(data)
        openapi30 = str(data.get("openapi", "")).startswith("3.0")
        # Requests are judged as the probe judges (a discriminator's tag picks the one branch
        # that must hold), so the mock never refuses a request the probe calls valid. Answers
        # are made and checked by the plain oneOf, which strict clients (Schemathesis, any
        # JSON Schema validator) apply: valid for both, whatever the judge.
        self.request_doc = _convert_document(
            data, openapi30=openapi30, direction="request", discriminators=True
        )
        self.response_doc = _convert_document(data, openapi30=openapi30, direction="response")
        self._uri = {
            "request": f"urn:intcheck:{quote(name)}:request",
            "response": f"urn:intcheck:{quote(name)}:response",
        }
        self.registry = jsonschema_rs.Registry(
            [(self._uri["request"], self.request_doc), (self._uri["response"], self.response_doc)]
        )
        self.rng = random.Random(seed)
        faker = Faker()
        faker.seed_instance(seed)
        self._checks: dict[int, tuple[Any, SchemaValidator]] = {}
        self.generator = Generator(self.response_doc, rng=self.rng, faker=faker, check=self.check)
        self.shapes = Shapes(self.generator)
        self.request_generator = Generator(
            self.request_doc, rng=self.rng, faker=faker, direction="request"
        )
        self.ops: list[Op] = []
        paths = data.get("paths") or {}
        for template, item in paths.items():
            item, item_ptr = self.follow(item, "/paths/" + escape(template))
            if not isinstance(item, dict):
                continue
            for method in HTTP_METHODS:
                if isinstance(item.get(method), dict):
                    self.ops.append(self._compile(template, method, item, item_ptr))
        self.router = Router(self.ops)

    def follow(self, node: Any, pointer: str) -> tuple[Any, str]:
        """Follow OpenAPI-level ``$ref``s, tracking the pointer of the value reached."""
        return follow_refs(self.data, node, pointer)

    def validator(self, direction: str, pointer: str) -> SchemaValidator:
        ref = f"{self._uri[direction]}#{quote(pointer, safe='/~')}"
        return SchemaValidator({"$ref": ref}, self.registry)

    def converted(self, direction: str, pointer: str) -> Any:
        doc = self.request_doc if direction == "request" else self.response_doc
        return resolve_pointer(doc, "#" + pointer)

    def check(self, schema: Any, value: Any) -> bool:
        """Is ``value`` valid against ``schema``, a node of the converted response document?"""
        return self.checker(schema)(value)

    def checker(self, schema: Any) -> Callable[[Any], bool]:
        """``check`` for one schema, compiled once (by the node itself: an id() alone could
        name another node once the first is gone)."""
        found = self._checks.get(id(schema))
        if found is None or found[0] is not schema:
            wrapped = {"allOf": [schema], "components": self.response_doc.get("components", {})}
            found = self._checks[id(schema)] = (schema, SchemaValidator(wrapped, self.registry))
        return found[1].is_valid

    def _compile(self, template: str, method: str, item: dict[str, Any], item_ptr: str) -> Op:
        op_ptr = f"{item_ptr}/{method}"
        node = item[method]
        params: dict[tuple[str, str], Param] = {}
        for owner, owner_ptr in ((item, item_ptr), (node, op_ptr)):
            for index, raw in enumerate(owner.get("parameters") or []):
                param, ptr = self.follow(raw, f"{owner_ptr}/parameters/{index}")
                if isinstance(param, dict) and "name" in param and "in" in param:
                    compiled = self._param(param, ptr)
                    params[(compiled.location, compiled.name)] = compiled
        body = None
        if isinstance(node.get("requestBody"), dict):
            raw_body, body_ptr = self.follow(node["requestBody"], op_ptr + "/requestBody")
            body = self._body(raw_body, body_ptr)
        replies: dict[str, Reply] = {}
        for status, raw_reply in (node.get("responses") or {}).items():
            reply, reply_ptr = self.follow(raw_reply, f"{op_ptr}/responses/{escape(str(status))}")
            key = str(status).upper() if str(status).lower() != "default" else "default"
            if isinstance(reply, dict):
                replies[key] = self._reply(key, reply, reply_ptr)
        documented = sorted(s for s in replies if s[:1] in "23" and s.isascii() and s.isdigit())
        success = documented[0] if documented else ("default" if "default" in replies else "")
        security = node.get("security", self.data.get("security")) or []
        schemes = (self.data.get("components") or {}).get("securitySchemes") or {}
        return Op(
            name=f"{method.upper()} {template}",
            method=method.upper(),
            template=template,
            params=list(params.values()),
            body=body,
            security=compile_security(security, schemes, self.follow),
            replies=replies,
            success=success,
        )

    def _param(self, param: dict[str, Any], ptr: str) -> Param:
        location = param["in"]
        schema_ptr, is_json = ptr + "/schema", False
        if "schema" not in param and isinstance(param.get("content"), dict) and param["content"]:
            media = next(iter(param["content"]))
            schema_ptr = f"{ptr}/content/{escape(media)}/schema"
            is_json = "json" in media
        has_schema = _exists(self.data, schema_ptr)
        style = param.get("style") or ("form" if location in ("query", "cookie") else "simple")
        return Param(
            name=param["name"],
            location=location,
            required=bool(param.get("required")) or location == "path",
            style=style,
            explode=bool(param.get("explode", style == "form")),
            schema=self._deref(self.converted("request", schema_ptr)) if has_schema else {},
            validator=self.validator("request", schema_ptr) if has_schema else None,
            is_json=is_json,
            resolve=self._deref,
        )

    def _body(self, body: dict[str, Any], ptr: str) -> RequestBody:
        media: dict[str, tuple[SchemaValidator | None, Any]] = {}
        for media_type, content in (body.get("content") or {}).items():
            schema_ptr = f"{ptr}/content/{escape(media_type)}/schema"
            if isinstance(content, dict) and "schema" in content:
                schema = self._deref(self.converted("request", schema_ptr))
                media[media_type.lower()] = (self.validator("request", schema_ptr), schema)
            else:
                media[media_type.lower()] = (None, {})
        return RequestBody(required=bool(body.get("required")), media=media, resolve=self._deref)

    def _reply(self, status: str, reply: dict[str, Any], ptr: str) -> Reply:
        content = reply.get("content") or {}
        media_type = _pick_media(list(content))
        schema, validator, examples = None, None, {}
        if media_type is not None:
            media = content[media_type] or {}
            schema_ptr = f"{ptr}/content/{escape(media_type)}/schema"
            if "schema" in media:
                schema = self.converted("response", schema_ptr)
                validator = self.validator("response", schema_ptr)
            for ex_name, example in (media.get("examples") or {}).items():
                example, _ = self.follow(example, "")
                if isinstance(example, dict) and "value" in example:
                    examples[ex_name] = example["value"]
            if "example" in media:
                examples.setdefault("example", media["example"])
        headers = []
        for name, raw_header in (reply.get("headers") or {}).items():
            header, header_ptr = self.follow(raw_header, f"{ptr}/headers/{escape(name)}")
            if not isinstance(header, dict) or name.lower() == "content-type":
                continue
            header_schema = (
                self.converted("response", header_ptr + "/schema") if "schema" in header else {}
            )
            headers.append((name, header_schema, header.get("example")))
        return Reply(status, media_type, schema, examples, headers, validator)

    def _deref(self, schema: Any) -> Any:
        return self.request_generator._deref(schema)


def _pick_media(types: list[str]) -> str | None:
    for media in types:
        if media.split(";")[0].strip().lower() in (JSON, "application/problem+json"):
            return media
    for media in types:
        if "json" in media.lower():
            return media
    return types[0] if types else None


def _json_safe(node: Any) -> Any:
    """YAML dates and datetimes (in examples, enums, defaults) as the strings JSON carries."""
    if isinstance(node, dict):
        return {str(k): _json_safe(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_json_safe(v) for v in node]
    if isinstance(node, datetime):
        return node.isoformat().replace("+00:00", "Z")
    if isinstance(node, date):
        return node.isoformat()
    return node


def _exists(data: Any, pointer: str) -> bool:
    try:
        resolve_pointer(data, "#" + pointer)
    except (KeyError, IndexError, ValueError, TypeError):
        return False
    return True


def _convert_document(
    data: Mapping[str, Any], *, openapi30: bool, direction: str, discriminators: bool = False
) -> dict[str, Any]:
    """A copy of the document whose every schema is rewritten as JSON Schema 2020-12
    (``discriminators``: to judge values by, see ``schema_convert.convert_schema``)."""

    def resolve(ref: str) -> Any:
        return resolve_pointer(data, ref)

    def schema(node: Any) -> Any:
        return convert_schema(
            node,
            openapi30=openapi30,
            direction=direction,
            resolve=resolve,
            discriminators=discriminators,
        )

    def holder(node: Any) -> Any:  # parameter, header, media holder, request body, response
        if not isinstance(node, dict) or "$ref" in node:
            return node
        out = dict(node)
        if "schema" in out:
            out["schema"] = schema(out["schema"])
        if isinstance(out.get("content"), dict):
            out["content"] = {k: holder(v) for k, v in out["content"].items()}
        if isinstance(out.get("headers"), dict):
            out["headers"] = {k: holder(v) for k, v in out["headers"].items()}
        return out

    def operation(node: Any) -> Any:
        if not isinstance(node, dict):
            return node
        out = dict(node)
        if isinstance(out.get("parameters"), list):
            out["parameters"] = [holder(p) for p in out["parameters"]]
        if "requestBody" in out:
            out["requestBody"] = holder(out["requestBody"])
        if isinstance(out.get("responses"), dict):
            out["responses"] = {k: holder(v) for k, v in out["responses"].items()}
        return out

    converted = dict(data)
    components = dict(data.get("components") or {})
    if isinstance(components.get("schemas"), dict):
        components["schemas"] = {k: schema(v) for k, v in components["schemas"].items()}
    for section in ("parameters", "headers", "requestBodies", "responses"):
        if isinstance(components.get(section), dict):
            components[section] = {k: holder(v) for k, v in components[section].items()}
    converted["components"] = components
    paths = {}
    for template, item in (data.get("paths") or {}).items():
        if isinstance(item, dict):
            item = {k: (operation(v) if k in HTTP_METHODS else v) for k, v in item.items()}
            if isinstance(item.get("parameters"), list):
                item["parameters"] = [holder(p) for p in item["parameters"]]
        paths[template] = item
    converted["paths"] = paths
    return converted
