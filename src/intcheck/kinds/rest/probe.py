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
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from intcheck.contracts.openapi import resolve_pointer
from intcheck.kinds import openapi_schema
from intcheck.kinds.openapi_schema import generate_value
from intcheck.kinds.probing import (
    ProbeCase,
    ProbeRequest,
    unbuildable,
    written_cases,
)
from intcheck.kinds.rest.checks import expectation_checks, rest_checks
from intcheck.kinds.rest.described import OperationView, SpecView, describe

if TYPE_CHECKING:
    from intcheck.kinds.probing import DatasetIndex
    from intcheck.model import Contract, Operation, SourceRef

_REJECTIONS = ("400", "422", "4XX")
_UNSET = object()


def writes(operation: Operation) -> bool:
    """Every method but GET, HEAD and OPTIONS may change data."""
    return operation.method not in ("GET", "HEAD", "OPTIONS", "TRACE")


def build_cases(contract: Contract, base_url: str, index: DatasetIndex) -> list[ProbeCase]:
    """Every case for every operation of a REST ``contract``, against ``base_url``."""
    spec = SpecView(contract.document)
    auth = contract.auth.headers() if contract.auth else {}
    written = written_cases(contract)
    cases: list[ProbeCase] = []
    for operation in contract.operations:
        try:
            op = describe(spec, operation)
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


class _Builder:
    """Builds the cases of one operation."""

    def __init__(
        self,
        spec: SpecView,
        op: OperationView,
        contract: Contract,
        base_url: str,
        auth: dict[str, str],
        index: DatasetIndex,
    ) -> None:
        self.spec, self.op, self.contract = spec, op, contract
        self.base_url = base_url.rstrip("/")
        self.auth, self.index = auth, index
        self.documented = tuple(op.responses)
        self.checks = rest_checks(spec, op)
        self._cached_values: dict[tuple[str, str], Any] | None = None
        self._cached_body: Any = _UNSET

    # -- values

    def _param_schema(self, param: dict[str, Any]) -> Any:
        return openapi_schema.convert(
            self.spec.resolve(param.get("schema", {})),
            direction="request",
            resolve=self.spec.original,
            openapi30=self.spec.openapi30,
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
        checks = self.checks + expectation_checks(data or {})
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
        # Send what the case says plus only what the spec requires: an optional parameter
        # filled from the dataset (an email beside a phone lookup) could make it pass wrongly.
        required = {
            (p["name"], p.get("in", "query"))
            for p in self.op.params
            if p.get("required") or p.get("in") == "path"
        }
        values = {key: value for key, value in self._values().items() if key in required}
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


def _named_examples(spec: SpecView, media: dict[str, Any]) -> list[tuple[str, Any]]:
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
