"""Validate plan and contract data against the meta-schemas shipped in ``schemas/``.

jsonschema's messages are written for schema authors; here each error is rewritten into the
compiler-style sentence a contract author needs: the dotted field, what was expected, what was
found, and a hint (``did you mean …?``) when a key or a value is close to a valid one.
"""

from __future__ import annotations

import difflib
import http
import json
import re
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any, cast

from jsonschema import Draft202012Validator

from intcheck.contracts.yamlsrc import dotted, escape
from intcheck.model import Diagnostic

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

    from intcheck.contracts.yamlsrc import SourceDoc

_TYPE_WORDS = {
    "integer": "an integer",
    "number": "a number",
    "string": "text",
    "object": "a mapping",
    "array": "a list",
    "boolean": "true or false",
    "null": "nothing",
}


# What to write when a required field is missing, for the fields people forget most.
_CONTRACT_HINTS = {
    "spec": "rest and soap contracts name their OpenAPI or WSDL file: spec: specs/service.yaml",
    "name": "a unique lower-case name; it is also the mock's mount point /<name>/",
    "secret": "take the secret from the environment: secret: ${MY_SECRET}",
}
_PLAN_HINTS = {
    "name": "the rollout's name, shown on every report: name: CRM go-live",
    "integrations": "list the contracts: integrations: [{contract: customer-master.yaml}]",
    "contract": "the contract file, relative to the plan: contract: customer-master.yaml",
    "item": "what must be true: item: Softphone installed on every agent desktop",
    "reason": "why the finding is acceptable for now, in a sentence",
    "accepted_by": "who accepted the risk: accepted_by: Head of customer service",
    "until": "the last day the waiver holds: until: 2026-06-30",
}


@cache
def _load(name: str) -> dict[str, Any]:
    text = resources.files("intcheck.contracts").joinpath("schemas", name).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def plan_validator() -> Draft202012Validator:
    return Draft202012Validator(_load("plan.schema.json"))


# One validator per kind and vocabulary, built on first use: compiling is the costly part.
_CONTRACT_VALIDATORS: dict[tuple[str, str], Draft202012Validator] = {}


def contract_validator(kind: str, vocabulary: Mapping[str, Any]) -> Draft202012Validator:
    """The common contract fields merged with the kind's own, closed to unknown keys."""
    key = (kind, json.dumps(vocabulary, sort_keys=True))
    validator = _CONTRACT_VALIDATORS.get(key)
    if validator is None:
        common = _load("contract.schema.json")
        schema = {
            "$schema": common["$schema"],
            "type": "object",
            "required": [*common["required"], *vocabulary.get("required", [])],
            "properties": {**common["properties"], **vocabulary.get("properties", {})},
            "additionalProperties": False,
            "$defs": {**common["$defs"], **vocabulary.get("$defs", {})},
        }
        validator = _CONTRACT_VALIDATORS[key] = Draft202012Validator(schema)
    return validator


def validate_plan(doc: SourceDoc, data: Any) -> list[Diagnostic]:
    return diagnose(plan_validator(), doc, data, _PLAN_HINTS)


def validate_contract(
    doc: SourceDoc, data: Any, vocabularies: Mapping[str, Mapping[str, Any]]
) -> list[Diagnostic]:
    """Check ``kind`` first (one of ``vocabularies``), then every field against that kind's own."""
    if not isinstance(data, dict):
        return [_diag(doc, "", f"expected a mapping with kind and name, got {_show(data)}")]
    kind = data.get("kind")
    kinds = tuple(vocabularies)
    if not isinstance(kind, str) or kind not in vocabularies:
        if "kind" not in data:
            return [_diag(doc, "/kind", "missing required field", hint=_one_of(kinds))]
        return [
            _diag(
                doc,
                "/kind",
                f"expected one of {', '.join(kinds)}, got {_show(kind)}",
                hint=did_you_mean(kind, kinds),
                rule="unknown-kind",
            )
        ]
    return diagnose(contract_validator(kind, vocabularies[kind]), doc, data, _CONTRACT_HINTS)


def diagnose(
    validator: Draft202012Validator,
    doc: SourceDoc,
    data: Any,
    hints: dict[str, str] | None = None,
    *,
    prefix: str = "",
) -> list[Diagnostic]:
    """Every way ``data`` breaks ``validator``'s schema, as compiler-style diagnostics.

    ``data`` sits at JSON pointer ``prefix`` of ``doc`` (a part validated on its own, such
    as a scenario step's case against its kind's vocabulary).
    """
    found: list[Diagnostic] = []
    for error in validator.iter_errors(data):
        found.extend(_rewrite(error, doc, hints or {}, prefix))
    # jsonschema may report the same place twice through if/then and allOf
    unique = {(d.source.line, d.source.col, d.field, d.message): d for d in found}
    return list(unique.values())


