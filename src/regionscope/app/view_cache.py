"""A small cache of pixels derived from immutable datasets (pictures, display limits)."""

from __future__ import annotations

import threading
from collections import OrderedDict


class SmallCache:
    """A thread-safe LRU cache of computed values, owned by one explorer.

    Written here rather than ``functools.lru_cache`` because the key (dataset
    id, plane, channel) is not the computation's input: the value is computed
    from a dataset the caller has already looked up for the request's user,
    and the cache must not keep datasets alive, only what was made from them.
    The lock is not held while computing, so a slow picture never blocks
    other requests (two may compute the same value once each).

    Parameters
    ----------
    size : int
    """

    def __init__(self, size=32):
        self.size = size
        self._items = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, compute):
        """The cached value for ``key``, computing it with ``compute()`` when missing."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = compute()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value
