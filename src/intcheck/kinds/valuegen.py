"""Values that satisfy a converted JSON Schema: what the mock answers and the probe sends.

Faker supplies realistic text by field name and format; a seeded ``random.Random`` the rest, so
a seed gives the same values every run. Strings with a ``pattern`` come from ``regexgen``.
"""

from __future__ import annotations

import copy
import math
import random
import string
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from faker import Faker

from intcheck.kinds.regexgen import generate_matching


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
            return self.rng.choice(_enum_choices(schema["enum"]))
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

    def filler(self, schema: Any, name: str) -> Callable[[int], Any]:
        """``generate`` for one schema as a function of depth, for callers that fill the same
        field again and again: a plain enum is picked without walking the schema each time."""
        node = self._deref(schema)
        plain = isinstance(node, dict) and not {"$ref", "allOf", "const"} & node.keys()
        for key in ("default", "example"):
            # what the spec's author wrote (a status "OK", a service name) when it is valid:
            # as realistic as generated text, and no Faker call on every record
            if plain and key in node and (self.check is None or self.check(schema, node[key])):
                value = node[key]
                if isinstance(value, dict | list):
                    return lambda depth: copy.deepcopy(value)
                return lambda depth: value
        if plain and isinstance(node.get("enum"), list) and node["enum"]:
            choices, draw = _enum_choices(node["enum"]), self.rng.random
            count = len(choices)
            # random() is one C call; choice() runs a few dozen bytecodes on every create
            return lambda depth: choices[int(draw() * count)]
        return lambda depth: self.generate(schema, name=name, depth=depth)

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


def _enum_choices(values: list[Any]) -> tuple[Any, ...]:
    """The values to pick from: those other than null, else all of them."""
    return tuple(v for v in values if v is not None) or tuple(values)


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
    declared = low, high
    # bounds that only restate int32/int64 make for unreadable values: pick near the other
    # bound, or near zero, and keep the pick inside what is declared
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
    return max(low, declared[0]), min(high, declared[1])