def _rewrite(
    error: ValidationError, doc: SourceDoc, hints: dict[str, str], prefix: str = ""
) -> list[Diagnostic]:
    pointer = prefix + "".join("/" + escape(str(p)) for p in error.absolute_path)
    keyword = error.validator
    schema = error.schema if isinstance(error.schema, dict) else {}
    instance = error.instance
    if keyword == "additionalProperties" and isinstance(instance, dict):
        allowed = sorted(schema.get("properties", {}))
        out = []
        for key in instance:
            if key in allowed:
                continue
            child = f"{pointer}/{escape(str(key))}"
            hint = did_you_mean(str(key), allowed) or (
                f"known keys here: {', '.join(allowed)}" if allowed else ""
            )
            out.append(
                _diag(doc, child, f"unknown key {key!r}", hint=hint, rule="unknown-key", key=True)
            )
        return out
    if keyword == "required":
        missing = (
            error.message.split("'")[1] if "'" in error.message else str(error.validator_value)
        )
        return [
            Diagnostic(
                source=doc.ref(pointer),
                field=dotted(f"{pointer}/{escape(missing)}"),
                message="missing required field",
                hint=hints.get(missing, ""),
                rule="missing-field",
            )
        ]
    expected = _expected(keyword, error.validator_value, schema)
    hint = ""
    if keyword == "enum":
        hint = did_you_mean(instance, [str(v) for v in cast(list[Any], error.validator_value)])
    if keyword == "oneOf" and isinstance(instance, str):
        hint = _status_hint(instance)
    if keyword == "pattern" and pointer.endswith("/name") and isinstance(instance, str):
        slug = re.sub(r"[^a-z0-9]+", "-", instance.lower()).strip("-")
        hint = f"did you mean {slug!r}?" if slug else ""
    return [
        _diag(
            doc,
            pointer,
            f"expected {expected}, got {_show(instance)}",
            hint=hint,
            rule=str(keyword),
        )
    ]


def _expected(keyword: Any, value: Any, schema: dict[str, Any]) -> str:
    if keyword == "type":
        types = value if isinstance(value, list) else [value]
        return " or ".join(_TYPE_WORDS.get(str(t), str(t)) for t in types)
    if keyword == "enum":
        return "one of " + ", ".join(str(v) for v in value)
    if keyword == "const":
        return repr(value)
    if "x-expected" in schema:
        return str(schema["x-expected"])
    if keyword == "pattern":
        return f"text matching {value}"
    if keyword in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        sign = {"minimum": ">=", "exclusiveMinimum": ">", "maximum": "<=", "exclusiveMaximum": "<"}
        return f"a number {sign[keyword]} {value}"
    if keyword == "minItems":
        return f"at least {value} item{'s' if value != 1 else ''}"
    if keyword == "minLength":
        return "non-empty text"
    if keyword == "uniqueItems":
        return "no repeated items"
    if keyword == "oneOf" and "description" in schema:
        return str(schema["description"]).rstrip(".")
    return f"a value allowed by {keyword}"


def _status_hint(text: str) -> str:
    wanted = text.strip().upper().replace("_", " ")
    for status in http.HTTPStatus:
        if status.phrase.upper() == wanted or status.name == wanted.replace(" ", "_"):
            return f"did you mean {status.value}?"
    return ""


def _show(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list" if value else "an empty list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def did_you_mean(value: Any, options: list[str] | tuple[str, ...]) -> str:
    if not isinstance(value, str):
        return ""
    close = difflib.get_close_matches(value, options, n=1, cutoff=0.6)
    if not close:
        close = [o for o in options if o.lower() == value.lower()]
    return f"did you mean {close[0]!r}?" if close else ""


def _one_of(options: tuple[str, ...]) -> str:
    return "kind is one of " + ", ".join(options)


def _diag(
    doc: SourceDoc, pointer: str, message: str, *, hint: str = "", rule: str = "", key: bool = False
) -> Diagnostic:
    return Diagnostic(
        source=doc.ref(pointer, key=key),
        field=dotted(pointer),
        message=message,
        hint=hint,
        rule=rule,
    )
