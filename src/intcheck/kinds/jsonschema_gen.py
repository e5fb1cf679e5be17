"""JSON Schema as OpenAPI uses it: conversion to 2020-12, compiled validators, value generation.

Kind-neutral: REST uses it for OpenAPI documents, and any kind with JSON Schemas can reuse it.
OpenAPI 3.0 schemas are rewritten once into 2020-12 (``nullable``, boolean ``exclusiveMinimum``,
``$ref`` siblings), per direction: a request never has to carry ``readOnly`` properties and a
response never carries ``writeOnly`` ones. Validators are compiled once with ``jsonschema_rs``
against a registry holding the whole converted document, so local ``$ref``s resolve.
"""

from __future__ import annotations

import functools
import importlib
import math
import random
import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jsonschema_rs
from faker import Faker

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

    def is_valid(self, instance: Any) -> bool:
        return bool(self._impl.is_valid(instance))

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


class Generator:
    """Values that satisfy a JSON Schema 2020-12 (as converted above), from Faker and a seed.

    ``root`` is the converted document that local ``$ref``s point into; ``direction`` decides
    whether readOnly (request) or writeOnly (response) properties are left out.
    """

    def __init__(
        self,
        root: Mapping[str, Any],
        *,
        rng: random.Random,
        faker: Faker,
        direction: str = "response",
        max_depth: int = 4,
        check: Callable[[Any, Any], bool] | None = None,
    ) -> None:
        self.root = root
        self.rng = rng
        self.faker = faker
        self.hidden = "writeOnly" if direction == "response" else "readOnly"
        self.max_depth = max_depth
        self.check = check  # (schema, value) -> valid?; used to pick a oneOf branch
        self._full = False  # include every optional property of the next object
        self._ref = ""  # the $ref that led to the schema being generated, for discriminators
        self._formats: dict[str, Callable[[], str]] | None = None

    def resolve(self, ref: str) -> Any:
        node: Any = self.root
        for token in ref.split("#", 1)[-1].split("/")[1:]:
            token = token.replace("~1", "/").replace("~0", "~")
            node = node[int(token)] if isinstance(node, list) else node[token]
        return node

    def generate(self, schema: Any, *, name: str = "", depth: int = 0) -> Any:
        """One value valid against ``schema``; recursion stops adding optional parts at depth."""
        if schema is True or not isinstance(schema, dict):
            return "value"
        if "$ref" in schema:
            target = self.resolve(schema["$ref"])
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            target = self._merge([target, rest]) if rest else target
            outer, self._ref = self._ref, schema["$ref"]
            try:
                return self.generate(target, name=name, depth=depth + 1)
            finally:
                self._ref = outer
        if "allOf" in schema:
            parts = [self._deref(s) for s in schema["allOf"]]
            merged = self._merge([*parts, {k: v for k, v in schema.items() if k != "allOf"}])
            return self.generate(merged, name=name, depth=depth)
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            choices = [v for v in schema["enum"] if v is not None] or list(schema["enum"])
            return self.rng.choice(choices)
        for key in ("oneOf", "anyOf"):
            if key in schema:
                return self._choose(schema, key, name, depth)
        kind = schema.get("type")
        if isinstance(kind, list):
            kinds = [k for k in kind if k != "null"]
            kind = kinds[0] if kinds else "null"
        if kind is None:
            kind = _infer_type(schema)
        make = getattr(self, f"_gen_{kind}", None)
        return make(schema, name, depth) if make else "value"

    def _deref(self, schema: Any) -> Any:
        for _ in range(16):
            if isinstance(schema, dict) and "$ref" in schema and len(schema) == 1:
                schema = self.resolve(schema["$ref"])
            else:
                break
        if isinstance(schema, dict) and "allOf" in schema:
            parts = [self._deref(s) for s in schema["allOf"]]
            return self._merge([*parts, {k: v for k, v in schema.items() if k != "allOf"}])
        return schema

    def _merge(self, parts: list[Any]) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for part in parts:
            if not isinstance(part, dict):
                continue
            for key, value in part.items():
                if key == "properties" and isinstance(value, dict):
                    merged["properties"] = {**merged.get("properties", {}), **value}
                elif key == "required" and isinstance(value, list):
                    merged["required"] = sorted({*merged.get("required", []), *value})
                elif key == "allOf":
                    inner = self._merge([self._deref(s) for s in value])
                    merged = self._merge([merged, inner])
                elif key not in merged or key in ("type",):
                    merged[key] = value
        return merged

    def _choose(self, schema: dict[str, Any], key: str, name: str, depth: int) -> Any:
        branches = list(schema[key])
        rest = {k: v for k, v in schema.items() if k not in (key, "discriminator")}
        order = sorted(range(len(branches)), key=lambda i: _is_null(branches[i]))
        value: Any = None
        for attempt, index in enumerate(order * 2):
            branch = branches[index]
            # second round: every optional property, to rule out the other branches
            self._full = attempt >= len(order)
            value = self.generate(
                self._merge([rest, self._deref(branch)]) if rest else branch, name=name, depth=depth
            )
            self._full = False
            value = self._discriminate(schema, branch, value)
            if self.check is None or key == "anyOf" or attempt >= 2 * len(order) - 1:
                return value
            matches = sum(1 for b in branches if self.check(b, value))
            if matches == 1:
                return value
        return value

    def _discriminate(self, schema: dict[str, Any], branch: Any, value: Any) -> Any:
        disc = schema.get("discriminator")
        if not isinstance(disc, dict) or not isinstance(value, dict):
            return value
        prop = disc.get("propertyName")
        ref = branch.get("$ref", "") if isinstance(branch, dict) else ""
        if not prop or not ref:
            return value
        inherited = self._deref(branch).get("discriminator") if isinstance(branch, dict) else None
        mapping = disc.get("mapping") or (inherited or {}).get("mapping") or {}
        tags = [
            tag
            for tag, target in mapping.items()
            if target == ref or target.endswith("/" + ref.rsplit("/", 1)[-1])
        ]
        value[prop] = tags[0] if tags else ref.rsplit("/", 1)[-1]
        return value

    def _gen_null(self, schema: dict[str, Any], name: str, depth: int) -> Any:
        return None

    def _gen_boolean(self, schema: dict[str, Any], name: str, depth: int) -> bool:
        return self.rng.random() < 0.5

    def _gen_object(self, schema: dict[str, Any], name: str, depth: int) -> dict[str, Any]:
        props: dict[str, Any] = schema.get("properties") or {}
        required = [p for p in schema.get("required", []) if isinstance(p, str)]
        deep = depth >= self.max_depth
        out: dict[str, Any] = {}
        full = self._full
        for prop, sub in props.items():
            if prop not in required and not full and (deep or self.rng.random() < 0.3):
                continue
            if prop not in required and self._hidden(sub):
                continue
            out[prop] = self.generate(sub, name=prop, depth=depth + 1)
        extra = schema.get("additionalProperties", True)
        for prop in required:
            if prop not in out:
                out[prop] = self.generate(
                    extra if isinstance(extra, dict) else {}, name=prop, depth=depth + 1
                )
        disc = schema.get("discriminator")
        if isinstance(disc, dict) and isinstance(disc.get("propertyName"), str) and self._ref:
            # allOf inheritance: the tag names the schema we came from
            mapping = disc.get("mapping") or {}
            own = self._ref.rsplit("/", 1)[-1]
            tags = [t for t, target in mapping.items() if str(target).rsplit("/", 1)[-1] == own]
            out[disc["propertyName"]] = tags[0] if tags else own
        want = int(schema.get("minProperties", 0))
        counter = 0
        for prop, sub in props.items():
            if len(out) >= want:
                break
            if prop not in out:
                out[prop] = self.generate(sub, name=prop, depth=depth + 1)
        while len(out) < want and extra is not False and counter < 64:
            out[f"extra{counter}"] = self.generate(
                extra if isinstance(extra, dict) else {}, depth=depth + 1
            )
            counter += 1
        return out

    def _hidden(self, schema: Any) -> bool:
        schema = self._deref(schema)
        return isinstance(schema, dict) and schema.get(self.hidden) is True

    def _gen_array(self, schema: dict[str, Any], name: str, depth: int) -> list[Any]:
        low = int(schema.get("minItems", 0))
        high = int(schema.get("maxItems", low + 3))
        count = (
            low if depth >= self.max_depth else self.rng.randint(low, max(low, min(high, low + 2)))
        )
        if (
            count == 0
            and depth < self.max_depth
            and high > 0
            and (self._full or self.rng.random() < 0.8)
        ):
            count = 1
        prefix = schema.get("prefixItems") or []
        items = schema.get("items", {})
        out: list[Any] = []
        seen: set[str] = set()
        for index in range(count * 4):
            if len(out) >= count:
                break
            sub = prefix[len(out)] if len(out) < len(prefix) else items
            value = self.generate(sub, name=name.rstrip("s"), depth=depth + 1)
            if schema.get("uniqueItems"):
                key = repr(value)
                if key in seen and index < count * 4 - 1:
                    continue
                seen.add(key)
            out.append(value)
        return out

    def _gen_integer(self, schema: dict[str, Any], name: str, depth: int) -> int:
        low, high = _bounds(schema, 1.0, integer=True)
        step = schema.get("multipleOf")
        if isinstance(step, int | float) and step > 0:
            first, last = math.ceil(low / step), math.floor(high / step)
            if first <= last:
                return int(self.rng.randint(first, last) * step)
        return self.rng.randint(math.ceil(low), max(math.ceil(low), math.floor(high)))

    def _gen_number(self, schema: dict[str, Any], name: str, depth: int) -> float | int:
        low, high = _bounds(schema, 1e-3, integer=False)
        step = schema.get("multipleOf")
        if isinstance(step, int | float) and step > 0:
            first, last = math.ceil(low / step), math.floor(high / step)
            digits = max(0, -math.floor(math.log10(step))) if step < 1 else 0
            for _ in range(20):
                value = round(self.rng.randint(first, max(first, last)) * step, digits)
                if (value / step) == int(value / step) and low <= value <= high:
                    return value
            return int(step) if float(step).is_integer() else step
        return round(self.rng.uniform(low, high), 2) if high - low > 0.02 else low

    def _gen_string(self, schema: dict[str, Any], name: str, depth: int) -> str:
        low = int(schema.get("minLength", 0))
        high = int(schema.get("maxLength", max(low, 64)))
        pattern = schema.get("pattern")
        fmt = schema.get("format")
        for _ in range(12):
            if isinstance(pattern, str):
                value = generate_matching(pattern, self.rng, max_len=high)
            elif isinstance(fmt, str) and (made := self._format(fmt)) is not None:
                return made
            else:
                value = self._hinted(name)
            if low <= len(value) <= high:
                return value
            if pattern is None:
                if len(value) > high:
                    return value[:high]
                return value + "".join(self.rng.choices(string.ascii_lowercase, k=low - len(value)))
        return value

    def _format(self, fmt: str) -> str | None:
        if self._formats is None:
            self._formats = self._format_table()
        make = self._formats.get(fmt)
        return make() if make else None

    def _moment(self) -> datetime:
        return datetime(2020, 1, 1, tzinfo=UTC) + timedelta(
            seconds=self.rng.randint(0, 200_000_000)
        )

    def _format_table(self) -> dict[str, Callable[[], str]]:
        """Makers per string format, built once: a table per call cost more than the value."""
        f, rng = self.faker, self.rng
        return {
            "date-time": lambda: self._moment().strftime("%Y-%m-%dT%H:%M:%SZ"),
            "date": lambda: self._moment().strftime("%Y-%m-%d"),
            "time": lambda: self._moment().strftime("%H:%M:%SZ"),
            "email": f.email,
            "idn-email": f.email,
            "uuid": lambda: str(f.uuid4()),
            "uri": f.url,
            "url": f.url,
            "iri": f.url,
            "uri-reference": lambda: "/" + f.uri_path(),
            "hostname": f.domain_name,
            "idn-hostname": f.domain_name,
            "ipv4": f.ipv4,
            "ipv6": f.ipv6,
            "byte": lambda: "aW50Y2hlY2s=",
            "password": lambda: f.password(length=12),
            "duration": lambda: f"P{rng.randint(1, 30)}D",
            "json-pointer": lambda: "/" + f.word(),
        }

    def _hinted(self, name: str) -> str:
        lowered = name.lower()
        f = self.faker
        for hint, make in _HINTS:
            if hint in lowered:
                return str(make(f))
        return str(f.word())


