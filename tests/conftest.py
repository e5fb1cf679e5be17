"""Shared fixtures: where the repository, the example plan and the real-world corpus live.

The real-world OpenAPI and WSDL files live in ``../shared/corpus``, beside the repository, not
in it. A clone without them still runs every other test: corpus tests are skipped, each with
the reason. CI sets ``INTCHECK_REQUIRE_CORPUS=1``, which turns a missing corpus into a failure.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_PLAN = REPO / "contracts" / "plan.yaml"
CORPUS = REPO.parent / "shared" / "corpus"
CORPUS_MISSING = (
    "../shared/corpus not found: corpus tests need the shared corpus beside the repository"
    f" ({CORPUS})"
)


def _corpus_or_skip() -> Path:
    if CORPUS.is_dir():
        return CORPUS
    if os.environ.get("INTCHECK_REQUIRE_CORPUS"):
        pytest.fail(CORPUS_MISSING + "; INTCHECK_REQUIRE_CORPUS is set", pytrace=False)
    pytest.skip(CORPUS_MISSING)


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The real-world OpenAPI and WSDL files; without them the test is skipped, saying why."""
    return _corpus_or_skip()


def pytest_configure(config: pytest.Config) -> None:
    # Tests press Ctrl-C on the intcheck processes they start (SIGINT). A shell without job
    # control starts a background job (`pytest &`, a CI script run with `&`) with SIGINT
    # ignored, and an ignored signal stays ignored across exec: those children would never
    # see it. A handler of our own is reset to the default on exec, so they see it again.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A test that reads the corpus is a corpus test, marked or not: `-m "not corpus"` works.
    for item in items:
        if "corpus" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.corpus)


def pytest_runtest_setup(item: pytest.Item) -> None:
    # A test marked `corpus` skips without the corpus even if it forgot the fixture.
    if item.get_closest_marker("corpus") is not None:
        _corpus_or_skip()


@pytest.fixture(scope="session")
def example_plan_path() -> Path:
    return EXAMPLE_PLAN
