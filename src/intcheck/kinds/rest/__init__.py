"""REST kind: an OpenAPI 3.0/3.1 document served as a validating, stateful mock.

``spec`` compiles the document once (routes, parameter styles, validators, responses),
``request`` holds the request rules and the statuses broken rules get, ``state`` ties paths to
the plan's dataset, and ``mock`` is the aiohttp handler that puts them together.
"""

from __future__ import annotations

from intcheck.kinds.rest.mock import RestMock

__all__ = ["MOCK", "RestMock"]

MOCK = RestMock()
