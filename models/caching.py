"""In-process caches of market objects with explicit keys (issue 18).

A long-lived process (the Python API, a batch worker, a second ``hedge`` call) reuses what does
not change within an as-of date: the bootstrapped Treasury curve of a date, a contract's
deliverable basket, a contract's risk on a (curve, repo) pair. Every cache is keyed by *all*
the inputs its value depends on — the as-of date, the repo rate, a fingerprint of the curve
(its knot yields, so a user or shifted curve never meets an entry of the bundled one) — so a
stale entry cannot be served; ``clear_caches()`` empties them, ``cache_stats()`` shows hits and
misses (the tests use it to prove a second hedge rebuilds nothing).

Values are shared, not copied: callers must treat them as read-only (curves hold read-only
arrays; frames are copied by the caching function before they are handed out).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")

_REGISTRY: dict[str, KeyedCache] = {}


class KeyedCache(Generic[V]):
    """A bounded least-recently-used map with hit/miss counters."""

    def __init__(self, name: str, maxsize: int = 1024) -> None:
        self.name = name
        self.maxsize = maxsize
        self._data: OrderedDict[Hashable, V] = OrderedDict()
        self.hits = 0
        self.misses = 0
        _REGISTRY[name] = self

    def get_or_compute(self, key: Hashable, compute: Callable[[], V]) -> V:
        if key in self._data:
            self.hits += 1
            self._data.move_to_end(key)
            return self._data[key]
        self.misses += 1
        value = compute()
        self._data[key] = value
        if len(self._data) > self.maxsize:
            self._data.popitem(last=False)
        return value

    def clear(self) -> None:
        self._data.clear()
        self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._data)


def clear_caches() -> None:
    """Empty every market-object cache of the process (and reset the counters)."""
    for c in _REGISTRY.values():
        c.clear()


def cache_stats() -> dict[str, dict[str, int]]:
    """{cache name: {"size", "hits", "misses"}} for every registered cache."""
    return {n: {"size": len(c), "hits": c.hits, "misses": c.misses}
            for n, c in _REGISTRY.items()}
