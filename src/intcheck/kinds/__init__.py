"""Kind name -> the module that knows that kind (mock, probe, simulate).

Adding a kind means one module under ``kinds/`` and one line in ``MOCKS`` (and its peers).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from intcheck.kinds.base import MockBuilder


def mock_builders() -> dict[str, MockBuilder]:
    """The kinds that can serve a mock today, by kind name."""
    from intcheck.kinds import rest, soap

    return {"rest": rest.MOCK, "soap": soap.MOCK}
