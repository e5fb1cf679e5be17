"""Schema conversion and generation, parameter styles and routing of the REST mock."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import jsonschema
import jsonschema_rs
import pytest
from faker import Faker

from intcheck.contracts import load_plan
from intcheck.kinds import openapi_schema
from intcheck.kinds.openapi_schema import generate_value
from intcheck.kinds.regexgen import generate_matching
from intcheck.kinds.schema_convert import convert_schema
from intcheck.kinds.valuegen import Generator
from intcheck.mock import MockServer

COMPONENTS: dict[str, Any] = {
    "schemas": {
        "Pet": {
            "type": "object",
            "required": ["kind", "name"],
            "discriminator": {
                "propertyName": "kind",
                "mapping": {"cat": "#/components/schemas/Cat", "dog": "#/components/schemas/Dog"},
            },
            "properties": {
                "kind": {"type": "string"},
                "name": {"type": "string", "minLength": 2, "maxLength": 8},
            },
        },
        "Cat": {
            "allOf": [
                {"$ref": "#/components/schemas/Pet"},
                {
                    "type": "object",
                    "properties": {"lives": {"type": "integer", "minimum": 1, "maximum": 9}},
                },
            ]
        },
        "Dog": {
            "allOf": [
                {"$ref": "#/components/schemas/Pet"},
                {
                    "type": "object",
                    "required": ["bark"],
                    "properties": {"bark": {"type": "string", "enum": ["woof", "yap"]}},
                },
            ]
        },
        "Node": {
            "type": "object",
            "required": ["id", "children"],
            "properties": {
                "id": {"type": "string", "format": "uuid"},
                "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
                "parent": {"$ref": "#/components/schemas/Node"},
            },
        },
        "Everything": {
            "type": "object",
            "additionalProperties": False,
            "required": [
                "when",
                "day",
                "mail",
                "code",
                "ratio",
                "step",
                "tags",
                "maybe",
                "secret",
                "either",
                "pet",
                "tree",
                "extra",
            ],
            "properties": {
                "when": {"type": "string", "format": "date-time"},
                "day": {"type": "string", "format": "date"},
                "mail": {"type": "string", "format": "email"},
                "code": {"type": "string", "pattern": "^[A-Z]{3}-\\d{2,4}$"},
                "ratio": {
                    "type": "number",
                    "minimum": 0,
                    "maximum": 1,
                    "exclusiveMinimum": True,
                    "exclusiveMaximum": True,
                },
                "step": {"type": "number", "multipleOf": 0.25, "minimum": 10, "maximum": 20},
                "tags": {
                    "type": "array",
                    "minItems": 2,
                    "maxItems": 3,
                    "uniqueItems": True,
                    "items": {"type": "integer", "minimum": 1, "maximum": 50},
                },
                "maybe": {"type": "string", "nullable": True},
                "secret": {"type": "string", "writeOnly": True},
                "either": {
                    "oneOf": [
                        {"type": "integer", "multipleOf": 7},
                        {"type": "string", "maxLength": 3},
                    ]
                },
                "pet": {
                    "oneOf": [
                        {"$ref": "#/components/schemas/Cat"},
                        {"$ref": "#/components/schemas/Dog"},
                    ],
                    "discriminator": {"propertyName": "kind"},
                },
                "tree": {"$ref": "#/components/schemas/Node"},
                "extra": {
                    "type": "object",
                    "minProperties": 2,
                    "additionalProperties": {"type": "boolean"},
                },
                "stamp": {"type": "string", "readOnly": True},
            },
        },
    }
}


def _convert(direction: str) -> dict[str, Any]:
    def resolve(ref: str) -> Any:
        return COMPONENTS["schemas"][ref.rsplit("/", 1)[-1]]

    return {
        "components": {
            "schemas": {
                name: convert_schema(schema, openapi30=True, direction=direction, resolve=resolve)
                for name, schema in COMPONENTS["schemas"].items()
            }
        }
    }


def test_openapi30_is_converted_to_2020_12() -> None:
    everything = _convert("request")["components"]["schemas"]["Everything"]
    assert everything["properties"]["maybe"]["type"] == ["string", "null"]
    assert everything["properties"]["ratio"] == {
        "type": "number",
        "exclusiveMinimum": 0,
        "exclusiveMaximum": 1,
    }
    assert "secret" in everything["required"] and "stamp" not in everything["required"]
    response = _convert("response")["components"]["schemas"]["Everything"]
    assert "secret" not in response["required"]


@pytest.mark.parametrize("seed", range(25))
def test_generated_values_are_valid(seed: int) -> None:
    root = _convert("response")
    schema = {"$ref": "#/components/schemas/Everything", **root}
    strict = jsonschema_rs.validator_for(schema, validate_formats=True)
    python = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())

    def check(sub: Any, value: Any) -> bool:
        return bool(jsonschema_rs.validator_for({"allOf": [sub], **root}).is_valid(value))

    generator = Generator(root, rng=random.Random(seed), faker=Faker(), check=check)
    value = generator.generate({"$ref": "#/components/schemas/Everything"})
    assert strict.is_valid(value), list(strict.iter_errors(value))[:3]
    assert python.is_valid(value), [e.message for e in python.iter_errors(value)][:3]
    assert "secret" not in value
    assert value["pet"]["kind"] in ("cat", "dog")
    json.dumps(value)


def test_regex_generation() -> None:
    rng = random.Random(3)
    import re

    for pattern in (
        "^C[0-9]{6}$",
        "^\\+[1-9][0-9]{1,14}$",
        "^(ab|cd)+[^x-z]?$",
        "^\\w+@\\w+\\.com$",
    ):
        for _ in range(20):
            assert re.fullmatch(pattern, generate_matching(pattern, rng)), pattern


STYLES_SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "styles", "version": "1"},
    "paths": {
        "/items/{id}": {
            "get": {
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},
                    {
                        "name": "ids",
                        "in": "query",
                        "style": "form",
                        "explode": False,
                        "schema": {"type": "array", "items": {"type": "integer"}},
                    },
                    {
                        "name": "tags",
                        "in": "query",
                        "schema": {
                            "type": "array",
                            "items": {"type": "string", "enum": ["a", "b"]},
                        },
                    },
                    {
                        "name": "pipe",
                        "in": "query",
                        "style": "pipeDelimited",
                        "schema": {"type": "array", "items": {"type": "number"}},
                    },
                    {
                        "name": "filter",
                        "in": "query",
                        "style": "deepObject",
                        "explode": True,
                        "schema": {
                            "type": "object",
                            "properties": {"min": {"type": "integer"}, "on": {"type": "boolean"}},
                            "additionalProperties": False,
                        },
                    },
                    {
                        "name": "X-Trace",
                        "in": "header",
                        "schema": {"type": "array", "items": {"type": "integer"}, "maxItems": 2},
                    },
                    {
                        "name": "session",
                        "in": "cookie",
                        "required": True,
                        "schema": {"type": "string", "minLength": 3},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": ["object", "null"],
                                    "properties": {"n": {"type": ["integer", "null"]}},
                                }
                            }
                        },
                    },
                    "400": {"description": "bad"},
                },
            }
        },
        "/items/{name}": {
            "get": {
                "parameters": [
                    {
                        "name": "name",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "pattern": "^[a-z]+$"},
                    }
                ],
                "responses": {
                    "200": {
                        "description": "by name",
                        "content": {
                            "text/plain": {"schema": {"type": "string"}, "example": "named"}
                        },
                    }
                },
            }
        },
        "/matrix/{point}": {
            "get": {
                "parameters": [
                    {
                        "name": "point",
                        "in": "path",
                        "required": True,
                        "style": "matrix",
                        "explode": True,
                        "schema": {
                            "type": "object",
                            "properties": {"x": {"type": "integer"}, "y": {"type": "integer"}},
                            "required": ["x", "y"],
                        },
                    }
                ],
                "responses": {
                    "200": {
                        "description": "ok",
                        "headers": {
                            "X-Rate": {"schema": {"type": "integer", "minimum": 5, "maximum": 5}}
                        },
                    },
                    "422": {"description": "bad"},
                },
            }
        },
    },
}


@contextlib.asynccontextmanager
async def _mock_of(folder: Path, name: str, spec: str) -> AsyncIterator[str]:
    """The REST mock of ``spec`` (an OpenAPI document's text) as contract ``name``; its URL."""
    (folder / f"{name}.spec.yaml").write_text(spec)
    (folder / f"{name}.yaml").write_text(f"kind: rest\nname: {name}\nspec: {name}.spec.yaml\n")
    (folder / "plan.yaml").write_text(f"name: {name}\nintegrations:\n  - contract: {name}.yaml\n")
    async with asyncio.timeout(30), MockServer(load_plan(folder)) as server:
        yield f"{server.url}/{name}"


@pytest.fixture
async def styles(tmp_path: Path) -> AsyncIterator[str]:
    async with _mock_of(tmp_path, "styles", json.dumps(STYLES_SPEC)) as url:
        yield url


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        (
            "/items/7?ids=1,2,3&tags=a&tags=b&pipe=1.5|2&filter[min]=3&filter[on]=true",
            {"X-Trace": "1,2"},
            200,
        ),
        ("/items/7?ids=1,x", {}, 400),
        ("/items/7?tags=c", {}, 400),
        ("/items/7?filter[min]=z", {}, 400),
        ("/items/7?filter[other]=1", {}, 400),
        ("/items/7", {"X-Trace": "1,2,3"}, 400),
        ("/items/7?pipe=1|y", {}, 400),
        ("/matrix/;x=1;y=2", {}, 200),
        ("/matrix/;x=1;y=b", {}, 422),
    ],
)
async def test_parameter_styles(
    styles: str, path: str, headers: dict[str, str], status: int
) -> None:
    async with (
        aiohttp.ClientSession(
            cookies={"session": "abcd"}, timeout=aiohttp.ClientTimeout(total=10)
        ) as session,
        session.get(styles + path, headers=headers) as resp,
    ):
        assert resp.status == status, await resp.text()
        if path.startswith("/matrix") and status == 200:
            assert resp.headers["X-Rate"] == "5"


