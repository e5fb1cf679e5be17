"""What a REST probe request carries on the wire: OpenAPI 3 parameter styles, bodies, keys."""

from __future__ import annotations

from typing import Any

import pytest

from intcheck.contracts.security import SecurityScheme
from intcheck.kinds.rest import encode
from intcheck.model import Auth

OBJECT = {"user_id": 7, "role": "agent"}


@pytest.mark.parametrize(
    ("param", "value", "expected"),
    [
        ({"name": "id"}, 5, "id=5"),
        ({"name": "vip"}, True, "vip=true"),
        ({"name": "f"}, OBJECT, "user_id=7&role=agent"),
        ({"name": "f", "explode": False}, OBJECT, "f=user_id,7,role,agent"),
        ({"name": "f", "style": "deepObject"}, OBJECT, "f%5Buser_id%5D=7&f%5Brole%5D=agent"),
        ({"name": "t"}, ["a", "b c"], "t=a&t=b%20c"),
        ({"name": "t", "explode": False}, ["a", "b"], "t=a,b"),
        ({"name": "t", "style": "spaceDelimited", "explode": False}, ["a", "b"], "t=a%20b"),
        ({"name": "t", "style": "pipeDelimited", "explode": False}, ["a", "b"], "t=a|b"),
        ({"name": "q", "content": {"application/json": {}}}, {"a": 1}, "q=%7B%22a%22%3A1%7D"),
    ],
)
def test_query_parameters_follow_their_style(
    param: dict[str, Any], value: Any, expected: str
) -> None:
    assert encode.query_part(param, value) == expected


@pytest.mark.parametrize(
    ("param", "value", "expected"),
    [
        ({"name": "id"}, "C 1/2", "C%201%2F2"),
        ({"name": "ids"}, [1, 2], "1,2"),
        ({"name": "o"}, OBJECT, "user_id,7,role,agent"),
        ({"name": "o", "explode": True}, OBJECT, "user_id=7,role=agent"),
        ({"name": "ids", "style": "label"}, [1, 2], ".1,2"),
        ({"name": "ids", "style": "label", "explode": True}, [1, 2], ".1.2"),
        ({"name": "ids", "style": "matrix"}, [1, 2], ";ids=1,2"),
        ({"name": "ids", "style": "matrix", "explode": True}, [1, 2], ";ids=1;ids=2"),
        ({"name": "o", "style": "matrix", "explode": True}, OBJECT, ";user_id=7;role=agent"),
    ],
)
def test_path_parameters_follow_their_style(
    param: dict[str, Any], value: Any, expected: str
) -> None:
    assert encode.path_part(param, value) == expected


def test_body_media_prefers_json_then_forms() -> None:
    assert encode.body_media({"application/merge-patch+json": {}}) == "application/merge-patch+json"
    both = {"application/merge-patch+json": {}, "application/json": {}}
    assert encode.body_media(both) == "application/json"
    form = {"application/x-www-form-urlencoded": {}, "text/plain": {}}
    assert encode.body_media(form) == "application/x-www-form-urlencoded"
    assert encode.body_media({"application/xml": {}}) is None
    assert encode.content_type(encode.body_media({"*/*": {}}) or "") == "application/json"


def test_form_body_repeats_arrays_and_spells_booleans_as_json() -> None:
    body = encode.encode_body(
        "application/x-www-form-urlencoded", {"granted": True, "topics": ["a", "b"], "n": None}
    )
    assert body == b"granted=true&topics=a&topics=b&n="


def test_api_key_goes_where_the_scheme_says() -> None:
    schemes = {
        "q": SecurityScheme(name="q", type="apiKey", location="query", key="api_key"),
        "c": SecurityScheme(name="c", type="apiKey", location="cookie", key="sid"),
        "b": SecurityScheme(name="b", type="http", http_scheme="bearer"),
    }
    credentials = (
        Auth(type="apikey", query="api_key", value="k-1"),
        Auth(type="apikey", scheme="c", value="s-2"),
        Auth(type="bearer", token="t-3"),
    )
    presented = encode.present([{"q": [], "c": [], "b": []}], schemes, credentials)
    assert presented is not None
    assert presented.query == {"api_key": "k-1"}
    assert presented.headers == {"Cookie": "sid=s-2", "Authorization": "Bearer t-3"}
    # an alternative the contract cannot meet is passed over; none met: None
    assert encode.present([{"x": []}, {"b": []}], schemes, credentials) is not None
    assert encode.present([{"x": []}], schemes, credentials) is None
    # an operation that declares no requirement gets every credential as written
    assert encode.present([], schemes, credentials[2:]) == encode.Presented(
        {"Authorization": "Bearer t-3"}, {}
    )
