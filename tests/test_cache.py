"""BoundedCache: what the mocks remember stays within its count and byte bounds."""

from __future__ import annotations

from intcheck.cache import BoundedCache


def test_emptied_when_the_entry_count_is_reached() -> None:
    cache: BoundedCache[int, str] = BoundedCache(max_entries=3)
    for key in range(3):
        cache.put(key, str(key))
    assert [cache.get(key) for key in range(3)] == ["0", "1", "2"]
    cache.put(3, "3")
    assert len(cache) == 1 and cache.get(0) is None and cache.get(3) == "3"


def test_emptied_when_the_byte_bound_would_be_passed() -> None:
    cache: BoundedCache[str, bytes] = BoundedCache(max_entries=100, max_bytes=10)
    cache.put("a", b"12345", 5)
    cache.put("b", b"1234", 4)
    assert len(cache) == 2
    cache.put("c", b"12", 2)  # 11 bytes in all: start afresh
    assert cache.get("a") is None and cache.get("c") == b"12" and len(cache) == 1


def test_an_entry_larger_than_the_bound_is_not_kept_and_keeps_the_others() -> None:
    cache: BoundedCache[str, bytes] = BoundedCache(max_entries=100, max_bytes=10)
    cache.put("small", b"1", 1)
    cache.put("huge", b"x" * 11, 11)
    assert cache.get("huge") is None and cache.get("small") == b"1"
