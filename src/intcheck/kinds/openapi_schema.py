"""OpenAPI schemas judged the way JSON Schema means them, for the probe.

* OpenAPI 3.0 dialect rewritten to 2020-12: ``nullable``, boolean ``exclusiveMinimum`` /
  ``exclusiveMaximum``, ``readOnly`` properties not required in requests and ``writeOnly`` ones
  not required in responses, and ``discriminator`` (the tag picks the one branch to check, so an
  ambiguous ``oneOf`` cannot raise a false alarm).
* ``multipleOf`` in decimal arithmetic: binary floats make ``0.3 / 0.1`` come out as
  2.9999999999999996, which plain jsonschema reports as a violation.
* The first error reported with its instance pointer and the spec location of the rule broken.

The mock's ``kinds/jsonschema_gen.py`` has a sibling conversion (for jsonschema_rs); this one
stays with the probe because it needs python-jsonschema's keyword overrides.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Iterator
from fractions import Fraction
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError, best_match

_MAPS = ("properties", "patternProperties", "$defs", "dependentSchemas")
_SINGLE = ("items", "additionalProperties", "not", "if", "then", "else", "contains")
_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")


def convert(node: Any, *, direction: str, resolve: Callable[[str], Any]) -> Any:
    """``node`` (OpenAPI 3.0/3.1 schema) as JSON Schema 2020-12 for ``direction``."""
    if not isinstance(node, dict):
        return node
    if "$ref" in node and len(node) > 1 and node.get("nullable") is True:
        return {"anyOf": [{"$ref": node["$ref"]}, {"type": "null"}]}
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _MAPS and isinstance(value, dict):
            out[key] = {
                k: convert(v, direction=direction, resolve=resolve) for k, v in value.items()
            }
        elif key in _SINGLE:
            out[key] = convert(value, direction=direction, resolve=resolve)
        elif key in _LISTS and isinstance(value, list):
            out[key] = [convert(v, direction=direction, resolve=resolve) for v in value]
        elif key not in ("nullable", "discriminator", "example", "xml", "externalDocs"):
            out[key] = value
    for bound, flag in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        if isinstance(out.get(flag), bool) and out.pop(flag) and bound in out:
            out[flag] = out.pop(bound)
    if node.get("nullable") is True:
        out = _nullable(out)
    hidden = "readOnly" if direction == "request" else "writeOnly"
    props = node.get("properties")
    if isinstance(out.get("required"), list) and isinstance(props, dict):
        out["required"] = [
            p for p in out["required"] if not _flagged(props.get(p), hidden, resolve)
        ]
    discriminator = node.get("discriminator")
    if isinstance(discriminator, dict):
        out = _discriminated(out, discriminator)
    return out


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    kind = schema.get("type")
    if isinstance(kind, str):
        schema["type"] = [kind, "null"]
        if isinstance(schema.get("enum"), list) and None not in schema["enum"]:
            schema["enum"] = [*schema["enum"], None]
        return schema
    return {"anyOf": [schema, {"type": "null"}]}


def _flagged(schema: Any, flag: str, resolve: Callable[[str], Any]) -> bool:
    for _ in range(16):
        if not isinstance(schema, dict):
            return False
        if schema.get(flag) is True:
            return True
        if not isinstance(schema.get("$ref"), str):
            return False
        schema = resolve(schema["$ref"])
    return False


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


def _multiple_of(
    validator: Any, step: Any, instance: Any, schema: Any
) -> Iterator[ValidationError]:
    """``multipleOf`` on the decimal text of the numbers, which is what JSON carries."""
    if not validator.is_type(instance, "number"):
        return
    if isinstance(step, float) or isinstance(instance, float):
        # Exact arithmetic on the shortest decimal text of each float (what the JSON said).
        try:
            quotient = Fraction(decimal.Decimal(repr(instance))) / Fraction(
                decimal.Decimal(repr(step))
            )
        except (ValueError, OverflowError, ArithmeticError):  # NaN, Infinity, a zero step
            ok = False
        else:
            ok = quotient.denominator == 1
    else:
        ok = instance % step == 0
    if not ok:
        yield ValidationError(f"{instance!r} is not a multiple of {step!r}")


JsonValidator: Any = validators.extend(  # type: ignore[no-untyped-call]
    Draft202012Validator, {"multipleOf": _multiple_of}
)


def validator_for(schema: Any) -> Any:
    """A 2020-12 validator with decimal ``multipleOf`` and format assertions switched on."""
    return JsonValidator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


class CompiledSchema:
    """One schema, judged fast by jsonschema_rs and in detail by python-jsonschema.

    The Rust engine answers "valid" for most bodies in microseconds; only when it objects does
    the Python validator (decimal ``multipleOf``, schema locations) decide and explain, so a
    false alarm from either engine alone never becomes a finding.
    """

    def __init__(self, schema: Any) -> None:
        self.schema = schema
        self.python = validator_for(schema)
        try:
            self.fast: Any = jsonschema_rs.validator_for(schema, validate_formats=True)
        except (ValueError, jsonschema_rs.ValidationError):
            self.fast = None  # e.g. a regex the Rust engine cannot compile

    def is_valid(self, instance: Any) -> bool:
        if self.fast is not None and self.fast.is_valid(instance):
            return True
        return bool(self.python.is_valid(instance))

    def first_error(self, instance: Any, root_pointer: str) -> dict[str, str] | None:
        if self.fast is not None and self.fast.is_valid(instance):
            return None
        return first_error(self.python, instance, root_pointer)


def first_error(validator: Any, instance: Any, root_pointer: str) -> dict[str, str] | None:
    """The most relevant error as {message, instance_pointer, schema_location}, or None."""
    error = best_match(validator.iter_errors(instance))
    if error is None:
        return None
    pointer = "".join("/" + _escape(str(p)) for p in error.absolute_path)
    return {
        "message": error.message if len(error.message) < 300 else error.message[:300] + "…",
        "instance_pointer": pointer,
        "schema_location": schema_location(validator.schema, error, root_pointer),
    }


def schema_location(root: Any, error: ValidationError, root_pointer: str) -> str:
    """Follow the error's schema path through ``$ref``s to a pointer into the spec.

    jsonschema leaves ``$ref`` out of the path when it follows one, so a token the current
    node lacks means: follow this node's ``$ref`` first.
    """
    node, pointer = root, root_pointer
    for token in error.absolute_schema_path:
        for _ in range(16):
            ref = node.get("$ref") if isinstance(node, dict) else None
            if not isinstance(ref, str) or (token in node and token != "$ref"):
                break
            pointer = ref[1:] if ref.startswith("#") else ref
            try:
                node = _at(root, pointer)
            except (KeyError, IndexError, ValueError, TypeError):
                return "#" + pointer
        if token == "$ref":
            continue
        pointer += "/" + _escape(str(token))
        try:
            node = node[int(token)] if isinstance(node, list) else node[token]
        except (KeyError, IndexError, ValueError, TypeError):
            node = None
    return "#" + pointer


def _at(root: Any, pointer: str) -> Any:
    node = root
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def generate_value(schema: Any, components: Any, *, name: str = "", depth: int = 0) -> Any:
    """A simple deterministic value valid for ``schema`` (refs resolve into ``components``)."""
    if not isinstance(schema, dict) or depth > 8:
        return "probe"
    if isinstance(schema.get("$ref"), str):
        try:
            target = _at({"components": components}, schema["$ref"][1:])
        except (KeyError, IndexError, ValueError, TypeError):
            return "probe"
        return generate_value(target, components, name=name, depth=depth + 1)
    for key in ("allOf", "anyOf", "oneOf"):
        if schema.get(key):
            merged: dict[str, Any] = {}
            parts = schema[key] if key == "allOf" else schema[key][:1]
            for part in parts:
                value = generate_value(part, components, name=name, depth=depth + 1)
                if not isinstance(value, dict):
                    return value
                merged.update(value)
            return merged
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return next((v for v in schema["enum"] if v is not None), schema["enum"][0])
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        props = schema.get("properties", {})
        wanted = list(schema.get("required", []))
        # minProperties: add optional properties, in document order, until there are enough
        wanted += [p for p in props if p not in wanted][
            : max(0, int(schema.get("minProperties", 0)) - len(wanted))
        ]
        return {
            prop: generate_value(props.get(prop, {}), components, name=prop, depth=depth + 1)
            for prop in wanted
        }
    if kind == "array":
        count = max(1, int(schema.get("minItems", 1)))
        return [
            generate_value(schema.get("items", {}), components, name=name, depth=depth + 1)
        ] * count
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0) + 1)
        step = schema.get("multipleOf")
        value = max(low, 1)
        if step:
            value = (int(value // step) + 1) * step
        return int(value) if kind == "integer" else float(value)
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return _string(schema, name)


def _string(schema: dict[str, Any], name: str) -> str:
    formats = {
        "date-time": "2026-01-01T09:00:00Z",
        "date": "2026-01-01",
        "email": "probe@example.com",
        "uuid": "00000000-0000-4000-8000-000000000000",
        "uri": "https://example.com/",
    }
    if isinstance(schema.get("pattern"), str):
        made = _matching(schema["pattern"])
        if made is not None:
            return made
    text = formats.get(str(schema.get("format")), "probe-" + (name or "value"))
    low, high = int(schema.get("minLength", 0)), int(schema.get("maxLength", 1 << 16))
    return (text + "x" * max(0, low - len(text)))[:high]


def _matching(pattern: str) -> str | None:
    """The shortest simple string matching ``pattern`` (literals, classes, repeats, groups)."""
    import re
    import re._parser as sre  # type: ignore[import-not-found]

    try:
        parsed = sre.parse(pattern)
    except re.error:
        return None
    made = _emit(list(parsed))
    if made is None or re.search(pattern, made) is None:
        return None
    return made


def _emit(items: list[Any]) -> str | None:
    import re._constants as c  # type: ignore[import-not-found]

    out = []
    for op, arg in items:
        if op is c.LITERAL:
            out.append(chr(arg))
        elif op is c.IN:
            first = _first_in(arg)
            if first is None:
                return None
            out.append(first)
        elif op is c.ANY:
            out.append("x")
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT):
            low, _high, body = arg
            part = _emit(list(body))
            if part is None:
                return None
            out.append(part * max(low, 0))
        elif op is c.SUBPATTERN:
            part = _emit(list(arg[-1]))
            if part is None:
                return None
            out.append(part)
        elif op is c.BRANCH:
            part = _emit(list(arg[1][0]))
            if part is None:
                return None
            out.append(part)
        elif op is c.AT:
            continue
        else:
            return None
    return "".join(out)


def _first_in(arg: list[Any]) -> str | None:
    import re._constants as c

    for op, value in arg:
        if op is c.LITERAL:
            return chr(value)
        if op is c.RANGE:
            return chr(value[0])
        if op is c.CATEGORY:
            return {c.CATEGORY_DIGIT: "0", c.CATEGORY_WORD: "a", c.CATEGORY_SPACE: " "}.get(
                value, "a"
            )
        if op is c.NEGATE:
            return None
    return None
