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


class BoundedCache(dict[K, V], Generic[K, V]):
    """A dict (``get`` is dict's own, the hit path costs no Python call), emptied when full.

    Add entries with ``put`` only, which keeps count of the bytes.
    """

    __slots__ = ("_max_bytes", "_max_entries", "_size")

    def __init__(self, max_entries: int = 4096, max_bytes: int = 32 * 1024 * 1024) -> None:
        super().__init__()
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._size = 0

    def put(self, key: K, value: V, size: int = 0) -> None:
        """Remember ``value``; ``size`` is its bytes (and its key's) counted against the bound."""
        if size > self._max_bytes:
            return  # would empty the cache for one entry that does not fit anyway
        if len(self) >= self._max_entries or self._size + size > self._max_bytes:
            self.clear()
        self[key] = value
        self._size += size

    def clear(self) -> None:
        super().clear()
        self._size = 0