async def test_missing_cookie_and_route_by_pattern(styles: str) -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        async with session.get(styles + "/items/7") as resp:
            assert resp.status == 400
            assert (await resp.json())["errors"][0]["pointer"] == "cookie.session"
        async with session.get(styles + "/items/abc") as resp:
            assert resp.status == 200 and await resp.text() == "named"
        async with session.get(styles + "/items/ABC") as resp:
            assert resp.status == 400  # matches neither template's pattern


@pytest.mark.parametrize(
    ("schema", "low", "high"),
    [
        ({"type": "integer", "minimum": 2147483600, "maximum": 2147483647}, 2147483600, 2**31 - 1),
        ({"type": "integer", "format": "int32", "maximum": -2147483640}, -(2**31), -2147483640),
        ({"type": "integer", "format": "int64", "minimum": 2**40}, 2**40, 2**63 - 1),
    ],
)
def test_generated_integers_stay_inside_bounds_near_the_format_limits(
    schema: dict[str, Any], low: int, high: int
) -> None:
    # bounds at the int32/int64 limits are widened for readable values, never past the schema
    value = generate_value(schema, {})
    assert isinstance(value, int) and low <= value <= high


PETS_SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "pets", "version": "1"},
    "paths": {
        "/pets": {
            "post": {
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Any"}}
                    },
                },
                "responses": {
                    "201": {
                        "description": "created",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Any"}}
                        },
                    },
                    "400": {"description": "refused"},
                },
            }
        }
    },
    "components": {
        "schemas": {
            **COMPONENTS["schemas"],
            "Any": {
                "oneOf": [
                    {"$ref": "#/components/schemas/Cat"},
                    {"$ref": "#/components/schemas/Dog"},
                ],
                "discriminator": COMPONENTS["schemas"]["Pet"]["discriminator"],
            },
        }
    },
}


