"""Fixtures for the probe tests: the example plan, loaded once."""

from __future__ import annotations

from pathlib import Path

import pytest

from intcheck.contracts import load_plan
from intcheck.model import Plan

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def plan() -> Plan:
    return load_plan(ROOT / "contracts")
