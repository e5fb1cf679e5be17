"""REST probe: cases from the contract and its OpenAPI document, and the REST checks.

Cases per operation, each with a stable id ``<operation id>#<what>``:

* ``#case:<name>``       written in the contract (``cases:``), with its expectations
* ``#example:<name>``    every documented example (response examples fill the parameters)
* ``#positive``          a valid request, values from the plan's datasets where names match
* ``#negative:<what>``   a missing required parameter, a wrong type, a body breaking the schema
* ``#auth:missing-credentials``  the request without credentials, where the spec wants them

Negative cases are made only for operations that document a 400/422/4XX answer: the spec then
says what a rejection looks like, and we do not invent expectations it never made.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from intcheck.contracts.openapi import resolve_pointer
from intcheck.contracts.yamlsrc import escape
from intcheck.kinds import openapi_schema
from intcheck.kinds.openapi_schema import generate_value
from intcheck.kinds.probing import (
    Check,
    Exchange,
    Finding,
    ProbeCase,
    ProbeRequest,
    unbuildable,
    written_case_sources,
)
from intcheck.model import Severity, display_path

if TYPE_CHECKING:
    from intcheck.contracts.openapi import OpenApiDocument
    from intcheck.kinds.probing import DatasetIndex
    from intcheck.model import Contract, Operation, SourceRef

_JSON = re.compile(r"^application/(.+\+)?json$")
_REJECTIONS = ("400", "422", "4XX")
_UNSET = object()


@dataclass(slots=True)
class _Spec:
    """The OpenAPI document with converted schemas and compiled validators, cached."""

    document: OpenApiDocument
    _validators: dict[tuple[str, str], openapi_schema.CompiledSchema] = field(default_factory=dict)
    _components: dict[str, Any] = field(default_factory=dict)

    def resolve(self, node: Any) -> Any:
        return self.document.resolve(node)

    def schema(self, pointer: str, direction: str) -> openapi_schema.CompiledSchema:
        """The converted schema at ``pointer``, as a root that local refs resolve against."""
        key = (pointer, direction)
        if key not in self._validators:
            root = self.components(direction)
            node = resolve_pointer(self.document.data, "#" + pointer)
            converted = openapi_schema.convert(node, direction=direction, resolve=self.original)
            schema = {**converted, "components": root} if isinstance(converted, dict) else converted
            self._validators[key] = openapi_schema.CompiledSchema(schema)
        return self._validators[key]

    def body_schema(self, pointer: str) -> Any:
        """The converted request schema at ``pointer`` with its ``$ref`` chain followed."""
        node = openapi_schema.convert(
            resolve_pointer(self.document.data, "#" + pointer),
            direction="request",
            resolve=self.original,
        )
        root = {"components": self.components("request")}
        for _ in range(16):
            if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
                break
            node = resolve_pointer(root, node["$ref"])
        return node

    def original(self, ref: str) -> Any:
        return resolve_pointer(self.document.data, ref)

    def components(self, direction: str) -> Any:
        if direction not in self._components:
            schemas = self.document.data.get("components", {}).get("schemas", {})
            self._components[direction] = {
                "schemas": {
                    name: openapi_schema.convert(s, direction=direction, resolve=self.original)
                    for name, s in schemas.items()
                }
            }
        return self._components[direction]


@dataclass(slots=True)
class _Op:
    operation: Operation
    pointer: str
    params: list[dict[str, Any]]
    body_pointer: str  # "" when no JSON request body
    body_required: bool
    responses: dict[str, dict[str, Any]]  # status -> resolved response object
    response_pointers: dict[str, str]  # status -> where that response object really lives
    secured: bool


def build_cases(contract: Contract, base_url: str, index: DatasetIndex) -> list[ProbeCase]:
    """Every case for every operation of a REST ``contract``, against ``base_url``."""
    spec = _Spec(contract.document)
    auth = contract.auth.headers() if contract.auth else {}
    written = [
        (c, where)
        for c, where in zip(
            contract.settings.get("cases", []), written_case_sources(contract), strict=True
        )
        if isinstance(c, dict)
    ]
    cases: list[ProbeCase] = []
    for operation in contract.operations:
        try:
            op = _describe(spec, operation)
            builder = _Builder(spec, op, contract, base_url, auth, index)
            built = [
                builder.written(item, where)
                for item, where in written
                if item.get("operation") == operation.name
            ]
            built += builder.examples()
            built.append(builder.positive())
            built += builder.negatives()
        except Exception as exc:  # real-world specs break in many ways; one must not stop all
            built = [unbuildable(operation, exc)]
        cases += built
    return _unique(cases)


def _unique(cases: list[ProbeCase]) -> list[ProbeCase]:
    """Case ids are keys everywhere: two examples with one name get ``~2``, ``~3``..."""
    seen: dict[str, int] = {}
    out = []
    for case in cases:
        count = seen[case.id] = seen.get(case.id, 0) + 1
        out.append(case if count == 1 else replace(case, id=f"{case.id}~{count}"))
    return out


def _describe(spec: _Spec, operation: Operation) -> _Op:
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
    body_pointer = ""
    if isinstance(body, dict):
        for media in body.get("content", {}):
            if _JSON.match(media.lower()) and "schema" in body["content"][media]:
                body_pointer = _schema_pointer(spec, node["requestBody"], pointer + "/requestBody")
                body_pointer += f"/content/{escape(media)}/schema"
                break
    security = node.get("security", data.get("security", []))
    secured = bool(security) and {} not in security
    raw_responses = node.get("responses") or {}
    responses = {str(code): spec.resolve(resp) for code, resp in raw_responses.items()}
    response_pointers = {
        str(code): _schema_pointer(spec, resp, f"{pointer}/responses/{escape(str(code))}")
        for code, resp in raw_responses.items()
    }
    return _Op(
        operation=operation,
        pointer=pointer,
        params=list(params.values()),
        body_pointer=body_pointer,
        body_required=bool(isinstance(body, dict) and body.get("required")),
        responses=responses,
        response_pointers=response_pointers,
        secured=secured,
    )


def _schema_pointer(spec: _Spec, node: Any, pointer: str) -> str:
    """Where ``node`` really lives: the target of its ``$ref`` chain, else ``pointer``."""
    for _ in range(16):
        if isinstance(node, dict) and isinstance(node.get("$ref"), str):
            pointer = node["$ref"][1:]
            node = resolve_pointer(spec.document.data, node["$ref"])
        else:
            break
    return pointer


class _Builder:
    """Builds the cases of one operation."""

    def __init__(
        self,
        spec: _Spec,
        op: _Op,
        contract: Contract,
        base_url: str,
        auth: dict[str, str],
        index: DatasetIndex,
    ) -> None:
        self.spec, self.op, self.contract = spec, op, contract
        self.base_url = base_url.rstrip("/")
        self.auth, self.index = auth, index
        self.documented = tuple(op.responses)
        self.checks = _rest_checks(spec, op)
        self._cached_values: dict[tuple[str, str], Any] | None = None
        self._cached_body: Any = _UNSET

    # -- values

    def _param_schema(self, param: dict[str, Any]) -> Any:
        return openapi_schema.convert(
            self.spec.resolve(param.get("schema", {})),
            direction="request",
            resolve=self.spec.original,
        )

    def _value(self, param: dict[str, Any]) -> Any:
        """A valid value: the dataset first (last one for DELETE: leave the first alone)."""
        schema = self._param_schema(param)
        validator = openapi_schema.validator_for(
            {**schema, "components": self.spec.components("request")}
        )
        known = [v for v in self.index.candidates(param["name"]) if validator.is_valid(v)]
        if known:
            return known[-1] if self.op.operation.method == "DELETE" else known[0]
        documented = [v for _, v in _named_examples(self.spec, param)]
        raw = self.spec.resolve(param.get("schema", {}))
        if isinstance(raw, dict):
            documented += [raw[k] for k in ("example", "default") if k in raw]
        valid = [v for v in documented if validator.is_valid(v)]
        if valid:
            return valid[0]
        return generate_value(schema, self.spec.components("request"), name=param["name"])

    def _values(self) -> dict[tuple[str, str], Any]:
        """The positive parameter values (a fresh copy: callers change them)."""
        if self._cached_values is None:
            self._cached_values = self._pick_values()
        return dict(self._cached_values)

    def _pick_values(self) -> dict[tuple[str, str], Any]:
        values: dict[tuple[str, str], Any] = {}
        for param in self.op.params:
            where = param.get("in", "query")
            has_data = bool(self.index.candidates(param["name"]))
            if param.get("required") or where == "path" or has_data:
                values[(param["name"], where)] = self._value(param)
        return values

    def _body(self) -> Any:
        """The positive request body (None without one); built once per operation."""
        if self._cached_body is _UNSET:
            self._cached_body = self._pick_body()
        return copy.deepcopy(self._cached_body)

    def _pick_body(self) -> Any:
        if not self.op.body_pointer:
            return None
        validator = self.spec.schema(self.op.body_pointer, "request")
        schema = self.spec.body_schema(self.op.body_pointer)
        props = schema.get("properties", {}) if isinstance(schema, dict) else {}
        record = self.index.records_like(set(props))
        if record is not None:
            components = self.spec.components("request")
            body = {
                k: record[k]
                for k in props
                if k in record and _valid_in(props[k], record[k], components)
            }
            if validator.is_valid(body):
                return body
        return generate_value(schema, self.spec.components("request"), name="body")

    # -- requests

    def _request(
        self,
        values: dict[tuple[str, str], Any],
        body: Any = None,
        *,
        raw_body: bytes | None = None,
        with_auth: bool = True,
        extra_headers: dict[str, str] | None = None,
    ) -> ProbeRequest:
        path = self.op.operation.path
        query: list[tuple[str, str]] = []
        headers = {"Accept": "application/json, application/problem+json;q=0.9, */*;q=0.1"}
        for (name, where), value in values.items():
            text = _text(value)
            if where == "path":
                path = path.replace("{" + name + "}", quote(text, safe=""))
            elif where == "query":
                query.append((name, text))
            elif where == "header":
                headers[name] = text
        if with_auth:
            headers.update(self.auth)
        headers.update(extra_headers or {})
        data = b""
        if raw_body is not None:
            data = raw_body
            headers["Content-Type"] = "application/json"
        elif body is not None:
            data = json.dumps(body, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
        url = self.base_url + path + ("?" + urlencode(query) if query else "")
        return ProbeRequest(method=self.op.operation.method, url=url, headers=headers, body=data)

    def _case(
        self,
        suffix: str,
        kind: str,
        request: ProbeRequest,
        expect: tuple[str, ...] = (),
        data: dict[str, Any] | None = None,
        source: Any = None,
    ) -> ProbeCase:
        checks = self.checks + _expectation_checks(data or {})
        return ProbeCase(
            id=f"{self.op.operation.id}#{suffix}",
            operation=self.op.operation,
            kind=kind,
            request=request,
            checks=checks,
            expect_status=expect,
            documented=self.documented,
            sla_ms=self.contract.sla.p95_ms,
            source=source or self.op.operation.source,
            data=data or {},
        )

    # -- the cases

    def written(self, item: dict[str, Any], source: SourceRef) -> ProbeCase:
        values = self._values()
        for where in ("path", "query"):
            for name, value in (item.get(where) or {}).items():
                values[(name, where)] = value
        body = item["body"] if "body" in item else self._body()
        expect = dict(item.get("expect") or {})
        status = expect.get("status")
        request = self._request(values, body, extra_headers=item.get("headers"))
        return self._case(
            f"case:{item['name']}",
            "contract",
            request,
            (str(status).upper(),) if status is not None else (),
            expect,
            source,
        )

    def examples(self) -> list[ProbeCase]:
        cases = []
        for code, response in self.op.responses.items():
            for media in (response.get("content") or {}).values():
                for name, example in _named_examples(self.spec, media):
                    values = self._values()
                    if isinstance(example, dict):
                        for param in self.op.params:
                            key = (param["name"], param.get("in", "query"))
                            if param["name"] in example and key[1] in ("path", "query"):
                                values[key] = example[param["name"]]
                    request = self._request(values, self._body())
                    expect = (code,) if code != "default" else ()
                    cases.append(self._case(f"example:{name}", "example", request, expect))
        if self.op.body_pointer:
            media = resolve_pointer(
                self.spec.document.data, "#" + self.op.body_pointer.removesuffix("/schema")
            )
            for name, example in _named_examples(self.spec, media):
                request = self._request(self._values(), example)
                cases.append(self._case(f"example:{name}", "example", request, ("2XX",)))
        for param in self.op.params:
            key = (param["name"], param.get("in", "query"))
            for name, example in _named_examples(self.spec, param):
                values = self._values()
                values[key] = example
                request = self._request(values, self._body())
                cases.append(self._case(f"example:{param['name']}={name}", "example", request))
        return cases

    def positive(self) -> ProbeCase:
        return self._case("positive", "positive", self._request(self._values(), self._body()))

    def negatives(self) -> list[ProbeCase]:
        cases = []
        if any(c.upper() in _REJECTIONS for c in self.documented):
            cases += self._parameter_negatives()
            if self.op.body_pointer:
                request = self._request(self._values(), raw_body=_breaking_body(self))
                cases.append(self._case("negative:body-schema", "negative", request))
        if self.op.secured and self.auth:
            request = self._request(self._values(), self._body(), with_auth=False)
            cases.append(self._case("auth:missing-credentials", "auth", request))
        return cases

    def _parameter_negatives(self) -> list[ProbeCase]:
        cases = []
        for param in self.op.params:
            where = param.get("in", "query")
            if where in ("query", "header") and param.get("required"):
                values = self._values()
                values.pop((param["name"], where), None)
                request = self._request(values, self._body())
                cases.append(self._case(f"negative:missing:{param['name']}", "negative", request))
        for param in self.op.params:
            wrong = _wrong_value(self._param_schema(param))
            if wrong is None or param.get("in", "query") not in ("query", "path"):
                continue
            values = self._values()
            values[(param["name"], param.get("in", "query"))] = wrong
            request = self._request(values, self._body())
            cases.append(self._case(f"negative:wrong-type:{param['name']}", "negative", request))
            break  # one per operation is enough to show whether input is validated
        return cases


def _valid_in(prop_schema: Any, value: Any, components: Any) -> bool:
    schema = (
        {**prop_schema, "components": components} if isinstance(prop_schema, dict) else prop_schema
    )
    return bool(openapi_schema.validator_for(schema).is_valid(value))


def _named_examples(spec: _Spec, media: dict[str, Any]) -> list[tuple[str, Any]]:
    found = []
    for name, example in (media.get("examples") or {}).items():
        example = spec.resolve(example)
        if isinstance(example, dict) and "value" in example:
            found.append((str(name), example["value"]))
    if "example" in media:
        found.append(("default", media["example"]))
    return found


def _wrong_value(schema: Any) -> str | None:
    """A string the parameter's schema forbids, or None when any string would do."""
    if not isinstance(schema, dict):
        return None
    kind = schema.get("type")
    kinds = set(kind) if isinstance(kind, list) else {kind}
    if kinds & {"integer", "number"}:
        return "not-a-number"
    if "boolean" in kinds:
        return "not-a-boolean"
    if "enum" in schema:
        return "not-in-enum"
    if "pattern" in schema:
        return "!bad-value!"
    return None


