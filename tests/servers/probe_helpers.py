"""Small helpers shared by the probe tests."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Any

from aiohttp import web

from intcheck.probe import ProbeOptions, run_probe

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from intcheck.model import Plan, Result


def targets_for(url: str) -> dict[str, str]:
    """Both example services on one test server; the CTI contract to a path it does not
    serve (answered 404), so a whole-plan probe never reaches for the default :8080."""
    return {
        "customer-master": url + "/customer-master",
        "order-service": url,
        "pbx-screen-pop": url + "/pbx-screen-pop",
    }


async def probe(plan: Plan, **options: object) -> list[Result]:
    return [r async for r in run_probe(plan, ProbeOptions(**options))]  # type: ignore[arg-type]


@asynccontextmanager
async def serve_app(app: web.Application) -> AsyncIterator[str]:
    """``app`` on 127.0.0.1:0 for the length of the block; yields its origin."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


def plan_with(folder: Path, spec: str, contract: str = "", name: str = "svc") -> Plan:
    """A one-contract plan in ``folder``: ``spec`` (OpenAPI YAML) and contract lines added."""
    from intcheck.contracts import load_plan

    (folder / "spec.yaml").write_text(spec)
    (folder / "contract.yaml").write_text(
        f"kind: rest\nname: {name}\nspec: spec.yaml\ntarget: http://127.0.0.1:9/api\n" + contract
    )
    (folder / "plan.yaml").write_text("name: p\nintegrations:\n  - contract: contract.yaml\n")
    return load_plan(folder)


@contextmanager
def in_thread(make: Callable[[], Any]) -> Iterator[Any]:
    """An async service (``async with make() as service``) on its own loop in a thread, for
    code that runs its own event loop (the CLI); yields the entered service."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    stop = asyncio.Event()
    entered: list[Any] = []

    async def serve() -> None:
        async with make() as service:
            entered.append(service)
            ready.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    if not ready.wait(10):
        raise RuntimeError("the service did not start within 10 s")
    try:
        yield entered[0]
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        loop.close()
