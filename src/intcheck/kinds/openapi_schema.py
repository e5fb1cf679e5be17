"""OpenAPI schemas judged the way JSON Schema means them, for the probe.

* OpenAPI 3.0 dialect rewritten to 2020-12: ``nullable``, boolean ``exclusiveMinimum`` /
  ``exclusiveMaximum``, ``readOnly`` properties not required in requests and ``writeOnly`` ones
  not required in responses, and ``discriminator`` (the tag picks the one branch to check, so an
  ambiguous ``oneOf`` cannot raise a false alarm).
* ``multipleOf`` in decimal arithmetic: binary floats make ``0.3 / 0.1`` come out as
  2.9999999999999996, which plain jsonschema reports as a violation.
* The first error reported with its instance pointer and the spec location of the rule broken.

The conversion itself is ``schema_convert``'s, shared with the mock; what lives here is the
judging: the discriminator rewrite and python-jsonschema with its keyword overrides.
"""

from __future__ import annotations

import decimal
import functools
import random
from collections.abc import Callable, Iterator
from fractions import Fraction
from typing import Any

import jsonschema_rs
from faker import Faker
from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError, best_match

from intcheck.contracts.openapi import resolve_pointer
from intcheck.contracts.yamlsrc import escape
from intcheck.kinds.schema_convert import convert_schema
from intcheck.kinds.valuegen import Generator


def convert(
    node: Any, *, direction: str, resolve: Callable[[str], Any], openapi30: bool = True
) -> Any:
    """``node`` (an OpenAPI schema) as JSON Schema 2020-12 for ``direction``, for judging.

    The conversion is the mock's (``schema_convert.convert_schema``); judging adds the
    discriminator rewrite, so that the tag picks the one branch an answer is checked against.
    """
    return convert_schema(
        node, openapi30=openapi30, direction=direction, resolve=resolve, discriminators=True
    )


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

    def only_overlapping_one_of(self, instance: Any) -> bool:
        """Whether every rule ``instance`` breaks is a ``oneOf`` it matches more than one
        branch of: the spec's branches overlap (no discriminator, no required field or type
        telling them apart), so no answer could show which one it is."""
        errors = list(self.python.iter_errors(instance))
        return bool(errors) and all(e.validator == "oneOf" and not e.context for e in errors)


def first_error(validator: Any, instance: Any, root_pointer: str) -> dict[str, str] | None:
    """The most relevant error as {message, instance_pointer, schema_location}, or None."""
    error = best_match(validator.iter_errors(instance))
    if error is None:
        return None
    pointer = "".join("/" + escape(str(p)) for p in error.absolute_path)
    return {
        # Whole: the probe redacts it before cutting it (a cut secret would no longer match).
        "message": error.message,
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
                node = resolve_pointer(root, "#" + pointer)
            except (KeyError, IndexError, ValueError, TypeError):
                return "#" + pointer
        if token == "$ref":
            continue
        pointer += "/" + escape(str(token))
        try:
            node = node[int(token)] if isinstance(node, list) else node[token]
        except (KeyError, IndexError, ValueError, TypeError):
            node = None
    return "#" + pointer


def generate_value(schema: Any, components: Any, *, name: str = "") -> Any:
    """A value valid for ``schema`` (refs resolve into ``components``), the same way every run.

    The mock's generator, seeded afresh per value: the probe's requests do not change between
    runs, so a finding can be reproduced.
    """
    generator = Generator(
        {"components": components},
        rng=random.Random(0),
        faker=_seeded_faker(),
        direction="request",
        check=lambda part, value: validator_for(
            {**part, "components": components} if isinstance(part, dict) else part
        ).is_valid(value),
    )
    return generator.generate(schema, name=name)


@functools.cache
def _seeded_faker() -> Faker:
    faker = Faker()
    faker.seed_instance(0)
    return faker