@pytest.mark.parametrize(
    ("body", "status", "rule"),
    [
        ({"kind": "cat", "name": "Tom", "lives": 9}, 201, ""),
        # valid as a Cat and as a Dog: plain oneOf would refuse it, the tag says dog
        ({"kind": "dog", "name": "Rex", "bark": "woof"}, 201, ""),
        ({"kind": "dog", "name": "Rex"}, 400, "required"),  # the tag's branch must hold
        ({"kind": "cow", "name": "Daisy"}, 400, "enum"),
    ],
)
async def test_mock_judges_a_discriminated_one_of_as_the_probe_does(
    tmp_path: Path, body: dict[str, Any], status: int, rule: str
) -> None:
    """The mock refused valid requests the probe accepts (an ambiguous oneOf whose
    discriminator names the branch): mock and probe now judge one contract alike."""
    async with (
        _mock_of(tmp_path, "pets", json.dumps(PETS_SPEC)) as url,
        aiohttp.ClientSession() as session,
        session.post(url + "/pets", json=body) as resp,
    ):
        answer = await resp.json()
        assert resp.status == status, answer
        if rule:
            assert answer["type"] == f"urn:intcheck:problem:{rule}"
        else:  # the answer generated for it is valid as the probe judges answers
            schemas = PETS_SPEC["components"]["schemas"]

            def judged(node: Any) -> Any:
                return openapi_schema.convert(
                    node, direction="response", resolve=lambda ref: schemas[ref.split("/")[-1]]
                )

            components = {"schemas": {name: judged(schema) for name, schema in schemas.items()}}
            probe_view = {**judged(schemas["Any"]), "components": components}
            assert openapi_schema.CompiledSchema(probe_view).is_valid(answer), answer


