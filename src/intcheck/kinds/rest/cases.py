"""The cases of one REST operation: written, examples, positive, negative, credentials.

Examples and positive cases assert conformance only: a documented status below 500, the body
of *that* status, documented headers. Only written cases (``cases:`` with ``expect:``) assert
an exact status or field value, because the user wrote them down. Negative cases are made
only for operations that document a 400/422/4XX answer: the spec then says what a rejection
looks like, and we do not invent expectations it never made.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from intcheck.contracts.openapi import resolve_pointer
from intcheck.contracts.security import serves, unserved
from intcheck.kinds.expectations import expectation_checks
from intcheck.kinds.probing import ProbeCase, ProbeRequest, status_matches, unbuildable
from intcheck.kinds.rest import encode
from intcheck.kinds.rest.checks import rest_checks
from intcheck.kinds.rest.values import Values, named_examples, wrong_value

if TYPE_CHECKING:
    from collections.abc import Mapping

    from intcheck.contracts.security import SecurityScheme
    from intcheck.kinds.probing import DatasetIndex, Exchange
    from intcheck.kinds.rest.described import OperationView, SpecView
    from intcheck.model import Contract, SourceRef

_REJECTIONS = ("400", "422", "4XX")
FITS_CHECK = "request_fits_spec"  # SKIPPED: a generated case would send what the spec forbids
NOT_FOUND = (404, 410)
_ACCEPT = "application/json, application/problem+json;q=0.9, */*;q=0.1"


class OperationCases:
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
        self.schemes = schemes
        user_data = (contract.settings.get("probe") or {}).get("data") or {}
        self.values = Values(spec, op, index, user_data)
        self.presented = encode.present(op.requirements, schemes, contract.credentials)
        self.documented = tuple(op.responses)
        self.checks = rest_checks(spec, op)
        self.sendable = False
        # A documented 3xx is the answer to judge, so redirects are not followed for it.
        self.follow = not any(c.upper() == "3XX" or c.startswith("3") for c in self.documented)

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
        missing = unserved(self.op.requirements, self.schemes, self.contract.credentials)
        return (
            f"the operation requires {' or '.join(wanted)}; the contract has no credentials for "
            f"{', '.join(missing)}: add them to `auth:` (see `intcheck validate`)"
        )

    # -- requests

    def request(
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
        """``not_found`` for a generated case: where the path addresses a record, or the spec
        documents a 404 or 410 (``default`` alone says nothing of missing records).

        Whether a 404 is conformant is still ``status_is_documented``'s to say.
        """
        explicit = tuple(c for c in self.documented if c.upper() != "DEFAULT")
        documented = any(status_matches(code, explicit) for code in NOT_FOUND)
        if not documented and "{" not in self.op.operation.path:
            return None
        return _is_not_found

    def case(
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
        # Deletes go last: first those of records the probe created (linked), then those of
        # made-up or written ids, which must not erase a created record before its own delete.
        stage = 0
        if self.op.operation.method == "DELETE" and kind not in ("negative", "auth"):
            stage = 1 if kind == "linked" else 2
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
            stage=stage,
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
        values = {key: value for key, value in self.values.params().items() if key in required}
        for where in ("path", "query"):
            for name, value in (item.get(where) or {}).items():
                values[(name, where)] = value
        body = item["body"] if "body" in item else self.values.body()
        expect = dict(item.get("expect") or {})
        status = expect.get("status")
        request = self.request(values, body, extra_headers=item.get("headers"))
        return self.case(
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
                for name, example in named_examples(self.spec, media):
                    values = self.values.params()
                    if isinstance(example, dict):
                        for param in self.op.params:
                            key = (param["name"], param.get("in", "query"))
                            if param["name"] in example and key[1] in ("path", "query"):
                                values[key] = example[param["name"]]
                    body = self.values.body()
                    case = self.case(f"example:{name}", "example", self.request(values, body))
                    cases.append(self.unless_unfit(case, values, body))
        if self.op.body_pointer:
            media = resolve_pointer(
                self.spec.document.data, "#" + self.op.body_pointer.removesuffix("/schema")
            )
            for name, example in named_examples(self.spec, media):
                values = self.values.params()
                case = self.case(f"example:{name}", "example", self.request(values, example))
                cases.append(self.unless_unfit(case, values, example, f"example {name!r}"))
        for param in self.op.params:
            key = (param["name"], param.get("in", "query"))
            for name, example in named_examples(self.spec, param):
                values = self.values.params()
                values[key] = example
                body = self.values.body()
                suffix = f"example:{param['name']}={name}"
                case = self.case(suffix, "example", self.request(values, body))
                cases.append(self.unless_unfit(case, values, body, f"example {name!r}"))
        return cases

    def positive(self) -> ProbeCase:
        values, body = self.values.params(), self.values.body()
        case = self.case(
            "positive",
            "positive",
            self.request(values, body),
            data_origin=self.values.origin,
            record_is_known=self.values.names_user_record,
        )
        return self.unless_unfit(case, values, body)

    def unless_unfit(
        self,
        case: ProbeCase,
        values: Mapping[tuple[str, str], Any],
        body: Any,
        example: str = "",
    ) -> ProbeCase:
        """``case``, or the case SKIPPED when what it sends breaks the spec's own request
        schema: a valid request is what a generated case claims to be."""
        broken = self.values.unfit(values, body)
        if not broken:
            return case
        what = f"the spec's {example}" if example else "the request the probe could build"
        reason = (
            f"not sent: {what} breaks the spec's own request schema ({broken}); give valid "
            "values in `probe: {data: …}` or write the case in `cases:`"
        )
        return replace(case, skip=reason, skipped_by=FITS_CHECK)

    def negatives(self) -> list[ProbeCase]:
        cases = []
        if any(c.upper() in _REJECTIONS for c in self.documented):
            cases += self._parameter_negatives()
            breaking = _breaking_body(self) if self.op.body_pointer else None
            if breaking is not None:
                request = self.request(self.values.params(), raw_body=breaking)
                cases.append(self.case("negative:body-schema", "negative", request))
        return cases + self._auth()

    def _auth(self) -> list[ProbeCase]:
        """Without credentials, and without each of several required together: 401 or 403.

        A secured operation's 401/403 is implied by its security requirement, so it counts as
        documented for these cases even where the spec lists neither.
        """
        if not self.op.secured:
            return []
        implied = self.documented + tuple(c for c in ("401", "403") if c not in self.documented)
        body = self.values.body()
        request = self.request(self.values.params(), body, with_auth=False)
        cases = [self.case("auth:missing-credentials", "auth", request, documented=implied)]
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
            request = self.request(self.values.params(), body, presented=partial)
            cases.append(self.case(f"auth:without:{name}", "auth", request, documented=implied))
        return cases

    def _parameter_negatives(self) -> list[ProbeCase]:
        cases = []
        for param in self.op.params:
            where = param.get("in", "query")
            if where in ("query", "header") and param.get("required"):
                values = self.values.params()
                values.pop((param["name"], where), None)
                request = self.request(values, self.values.body())
                cases.append(self.case(f"negative:missing:{param['name']}", "negative", request))
        for param in self.op.params:
            wrong = wrong_value(self.values.param_schema(param))
            if wrong is None or param.get("in", "query") not in ("query", "path"):
                continue
            values = self.values.params()
            values[(param["name"], param.get("in", "query"))] = wrong
            request = self.request(values, self.values.body())
            cases.append(self.case(f"negative:wrong-type:{param['name']}", "negative", request))
            break  # one per operation is enough to show whether input is validated
        return cases


def _is_not_found(exchange: Exchange) -> bool:
    return exchange.status in NOT_FOUND


def _breaking_body(builder: OperationCases) -> bytes | None:
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
