"""What a live lesson is to the server, and the in-process broker that keeps them.

A lesson is a code (what students type), the hash of the presenter's key, and the latest view
(JSON text, never parsed again) with its sequence number. Followers connected to this process
wait in a ``Hub``; a broker hands each new view to it. ``MemoryBroker`` keeps the lessons in this
process; ``RedisBroker`` (app/live/redis_broker.py) keeps them in Redis for every replica.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from ..errors import ServiceError

# no 0/O, 1/I/L: a code read off a projector is typed right
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 6
KEY_BYTES = 32  # secrets.token_urlsafe(32): 43 characters, 256 bits
# views a follower may fall behind by; past it the oldest waiting one is dropped (the latest matters)
FOLLOWER_QUEUE = 64


class LiveError(ServiceError, status=400):
    """A request about a lesson that cannot be served."""


class Unknown(LiveError, status=404):
    """No live lesson has this code (or it has ended)."""


class WrongKey(LiveError, status=401):
    """The presenter's key does not match the lesson's."""


class Full(LiveError, status=503):
    """At a limit: live lessons, or followers of one lesson here."""


class Unavailable(LiveError, status=503):
    """The live-lesson store (Redis) is not answering."""


class TooManyMisses(LiveError, status=429):
    """Too many unknown codes from one address."""


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normal_code(code: str) -> str | None:
    """The code as stored (capitals), or None when it cannot be one."""
    code = code.upper()
    if len(code) == CODE_LENGTH and all(c in CODE_ALPHABET for c in code):
        return code
    return None


def new_key() -> tuple[str, str]:
    """A presenter's key and the hash the broker keeps (a stolen store reveals no key)."""
    key = secrets.token_urlsafe(KEY_BYTES)
    return key, key_hash(key)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_matches(key: str, stored_hash: str) -> bool:
    return hmac.compare_digest(key_hash(key), stored_hash)


def view_frame(seq: int, view: str) -> bytes:
    """A view as one server-sent event (the JSON text is one line: json.dumps escapes newlines)."""
    return f"event: view\nid: {seq}\ndata: {view}\n\n".encode()


@dataclass
class Latest:
    seq: int  # 0 until the presenter sends a view
    view: str | None  # JSON text of the view


@dataclass(eq=False)
class Follower:
    """One open event stream: views arrive in ``queue`` as (seq, event bytes); None: the lesson ended."""

    code: str
    # its name in Redis's set of a lesson's followers (app/live/redis_broker.py): 96 random bits
    id: str = field(default_factory=lambda: secrets.token_hex(12))
    queue: asyncio.Queue[tuple[int, bytes] | None] = field(
        default_factory=lambda: asyncio.Queue(FOLLOWER_QUEUE)
    )
    seq: int = 0  # the last view it was given

    def offer(self, item: tuple[int, bytes] | None) -> None:
        if self.queue.full():
            self.queue.get_nowait()
        self.queue.put_nowait(item)


class Hub:
    """The followers connected to this process, by lesson code."""

    def __init__(self, max_followers: int) -> None:
        self.max_followers = max_followers
        self.followers: dict[str, set[Follower]] = {}

    def join(self, code: str) -> Follower:
        here = self.followers.setdefault(code, set())
        if len(here) >= self.max_followers:
            raise Full(f"this lesson already has {self.max_followers} followers here; try again soon", 30)
        follower = Follower(code)
        here.add(follower)
        return follower

    async def join_then_read(
        self, code: str, latest: Callable[[str], Awaitable[Latest]]
    ) -> tuple[Follower, Latest]:
        """Join first, then read the latest view: no view can fall in between. A failed read
        leaves again."""
        follower = self.join(code)
        try:
            return follower, await latest(code)
        except BaseException:
            self.leave(follower)
            raise

    def leave(self, follower: Follower) -> None:
        here = self.followers.get(follower.code, set())
        here.discard(follower)
        if not here:
            self.followers.pop(follower.code, None)

    def deliver(self, code: str, seq: int, view: str) -> None:
        followers = self.followers.get(code)
        if followers:
            frame = view_frame(seq, view)  # once for all of them
            for follower in followers:
                follower.offer((seq, frame))

    def end(self, code: str) -> None:
        for follower in self.followers.get(code, ()):
            follower.offer(None)

    def count(self, code: str) -> int:
        return len(self.followers.get(code, ()))


