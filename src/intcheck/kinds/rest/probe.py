"""REST probe: cases from the contract and its OpenAPI document.

Cases per operation, each with a stable id ``<operation id>#<what>``:

* ``#case:<name>``       written in the contract (``cases:``): the only cases with exact
  expectations (status, fields), because the user wrote them down
* ``#example:<name>``    every documented example (response examples fill the parameters)
* ``#positive``          a valid request: ``probe.data`` values, else the plan's datasets where
  names match, else documented examples, else generated from the schema
* ``#link:<source>``     the same request addressing a record the target itself named: values
  harvested from an earlier answer (``links.py``), sent after it by the runner
* ``#negative:<what>``   a missing required parameter, a wrong type, a body breaking the schema
* ``#auth:missing-credentials``, ``#auth:without:<scheme>``  credentials left out

Examples, positive and linked cases assert conformance only: a documented status below 500,
the body of *that* status, documented headers. A documented 404/410 to them says "no such
record" (``ProbeCase.not_found``), which the runner sums up per operation. Negative cases are
made only for operations that document a 400/422/4XX answer: the spec then says what a
rejection looks like, and we do not invent expectations it never made.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from intcheck.contracts.openapi import resolve_pointer, security_schemes, serves
from intcheck.data import field_key
from intcheck.kinds import openapi_schema
from intcheck.kinds.openapi_schema import generate_value
from intcheck.kinds.probing import (
    Need,
    ProbeCase,
    ProbeRequest,
    status_matches,
    unbuildable,
    written_cases,
)
from intcheck.kinds.rest import encode
from intcheck.kinds.rest.checks import expectation_checks, rest_checks
from intcheck.kinds.rest.described import OperationView, SpecView, describe
from intcheck.kinds.rest.links import Link, etag, find_links, path_params

if TYPE_CHECKING:
    from collections.abc import Mapping

    from intcheck.contracts.openapi import SecurityScheme
    from intcheck.kinds.probing import DatasetIndex, Exchange
    from intcheck.model import Contract, Operation, SourceRef

_REJECTIONS = ("400", "422", "4XX")
_NOT_FOUND = (404, 410)
_UNSET = object()
_ACCEPT = "application/json, application/problem+json;q=0.9, */*;q=0.1"
# Within one round of links, reads go before the writes that need their ETag.
_METHOD_ORDER = {"GET": 0, "HEAD": 0, "POST": 1, "PUT": 2, "PATCH": 2, "DELETE": 3}


def writes(operation: Operation) -> bool:
    """Every method but GET, HEAD and OPTIONS may change data."""
    return operation.method not in ("GET", "HEAD", "OPTIONS", "TRACE")


def build_cases(contract: Contract, base_url: str, index: DatasetIndex) -> list[ProbeCase]:
    """Every case for every operation of a REST ``contract``, against ``base_url``."""
    spec = SpecView(contract.document)
    schemes = security_schemes(contract.document)
    written = written_cases(contract)
    builders: dict[str, _Builder] = {}
    cases: list[ProbeCase] = []
    for operation in contract.operations:
        try:
            op = describe(spec, operation)
            builder = _Builder(spec, op, contract, base_url, schemes, index)
            built = builder.own_cases(written)
            if builder.sendable:
                builders[operation.name] = builder
        except Exception as exc:  # real-world specs break in many ways; one must not stop all
            built = [unbuildable(operation, exc)]
        cases += built
    cases += _linked_cases(spec, builders)
    return _unique(cases)


def _unique(cases: list[ProbeCase]) -> list[ProbeCase]:
    """Case ids are keys everywhere: two examples with one name get ``~2``, ``~3``..."""
    seen: dict[str, int] = {}
    out = []
    for case in cases:
        count = seen[case.id] = seen.get(case.id, 0) + 1
        out.append(case if count == 1 else replace(case, id=f"{case.id}~{count}"))
    return out


def _linked_cases(spec: SpecView, builders: dict[str, _Builder]) -> list[ProbeCase]:
    """Cases that address records named by earlier answers, source by source.

    Rounds follow the chain: operations without path parameters answer first (their
    positive case is the source), then those their answers address, and so on; each operation
    is linked from the sources of the first round that reaches it.
    """
    try:
        links = find_links(spec, [b.op for b in builders.values()])
    except Exception:  # a spec the link finder trips over still gets every other case
        return []
    source_case = {n: b.case_id("positive") for n, b in builders.items() if not path_params(b.op)}
    made: dict[tuple[str, str], str] = {}  # (target, source operation) -> linked case id
    pending = {name: found for name, found in links.items() if name in builders}
    cases: list[ProbeCase] = []
    while pending:
        ready = {
            name: [link for link in found if link.source.operation.name in source_case]
            for name, found in pending.items()
        }
        ready = {name: found for name, found in ready.items() if found}
        if not ready:
            break
        order = sorted(ready, key=lambda n: _METHOD_ORDER.get(builders[n].op.operation.method, 1))
        for name in order:
            builder = builders[name]
            for link in builder.usable_links(ready[name]):
                try:
                    case = builder.linked(link, source_case, made)
                except Exception:  # one link that cannot be built leaves the others
                    continue
                made[(name, link.source.operation.name)] = case.id
                cases.append(case)
            del pending[name]
        for name in order:
            first = next((made[key] for key in made if key[0] == name), None)
            if first is not None:
                source_case.setdefault(name, first)
    return cases


class _Builder:
    """Builds the cases of one operation."""

    def __init__(
        self,
        spec: SpecView,
        op: OperationView,
        contract: Contract,
        base_url: str,
        schemes: dict[str, SecurityScheme],
        index: DatasetIndex,
    ) -> None:
        self.spec, self.op, self.contract = spec, op, contract
        self.base_url = base_url.rstrip("/")
        self.schemes, self.index = schemes, index
        self.user_data: Mapping[str, Any] = (contract.settings.get("probe") or {}).get("data") or {}
        self.presented = encode.present(op.requirements, schemes, contract.credentials)
        self.documented = tuple(op.responses)
        self.checks = rest_checks(spec, op)
        self.sendable = False
        self.origin = ""  # "probe.data" once a user-given value is in the positive request
        self.names_user_record = False  # ... and names the record addressed (last segment)
        # A documented 3xx is the answer to judge, so redirects are not followed for it.
        self.follow = not any(c.upper() == "3XX" or c.startswith("3") for c in self.documented)
        self._cached_values: dict[tuple[str, str], Any] | None = None
        self._cached_body: Any = _UNSET

    def case_id(self, suffix: str) -> str:
        return f"{self.op.operation.id}#{suffix}"

    def own_cases(self, written: list[tuple[dict[str, Any], SourceRef]]) -> list[ProbeCase]:
        """Written, example, positive and negative cases; placeholders when none can be sent."""
        if self.presented is None:
            return [self._placeholder("credentials", self._no_credentials()), *self._auth()]
        if self.op.body_unbuildable and self.op.body_required:
            reason = (
                f"the request body must be {self.op.body_unbuildable}, which the probe "
                "cannot build; write a case with its body in `cases:`"
            )
            return [self._placeholder("body", reason, "case_can_be_built")]
        built = [
            self.written(item, where)
            for item, where in written
            if item.get("operation") == self.op.operation.name
        ]
        built += self.examples()
        built.append(self.positive())
        built += self.negatives()
        self.sendable = True
        return built

    def _placeholder(self, suffix: str, reason: str, check: str = "") -> ProbeCase:
        return replace(
            unbuildable(self.op.operation, ValueError(reason)),
            id=self.case_id(suffix),
            skip=reason,
            skipped_by=check or "credentials_are_provided",
        )

    def _no_credentials(self) -> str:
        wanted = [" + ".join(alternative) or "none" for alternative in self.op.requirements]
        missing = sorted(
            {
                name
                for alternative in self.op.requirements
                for name in alternative
                if name not in self.schemes
                or not any(serves(c, self.schemes[name]) for c in self.contract.credentials)
            }
        )
        return (
            f"the operation requires {' or '.join(wanted)}; the contract has no credentials for "
            f"{', '.join(missing)}: add them to `auth:` (see `intcheck validate`)"
        )

    # -- values

    def _param_schema(self, param: dict[str, Any]) -> Any:
        node = param.get("schema")
        if node is None:  # a parameter with `content`: the schema of its one media type
            media: dict[str, Any] = next(iter((param.get("content") or {}).values()), {})
            node = media.get("schema", {})
        return openapi_schema.convert(
            self.spec.resolve(node),
            direction="request",
            resolve=self.spec.original,
            openapi30=self.spec.openapi30,
        )

    def _user_values(self, name: str) -> list[Any]:
        """The contract's ``probe.data`` for a name (exact, or alike: customerId ~ customer_id)."""
        if name in self.user_data:
            return list(self.user_data[name])
        key = field_key(name)
        return next((list(v) for k, v in self.user_data.items() if field_key(k) == key), [])

    def _value(self, param: dict[str, Any]) -> Any:
        """A valid value: probe.data, the dataset, examples, else generated.

        A DELETE never takes a user's known record (the next run would miss it), and takes
        the dataset's last value to leave the first one for the reads.
        """
        schema = self._param_schema(param)
        validator = openapi_schema.validator_for(
            {**schema, "components": self.spec.components("request")}
            if isinstance(schema, dict)
            else schema
        )
        deleting = self.op.operation.method == "DELETE"
        given = [] if deleting else self._user_values(param["name"])
        if given:
            self.origin = "probe.data"
            if param.get("in") == "path" and self.op.operation.path.endswith(
                f"{{{param['name']}}}"
            ):
                self.names_user_record = True
            return given[0]
        known = [v for v in self._dataset_values(param) if validator.is_valid(v)]
        if known:
            return known[-1] if deleting else known[0]
        documented = [v for _, v in _named_examples(self.spec, param)]
        raw = self.spec.resolve(param.get("schema", {}))
        if isinstance(raw, dict):
            documented += [raw[k] for k in ("example", "default") if k in raw]
        valid = [v for v in documented if validator.is_valid(v)]
        if valid:
            return valid[0]
        return generate_value(schema, self.spec.components("request"), name=param["name"])

    def _dataset_values(self, param: dict[str, Any]) -> list[Any]:
        """Dataset values for ``param``; for ``/orders/{order_id}/delivery`` the deliveries'
        order ids first, since an order without a delivery answers 404."""
        name, path = param["name"], self.op.operation.path
        after = path.partition("{" + name + "}")[2].strip("/").split("/")[0]
        hinted = self.index.candidates_in(after, name) if after and "{" not in after else []
        return hinted + [v for v in self.index.candidates(name) if v not in hinted]

    def _values(self) -> dict[tuple[str, str], Any]:
        """The positive parameter values (a fresh copy: callers change them)."""
        if self._cached_values is None:
            self._cached_values = self._pick_values()
        return dict(self._cached_values)

    def _pick_values(self) -> dict[tuple[str, str], Any]:
        values: dict[tuple[str, str], Any] = {}
        for param in self.op.params:
            where = param.get("in", "query")
            has_data = bool(
                self.index.candidates(param["name"]) or self._user_values(param["name"])
            )
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
        components = self.spec.components("request")
        body = None
        record = self.index.records_like(set(props))
        if record is not None:
            body = {
                k: record[k]
                for k in props
                if k in record and _valid_in(props[k], record[k], components)
            }
            body = body if validator.is_valid(body) else None
        if body is None:
            body = generate_value(schema, components, name="body")
        if isinstance(body, dict) and self.op.operation.method != "DELETE":
            for name in props:
                given = [
                    v for v in self._user_values(name) if _valid_in(props[name], v, components)
                ]
                if given and validator.is_valid({**body, name: given[0]}):
                    body[name] = given[0]
                    self.origin = "probe.data"
        return body

    # -- requests

    def _request(
        self,
        values: dict[tuple[str, str], Any],
        body: Any = None,
        *,
        raw_body: bytes | None = None,
        presented: encode.Presented | None = None,
        with_auth: bool = True,
        extra_headers: Mapping[str, str] | None = None,
    ) -> ProbeRequest:
        path = self.op.operation.path
        query: list[str] = []
        cookies: list[str] = []
        headers = {"Accept": _ACCEPT}
        params = {(p["name"], p.get("in", "query")): p for p in self.op.params}
        for (name, where), value in values.items():
            param = params.get((name, where), {"name": name, "in": where})
            if where == "path":
                path = path.replace("{" + name + "}", encode.path_part(param, value))
            elif where == "query":
                query.append(encode.query_part(param, value))
            elif where == "header":
                headers[name] = encode.header_value(param, value)
            elif where == "cookie":
                cookies.append(encode.cookie_pair(param, value))
        credentials = (presented or self.presented) if with_auth else None
        if credentials is not None:
            headers.update(credentials.headers)
            query += [encode.query_part({"name": k}, v) for k, v in credentials.query.items()]
        if cookies:
            headers["Cookie"] = "; ".join([*cookies, headers.get("Cookie", "")]).strip("; ")
        headers.update(extra_headers or {})
        data = b""
        media = encode.content_type(self.op.body_media or "application/json")
        if raw_body is not None:
            data = raw_body
            headers["Content-Type"] = media
        elif body is not None:
            data = encode.encode_body(media, body)
            headers["Content-Type"] = media
        url = self.base_url + path + ("?" + "&".join(q for q in query if q) if query else "")
        return ProbeRequest(
            method=self.op.operation.method,
            url=url,
            headers=headers,
            body=data,
            follow_redirects=self.follow,
        )

    def _not_found(self) -> Any:
        """``not_found`` for a generated case: where the spec documents a 404 or 410.

        ``default`` alone does not count: the spec then says nothing of missing records.
        """
        explicit = tuple(c for c in self.documented if c.upper() != "DEFAULT")
        if not any(status_matches(code, explicit) for code in _NOT_FOUND):
            return None
        return _is_not_found

    def _case(
        self,
        suffix: str,
        kind: str,
        request: ProbeRequest,
        expect: tuple[str, ...] = (),
        data: dict[str, Any] | None = None,
        source: Any = None,
        documented: tuple[str, ...] | None = None,
        **fields: Any,
    ) -> ProbeCase:
        checks = self.checks + expectation_checks(data or {})
        generated = kind in ("example", "positive", "linked")
        deletes = self.op.operation.method == "DELETE" and kind not in ("negative", "auth")
        return ProbeCase(
            id=self.case_id(suffix),
            operation=self.op.operation,
            kind=kind,
            request=request,
            checks=checks,
            expect_status=expect,
            documented=self.documented if documented is None else documented,
            source=source or self.op.operation.source,
            data=data or {},
            not_found=self._not_found() if generated else None,
            stage=1 if deletes else 0,
            **fields,
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
        """Every documented example, judged for conformance only.

        An example's response code is no expectation: an error example's 404 is not what an
        ordinary request gets, several 2xx may be right, and a request example may illustrate
        a rejection. What the example shows is the values to send.
        """
        cases = []
        for response in self.op.responses.values():
            for media in (response.get("content") or {}).values():
                for name, example in _named_examples(self.spec, media):
                    values = self._values()
                    if isinstance(example, dict):
                        for param in self.op.params:
                            key = (param["name"], param.get("in", "query"))
                            if param["name"] in example and key[1] in ("path", "query"):
                                values[key] = example[param["name"]]
                    request = self._request(values, self._body())
                    cases.append(self._case(f"example:{name}", "example", request))
        if self.op.body_pointer:
            media = resolve_pointer(
                self.spec.document.data, "#" + self.op.body_pointer.removesuffix("/schema")
            )
            for name, example in _named_examples(self.spec, media):
                request = self._request(self._values(), example)
                cases.append(self._case(f"example:{name}", "example", request))
        for param in self.op.params:
            key = (param["name"], param.get("in", "query"))
            for name, example in _named_examples(self.spec, param):
                values = self._values()
                values[key] = example
                request = self._request(values, self._body())
                cases.append(self._case(f"example:{param['name']}={name}", "example", request))
        return cases

    def positive(self) -> ProbeCase:
        request = self._request(self._values(), self._body())
        return self._case(
            "positive",
            "positive",
            request,
            data_origin=self.origin,
            record_is_known=self.names_user_record,
        )

    def negatives(self) -> list[ProbeCase]:
        cases = []
        if any(c.upper() in _REJECTIONS for c in self.documented):
            cases += self._parameter_negatives()
            breaking = _breaking_body(self) if self.op.body_pointer else None
            if breaking is not None:
                request = self._request(self._values(), raw_body=breaking)
                cases.append(self._case("negative:body-schema", "negative", request))
        return cases + self._auth()

    def _auth(self) -> list[ProbeCase]:
        """Without credentials, and without each of several required together: 401 or 403.

        A secured operation's 401/403 is implied by its security requirement, so it counts as
        documented for these cases even where the spec lists neither.
        """
        if not self.op.secured:
            return []
        implied = self.documented + tuple(c for c in ("401", "403") if c not in self.documented)
        body = self._body() if self.presented is not None else None
        request = self._request(self._values(), body, with_auth=False)
        cases = [self._case("auth:missing-credentials", "auth", request, documented=implied)]
        presented = self.presented
        if presented is None or len(presented.schemes) < 2:
            return cases
        for name in presented.schemes:
            scheme = self.schemes[name]
            rest = tuple(c for c in self.contract.credentials if not serves(c, scheme))
            if encode.present(self.op.requirements, self.schemes, rest) is not None:
                continue  # another alternative is met without this scheme
            credential = next(c for c in self.contract.credentials if serves(c, scheme))
            partial = encode.without(presented, scheme, credential)
            request = self._request(self._values(), body, presented=partial)
            cases.append(self._case(f"auth:without:{name}", "auth", request, documented=implied))
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

    # -- linked cases

    def usable_links(self, links: list[Link]) -> list[Link]:
        """The links a case is made for: a DELETE erases only what the probe created, an
        update prefers a record the probe created over one it merely found."""
        method = self.op.operation.method
        creates = [link for link in links if link.source.operation.method == "POST"]
        if method == "DELETE":
            return creates
        if method in ("PUT", "PATCH"):
            return creates or links[:1]
        return links

    def linked(
        self, link: Link, source_case: Mapping[str, str], made: Mapping[tuple[str, str], str]
    ) -> ProbeCase:
        """The positive request with the values ``link`` supplies from its source's answer."""
        source = source_case[link.source.operation.name]
        needs = [
            Need(
                slot=s.slot,
                sources=(source,),
                take=s.take,
                what=s.what,
                names_record=s.names_record,
            )
            for s in link.supplies
        ]
        condition = next(
            (
                p
                for p in self.op.params
                if p.get("in") == "header" and p["name"].lower() == "if-match"
            ),
            None,
        )
        if condition is not None and not any(n.slot.lower() == "header:if-match" for n in needs):
            path, via = self.op.operation.path, link.source.operation.name
            fresher = ("PATCH", "PUT") if self.op.operation.method == "DELETE" else ()
            sources = [
                made[(f"{method} {path}", via)]
                for method in (*fresher, "GET")
                if (f"{method} {path}", via) in made
            ]
            if link.source.operation.method == "POST":
                sources.append(source)
            if sources or condition.get("required"):
                needs.append(
                    Need(
                        slot=f"header:{condition['name']}",
                        sources=tuple(sources),
                        take=etag,
                        what="an ETag for If-Match (from a read of the same record)",
                    )
                )
        return self._case(
            f"link:{link.label}",
            "linked",
            self._request(self._values(), self._body()),
            needs=tuple(needs),
            build=functools.partial(self._linked_request, self._values(), self._body()),
        )

    def _linked_request(
        self, values: dict[tuple[str, str], Any], body: Any, found: Mapping[str, Any]
    ) -> ProbeRequest:
        values = dict(values)
        for slot, value in found.items():
            where, _, name = slot.partition(":")
            values[(name, where)] = value
        return self._request(values, body)


def _is_not_found(exchange: Exchange) -> bool:
    return exchange.status in _NOT_FOUND


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


def _breaking_body(builder: _Builder) -> bytes | None:
    """A body the schema forbids, in the operation's media type; None if none can be made.

    ``{}`` (an empty form) breaks a schema with required properties or minProperties; else a
    JSON body of the wrong type.
    """
    schema = builder.spec.body_schema(builder.op.body_pointer)
    media = encode.content_type(builder.op.body_media).split(";")[0].strip().lower()
    needs_fields = isinstance(schema, dict) and (
        schema.get("required") or schema.get("minProperties")
    )
    if media == "application/x-www-form-urlencoded":
        return b"" if needs_fields else None
    if not encode.is_json(media):
        return None
    if needs_fields:
        return b"{}"
    return b'"not an object"' if schema.get("type") != "string" else b"12345"
