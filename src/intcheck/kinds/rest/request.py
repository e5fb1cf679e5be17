"""Request rules of an OpenAPI operation: parameter styles, body, content type, security.

A broken rule becomes a ``Broken`` value naming the statuses that fit it, best first (415 for a
content type, 422 then 400 for a body); the handler answers with the first the spec documents.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from intcheck import jsonwire
from intcheck.kinds.schema_convert import SchemaError, SchemaValidator

if TYPE_CHECKING:
    from intcheck.kinds.rest.spec import Op


_SEPARATORS = {"spaceDelimited": " ", "pipeDelimited": "|"}


@dataclass(slots=True)
class Param:
    """One parameter as the operation declares it, with its compiled validator."""

    name: str
    location: str  # path | query | header | cookie
    required: bool
    style: str
    explode: bool
    schema: Any  # converted, top-level $ref resolved: drives coercion of the raw text
    validator: SchemaValidator | None
    is_json: bool  # declared with ``content: application/json`` instead of a schema
    resolve: Callable[[Any], Any]
    types: set[str] = field(default_factory=set)  # JSON types the schema allows
    shape: str = "scalar"  # array | object | scalar: how the raw text is split
    where: str = ""  # "path.id": how problems name the parameter
    plain: bool = False  # one value as sent (most parameters): read without the style rules
    text: bool = False  # a string as it is, nothing to coerce

    def __post_init__(self) -> None:
        self.where = f"{self.location}.{self.name}"
        self.types = json_types(self.schema, self.resolve)
        kinds = self.types
        self.shape = "array" if "array" in kinds else "object" if "object" in kinds else "scalar"
        self.plain = (
            self.shape == "scalar" and not self.is_json and self.style in ("simple", "form")
        )
        self.text = not kinds or kinds == {"string"}


@dataclass(slots=True)
class RequestBody:
    required: bool
    media: dict[str, tuple[SchemaValidator | None, Any]]  # media type -> validator, schema
    resolve: Callable[[Any], Any] = lambda schema: schema  # follows a converted ``$ref``


@dataclass(frozen=True, slots=True)
class Broken:
    """A rule the request broke and the statuses that fit it, best first."""

    statuses: tuple[int, ...]
    rule: str
    detail: str
    errors: tuple[SchemaError, ...] = ()
    title: str = "Request broke a rule of the contract"
    # the first status stands even where the operation does not document it: a secured
    # operation's 401 is implied by its security requirement (as the probe judges it)
    implied: bool = False


@dataclass(slots=True)
class Checked:
    broken: Broken | None = None
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    body: Any = None


def check_request(op: Op, request: web.Request, path_values: Mapping[str, str]) -> Checked:
    """Security, then parameters; the body is ``check_body``'s (it must be awaited)."""
    if op.security and not _authorized(op.security, request):
        return Checked(
            Broken(
                (401, 403),
                "security",
                "missing credentials the operation declares",
                title="Unauthorized",
                implied=True,
            )
        )
    checked = Checked(params={"path": {}, "query": {}, "header": {}, "cookie": {}})
    errors: list[SchemaError] = []
    for param in op.params:
        where = param.where
        try:
            present, value = _extract(param, request, path_values)
        except jsonwire.Refused as exc:
            errors.append(SchemaError(where, exc.rule, f"{where}: {exc}"))
            continue
        except ValueError as exc:
            errors.append(SchemaError(where, "style", str(exc)))
            continue
        if not present:
            if param.required:
                errors.append(SchemaError(where, "required", f"{where} is required"))
            continue
        checked.params[param.location][param.name] = value
        if param.validator is not None and not param.validator.is_valid(value):
            errors.extend(
                SchemaError(where + e.pointer, e.rule, e.message)
                for e in param.validator.errors(value, limit=3)
            )
    if errors:
        first = errors[0]
        # A path value that breaks its schema names no resource: 404 when 400 is undocumented.
        in_path = all(e.pointer.startswith("path.") for e in errors)
        statuses = (400, 422, 404) if in_path else (400, 422)
        checked.broken = Broken(
            statuses, first.rule, f"{first.pointer}: {first.message}", tuple(errors)
        )
    return checked


