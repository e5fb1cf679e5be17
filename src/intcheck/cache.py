"""A dictionary of remembered answers that can never outgrow its bounds.

The mocks remember work by request (a rendered GET, a SOAP answer, a redacted header set) so
a repeated request costs a lookup. Under load with varying requests such a memory would grow
without end, so it is emptied whenever it reaches ``max_entries`` entries or ``max_bytes``
bytes of keys and values (as the caller sizes them). Emptying at once, rather than evicting
the oldest entry, keeps the hit path a plain dict lookup.
"""

from __future__ import annotations

from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class BoundedCache(Generic[K, V]):
    """``get`` and ``put``, emptied when full by count or by size."""

    __slots__ = ("_entries", "_max_bytes", "_max_entries", "_size")

    def __init__(self, max_entries: int = 4096, max_bytes: int = 32 * 1024 * 1024) -> None:
        self._entries: dict[K, V] = {}
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._size = 0

    def get(self, key: K) -> V | None:
        return self._entries.get(key)

    def put(self, key: K, value: V, size: int = 0) -> None:
        """Remember ``value``; ``size`` is its bytes (and its key's) counted against the bound."""
        if size > self._max_bytes:
            return  # would empty the cache for one entry that does not fit anyway
        if len(self._entries) >= self._max_entries or self._size + size > self._max_bytes:
            self._entries.clear()
            self._size = 0
        self._entries[key] = value
        self._size += size

    def clear(self) -> None:
        self._entries.clear()
        self._size = 0

    def __len__(self) -> int:
        return len(self._entries)
