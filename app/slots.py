"""A bounded number of places for expensive work (a `dot` layout, a piece of training).

Waiting for a place holds no worker thread: ``async with slots.hold(client):`` waits on the
event loop, and only the work itself goes to a thread. The queue is bounded too: when it is
full, or when a place stays taken for the whole timeout, the caller gets ``Busy`` (the routes
answer 503 with Retry-After) instead of piling up CPU and memory while a classroom hammers
one server.

Places are shared fairly: a freed place goes to the waiting client that holds the fewest
places right now; then by its ``Turn``: a quick turn (a request done in one turn, or the
unpacking of a run) before a piece of a long request, and both before a piece of a stream (a
stream runs for minutes; a person waits for a request); then to the client that has used the
places least lately (seconds held, halving every USAGE_HALF_LIFE seconds); then first come
first served. So a client with twenty streams waits behind a client with one request, a stream
that gives its place back between pieces lets everyone else in, and a student's step goes
before a crowd's long requests and streams. A waiter passed over for ``timeout`` gets ``Busy``
(a request answers 503; a stream ends with reason "busy", and its client resumes from the last
state it received).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from enum import IntEnum
from itertools import count
from types import TracebackType

USAGE_HALF_LIFE = 10.0  # seconds: how fast a client's use of the places is forgotten


class Turn(IntEnum):
    """What a place is wanted for; waiting turns are served in this order (see above)."""

    QUICK = 0  # a request done in one turn, or a run being unpacked
    LONG = 1  # a piece of a request too long for one turn
    STREAM = 2  # a piece of a stream


class Busy(Exception):
    """No place could be had: the queue was full, or every place stayed taken for the timeout.
    app/errors.py answers it with 503, ``message`` and Retry-After: ``retry_after``."""

    def __init__(
        self, message: str = "the server is busy; try again in a moment", retry_after: int = 1
    ) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


@dataclass
class _Waiter:
    client: str
    turn: Turn
    order: int
    future: asyncio.Future[None] = field(repr=False)
    granted: bool = False


class Slots:
    """``size`` places; at most ``max_waiting`` callers wait, each at most ``timeout`` seconds."""

    def __init__(self, size: int, timeout: float, max_waiting: int = 64) -> None:
        self.size = size
        self.timeout = timeout
        self.max_waiting = max_waiting
        self._free = size
        self._held: Counter[str] = Counter()  # client -> places it holds
        self._waiting: list[_Waiter] = []
        self._arrivals = count()
        self._usage: dict[str, tuple[float, float]] = {}  # client -> (seconds held, as of when)
        self._granted: dict[str, list[float]] = {}  # client -> when its places were given
        self._lock = threading.Lock()  # the sync methods below may be called from other threads

    @asynccontextmanager
    async def hold(self, client: str = "", turn: Turn = Turn.QUICK) -> AsyncIterator[None]:
        """Hold one place for ``client`` (an address) while the block runs."""
        await self._acquire(client, turn)
        try:
            yield
        finally:
            self.release(client)

    async def _acquire(self, client: str, turn: Turn) -> None:
        with self._lock:
            if self._free > 0 and not self._waiting:
                self._take(client)
                return
            if len(self._waiting) >= self.max_waiting:
                raise Busy
            future = asyncio.get_running_loop().create_future()
            waiter = _Waiter(client, turn, next(self._arrivals), future)
            self._waiting.append(waiter)
        try:
            await asyncio.wait_for(asyncio.shield(waiter.future), self.timeout)
        except (TimeoutError, asyncio.CancelledError) as error:
            with self._lock:
                granted = waiter.granted
                if not granted:
                    self._waiting.remove(waiter)
            if granted:
                self.release(client)  # it came just too late: pass it on
            if isinstance(error, TimeoutError):
                raise Busy from None
            raise

    def _take(self, client: str) -> None:
        self._free -= 1
        self._held[client] += 1
        self._granted.setdefault(client, []).append(time.monotonic())

    def _used(self, client: str, now: float) -> float:
        """The seconds ``client`` held places, each halved per USAGE_HALF_LIFE seconds since."""
        seconds, when = self._usage.get(client, (0.0, now))
        return seconds * 0.5 ** ((now - when) / USAGE_HALF_LIFE)

    def _wake(self) -> None:
        """Give free places to waiters: fewest places held, then by turn, then least use lately,
        then first come."""
        now = time.monotonic()
        while self._free > 0 and self._waiting:
            waiter = min(
                self._waiting,
                key=lambda w: (self._held[w.client], w.turn, self._used(w.client, now), w.order),
            )
            self._waiting.remove(waiter)
            self._take(waiter.client)
            waiter.granted = True
            loop = waiter.future.get_loop()
            loop.call_soon_threadsafe(_grant, waiter.future)

    def release(self, client: str = "") -> None:
        with self._lock:
            now = time.monotonic()
            self._free += 1
            self._held[client] -= 1
            if self._held[client] <= 0:
                del self._held[client]
            granted = self._granted[client]
            held_since = granted.pop(0)  # any of its places: the sum of the times is the same
            if not granted:
                del self._granted[client]
            if len(self._usage) > 4 * self.max_waiting:  # forget clients that are gone
                present = {w.client for w in self._waiting} | set(self._held)
                self._usage = {c: u for c, u in self._usage.items() if c in present}
            self._usage[client] = (self._used(client, now) + now - held_since, now)
            self._wake()

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def acquire(self) -> bool:
        """Take a place without waiting (tests use it to play "another request is busy")."""
        with self._lock:
            if self._free <= 0:
                return False
            self._take("")
            return True


def _grant(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class BlockingSlots:
    """``with slots:`` holds one of ``size`` places from a worker thread, waiting at most
    ``timeout`` seconds (the renderer's `dot` processes: GraphService also runs outside the
    app, and the graph route already waited for its async place before it needs one)."""

    def __init__(self, size: int, timeout: float) -> None:
        self.size = size
        self.timeout = timeout
        self._free = threading.BoundedSemaphore(size)

    def __enter__(self) -> BlockingSlots:
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