class MissCounter:
    """Look-ups of unknown codes per client address in a fixed window, for one process."""

    def __init__(self, limit: int, window: float, max_clients: int = 100_000) -> None:
        self.limit, self.window, self.max_clients = limit, window, max_clients
        self.windows: dict[str, tuple[float, int]] = {}  # client -> (window end, misses)
        self.order: deque[str] = deque()

    def _current(self, client: str, now: float) -> tuple[float, int]:
        end, misses = self.windows.get(client, (0.0, 0))
        return (end, misses) if now < end else (now + self.window, 0)

    def blocked_for(self, client: str) -> float | None:
        now = time.monotonic()
        end, misses = self._current(client, now)
        return end - now if misses >= self.limit else None

    def miss(self, client: str) -> None:
        now = time.monotonic()
        end, misses = self._current(client, now)
        if client not in self.windows:
            self.order.append(client)
            while len(self.order) > self.max_clients:  # bounded memory under a flood of addresses
                self.windows.pop(self.order.popleft(), None)
        self.windows[client] = (end, misses + 1)


@dataclass
class Lesson:
    key_hash: str
    expires: float
    seq: int = 0
    view: str | None = None


class MemoryBroker:
    """Lessons in this process: enough for `./chainrule serve` and one worker."""

    def __init__(
        self, max_lessons: int, idle_seconds: float, max_followers: int, max_misses: int, miss_window: float
    ) -> None:
        self.max_lessons = max_lessons
        self.idle_seconds = idle_seconds
        self.hub = Hub(max_followers)
        self.misses = MissCounter(max_misses, miss_window)
        self.lessons: dict[str, Lesson] = {}

    def _sweep(self) -> None:
        now = time.monotonic()
        for code in [c for c, lesson in self.lessons.items() if lesson.expires <= now]:
            del self.lessons[code]
            self.hub.end(code)

    def _lesson(self, code: str) -> Lesson:
        lesson = self.lessons.get(code)
        if lesson is None or lesson.expires <= time.monotonic():
            raise Unknown(f"no live lesson has the code {code!r} (it may have ended)")
        return lesson

    async def create(self) -> tuple[str, str]:
        self._sweep()
        if len(self.lessons) >= self.max_lessons:
            raise Full(f"{self.max_lessons} live lessons are running, the limit; try again later", 60)
        code = new_code()
        while code in self.lessons:
            code = new_code()
        key, hashed = new_key()
        self.lessons[code] = Lesson(hashed, time.monotonic() + self.idle_seconds)
        return code, key

    async def check_key(self, code: str, key: str) -> None:
        if not key_matches(key, self._lesson(code).key_hash):
            raise WrongKey("the key does not match this lesson's")

    async def publish(self, code: str, key: str, view: str) -> int:
        await self.check_key(code, key)
        lesson = self._lesson(code)
        lesson.seq += 1
        lesson.view = view
        lesson.expires = time.monotonic() + self.idle_seconds
        self.hub.deliver(code, lesson.seq, view)
        return lesson.seq

    async def latest(self, code: str) -> Latest:
        lesson = self._lesson(code)
        return Latest(lesson.seq, lesson.view)

    async def follow(self, code: str) -> tuple[Follower, Latest]:
        """Join the hub first, then read the latest: no view can fall in between."""
        self._lesson(code)
        return await self.hub.join_then_read(code, self.latest)

    async def leave(self, follower: Follower) -> None:
        self.hub.leave(follower)

    async def blocked_for(self, client: str) -> float | None:
        return self.misses.blocked_for(client)

    async def miss(self, client: str) -> None:
        self.misses.miss(client)

    async def close(self) -> None:
        pass
