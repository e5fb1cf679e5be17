"""``merged``: jobs run concurrently within a limit, their items stream out, closing cancels."""

from __future__ import annotations

import asyncio

import pytest

from intcheck.streams import Emit, merged


async def test_items_stream_out_and_the_limit_holds() -> None:
    running = peak = 0

    async def job(number: int, emit: Emit[int]) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01)
        await emit(number)
        running -= 1

    jobs = [lambda emit, n=n: job(n, emit) for n in range(10)]
    got = [item async for item in merged(jobs, limit=3)]
    assert sorted(got) == list(range(10))
    assert peak == 3


async def test_closing_the_stream_cancels_the_jobs_still_running() -> None:
    cancelled = asyncio.Event()

    async def slow(emit: Emit[str]) -> None:
        await emit("first")
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    stream = merged([slow])
    assert await anext(stream) == "first"
    await stream.aclose()
    assert cancelled.is_set()


async def test_a_job_that_fails_fails_the_stream() -> None:
    async def broken(emit: Emit[int]) -> None:
        raise ValueError("broken job")

    with pytest.raises(ExceptionGroup) as caught:
        async for _ in merged([broken]):
            pass
    assert caught.group_contains(ValueError)
