"""A bounded number of places for expensive work (a `dot` layout, a training request).

Requests beyond the bound wait their turn, up to a timeout, and then get a clear "busy" answer
(503 with Retry-After) instead of piling up CPU and memory while a classroom hammers one server.
"""

from __future__ import annotations

import threading
from types import TracebackType


class Busy(Exception):
    """Every place stayed taken for the whole timeout."""


class Slots:
    """``with slots:`` holds one of ``size`` places, waiting at most ``timeout`` seconds for it."""

    def __init__(self, size: int, timeout: float) -> None:
        self.size = size
        self.timeout = timeout
        self._free = threading.BoundedSemaphore(size)

    def __enter__(self) -> Slots:
        if not self._free.acquire(timeout=self.timeout):
            raise Busy
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._free.release()

    def acquire(self) -> bool:
        """Take a place without waiting (tests use it to play "another request is busy")."""
        return self._free.acquire(blocking=False)

    def release(self) -> None:
        self._free.release()
