"""The cap on a lesson's followers counts the followers on every replica (Redis keeps the count):
two replicas sharing a real redis-server cannot admit twice the cap; a follower that leaves frees
its place for any replica; places held longer than their time to live stay held (their replica
renews them); the places of a replica that died lapse by themselves."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest
import redis

from tests.live import Server
from tests.own_loop import in_own_loop

from .redis_server import RedisServer, redis_binary, replicas_sharing
from .test_live_replicas import EVENT_SECONDS, Follower, go_live, send

pytestmark = pytest.mark.skipif(
    redis_binary() is None,
    reason="redis-server is not installed (apt-get install redis-server; `./chainrule test` installs it)",
)

CAP = 3
TTL_SECONDS = 2.0  # live_follower_ttl_seconds: short, so that a dead replica's places lapse soon


@pytest.fixture(scope="module")
def capped_replicas(redis_server: RedisServer) -> Iterator[tuple[Server, Server]]:
    env = {"CHAINRULE_LIVE_MAX_FOLLOWERS": str(CAP), "CHAINRULE_LIVE_FOLLOWER_TTL_SECONDS": str(TTL_SECONDS)}
    with replicas_sharing(redis_server, env) as pair:
        yield pair


async def refused(http: httpx.AsyncClient, url: str) -> httpx.Response:
    """A follower past the cap: the answer, which must be 503 before any stream starts."""
    async with http.stream("GET", url, headers={"Accept": "text/event-stream"}) as r:
        assert r.status_code == 503, f"admitted past the cap of {CAP} (HTTP {r.status_code})"
        await r.aread()
        return r


async def admitted_soon(http: httpx.AsyncClient, url: str) -> Follower:
    """A follower admitted once a place frees (a closed stream leaves a moment later)."""
    deadline = time.monotonic() + EVENT_SECONDS
    while True:
        follower = Follower(http, url)
        try:
            return await follower.__aenter__()
        except AssertionError:
            await follower.cm.__aexit__(None, None, None)
            if time.monotonic() > deadline:
                raise
        await asyncio.sleep(0.1)


def followers_in_redis(redis_server: RedisServer, code: str) -> int:
    with redis.Redis.from_url(redis_server.url) as client:
        return int(client.zcard(f"chainrule:live:followers:{code}"))


@in_own_loop
async def test_two_replicas_admit_the_cap_in_all_not_each(capped_replicas, redis_server) -> None:
    a, b = capped_replicas
    code, auth = go_live(a.url)
    async with httpx.AsyncClient(timeout=EVENT_SECONDS) as http:
        await send(http, a.url, code, auth, {"n": 1})
        on_a, on_b = f"{a.url}/api/live/{code}/events", f"{b.url}/api/live/{code}/events"
        held = [await Follower(http, url).__aenter__() for url in (on_a, on_a, on_b)]
        try:
            assert [(await f.next())["data"] for f in held] == [{"n": 1}] * CAP
            for url in (on_b, on_a):  # either replica: the lesson has its CAP followers
                r = await refused(http, url)
                assert int(r.headers["retry-after"]) > 0
                assert f"{CAP} followers" in r.json()["detail"]["message"]
            # held past their time to live: their replicas renew them, the cap still holds
            await asyncio.sleep(TTL_SECONDS * 2)
            await refused(http, on_b)
            # one leaves on A: its place is given back at once (not by lapsing: nobody joins
            # meanwhile, so only its replica can take it out of the count), then a follower on B
            # takes it, and the lesson is full again
            assert followers_in_redis(redis_server, code) == CAP
            await held.pop(0).__aexit__()
            deadline = time.monotonic() + EVENT_SECONDS
            while followers_in_redis(redis_server, code) == CAP and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            assert followers_in_redis(redis_server, code) == CAP - 1
            held.append(await admitted_soon(http, on_b))
            assert (await held[-1].next())["data"] == {"n": 1}
            await refused(http, on_a)
            await send(http, a.url, code, auth, {"n": 2})
            assert [(await f.next())["data"] for f in held] == [{"n": 2}] * CAP
        finally:
            for follower in held:
                await follower.__aexit__()


@in_own_loop
async def test_the_places_of_a_replica_that_died_lapse_after_their_time_to_live(capped_replicas) -> None:
    a, b = capped_replicas
    code, auth = go_live(b.url)
    async with httpx.AsyncClient(timeout=EVENT_SECONDS) as http:
        await send(http, b.url, code, auth, {"n": 1})
        on_a, on_b = f"{a.url}/api/live/{code}/events", f"{b.url}/api/live/{code}/events"
        held = [await Follower(http, on_a).__aenter__() for _ in range(CAP)]
        try:
            await refused(http, on_b)
            a.kill()  # no stream of A's says goodbye to Redis
            started = time.monotonic()
            late = await admitted_soon(http, on_b)
            waited = time.monotonic() - started
            try:
                assert (await late.next())["data"] == {"n": 1}
            finally:
                await late.__aexit__()
        finally:
            for follower in held:
                try:
                    await follower.__aexit__()
                except httpx.HTTPError:
                    pass  # its server is gone
            a.start()
    # the places lapsed by their time to live (with a second's slack for a busy machine's clocks)
    assert waited > TTL_SECONDS / 3, waited
