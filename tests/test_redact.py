"""Secrets never survive redaction, whichever way they travel."""

from __future__ import annotations

from intcheck.redact import MASK, Redactor


def test_known_secret_values_are_masked_everywhere() -> None:
    redactor = Redactor(["s3cr3t-token"])
    assert redactor.text("Bearer s3cr3t-token") == f"Bearer {MASK}"
    assert redactor.value({"note": ["x s3cr3t-token y"]}) == {"note": [f"x {MASK} y"]}


def test_secret_headers_and_fields_are_masked_by_name() -> None:
    redactor = Redactor()
    assert redactor.headers({"Authorization": "Basic abc", "Accept": "x"}) == {
        "Authorization": MASK,
        "Accept": "x",
    }
    assert redactor.value({"password": "hunter2", "sig": "abc", "to": "+491"}) == {
        "password": MASK,
        "sig": MASK,
        "to": "+491",
    }
