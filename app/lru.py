"""A least-recently-used map bounded by the bytes of what it keeps: the graph answers' cache
(app/graph_service.py) and the kept layouts (app/layout.py) are two of them."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class LRUCache(Generic[K, V]):
    """A thread-safe map whose least recently used items are dropped first once their total size
    (``size``, which a subclass gives) passes ``max_bytes``; an item bigger than that is not kept.
    Threads that miss on the same key at the same time build its item once (``get_or_build``)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self._items: OrderedDict[K, tuple[V, int]] = OrderedDict()  # each item with its size
        self._building: dict[K, Future[V]] = {}
        self._lock = threading.Lock()

    def size(self, key: K, item: V) -> int:
        raise NotImplementedError

    def get(self, key: K) -> V | None:
        with self._lock:
            return self._get(key)

    def _get(self, key: K, count_miss: bool = True) -> V | None:
        """``get`` with the lock held."""
        kept = self._items.get(key)
        if kept is None:
            self.misses += count_miss
            return None
        self.hits += 1
        self._items.move_to_end(key)
        return kept[0]

    def get_or_build(self, key: K, build: Callable[[], V]) -> V:
        """The item kept for ``key``, or ``build()``'s, kept; a thread that misses while another
        builds the same key waits for that one's item (or its error)."""
        with self._lock:
            kept = self._get(key)
            if kept is not None:
                return kept
            pending = self._building.get(key)
            if pending is None:
                future: Future[V] = Future()
                self._building[key] = future
        if pending is not None:
            return pending.result()
        try:
            item = build()
            self.put(key, item)
            future.set_result(item)
            return item
        except BaseException as error:
            future.set_exception(error)
            raise
        finally:
            with self._lock:
                del self._building[key]

    def put(self, key: K, item: V) -> None:
        size = self.size(key, item)
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            self.bytes += size - (old[1] if old else 0)
            self._items[key] = (item, size)
            while self.bytes > self.max_bytes:
                _, (_, dropped) = self._items.popitem(last=False)
                self.bytes -= dropped

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.bytes = self.hits = self.misses = 0
