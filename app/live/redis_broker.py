"""Live lessons in Redis, shared by every replica (CHAINRULE_REDIS_URL).

Keys (prefix ``chainrule:live:``): ``lesson:<code>``, a hash {key: the key's SHA-256, seq, view}
that expires after live_idle_seconds without a view; ``lessons``, a sorted set of codes by
expiry time (for the cap on lessons); ``followers:<code>``, a sorted set of the lesson's open
event streams on every replica (a follower's id, scored by when it lapses), for the cap on
followers: a replica adds its follower before the stream starts, removes it when the stream
ends, and renews its followers' times every third of ``live_follower_ttl_seconds``, so the
followers of a replica that died lapse by themselves; ``misses:<client>``, a counter of
look-ups of unknown codes that expires with its window. A new view is published on the channel ``views`` as
"<code> <seq> <view JSON>": each replica subscribes once and hands views to its own followers.
If Redis goes away, a replica's requests get 503 and its followers' streams stay open; once it
is back, the replica subscribes again and gives each follower the latest view it missed.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time

import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from .broker import (
    Follower,
    Full,
    Hub,
    Latest,
    Unavailable,
    Unknown,
    WrongKey,
    key_matches,
    new_code,
    new_key,
)

log = logging.getLogger(__name__)

PREFIX = "chainrule:live:"
CHANNEL = PREFIX + "views"
LESSONS = PREFIX + "lessons"
RECONNECT_SECONDS = (0.1, 2.0)  # the subscriber's first and longest wait between attempts
READY_SECONDS = 2.0  # a new follower waits at most this long for the subscription

# KEYS: lesson, lessons. ARGV: code, key hash, now, idle seconds, max lessons.
# 1: created; 0: at the cap; -1: the code is taken (draw another)
CREATE = """
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[3])
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[5]) then return 0 end
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
redis.call('HSET', KEYS[1], 'key', ARGV[2], 'seq', 0)
redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[4])))
redis.call('ZADD', KEYS[2], tonumber(ARGV[3]) + tonumber(ARGV[4]), ARGV[1])
return 1
"""

# KEYS: lesson, lessons. ARGV: code, view, now, idle seconds, channel. The new seq, or 0 if gone.
# One script: the views of a lesson are numbered and published in one order.
PUBLISH = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
redis.call('HSET', KEYS[1], 'view', ARGV[2])
redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[4])))
redis.call('ZADD', KEYS[2], tonumber(ARGV[3]) + tonumber(ARGV[4]), ARGV[1])
redis.call('PUBLISH', ARGV[5], ARGV[1] .. ' ' .. seq .. ' ' .. ARGV[2])
return seq
"""

# KEYS: the lesson's followers. ARGV: follower id, now, ttl seconds, max followers.
# 1: joined; 0: the lesson has max followers (across replicas) that have not lapsed
FOLLOW = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 0 end
redis.call('ZADD', KEYS[1], tonumber(ARGV[2]) + tonumber(ARGV[3]), ARGV[1])
redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[3])))
return 1
"""

# KEYS: the client's counter. ARGV: window seconds. The misses so far in this window.
MISS = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[1]))) end
return n
"""


def _lesson_key(code: str) -> str:
    return f"{PREFIX}lesson:{code}"


def _followers_key(code: str) -> str:
    return f"{PREFIX}followers:{code}"


def _unavailable() -> Unavailable:
    return Unavailable("the live-lesson store (Redis) is not answering; try again in a moment", 2)