def _breaking_body(builder: _Builder) -> bytes:
    """``{}`` breaks a schema with required properties or minProperties; else a wrong type."""
    schema = builder.spec.body_schema(builder.op.body_pointer)
    if isinstance(schema, dict) and (schema.get("required") or schema.get("minProperties")):
        return b"{}"
    return b'"not an object"' if schema.get("type") != "string" else b"12345"


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# -- checks


def _rest_checks(spec: _Spec, op: _Op) -> tuple[Check, ...]:
    def response(exchange: Exchange) -> tuple[str, dict[str, Any]] | None:
        assert exchange.status is not None
        for code in (str(exchange.status), f"{str(exchange.status)[0]}XX", "default"):
            for key, value in op.responses.items():
                if key.upper() == code.upper():
                    return key, value
        return None

    def content_type_is_documented(case: ProbeCase, exchange: Exchange) -> Finding | None:
        found = response(exchange)
        if found is None or not found[1].get("content"):
            return None
        media = [m.lower() for m in found[1]["content"]]
        got = exchange.content_type
        if not got and not exchange.body:
            return None
        if any(_media_matches(got, m) for m in media):
            return None
        return Finding(
            f"content type {got or '(none)'!r} is not documented for {found[0]}: {', '.join(media)}"
        )

    def required_headers_are_present(case: ProbeCase, exchange: Exchange) -> Finding | None:
        found = response(exchange)
        if found is None:
            return None
        missing = [
            name
            for name, header in (found[1].get("headers") or {}).items()
            if spec.resolve(header).get("required") and name.lower() not in exchange.headers
        ]
        if missing:
            return Finding(f"required response header missing: {', '.join(missing)}")
        return None

    def body_matches_schema(case: ProbeCase, exchange: Exchange) -> Finding | None:
        found = response(exchange)
        if found is None:
            return None
        code, resp = found
        content = resp.get("content") or {}
        media = next((m for m in content if _media_matches(exchange.content_type, m.lower())), None)
        if media is None or "schema" not in content[media]:
            return None
        if not _JSON.match(media.lower()):
            return None
        try:
            body = json.loads(exchange.body)
        except ValueError as exc:
            return Finding(f"body is not valid JSON: {exc}")
        pointer = f"{op.response_pointers[code]}/content/{escape(media)}/schema"
        validator = spec.schema(pointer, "response")
        error = validator.first_error(body, pointer)
        if error is None:
            return None
        error["schema_location"] = display_path(spec.document.path) + error["schema_location"]
        where = error["instance_pointer"] or "/"
        return Finding(
            f"body at {where} breaks {error['schema_location']}: {error['message']}",
            schema_error=error,
        )

    return (
        Check(name="content_type_is_documented", function=content_type_is_documented),
        Check(
            name="required_headers_are_present",
            function=required_headers_are_present,
            severity=Severity.MEDIUM,
        ),
        Check(name="body_matches_schema", function=body_matches_schema),
    )


