"""Kind name -> what intcheck knows about that kind: how to mock it, how to probe it.

Adding a kind means one module (or package) under ``kinds/`` and one line in each registry it
takes part in. The registries import lazily so that loading a plan never pulls in aiohttp
handlers or zeep serialisation it does not need.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from intcheck.kinds.base import MockBuilder
    from intcheck.kinds.probing import CaseBuilder


def mock_builders() -> dict[str, MockBuilder]:
    """The kinds that can serve a mock today, by kind name."""
    from intcheck.kinds import rest, soap

    return {"rest": rest.MOCK, "soap": soap.MOCK}


def probe_builders() -> dict[str, CaseBuilder]:
    """The kinds the conformance probe can check today, by kind name."""
    from intcheck.kinds.rest import probe as rest_probe
    from intcheck.kinds.soap import probe as soap_probe

    return {"rest": rest_probe, "soap": soap_probe}