class RedisBroker:
    def __init__(
        self,
        url: str,
        max_lessons: int,
        idle_seconds: float,
        max_followers: int,
        max_misses: int,
        miss_window: float,
        follower_ttl: float = 60.0,
    ) -> None:
        # fail fast (a request gets 503) instead of retrying while Redis is away
        options = {"decode_responses": True, "socket_connect_timeout": 2, "retry": Retry(NoBackoff(), 0)}
        self.redis = redis.Redis.from_url(url, socket_timeout=5, **options)
        self.subscriber = redis.Redis.from_url(url, socket_timeout=None, **options)
        self.max_lessons = max_lessons
        self.idle_seconds = idle_seconds
        self.max_misses = max_misses
        self.miss_window = miss_window
        self.max_followers = max_followers
        self.follower_ttl = follower_ttl
        self.hub = Hub(max_followers)
        self._create = self.redis.register_script(CREATE)
        self._follow = self.redis.register_script(FOLLOW)
        self._renewer: asyncio.Task[None] | None = None
        self._publish = self.redis.register_script(PUBLISH)
        self._miss = self.redis.register_script(MISS)
        self._listener: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()

    async def _call(self, coroutine):  # type: ignore[no-untyped-def]
        try:
            return await coroutine
        except (RedisError, OSError):
            raise _unavailable() from None

    async def create(self) -> tuple[str, str]:
        while True:
            code = new_code()
            key, hashed = new_key()
            args = [code, hashed, time.time(), self.idle_seconds, self.max_lessons]
            created = await self._call(self._create(keys=[_lesson_key(code), LESSONS], args=args))
            if created == 0:
                raise Full(f"{self.max_lessons} live lessons are running, the limit; try again later", 60)
            if created == 1:
                return code, key

    async def check_key(self, code: str, key: str) -> None:
        stored = await self._call(self.redis.hget(_lesson_key(code), "key"))
        if stored is None:
            raise Unknown(f"no live lesson has the code {code!r} (it may have ended)")
        if not key_matches(key, stored):
            raise WrongKey("the key does not match this lesson's")

    async def publish(self, code: str, key: str, view: str) -> int:
        await self.check_key(code, key)
        args = [code, view, time.time(), self.idle_seconds, CHANNEL]
        seq = await self._call(self._publish(keys=[_lesson_key(code), LESSONS], args=args))
        if seq == 0:
            raise Unknown(f"no live lesson has the code {code!r} (it may have ended)")
        return int(seq)

    async def latest(self, code: str) -> Latest:
        seq, view = await self._call(self.redis.hmget(_lesson_key(code), ["seq", "view"]))
        if seq is None:
            raise Unknown(f"no live lesson has the code {code!r} (it may have ended)")
        return Latest(int(seq), view)

    async def follow(self, code: str) -> tuple[Follower, Latest]:
        """Join the hub and make sure this replica is subscribed before reading the latest
        view, so that no view falls in between."""
        await self.latest(code)  # 404 before anything else
        self._start_listener()
        try:
            await asyncio.wait_for(self._subscribed.wait(), READY_SECONDS)
        except TimeoutError:
            raise _unavailable() from None
        follower, latest = await self.hub.join_then_read(code, self.latest)
        try:  # a place among the lesson's followers on every replica
            args: list[str | float] = [follower.id, time.time(), self.follower_ttl, self.max_followers]
            joined = await self._call(self._follow(keys=[_followers_key(code)], args=args))
        except BaseException:
            self.hub.leave(follower)
            raise
        if not joined:
            self.hub.leave(follower)
            raise Full(f"this lesson already has {self.max_followers} followers; try again soon", 30)
        return follower, latest

    async def leave(self, follower: Follower) -> None:
        self.hub.leave(follower)
        try:
            await self.redis.zrem(_followers_key(follower.code), follower.id)
        except (RedisError, OSError):
            pass  # its place lapses after live_follower_ttl_seconds

    async def _renew(self) -> None:
        """Every third of the followers' time to live: renew this replica's followers in Redis."""
        while True:
            await asyncio.sleep(self.follower_ttl / 3)
            lapse = time.time() + self.follower_ttl
            try:
                async with self.redis.pipeline(transaction=False) as pipe:
                    for code, followers in list(self.hub.followers.items()):
                        if followers:
                            pipe.zadd(_followers_key(code), {f.id: lapse for f in followers})
                            pipe.expire(_followers_key(code), math.ceil(self.follower_ttl))
                    await pipe.execute()
            except (RedisError, OSError) as error:
                log.warning("live lessons: could not renew the followers in Redis (%s)", error)

    async def blocked_for(self, client: str) -> float | None:
        counter = f"{PREFIX}misses:{client}"
        misses = await self._call(self.redis.get(counter))
        if misses is None or int(misses) < self.max_misses:
            return None
        ttl = await self._call(self.redis.ttl(counter))
        return float(max(ttl, 1))

    async def miss(self, client: str) -> None:
        await self._call(self._miss(keys=[f"{PREFIX}misses:{client}"], args=[self.miss_window]))

    def _start_listener(self) -> None:
        if self._listener is None or self._listener.done():
            self._listener = asyncio.get_running_loop().create_task(self._listen())
        if self._renewer is None or self._renewer.done():
            self._renewer = asyncio.get_running_loop().create_task(self._renew())

    async def _listen(self) -> None:
        """Subscribe, catch up, pass views on; on any Redis failure start over after a pause."""
        pause = RECONNECT_SECONDS[0]
        while True:
            pubsub = self.subscriber.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(CHANNEL)
                await self._catch_up()
                self._subscribed.set()
                if pause > RECONNECT_SECONDS[0]:
                    log.warning("live lessons: subscribed to Redis again")
                pause = RECONNECT_SECONDS[0]
                async for message in pubsub.listen():
                    if message["type"] == "message":
                        code, seq, view = message["data"].split(" ", 2)
                        self.hub.deliver(code, int(seq), view)
            except (RedisError, OSError) as error:
                self._subscribed.clear()
                log.warning("live lessons: lost Redis (%s); trying again in %.1f s", error, pause)
                await asyncio.sleep(pause)
                pause = min(pause * 2, RECONNECT_SECONDS[1])
            finally:
                try:
                    await pubsub.aclose()
                except (RedisError, OSError):
                    pass

    async def _catch_up(self) -> None:
        """Each lesson with followers here: hand on the latest view (followers skip one they
        have); a lesson Redis no longer has has ended."""
        for code in list(self.hub.followers):
            seq, view = await self.redis.hmget(_lesson_key(code), ["seq", "view"])
            if seq is None:
                self.hub.end(code)
            elif view is not None:
                self.hub.deliver(code, int(seq), view)

    async def close(self) -> None:
        for task in (self._listener, self._renewer):
            if task is not None:
                task.cancel()
        await self.redis.aclose()
        await self.subscriber.aclose()
