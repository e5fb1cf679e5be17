"""Segment counting against exact vectors (DOMAIN.md §2.5, 3GPP TS 23.038)."""

from __future__ import annotations

import pytest

from intcheck.kinds.sms.segments import (
    GSM7,
    GSM7_BASIC,
    GSM7_EXTENSION,
    UCS2,
    as_gsm7_handset,
    split,
)

EMOJI = "😀"  # U+1F600: outside the BMP, two UTF-16 code units
CLEF = "𝄞"  # U+1D11E, a non-BMP character that is no emoji


def test_the_alphabet_is_the_128_codes_less_escape_and_the_10_extensions() -> None:
    assert len(GSM7_BASIC) == 127 and "\x1b" not in GSM7_BASIC
    assert frozenset("\f^{}\\[~]|€") == GSM7_EXTENSION
    assert not GSM7_BASIC & GSM7_EXTENSION


@pytest.mark.parametrize(
    ("text", "encoding", "units", "lengths"),
    [
        ("a" * 160, GSM7, 160, [160]),
        ("a" * 161, GSM7, 161, [153, 8]),
        ("a" * 306, GSM7, 306, [153, 153]),
        ("a" * 307, GSM7, 307, [153, 153, 1]),
        # an escape character costs two septets: 159 + 2 = 161 does not fit one segment
        ("a" * 159 + "€", GSM7, 161, [153, 7]),
        ("a" * 158 + "€", GSM7, 160, [159]),
        # the ESC pair would straddle septets 153/154: it moves whole into segment 2
        ("a" * 152 + "€" + "a" * 10, GSM7, 164, [152, 11]),
        ("a" * 151 + "€" + "a" * 10, GSM7, 163, [152, 10]),
        ("a" * 152 + "^" + "a" * 10, GSM7, 164, [152, 11]),
        # é is in GSM-7; ł is not and switches the whole message to UCS-2
        ("é" * 70, GSM7, 70, [70]),
        ("ł" * 70, UCS2, 70, [70]),
        ("ł" * 71, UCS2, 71, [67, 4]),
        ("a" * 69 + EMOJI, UCS2, 71, [67, 3]),
        ("a" * 68 + EMOJI, UCS2, 70, [69]),
        # 35 emoji are 70 units, one segment; 36 are 72: a segment holds 33 (66 units)
        (EMOJI * 35, UCS2, 70, [35]),
        (EMOJI * 36, UCS2, 72, [33, 3]),
        # a surrogate pair at units 67/68 moves whole into segment 2
        ("ł" * 66 + EMOJI + "ł" * 5, UCS2, 73, [66, 6]),
        ("ł" * 65 + EMOJI + "ł" * 5, UCS2, 72, [66, 5]),
        (CLEF + "a" * 68, UCS2, 70, [69]),
        (CLEF + "a" * 69, UCS2, 71, [66, 4]),  # 2 + 65 units, then 4
        ("", GSM7, 0, []),
    ],
)
def test_segments_of_exact_vectors(
    text: str, encoding: str, units: int, lengths: list[int]
) -> None:
    segments = split(text)
    assert segments.encoding == encoding
    assert segments.units == units
    assert [len(p) for p in segments.parts] == lengths
    assert "".join(segments.parts) == text


def test_segment_two_starts_with_the_escape_character_that_did_not_fit() -> None:
    parts = split("a" * 152 + "€" + "a" * 10).parts
    assert parts[0] == "a" * 152
    assert parts[1].startswith("€")


def test_no_segment_ends_inside_a_surrogate_pair() -> None:
    for part in split("ł" * 66 + EMOJI * 40).parts:
        encoded = part.encode("utf-16-le")
        assert len(encoded) // 2 <= 67
        encoded.decode("utf-16-le")  # a split pair would not decode


def test_a_forced_ucs2_send_counts_plain_text_in_code_units() -> None:
    # Vonage type=unicode: 71 plain letters need two UCS-2 segments
    assert split("a" * 71, encoding=UCS2).count == 2
    with pytest.raises(ValueError, match="outside the GSM-7 alphabet"):
        split("ł", encoding=GSM7)


def test_a_handset_shows_question_marks_for_ucs2_text_sent_as_gsm7() -> None:
    assert as_gsm7_handset("Zażółć € ok") == "Za???? € ok"
