"""Shared fixtures: where the repository, the example plan and the real-world corpus live."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_PLAN = REPO / "contracts" / "plan.yaml"
CORPUS = REPO.parent / "shared" / "corpus"


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The real-world OpenAPI and WSDL files; their absence is an error, never a skip."""
    if not CORPUS.is_dir():
        raise FileNotFoundError(f"corpus not found at {CORPUS}: corpus tests need ../shared/corpus")
    return CORPUS


@pytest.fixture(scope="session")
def example_plan_path() -> Path:
    return EXAMPLE_PLAN
