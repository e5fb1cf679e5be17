"""The time of one real-browser iframe check: headless Chromium shows a mock page in the CRM's
frame, cold (the browser starts for it) and warm (the run's browser is already up).

    python bench/iframe_bench.py [--rounds 5]

The example plan's erp-order-page is served by intcheck's mock on loopback. Cold is a fresh
Chromium launch plus one check, repeated ``--rounds`` times; warm is ``--rounds`` checks on one
browser. ``/invoices/view`` is a plain page; ``/orders/view`` adds the postMessage handshake
(ready, context with a nonce, ack, a forged context and a decoy that listens for ``*``), whose
fixed waits (the CRM's 300 ms between the forged and the real context, up to 1.5 s of decoy
listening when the page lets a decoy frame it) are part of the figure. Screenshots are taken
as in a probe run. Medians are printed; wall-clock figures are noisy on a shared machine.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from intcheck.kinds.iframe.browser import Browsing
    from intcheck.kinds.iframe.contract import Page

ROOT = Path(__file__).resolve().parents[1]


async def _measure(rounds: int) -> dict[str, list[float]]:
    from intcheck.contracts import load_plan
    from intcheck.kinds.iframe.browser import chromium, visit
    from intcheck.kinds.iframe.contract import IframeSettings
    from intcheck.mock.server import MockServer

    plan = load_plan(ROOT / "contracts", environ={})
    settings = IframeSettings.of(plan.contract("erp-order-page"))
    figures: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        async with MockServer(plan, port=0) as mock:
            origin = mock.url
            for page in settings.pages:
                url = f"{mock.url}/erp-order-page{page.path}"
                shot = Path(folder) / f"{page.path.strip('/').replace('/', '-')}.png"

                async def check(
                    browsing: Browsing, url: str = url, shot: Path = shot, page: Page = page
                ) -> None:
                    seen = await visit(
                        browsing,
                        url,
                        settings.embedder,
                        page.handshake,
                        origin,
                        timeout_s=10,
                        insecure=False,
                        screenshot=shot,
                    )
                    if not seen.rendered:
                        raise SystemExit(f"{url} did not render: {seen.console}")

                cold = figures.setdefault(f"cold {page.path}", [])
                for _ in range(rounds):
                    started = time.perf_counter()
                    async with chromium() as browsing:
                        await check(browsing)
                    cold.append(time.perf_counter() - started)
                warm = figures.setdefault(f"warm {page.path}", [])
                async with chromium() as browsing:
                    await check(browsing)  # the first check after launch is not "warm"
                    for _ in range(rounds):
                        started = time.perf_counter()
                        await check(browsing)
                        warm.append(time.perf_counter() - started)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    print(f"$ python bench/iframe_bench.py --rounds {args.rounds}")
    figures = asyncio.run(_measure(args.rounds))
    for name, seconds in figures.items():
        print(
            f"{name:24s} median {statistics.median(seconds) * 1000:7.0f} ms   "
            f"min {min(seconds) * 1000:7.0f} ms   max {max(seconds) * 1000:7.0f} ms   "
            f"({len(seconds)} checks)"
        )


if __name__ == "__main__":
    main()
