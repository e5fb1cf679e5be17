"""The event loop intcheck's own long-running work runs on: uvloop where it is installed.

uvloop does the loop's bookkeeping and the sockets' reads and writes in C. Counted with
callgrind under wrk -c32, it takes a fifth of the instructions off a raw aiohttp GET
(205k to 162k) and an eighth off a mock POST (423k to 370k): counted in instructions, the
difference between a POST at 48 % and at 55 % of raw aiohttp's GET on asyncio. It is a
dependency except on Windows, where it does not build; there, and wherever it is missing, the
standard loop serves unchanged.

Only the loops intcheck creates itself use it (the CLI verbs, mock workers, the pytest
plugin's server thread); ``MockServer`` used as a library runs on whatever loop its caller has.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def new_loop() -> asyncio.AbstractEventLoop:
    """A new event loop: uvloop's when it can be imported, else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)`` on a loop from :func:`new_loop` (Ctrl-C is handled the same)."""
    with asyncio.Runner(loop_factory=new_loop) as runner:
        return runner.run(main)
