"""REST checks: each a named claim about one answer, closed over the operation it judges."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from intcheck.contracts.yamlsrc import escape
from intcheck.kinds.expectations import media_matches
from intcheck.kinds.probing import (
    Check,
    Exchange,
    Finding,
    ProbeCase,
)
from intcheck.kinds.rest.described import JSON_MEDIA
from intcheck.model import Severity, Status, display_path

if TYPE_CHECKING:
    from intcheck.kinds.rest.described import OperationView, SpecView


def rest_checks(spec: SpecView, op: OperationView) -> tuple[Check, ...]:
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
        if any(media_matches(got, m) for m in media):
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
        media = next((m for m in content if media_matches(exchange.content_type, m.lower())), None)
        if media is None or "schema" not in content[media]:
            return None
        if not JSON_MEDIA.match(media.lower()):
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
        if validator.only_overlapping_one_of(body):
            # the spec's fault, not the service's: said, shown as not judged, never FAILED
            return Finding(
                f"body at {where} fits more than one branch of the oneOf at "
                f"{error['schema_location']}: the spec's branches overlap, so no answer can "
                "fit exactly one (a discriminator or anyOf in the spec would say what is "
                "meant); not judged",
                status=Status.SKIPPED,
                schema_error=error,
            )
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