async def check_body(spec: RequestBody, request: web.Request) -> tuple[Any, Broken | None]:
    """The request body against the declared media types and their schemas."""
    if not request.body_exists:
        if spec.required:
            return None, Broken((400, 422), "required", "the request body is required")
        return None, None
    # the media type alone, without aiohttp's full parse of the parameters on every request
    media = request.headers.get("Content-Type", "").partition(";")[0].strip().lower()
    key = _match_media(media, spec.media)
    if key is None:
        expected = ", ".join(spec.media) or "no body"
        return None, Broken(
            (415, 400),
            "content-type",
            f"content type {media or '(none)'!r} not accepted; expected {expected}",
            title="Unsupported Media Type",
        )
    validator, schema = spec.media[key]
    try:
        if media.startswith(("multipart/", "application/x-www-form-urlencoded")):
            value: Any = _form_fields(await request.post(), schema, spec.resolve)
        else:
            raw = await request.read()
            value = _decode(raw, key)
    except web.HTTPRequestEntityTooLarge:
        return None, Broken(
            (413, 400),
            "max-size",
            "the request body is larger than 1 MiB",
            title="Payload Too Large",
        )
    except jsonwire.Refused as exc:
        return None, Broken((400, 422), exc.rule, f"the body is not valid {key}: {exc}")
    except (ValueError, UnicodeDecodeError) as exc:
        return None, Broken((400, 422), "malformed", f"the body is not valid {key}: {exc}")
    if validator is not None and not (isinstance(value, bytes)):
        errors = validator.errors(value, limit=5)
        if errors:
            first = errors[0]
            return value, Broken(
                (422, 400),
                first.rule,
                f"body{first.pointer}: {first.message}",
                tuple(SchemaError("body" + e.pointer, e.rule, e.message) for e in errors),
            )
    return value, None


def _decode(raw: bytes, media: str) -> Any:
    if "json" in media:
        return jsonwire.read_request(raw)
    if media.startswith("text/"):
        return raw.decode("utf-8")
    return raw


def _match_media(media: str, declared: Mapping[str, Any]) -> str | None:
    for key in declared:
        base = key.split(";")[0].strip()
        if base == media or base == "*/*":
            return key
        if base.endswith("/*") and media.startswith(base[:-1]):
            return key
    return None


def compile_security(
    requirements: Any, schemes: Mapping[str, Any], follow: Callable[[Any, str], tuple[Any, str]]
) -> list[list[tuple[str, str, str]]]:
    """Each alternative as (kind, where, name) checks; an empty alternative allows anyone."""
    alternatives = []
    for requirement in requirements if isinstance(requirements, list) else []:
        checks = []
        for name in requirement or {}:
            scheme, _ = follow(schemes.get(name), "")
            if not isinstance(scheme, dict):
                continue
            kind = scheme.get("type")
            if kind == "http":
                checks.append(("http", "header", str(scheme.get("scheme", "bearer")).lower()))
            elif kind == "apiKey":
                checks.append(("apiKey", str(scheme.get("in")), str(scheme.get("name"))))
            elif kind in ("oauth2", "openIdConnect"):
                checks.append(("http", "header", "bearer"))
        alternatives.append(checks)
    return alternatives


def _authorized(alternatives: list[list[tuple[str, str, str]]], request: web.Request) -> bool:
    for alternative in alternatives:
        for check in alternative:
            if not _present(check, request):
                break
        else:
            return True
    return False


def _present(check: tuple[str, str, str], request: web.Request) -> bool:
    kind, where, name = check
    if kind == "http":
        scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
        return scheme.lower() == name and bool(credential.strip())
    if where == "header":
        return bool(request.headers.get(name))
    if where == "query":
        return name in request.query
    return name in request.cookies