RULES_SPEC = """openapi: 3.0.3
info: {title: rules, version: "1"}
security: [{bearer: []}]
paths:
  /me:
    get:
      responses:
        "200": {description: who I am}
  /campaigns:
    post:
      security: []
      requestBody:
        required: true
        content:
          application/x-www-form-urlencoded:
            schema:
              type: object
              required: [MessageSamples]
              properties:
                MessageSamples: {type: array, items: {type: string}, minItems: 1}
                Name: {type: string}
                Count: {type: integer}
      responses:
        "201": {description: created}
        "400": {description: refused}
  /events:
    get:
      security: []
      parameters:
        - name: filter
          in: query
          required: true
          style: form
          explode: true
          schema:
            type: object
            oneOf:
              - properties: {user_id: {type: string}}
                required: [user_id]
                additionalProperties: false
              - properties: {email: {type: string}}
                required: [email]
                additionalProperties: false
      responses:
        "200": {description: the events}
        "400": {description: refused}
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
"""


@pytest.fixture
async def rules(tmp_path: Path) -> AsyncIterator[str]:
    async with _mock_of(tmp_path, "rules", RULES_SPEC) as url:
        yield url


async def test_missing_credentials_get_401_where_the_spec_documents_no_401(rules: str) -> None:
    """A secured operation's 401 is implied by its security requirement, as the probe's
    auth_is_enforced judges it; the mock answered 400, which the spec documents no better."""
    async with aiohttp.ClientSession() as session:
        async with session.get(rules + "/me") as resp:
            assert resp.status == 401
            assert (await resp.json())["type"] == "urn:intcheck:problem:security"
        async with session.get(rules + "/me", headers={"Authorization": "Bearer t"}) as resp:
            assert resp.status == 200


@pytest.mark.parametrize(
    ("form", "status"),
    [
        ("MessageSamples=Hi&MessageSamples=Bye&Count=2", 201),  # a form array: repeated keys
        ("MessageSamples=Hi", 201),  # one item of an array property
        ("MessageSamples=Hi&Name=a&Name=b", 400),  # a plain field sent twice
        ("MessageSamples=Hi&Count=two", 400),
    ],
)
async def test_a_form_carries_an_array_as_repeated_fields(
    rules: str, form: str, status: int
) -> None:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(rules + "/campaigns", data=form, headers=headers) as resp,
    ):
        assert resp.status == status, await resp.text()


@pytest.mark.parametrize(
    ("query", "status"),
    [("?user_id=u1", 200), ("?email=a%40b.example", 200), ("", 400), ("?user_id=u1&email=x", 400)],
)
async def test_an_exploded_query_object_takes_the_properties_of_its_branches(
    rules: str, query: str, status: int
) -> None:
    """Intercom's ``filter``: a oneOf of one-field objects, each field its own parameter."""
    async with aiohttp.ClientSession() as session, session.get(rules + "/events" + query) as resp:
        assert resp.status == status, await resp.text()