def _expectation_checks(expect: dict[str, Any]) -> tuple[Check, ...]:
    checks = []
    if "fields" in expect:
        checks.append(Check(name="fields_are_as_expected", function=_fields_are_as_expected))
    if "content_type" in expect:
        checks.append(
            Check(name="content_type_is_as_expected", function=_content_type_is_as_expected)
        )
    if "contains" in expect:
        checks.append(
            Check(name="body_contains_expected_text", function=_body_contains_expected_text)
        )
    if "max_ms" in expect:
        checks.append(
            Check(
                name="latency_within_case_limit",
                function=_latency_within_case_limit,
                severity=Severity.MEDIUM,
            )
        )
    return tuple(checks)


def _fields_are_as_expected(case: ProbeCase, exchange: Exchange) -> Finding | None:
    try:
        body = json.loads(exchange.body)
    except ValueError:
        return Finding("body is not JSON, so the expected fields cannot be there")
    for pointer, wanted in case.data["fields"].items():
        try:
            got = resolve_pointer(body, "#" + pointer)
        except (KeyError, IndexError, ValueError, TypeError):
            return Finding(f"{pointer}: expected {wanted!r}, the field is missing")
        if got != wanted:
            return Finding(f"{pointer}: expected {wanted!r}, got {got!r}")
    return None


def _content_type_is_as_expected(case: ProbeCase, exchange: Exchange) -> Finding | None:
    wanted = str(case.data["content_type"]).lower()
    if _media_matches(exchange.content_type, wanted):
        return None
    return Finding(f"expected content type {wanted!r}, got {exchange.content_type!r}")


def _body_contains_expected_text(case: ProbeCase, exchange: Exchange) -> Finding | None:
    if str(case.data["contains"]).encode() in exchange.body:
        return None
    return Finding(f"body does not contain {case.data['contains']!r}")


def _latency_within_case_limit(case: ProbeCase, exchange: Exchange) -> Finding | None:
    limit = float(case.data["max_ms"])
    if exchange.elapsed_ms <= limit:
        return None
    return Finding(f"answered in {exchange.elapsed_ms:.0f} ms, the case allows {limit:g} ms")


def _media_matches(got: str, documented: str) -> bool:
    documented = documented.split(";", 1)[0].strip()
    if documented in ("*/*", got):
        return True
    major, _, minor = documented.partition("/")
    return minor == "*" and got.startswith(major + "/")
