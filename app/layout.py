"""Layout reuse: a picture whose numbers changed is drawn from its shape's layout, without `dot`.

`dot` places each value's record by the width of its text, not by the digits in it. So
app/render.py lays a graph out once with every number masked (zeros as wide as the number,
the grad's sign a placeholder), cuts the SVG at those masks into a ``Template``, and draws
each later picture of the same shape by filling the template with the new numbers. The
masked DOT text is the layout's key: it holds everything the layout depends on.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from itertools import chain
from typing import NamedTuple

Slot = tuple[int, int]


class Template(NamedTuple):
    """An SVG cut at its slots: ``parts[0] slot parts[1] slot ... parts[-1]``. ``slots`` says
    what each slot holds, in the filler's terms (app/render.py: which node, which field)."""

    parts: tuple[str, ...]
    slots: tuple[Slot, ...]

    @classmethod
    def cut(cls, svg: str, spots: Sequence[tuple[int, int, Slot]]) -> Template:
        """``spots``: (start, end, slot) spans of ``svg`` to leave out, in any order, not overlapping."""
        parts, slots, at = [], [], 0
        for start, end, slot in sorted(spots, key=lambda spot: spot[0]):
            if start < at:
                raise ValueError("the slots of a template overlap")
            parts.append(svg[at:start])
            slots.append(slot)
            at = end
        parts.append(svg[at:])
        return cls(tuple(parts), tuple(slots))

    def fill(self, values: Sequence[str]) -> str:
        """The SVG with ``values[k]`` in slot ``k``."""
        return "".join(chain.from_iterable(zip(self.parts[:-1], values, strict=True))) + self.parts[-1]

    @property
    def bytes(self) -> int:
        return sum(len(part.encode()) for part in self.parts) + 64 * len(self.slots)  # a slot: a small tuple


def layout_key(masked_dot: str) -> bytes:
    """A short key for the masked DOT text (128 bits: a collision is not a practical concern)."""
    return hashlib.blake2b(masked_dot.encode(errors="replace"), digest_size=16).digest()


KEY_BYTES = 16 + 100  # the digest and its share of the map's bookkeeping


class LayoutCache:
    """Templates by layout key, thread-safe, the least recently used dropped first once their
    total size passes ``max_bytes`` (0: nothing is kept). Requests that miss on the same key at
    the same time lay it out once: the others wait for the first one's template (or its error)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self._items: OrderedDict[bytes, tuple[Template, int]] = OrderedDict()
        self._building: dict[bytes, Future[Template]] = {}
        self._lock = threading.Lock()

    def get(self, key: bytes) -> Template | None:
        """The template kept for ``key``, or None (counted as a hit only: ``get_or_build``
        counts the miss when it lays the shape out)."""
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self.hits += 1
            self._items.move_to_end(key)
            return item[0]

    def get_or_build(self, key: bytes, build: Callable[[], Template]) -> Template:
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self.hits += 1
                self._items.move_to_end(key)
                return item[0]
            self.misses += 1
            pending = self._building.get(key)
            if pending is None:
                future: Future[Template] = Future()
                self._building[key] = future
        if pending is not None:
            return pending.result()
        try:
            template = build()
            self._put(key, template)
            future.set_result(template)
            return template
        except BaseException as error:
            future.set_exception(error)
            raise
        finally:
            with self._lock:
                del self._building[key]

    def _put(self, key: bytes, template: Template) -> None:
        size = template.bytes + KEY_BYTES
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            self.bytes += size - (old[1] if old else 0)
            self._items[key] = (template, size)
            while self.bytes > self.max_bytes:
                _, (_, dropped) = self._items.popitem(last=False)
                self.bytes -= dropped

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.bytes = self.hits = self.misses = 0