_HINTS: tuple[tuple[str, Callable[[Faker], Any]], ...] = (
    ("first_name", lambda f: f.first_name()),
    ("firstname", lambda f: f.first_name()),
    ("last_name", lambda f: f.last_name()),
    ("lastname", lambda f: f.last_name()),
    ("email", lambda f: f.email()),
    ("phone", lambda f: f.numerify("+49301#######")),
    ("company", lambda f: f.company()),
    ("street", lambda f: f.street_address()),
    ("city", lambda f: f.city()),
    ("name", lambda f: f.name()),
    ("url", lambda f: f.url()),
    ("description", lambda f: f.sentence()),
    ("id", lambda f: f.bothify("??##??##").lower()),
)


def _is_null(schema: Any) -> bool:
    return isinstance(schema, dict) and schema.get("type") == "null"


def _infer_type(schema: Mapping[str, Any]) -> str:
    if any(
        k in schema for k in ("properties", "required", "additionalProperties", "minProperties")
    ):
        return "object"
    if any(k in schema for k in ("items", "prefixItems", "minItems", "maxItems")):
        return "array"
    if any(k in schema for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")):
        return "number"
    return "string"


def _bounds(schema: Mapping[str, Any], epsilon: float, *, integer: bool) -> tuple[float, float]:
    low: float = schema.get("minimum", -math.inf)
    high: float = schema.get("maximum", math.inf)
    if isinstance(schema.get("exclusiveMinimum"), int | float):
        low = max(low, schema["exclusiveMinimum"] + epsilon)
    if isinstance(schema.get("exclusiveMaximum"), int | float):
        high = min(high, schema["exclusiveMaximum"] - epsilon)
    fmt = schema.get("format")
    if integer and fmt == "int32":
        low, high = max(low, -(2**31)), min(high, 2**31 - 1)
    # bounds that only restate int32/int64 make for unreadable values: treat as open
    if low <= -(2**31):
        low = -math.inf
    if high >= 2**31 - 1:
        high = math.inf
    if math.isinf(low) and math.isinf(high):
        low, high = 0, 1000
    elif math.isinf(low):
        low = high - 1000
    elif math.isinf(high):
        high = low + 1000
    return low, high


# The regex parser behind ``re``; the public alias ``sre_parse`` warns on import since 3.11.
_parser: Any = importlib.import_module("re._parser")
_CATEGORIES = {
    "CATEGORY_DIGIT": string.digits,
    "CATEGORY_NOT_DIGIT": string.ascii_letters,
    "CATEGORY_WORD": string.ascii_letters + string.digits + "_",
    "CATEGORY_NOT_WORD": "-.!",
    "CATEGORY_SPACE": " ",
    "CATEGORY_NOT_SPACE": string.ascii_letters,
}
_PRINTABLE = string.ascii_letters + string.digits


def generate_matching(pattern: str, rng: random.Random, *, max_len: int = 64) -> str:
    """A string matching ``pattern`` (unbounded repeats kept short); "" if it cannot parse."""
    parsed = _parsed_pattern(pattern)
    if parsed is None:
        return ""
    groups: dict[int, str] = {}
    return _emit(parsed, rng, groups, max(1, min(max_len, 64)))


@functools.lru_cache(maxsize=1024)
def _parsed_pattern(pattern: str) -> Any:
    """The parse tree of ``pattern``, once per pattern: parsing costs more than emitting."""
    try:
        return _parser.parse(pattern)
    except (re.error, RecursionError, OverflowError):
        return None


def _emit(items: Any, rng: random.Random, groups: dict[int, str], budget: int) -> str:
    out: list[str] = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "NOT_LITERAL":
            out.append(rng.choice([c for c in _PRINTABLE if ord(c) != arg]))
        elif name == "ANY":
            out.append(rng.choice(_PRINTABLE))
        elif name == "IN":
            out.append(_from_set(arg, rng))
        elif name == "BRANCH":
            out.append(_emit(rng.choice(arg[1]), rng, groups, budget))
        elif name == "SUBPATTERN":
            text = _emit(arg[-1], rng, groups, budget)
            if arg[0] is not None:
                groups[arg[0]] = text
            out.append(text)
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, sub = arg
            top = low + 3 if high is _parser.MAXREPEAT or high > low + 3 else high
            top = max(low, min(top, budget))
            out.extend(_emit(sub, rng, groups, budget) for _ in range(rng.randint(low, top)))
        elif name == "GROUPREF":
            out.append(groups.get(arg, ""))
        elif name == "ATOMIC_GROUP":
            out.append(_emit(arg, rng, groups, budget))
        # AT (anchors), ASSERT and ASSERT_NOT emit nothing
    return "".join(out)


def _from_set(items: Any, rng: random.Random) -> str:
    allowed: list[str] = []
    negate = False
    for op, arg in items:
        name = str(op)
        if name == "NEGATE":
            negate = True
        elif name == "LITERAL":
            allowed.append(chr(arg))
        elif name == "RANGE":
            allowed.extend(chr(c) for c in range(arg[0], min(arg[1], arg[0] + 200) + 1))
        elif name == "CATEGORY":
            allowed.extend(_CATEGORIES.get(str(arg), _PRINTABLE))
    if negate:
        pool = [c for c in _PRINTABLE if c not in allowed]
        return rng.choice(pool or ["~"])
    return rng.choice(allowed or list(_PRINTABLE))
