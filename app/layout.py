"""Layout reuse: a picture whose numbers changed is drawn from its shape's layout, without `dot`.

`dot` places each value's record by the width of its text, not by the digits in it. So
app/render.py lays a graph out once with every number masked (zeros as wide as the number,
the grad's sign a placeholder), cuts the SVG at those masks into a ``Template``, and draws
each later picture of the same shape by filling the template with the new numbers. The
masked DOT text is the layout's key: it holds everything the layout depends on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from itertools import chain
from typing import NamedTuple

from .lru import LRUCache

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


class LayoutCache(LRUCache[bytes, Template]):
    """Templates by layout key, bounded by their bytes (0: nothing is kept); requests that miss on
    the same key at the same time lay it out once (``get_or_build``)."""

    def size(self, key: bytes, item: Template) -> int:
        return item.bytes + KEY_BYTES

    def get(self, key: bytes) -> Template | None:
        """The template kept for ``key``, or None (counted as a hit only: ``get_or_build``
        counts the miss when it lays the shape out)."""
        with self._lock:
            return self._get(key, count_miss=False)
