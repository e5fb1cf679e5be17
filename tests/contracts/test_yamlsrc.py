"""YAML positions, ``${ENV}`` interpolation and the phone normalisation the loaders rely on."""

from __future__ import annotations

from pathlib import Path

import pytest

from intcheck.contracts.interpolate import interpolate
from intcheck.contracts.yamlsrc import YamlSyntaxError, dotted, parse_yaml


def _doc(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    return path


def test_positions_of_values_and_keys(tmp_path: Path) -> None:
    doc = parse_yaml(_doc(tmp_path, "kind: rest\nmock:\n  latency:\n    median_ms: 40\n"))
    assert doc.ref("/kind").line == 1 and doc.ref("/kind").col == 7
    assert doc.ref("/mock/latency/median_ms").line == 4
    # a block mapping is reported at its key's line, not the line after
    assert doc.ref("/mock").line == 2
    # a pointer that does not exist falls back to its nearest ancestor
    assert doc.ref("/mock/latency/nothing").line == 3


def test_duplicate_keys_are_errors_with_their_line(tmp_path: Path) -> None:
    with pytest.raises(YamlSyntaxError) as caught:
        parse_yaml(_doc(tmp_path, "kind: rest\nname: a\nname: b\n"))
    assert caught.value.diagnostic.source.line == 3
    assert "duplicate key 'name'" in caught.value.diagnostic.message


def test_undecodable_bytes_name_their_line(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(b"kind: rest\nname: \xff\n")
    with pytest.raises(YamlSyntaxError) as caught:
        parse_yaml(path)
    assert caught.value.diagnostic.source.line == 2
    assert "not UTF-8" in caught.value.diagnostic.message


def test_dotted_paths() -> None:
    assert dotted("/integrations/1/gates/0") == "integrations[1].gates[0]"
    assert dotted("/mock/a~1b") == "mock.a/b"


def test_interpolation_defaults_numbers_and_escapes(tmp_path: Path) -> None:
    doc = parse_yaml(
        _doc(
            tmp_path,
            "a: ${HOST:-localhost}:${PORT:-80}\nb: ${P95:-300}\nc: $${LITERAL}\nd: ${TOKEN}\n",
        )
    )
    result = interpolate(doc, {"TOKEN": "yes"})
    assert result.data == {"a": "localhost:80", "b": 300, "c": "${LITERAL}", "d": "yes"}
    assert result.diagnostics == []
    assert {"/a", "/b", "/d"} <= result.interpolated


def test_missing_variable_names_itself_and_its_line(tmp_path: Path) -> None:
    doc = parse_yaml(_doc(tmp_path, "kind: rest\nauth:\n  token: Bearer ${NOPE}\n"))
    [problem] = interpolate(doc, {}).diagnostics
    assert (problem.source.line, problem.field) == (3, "auth.token")
    assert "NOPE is not set" in problem.message


def test_bad_reference_is_reported(tmp_path: Path) -> None:
    doc = parse_yaml(_doc(tmp_path, "a: ${not valid}\n"))
    [problem] = interpolate(doc, {}).diagnostics
    assert problem.rule == "bad-interpolation"
