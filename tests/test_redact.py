"""Secrets never survive redaction, whichever way they travel."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from html import escape
from urllib.parse import quote, quote_plus

import pytest

from intcheck.model import Evidence, Result, Status
from intcheck.redact import MASK, Redactor, printable

TOKEN = "s3cr3t-t0ken/with+plus=="
PASSWORD = 'pa55 wörd"\\&<x>'


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


SPELLINGS = {
    "plain": lambda s: s,
    "upper": str.upper,
    "lower": str.lower,
    "percent": lambda s: quote(s, safe=""),
    "percent, lower-case hex": lambda s: quote(s, safe="").replace("%2F", "%2f"),
    "percent, / kept": quote,
    "form (+ for space)": quote_plus,
    "percent twice": lambda s: quote(quote(s, safe=""), safe=""),
    "JSON": lambda s: json.dumps(s)[1:-1],
    "JSON with \\/": lambda s: json.dumps(s)[1:-1].replace("/", "\\/"),
    "JSON in JSON": lambda s: json.dumps(json.dumps(s))[1:-1],
    "repr": lambda s: repr(s)[1:-1],
    "repr in JSON": lambda s: json.dumps(repr(s))[1:-1],
    "XML": lambda s: escape(s),
    "XML twice": lambda s: escape(escape(s)),
    "base64": lambda s: base64.b64encode(s.encode()).decode(),
    "base64url": lambda s: base64.urlsafe_b64encode(s.encode()).decode(),
    "basic auth": lambda s: "Basic " + base64.b64encode(f"crm:{s}".encode()).decode(),
    "basic auth, longer user": lambda s: base64.b64encode(f"ops-user:{s}".encode()).decode(),
}


@pytest.mark.parametrize("secret", [TOKEN, PASSWORD])
@pytest.mark.parametrize("spelling", sorted(SPELLINGS))
def test_every_spelling_is_masked(secret: str, spelling: str) -> None:
    form = SPELLINGS[spelling](secret)
    redacted = Redactor([secret]).text(f"before {form} after")
    assert redacted.startswith("before ") and redacted.endswith(" after")
    assert MASK in redacted
    # What is left of the spelling is its wrapping (quotes, "Basic ") or a character or two.
    middle = redacted.removeprefix("before ").removesuffix(" after").replace(MASK, "")
    assert len(re.sub(r'^Basic |[\\"]', "", middle)) <= 2, redacted


def test_base64_masks_the_whole_run_and_nothing_else() -> None:
    pair = base64.b64encode(f"crm:{PASSWORD}".encode()).decode()
    assert Redactor([PASSWORD]).text(f'{{"auth": "Basic {pair}", "n": 1}}') == (
        f'{{"auth": "Basic {MASK}", "n": 1}}'
    )


def test_a_secret_across_the_cut_is_masked_whole() -> None:
    redactor = Redactor([TOKEN])
    for shift in range(1, len(TOKEN) + 1):  # from one character before the cut to all
        body = ("x" * (2048 - shift) + TOKEN + "y" * 100).encode()
        kept = redactor.excerpt(body, 2048)
        assert "t0ken" not in kept and "s3cr3t" not in kept and MASK in kept
        assert kept.endswith(f"… [{len(body) - 2048} more bytes]")
    text = "z" * 290 + TOKEN
    assert redactor.clip(text, 300) == "z" * 290 + MASK + "… [0 more characters]"


def test_excerpt_keeps_undecodable_bytes_as_escapes() -> None:
    assert Redactor().excerpt(b"caf\xe9 \xff", 100) == "caf\\xe9 \\xff"


def test_printable_spells_out_lone_surrogates() -> None:
    assert printable("caf\udce9") == "caf\\xe9"
    assert printable("x\ud800y") == "x\\ud800y"
    assert printable("wörd") == "wörd"


@dataclass(frozen=True, slots=True, kw_only=True)
class _Later:
    """A structure with a field nobody told the redactor about."""

    note: str
    nested: tuple[dict[str, list[str]], ...] = field(default_factory=tuple)


def test_scrub_redacts_every_string_in_a_structure() -> None:
    shared = Evidence(
        headers={"X-Echo": f"Bearer {TOKEN}", "Set-Cookie": "id=1"},
        body=f"echo {TOKEN}",
        schema_error={"message": f"'{TOKEN}' is not of type 'integer'"},
        curl=f"curl -H 'X: {TOKEN}'",
    )
    results = tuple(
        Result(
            integration="crm",
            operation="crm:op",
            case="crm:op#c",
            check=f"c{n}",
            status=Status.FAILED,
            message=f"got {TOKEN}\udce9",
            evidence=shared,
        )
        for n in range(2)
    )
    clean = Redactor([TOKEN]).scrub(results)
    assert TOKEN not in repr(clean)
    assert clean[0].evidence is clean[1].evidence, "a shared Evidence is redacted once"
    assert clean[0].evidence is not None
    assert clean[0].evidence.headers == {"X-Echo": f"Bearer {MASK}", "Set-Cookie": MASK}
    assert clean[0].message == f"got {MASK}\\xe9"
    later = Redactor([TOKEN]).scrub(_Later(note=TOKEN, nested=({"k": [f"a{TOKEN}"]},)))
    assert later == _Later(note=MASK, nested=({"k": [f"a{MASK}"]},))
