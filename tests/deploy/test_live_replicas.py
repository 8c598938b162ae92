"""Live lessons across replicas: two uvicorn processes on loopback share a real redis-server. A
presenter on one, followers on the other, get every view in order, the latest first; a Redis
restart mid-lesson is survived; through nginx (deploy/nginx.conf) the stream is not buffered."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.live import Server
from tests.own_loop import in_own_loop
from tests.sse import SseReader

from .cluster import Cluster, nginx_binary
from .redis_server import RedisServer, redis_binary, replicas_sharing

pytestmark = pytest.mark.skipif(
    redis_binary() is None,
    reason="redis-server is not installed (apt-get install redis-server; `./chainrule test` installs it)",
)

FOLLOWERS = 30
VIEWS = 10
EVENT_SECONDS = 15.0  # the longest wait for one event before the test fails (a shared, busy machine)


@pytest.fixture(scope="module")
def replicas(redis_server: RedisServer) -> Iterator[tuple[Server, Server]]:
    with replicas_sharing(redis_server) as pair:
        yield pair


def go_live(base_url: str) -> tuple[str, dict[str, str]]:
    r = httpx.post(f"{base_url}/api/live", timeout=10)
    assert r.status_code == 201, r.text
    return r.json()["code"], {"Authorization": f"Bearer {r.json()['key']}"}


async def send(http: httpx.AsyncClient, base_url: str, code: str, auth: dict, view: dict) -> None:
    r = await http.put(f"{base_url}/api/live/{code}", json=view, headers=auth)
    assert r.status_code == 204, r.text


class Follower:
    """One open event stream, read event by event."""

    def __init__(self, http: httpx.AsyncClient, url: str) -> None:
        self.http, self.url = http, url

    async def __aenter__(self) -> Follower:
        self.cm = self.http.stream("GET", self.url, headers={"Accept": "text/event-stream"})
        self.response = await asyncio.wait_for(self.cm.__aenter__(), EVENT_SECONDS)
        assert self.response.status_code == 200
        self.events = self._events()
        return self

    async def _events(self) -> AsyncIterator[dict]:
        reader = SseReader()
        async for line in self.response.aiter_lines():
            if (event := reader.feed(line)) is not None:
                yield event

    async def next(self) -> dict:
        return await asyncio.wait_for(anext(self.events), EVENT_SECONDS)

    async def __aexit__(self, *exc: object) -> None:
        await self.cm.__aexit__(None, None, None)


def many_streams() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=EVENT_SECONDS, limits=httpx.Limits(max_connections=FOLLOWERS + 10))


@in_own_loop
async def test_followers_on_another_replica_get_every_view_in_order_the_latest_first(replicas) -> None:
    presenter_replica, follower_replica = replicas
    code, auth = go_live(presenter_replica.url)
    async with many_streams() as http:
        for n in (1, 2):
            await send(http, presenter_replica.url, code, auth, {"n": n})
        url = f"{follower_replica.url}/api/live/{code}/events"
        followers = [Follower(http, url) for _ in range(FOLLOWERS)]
        for follower in followers:
            await follower.__aenter__()
        try:
            firsts = await asyncio.gather(*(f.next() for f in followers))
            assert [(e["event"], e["id"], e["data"]) for e in firsts] == [("view", "2", {"n": 2})] * FOLLOWERS
            for n in range(3, 3 + VIEWS):
                await send(http, presenter_replica.url, code, auth, {"n": n, "title": f"slide {n}"})

            async def rest(follower: Follower) -> list[tuple[str, int]]:
                return [(e["id"], e["data"]["n"]) for e in [await follower.next() for _ in range(VIEWS)]]

            expected = [(str(n), n) for n in range(3, 3 + VIEWS)]
            assert await asyncio.gather(*(rest(f) for f in followers)) == [expected] * FOLLOWERS
        finally:
            for follower in followers:
                await follower.__aexit__()
    r = httpx.get(f"{presenter_replica.url}/api/live/{code}", timeout=10)
    assert r.json() == {"seq": 2 + VIEWS, "view": {"n": 2 + VIEWS, "title": f"slide {2 + VIEWS}"}}


@in_own_loop
async def test_a_redis_restart_mid_lesson_keeps_the_lesson_and_its_followers(replicas, redis_server) -> None:
    presenter_replica, follower_replica = replicas
    code, auth = go_live(presenter_replica.url)
    async with many_streams() as http:
        await send(http, presenter_replica.url, code, auth, {"n": 1})
        followers = [Follower(http, f"{follower_replica.url}/api/live/{code}/events") for _ in range(5)]
        for follower in followers:
            await follower.__aenter__()
        try:
            assert [(await f.next())["data"] for f in followers] == [{"n": 1}] * 5
            redis_server.kill()
            r = await http.put(f"{presenter_replica.url}/api/live/{code}", json={"n": 2}, headers=auth)
            assert r.status_code == 503
            assert int(r.headers["retry-after"]) > 0
            assert "Redis" in r.json()["detail"]["message"]
            r = await http.get(f"{follower_replica.url}/api/live/{code}")
            assert r.status_code == 503
            redis_server.start()  # the same port and data directory
            deadline = time.monotonic() + EVENT_SECONDS
            while True:  # as the presenter's page does: try again after Retry-After
                r = await http.put(f"{presenter_replica.url}/api/live/{code}", json={"n": 2}, headers=auth)
                if r.status_code == 204 or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.1)
            assert r.status_code == 204, r.text
            # the streams stayed open: the replica subscribed again and passed the view on, once
            assert [(e["id"], e["data"]) for e in await asyncio.gather(*(f.next() for f in followers))] == [
                ("2", {"n": 2})
            ] * 5
            async with Follower(http, f"{follower_replica.url}/api/live/{code}/events") as late:
                assert (await late.next())["data"] == {"n": 2}
            await send(http, presenter_replica.url, code, auth, {"n": 3})
            assert [(await f.next())["data"] for f in followers] == [{"n": 3}] * 5
        finally:
            for follower in followers:
                await follower.__aexit__()


@pytest.mark.skipif(nginx_binary() is None, reason="nginx is not installed")
@in_own_loop
async def test_through_nginx_each_view_reaches_a_follower_unbuffered(redis_server) -> None:
    with Cluster(replicas=3, env={"CHAINRULE_REDIS_URL": redis_server.url}) as cluster:
        code, auth = go_live(cluster.url)
        async with many_streams() as http:
            await send(http, cluster.url, code, auth, {"n": 1})
            async with Follower(http, f"{cluster.url}/api/live/{code}/events") as follower:
                assert (await follower.next())["data"] == {"n": 1}
                for n in (2, 3):
                    # a small event, each answered before the next is sent: a buffering proxy
                    # would hold it back until its buffer filled or the stream ended
                    await send(http, cluster.url, code, auth, {"n": n})
                    assert (await follower.next())["data"] == {"n": n}
