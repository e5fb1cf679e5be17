"""Caller-ID forms and webhook signatures against the real senders' published vectors."""

from __future__ import annotations

import pytest

from intcheck.kinds import signatures
from intcheck.kinds.callerid import (
    FORMS,
    all_forms,
    form_of,
    is_withheld,
    readings,
    same_caller,
    shape,
)

# Twilio's SDK test vector (twilio-csharp RequestValidatorTest) and its docs' variant.
TWILIO_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"


@pytest.mark.parametrize(
    ("caller", "signature"),
    [
        ("+14158675309", "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
        ("+12349013030", "0/KCTR6DLpKmkAf8muzZqo1nDgQ="),
    ],
)
def test_twilio_signature_matches_the_published_vector(caller: str, signature: str) -> None:
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": caller,
        "Digits": "1234",
        "From": caller,
        "To": "+18005551212",
    }
    assert signatures.twilio("12345", TWILIO_URL, params) == signature
    assert signatures.twilio("12346", TWILIO_URL, params) != signature


def test_twilio_url_is_accepted_with_and_without_its_default_port() -> None:
    assert signatures.twilio_url_variants("https://crm.example.com/cti?x=1") == [
        "https://crm.example.com/cti?x=1",
        "https://crm.example.com:443/cti?x=1",
    ]
    assert signatures.twilio_url_variants("http://127.0.0.1:8080/cti") == [
        "http://127.0.0.1:8080/cti"
    ]


# Vonage's Ruby SDK test vectors (test/vonage/signature_test.rb).
VONAGE_PARAMS = {
    "message-timestamp": "2013-11-21 15:27:30",
    "messageId": "020000001B0FE827",
    "msisdn": "14843472194",
    "text": "Test again",
    "timestamp": "1385047698",
    "to": "13239877404",
    "type": "text",
}


@pytest.mark.parametrize(
    ("algorithm", "sig"),
    [
        ("md5hash", "d2e7b1dc968737c5998ad624e02f90b7"),
        ("md5", "DDEBD46008C2D4E93CCE578A332A52D5"),
        ("sha1", "27D0D05C2876C7CB1720DBCDBA4D492E1E55C09A"),
        ("sha256", "DDB8397C2B90AAC7F3882D306475C9A5058C92322EEF43C92B298B6E0FC0D330"),
    ],
)
def test_vonage_signature_matches_the_sdk_vectors(algorithm: str, sig: str) -> None:
    key = "my_secret_key_for_testing"
    assert signatures.vonage(key, {**VONAGE_PARAMS, "sig": "ignored"}, algorithm) == sig


@pytest.mark.parametrize("value", ["_", "&", "="])
def test_vonage_signature_replaces_separators_in_values(value: str) -> None:
    sig = signatures.vonage("my_secret_key_for_testing", {"k": value})
    assert sig == "c3d6a686ab9c7e7408bb1c0506e9629a"


def test_mailgun_and_generic_hmac_signatures() -> None:
    # hex HMAC-SHA256(key, timestamp + token): recomputed independently with hashlib
    import hashlib
    import hmac

    expected = hmac.new(b"key-1", b"1700000000abc", hashlib.sha256).hexdigest()
    assert signatures.mailgun("key-1", "1700000000", "abc") == expected
    stamped = signatures.generic("hmac-sha256", "s", b"body", "1700000000")
    assert stamped == hmac.new(b"s", b"1700000000.body", hashlib.sha256).hexdigest()
    assert (
        signatures.generic("hmac-sha1", "s", b"body") == hmac.new(b"s", b"body", "sha1").hexdigest()
    )
    assert signatures.equal(stamped, stamped) and not signatures.equal(stamped, stamped[:-1] + "0")


@pytest.mark.parametrize(
    "e164", ["+4915112345678", "+493012345670", "+390612345678", "+14155551212"]
)
def test_every_caller_id_form_is_the_same_caller(e164: str) -> None:
    region = {"+49": "DE", "+39": "IT", "+1": "US"}[e164[:3] if e164[:3] != "+14" else "+1"]
    forms = all_forms(e164, region)
    assert set(forms) == set(FORMS)
    for form, caller in forms.items():
        assert same_caller(caller, e164, region), (form, caller)
    assert not same_caller(forms["national"], "+4900000000", region)


def test_italian_numbers_keep_their_leading_zero() -> None:
    assert shape("+390612345678", "national", "IT") == "0612345678"
    assert shape("+390612345678", "00", "IT") == "00390612345678"


@pytest.mark.parametrize(
    "caller", ["anonymous", "Restricted", "", "unavailable", "+266696687", "<unknown>"]
)
def test_withheld_caller_ids_are_recognised(caller: str) -> None:
    assert is_withheld(caller)
    assert not same_caller(caller, "+4915112345678")


@pytest.mark.parametrize(
    ("caller", "region", "form"),
    [
        ("+4915112345678", "DE", "e164"),
        ("+49 151 12345678", "DE", "international"),
        ("015112345678", "DE", "national"),
        ("004915112345678", "DE", "00"),
        ("4915112345678", "DE", "digits"),
        ("tel:+4915112345678", "DE", "tel"),
        ("sip:+4915112345678@pbx.example.com;user=phone", "DE", "sip"),
        ("0033612345678", "DE", "00"),
        ("4155551212", "US", "national"),
        (" 4915112345678", "DE", "plus-as-space"),
        ("anonymous", "DE", "withheld"),
        ("", "DE", "withheld"),
        ("abc", "DE", "not-a-number"),
    ],
)
def test_the_form_a_caller_id_arrives_in(caller: str, region: str, form: str) -> None:
    assert form_of(caller, region) == form


def test_a_national_pbx_shows_foreign_callers_with_its_international_prefix() -> None:
    assert shape("+33612345678", "national", "DE") == "0033612345678"
    assert shape("+33612345678", "national", "US") == "01133612345678"
    assert form_of(shape("+33612345678", "national", "US"), "US") == "national"


def test_bare_digits_are_read_both_ways() -> None:
    # "4915112345678": a German number without its trunk 0, or +49… with the + stripped
    assert readings("4915112345678", "DE")[-1] == "+4915112345678"
    assert readings("anonymous", "DE") == ()
