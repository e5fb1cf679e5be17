"""``--no-color`` before or after any verb, and ``NO_COLOR``, give plain text on stderr.

FORCE_COLOR makes rich colour its output even though pytest captures it, so the plain runs
below are checked against a run that does colour (the test can fail).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from intcheck.cli import main
from intcheck.errors import ExitCode
from tests.conftest import EXAMPLE_PLAN

ANSI = "\x1b["


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(argv)
    return code, capsys.readouterr().err


@pytest.fixture(autouse=True)
def _colour_forced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("NO_COLOR", raising=False)


def _verbs(missing: Path) -> dict[str, list[str]]:
    """Each verb with arguments that make it print something styled (a table or errors)."""
    return {
        "validate": ["validate", str(EXAMPLE_PLAN.parent)],
        "mock": ["mock", str(missing)],
        "probe": ["probe", str(missing)],
    }


@pytest.mark.parametrize("verb", ["validate", "mock", "probe"])
def test_no_color_after_the_verb(
    verb: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = _verbs(tmp_path)[verb]
    code, coloured = _run(args, capsys)
    assert ANSI in coloured, "the control run is coloured"
    after = [args[0], "--no-color", *args[1:]]
    before = ["--no-color", *args]
    for argv in (after, before):
        plain_code, plain = _run(argv, capsys)
        assert plain_code == code
        assert ANSI not in plain, argv
        assert plain.strip()


@pytest.mark.parametrize(("value", "coloured"), [("1", False), ("", True)])
def test_no_color_environment(
    value: str, coloured: bool, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """NO_COLOR set to anything but "" turns colour off (no-color.org)."""
    monkeypatch.setenv("NO_COLOR", value)
    _, err = _run(["validate", str(EXAMPLE_PLAN.parent)], capsys)
    assert (ANSI in err) is coloured


@pytest.mark.parametrize(
    "argv", [["schema", "--no-color", "report"], ["schema", "report", "--no-color"]]
)
def test_no_color_is_accepted_by_the_schema_verbs(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == ExitCode.OK
    assert '"title": "intcheck report"' in capsys.readouterr().out


def test_library_warnings_go_through_the_redactor(capsys: pytest.CaptureFixture[str]) -> None:
    """A warning logged by any library after the plan is loaded has its secrets masked."""
    import logging

    from intcheck.console import Output

    output = Output(color=False)
    output.take_logging()
    try:
        output.hide(["s3cr3t-token-value"])
        logging.getLogger("zeep.transports").warning("retrying with token s3cr3t-token-value")
    finally:
        root = logging.getLogger()
        for handler in [h for h in root.handlers if type(h).__name__ == "_Lines"]:
            root.removeHandler(handler)
    err = capsys.readouterr().err
    assert "WARNING zeep.transports: retrying with token ***" in err
    assert "s3cr3t" not in err