def _extract(param: Param, request: web.Request, path: Mapping[str, str]) -> tuple[bool, Any]:
    """The parameter's value decoded per its style and explode, then coerced to its types."""
    raw: str | None
    if param.plain:
        where = param.location
        raw = (
            path.get(param.name)
            if where == "path"
            else request.query.get(param.name)
            if where == "query"
            else request.headers.get(param.name)
            if where == "header"
            else request.cookies.get(param.name)
        )
        if raw is None:
            return False, None
        return True, raw if param.text else coerce(raw, param)
    shape = param.shape
    name, style = param.name, param.style
    exploded = style == "deepObject" or param.explode
    if param.location == "query" and shape == "object" and exploded and not param.is_json:
        prefix = f"{name}["
        props = properties(param.schema, param.resolve)
        if style == "deepObject":
            pairs = {
                k[len(prefix) : -1]: v for k, v in request.query.items() if k.startswith(prefix)
            }
        else:  # form, exploded: each property is a query parameter of its own
            pairs = {k: v for k, v in request.query.items() if k in props}
        return bool(pairs), {k: coerce(v, props.get(k, {})) for k, v in pairs.items()}
    if param.location == "path":
        raw = path.get(name)
    elif param.location == "query":
        values = request.query.getall(name, [])
        if shape == "array" and param.explode and style == "form" and values:
            return True, [coerce(v, _items(param)) for v in values]
        raw = values[0] if values else None
    elif param.location == "header":
        raw = request.headers.get(name)
    else:
        raw = request.cookies.get(name)
    if raw is None:
        return False, None
    if param.is_json:
        return True, jsonwire.read_request(raw)
    sep = _SEPARATORS.get(style, ",")
    if style == "label":
        raw = raw.removeprefix(".")
        sep = "." if param.explode else ","
    elif style == "matrix":
        raw = raw.removeprefix(";").removeprefix(f"{name}=")
        sep = f";{name}=" if param.explode and shape == "array" else ";" if param.explode else ","
    if shape == "array":
        return True, [coerce(v, _items(param)) for v in raw.split(sep)] if raw else []
    if shape == "object":
        if param.explode:
            pairs = dict(p.partition("=")[::2] for p in raw.split(sep) if p)
        else:
            parts = raw.split(sep)
            pairs = dict(zip(parts[0::2], parts[1::2], strict=False))
        props = properties(param.schema, param.resolve)
        return True, {k: coerce(v, props.get(k, {})) for k, v in pairs.items()}
    return True, coerce(raw, param)


def _items(param: Param) -> Any:
    return param.resolve(param.schema.get("items", {})) if isinstance(param.schema, dict) else {}


def properties(schema: Any, resolve: Callable[[Any], Any], depth: int = 0) -> dict[str, Any]:
    """An object schema's properties by name, also those of its ``allOf``/``oneOf``/``anyOf``
    branches (Intercom's ``filter`` query object is a oneOf of three one-field objects)."""
    schema = resolve(schema)
    if not isinstance(schema, dict) or depth > 6:
        return {}
    found: dict[str, Any] = {}
    for key in ("allOf", "oneOf", "anyOf"):
        for branch in schema.get(key) or []:
            for name, sub in properties(branch, resolve, depth + 1).items():
                found.setdefault(name, sub)
    found.update(schema.get("properties") or {})
    return {name: resolve(sub) for name, sub in found.items()}


def _form_fields(form: Mapping[str, Any], schema: Any, resolve: Callable[[Any], Any]) -> Any:
    """A form's fields as the schema types them. A field sent more than once, or once for a
    property that is an array, is a list: ``MessageSamples=a&MessageSamples=b`` is how a form
    carries an array (OpenAPI's form style, exploded), as Twilio's API takes it."""
    props = properties(schema, resolve)
    fields: dict[str, Any] = {}
    for name in dict.fromkeys(form):
        items = form.getall(name) if hasattr(form, "getall") else [form[name]]
        prop = props.get(name, {})
        listed = "array" in json_types(prop, resolve) or len(items) > 1
        each = resolve(prop.get("items", {})) if listed and isinstance(prop, dict) else prop
        values = [coerce(i, each) if isinstance(i, str) else "file" for i in items]
        fields[name] = values if listed else values[0]
    return fields


def coerce(raw: str, target: Param | Any) -> Any:
    """Text from a URL, header or form turned into the type the schema asks for."""
    kinds = target.types if isinstance(target, Param) else json_types(target, None)
    if not kinds or kinds == {"string"}:
        return raw
    if "integer" in kinds or "number" in kinds:
        # ASCII digits only: int("١٢") is 12 to Python, but no client means a number by it
        number = jsonwire.number(raw, integer="number" not in kinds)
        if number is not None:
            return number
    if "boolean" in kinds and raw in ("true", "false"):
        return raw == "true"
    if "null" in kinds and raw in ("", "null"):
        return None
    return raw


def json_types(schema: Any, resolve: Callable[[Any], Any] | None, depth: int = 0) -> set[str]:
    """The JSON types a schema allows (through ``$ref`` with ``resolve``, and its branches)."""
    if not isinstance(schema, dict) or depth > 6:
        return set()
    if "$ref" in schema and resolve is not None:
        return json_types(resolve(schema), resolve, depth + 1)
    kind = schema.get("type")
    found = {kind} if isinstance(kind, str) else set(kind) if isinstance(kind, list) else set()
    for key in ("allOf", "oneOf", "anyOf"):
        for branch in schema.get(key) or []:
            found |= json_types(branch, resolve, depth + 1)
    if not found and "properties" in schema:
        found.add("object")
    if not found and "items" in schema:
        found.add("array")
    return found
