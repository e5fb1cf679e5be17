"""The public API is one sorted ``__all__`` and every name in it exists (httpx's guard)."""

from __future__ import annotations

import intcheck


def test_all_is_sorted_and_importable() -> None:
    assert intcheck.__all__ == sorted(intcheck.__all__)
    for name in intcheck.__all__:
        assert hasattr(intcheck, name), name
