"""OpenAPI schemas as JSON Schema 2020-12, and validators compiled from them.

Kind-neutral: REST uses it for OpenAPI documents, and any kind with JSON Schemas can reuse it.
OpenAPI 3.0 schemas are rewritten once into 2020-12 (``nullable``, boolean ``exclusiveMinimum``,
``$ref`` siblings), per direction: a request never has to carry ``readOnly`` properties and a
response never carries ``writeOnly`` ones. Validators are compiled once with ``jsonschema_rs``
against a registry holding the whole converted document, so local ``$ref``s resolve.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jsonschema_rs

from intcheck.contracts.yamlsrc import escape

_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SINGLE = (
    "items",
    "additionalProperties",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
    "additionalItems",
)
_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_INT_FORMATS = {"int32": 32, "int64": 64}


def convert_schema(
    node: Any,
    *,
    openapi30: bool,
    direction: str,
    resolve: Callable[[str], Any],
    discriminators: bool = False,
) -> Any:
    """An OpenAPI schema rewritten as JSON Schema 2020-12 for ``direction`` (request/response).

    ``resolve`` maps a local ``$ref`` to the original schema, to see whether a referenced
    property is readOnly or writeOnly. With ``discriminators``, a ``oneOf``/``anyOf`` with a
    discriminator becomes "the tag names a branch and that branch holds" (for judging answers;
    the generator reads the discriminator itself).
    """
    if not isinstance(node, dict):
        return node
    if openapi30 and "$ref" in node:
        # 3.0 ignores $ref siblings; nullable beside a $ref is still meant, so honour it.
        ref = {"$ref": node["$ref"]}
        return {"anyOf": [ref, {"type": "null"}]} if node.get("nullable") is True else ref
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _MAPS and isinstance(value, dict):
            out[key] = {
                k: convert_schema(
                    v,
                    openapi30=openapi30,
                    direction=direction,
                    resolve=resolve,
                    discriminators=discriminators,
                )
                for k, v in value.items()
            }
        elif key in _SINGLE or (key in _LISTS and isinstance(value, list)):
            conv = [value] if key in _SINGLE else value
            done = [
                convert_schema(
                    v,
                    openapi30=openapi30,
                    direction=direction,
                    resolve=resolve,
                    discriminators=discriminators,
                )
                for v in conv
            ]
            out[key] = done[0] if key in _SINGLE else done
        else:
            out[key] = value
    if openapi30:
        for bound, flag_key in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
            flag = out.get(flag_key)
            if isinstance(flag, bool):
                del out[flag_key]
                if flag and bound in out:
                    out[flag_key] = out.pop(bound)
        if out.pop("nullable", False) is True:
            out = _nullable(out)
    bits = _INT_FORMATS.get(out.get("format", ""))
    if bits is not None and "integer" in str(out.get("type")):
        # OpenAPI's int32/int64 formats are ranges; JSON Schema validators ignore them.
        low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
        out["minimum"] = max(out.get("minimum", low), low)
        out["maximum"] = min(out.get("maximum", high), high)
    hidden = "readOnly" if direction == "request" else "writeOnly"
    props = node.get("properties")
    if isinstance(out.get("required"), list) and isinstance(props, dict):
        out["required"] = [
            name for name in out["required"] if not _flag(props.get(name), hidden, resolve)
        ]
    discriminator = node.get("discriminator")
    if discriminators and isinstance(discriminator, dict):
        out = _discriminated(out, discriminator)
    return out


def _discriminated(schema: dict[str, Any], discriminator: dict[str, Any]) -> dict[str, Any]:
    """Replace ``oneOf``/``anyOf`` by: the tag names a branch, and that branch must hold."""
    prop = discriminator.get("propertyName")
    key = "oneOf" if "oneOf" in schema else "anyOf" if "anyOf" in schema else None
    if not isinstance(prop, str) or key is None:
        return schema
    mapping: dict[str, str] = {}
    for tag, target in (discriminator.get("mapping") or {}).items():
        mapping[str(tag)] = target if target.startswith("#") else f"#/components/schemas/{target}"
    for branch in schema[key]:
        ref = branch.get("$ref") if isinstance(branch, dict) else None
        if isinstance(ref, str) and ref not in mapping.values():
            mapping[ref.rsplit("/", 1)[-1]] = ref
    if not mapping:
        return schema
    out = {k: v for k, v in schema.items() if k != key}
    rules: list[dict[str, Any]] = [
        {"required": [prop], "properties": {prop: {"enum": sorted(mapping)}}}
    ]
    rules += [
        {"if": {"properties": {prop: {"const": tag}}}, "then": {"$ref": ref}}
        for tag, ref in sorted(mapping.items())
    ]
    out["allOf"] = [*out.get("allOf", []), *rules]
    return out


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    kind = schema.get("type")
    if isinstance(kind, str):
        schema["type"] = [kind, "null"]
    if isinstance(schema.get("enum"), list) and None not in schema["enum"]:
        schema["enum"] = [*schema["enum"], None]
    if kind is None and any(k in schema for k in ("allOf", "oneOf", "anyOf", "$ref", "not")):
        return {"anyOf": [schema, {"type": "null"}]}
    return schema


def _flag(schema: Any, name: str, resolve: Callable[[str], Any]) -> bool:
    for _ in range(8):
        if not isinstance(schema, dict):
            return False
        if schema.get(name) is True:
            return True
        ref = schema.get("$ref")
        if not isinstance(ref, str):
            return False
        try:
            schema = resolve(ref)
        except (KeyError, IndexError, ValueError, TypeError):
            return False
    return False


@dataclass(frozen=True, slots=True)
class SchemaError:
    """One broken rule: where in the instance (JSON pointer), which keyword, and why."""

    pointer: str
    rule: str
    message: str


class SchemaValidator:
    """A compiled validator for one schema inside a registered document."""

    def __init__(self, schema: Any, registry: Any | None = None) -> None:
        try:
            self._impl: Any = jsonschema_rs.validator_for(
                schema, registry=registry, validate_formats=True
            )
        except (ValueError, jsonschema_rs.ValidationError):
            # A pattern the Rust engine cannot compile: fall back to no format/pattern checks
            # rather than refusing to serve the whole contract.
            self._impl = jsonschema_rs.validator_for(
                _strip_patterns(schema), registry=registry, validate_formats=False
            )
        self.is_valid: Callable[[Any], bool] = self._impl.is_valid  # the Rust call itself

    def errors(self, instance: Any, limit: int = 10) -> list[SchemaError]:
        """The first ``limit`` broken rules; [] (cheaply) when the instance is valid."""
        if self._impl.is_valid(instance):
            return []
        found = []
        for error in self._impl.iter_errors(instance):
            pointer = "".join("/" + escape(str(p)) for p in error.instance_path)
            path = [p for p in error.schema_path if isinstance(p, str)]
            found.append(SchemaError(pointer, path[-1] if path else "schema", error.message))
            if len(found) >= limit:
                break
        return found


def _strip_patterns(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip_patterns(v) for k, v in node.items() if k != "pattern"}
    if isinstance(node, list):
        return [_strip_patterns(v) for v in node]
    return node
