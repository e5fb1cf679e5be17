"""Concurrent jobs whose results stream out as they come: the shape of every run that sends.

A simulator plays its calls or messages concurrently, ``simulate`` plays its contracts
concurrently, and each yields what its jobs judged as soon as it is judged. ``merged`` is that
shape once: the jobs run in a TaskGroup owned by the iterator, at most ``limit`` at a time, and
closing the iterator (Ctrl-C, a consumer that stops early) cancels every job still running.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import TypeVar

T = TypeVar("T")
Emit = Callable[[T], Awaitable[None]]  # a job hands out one item (a Result, a batch of them)
Job = Callable[[Emit[T]], Awaitable[None]]


async def merged(jobs: Iterable[Job[T]], *, limit: int | None = None) -> AsyncIterator[T]:
    """Run ``jobs`` concurrently, at most ``limit`` at once; yield every item they emit."""
    done: asyncio.Queue[tuple[T] | None] = asyncio.Queue()
    gate = asyncio.Semaphore(limit) if limit else None

    async def emit(item: T) -> None:
        await done.put((item,))

    async def run(job: Job[T]) -> None:
        if gate is None:
            await job(emit)
            return
        async with gate:
            await job(emit)

    async def run_all() -> None:
        try:
            async with asyncio.TaskGroup() as group:
                for job in jobs:
                    group.create_task(run(job))
        finally:
            await done.put(None)

    producer = asyncio.create_task(run_all())
    try:
        while (item := await done.get()) is not None:
            yield item[0]
        await producer  # a job's exception reaches the consumer here
    finally:
        producer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await producer
