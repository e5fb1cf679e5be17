"""Small helpers shared by the probe tests."""

from __future__ import annotations

from typing import TYPE_CHECKING

from intcheck.probe import ProbeOptions, run_probe

if TYPE_CHECKING:
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
