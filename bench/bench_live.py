"""Live lessons: how long a presenter's view takes to reach every follower (fan-out latency).

    .venv/bin/python bench/bench_live.py [--followers N] [--views V] [--interval-ms MS] [--rounds R]

Starts a redis-server and uvicorn processes on loopback (tests/deploy/redis_server.py,
tests/live.py), then for each set-up opens N event streams, sends V views one every MS ms
(each view carries its send time) and records, for every follower and view, the time from
just before the PUT until the follower has parsed the event. Set-ups, run in one go so they
see the same machine load:
  in-process   one replica without Redis, presenter and followers on it (the reference);
  redis-one    one replica with Redis, presenter and followers on it;
  redis-two    two replicas sharing Redis, the presenter on the first, followers split over both.
Repeats the set-ups in turn for --rounds rounds. Prints p50, p99 and max per set-up, the ratio
of each p99 to the reference's and to the 200 ms target, and the range of the rounds' p99s.
Followers are read by one asyncio process (bare sockets) on the same machine: its own CPU time
is in the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.deploy.redis_server import RedisServer  # noqa: E402
from tests.live import Server  # noqa: E402

TARGET_P99_MS = 200.0


async def follow(url: str, views: int, ready: asyncio.Event, out: list[float]) -> None:
    """Read ``views`` views after the first (the latest on connect), recording each one's latency.
    A bare socket, not httpx: the client's own CPU time stays small next to the server's."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    request = f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nAccept: text/event-stream\r\n\r\n"
    writer.write(request.encode())
    status = await reader.readline()
    if b" 200 " not in status:
        raise RuntimeError(f"{url}: {status!r}")
    seen = -1
    try:
        while seen < views:
            line = await reader.readline()  # event lines; chunk sizes come between events
            if not line:
                raise RuntimeError(f"{url}: the stream ended early")
            if line.startswith(b"data:"):
                arrived = time.perf_counter()
                view = json.loads(line[5:])
                seen += 1
                if seen == 0:
                    ready.set()
                else:
                    out.append((arrived - view["sent"]) * 1000)
    finally:
        writer.close()


async def fan_out(presenter: str, follower_urls: list[str], views: int, interval: float) -> list[float]:
    limits = httpx.Limits(max_connections=len(follower_urls) + 10)
    async with httpx.AsyncClient(timeout=60, limits=limits) as http:
        r = await http.post(f"{presenter}/api/live")
        r.raise_for_status()
        code, auth = r.json()["code"], {"Authorization": f"Bearer {r.json()['key']}"}
        await http.put(f"{presenter}/api/live/{code}", json={"sent": 0.0}, headers=auth)
        latencies: list[float] = []
        ready = [asyncio.Event() for _ in follower_urls]
        tasks = [
            asyncio.create_task(follow(f"{base}/api/live/{code}/events", views, ev, latencies))
            for base, ev in zip(follower_urls, ready, strict=True)
        ]
        await asyncio.wait_for(asyncio.gather(*(ev.wait() for ev in ready)), 60)
        for n in range(views):
            view = {"sent": time.perf_counter(), "n": n, "page": "graph", "hash": "#src=L%20%3D%20a*b"}
            (await http.put(f"{presenter}/api/live/{code}", json=view, headers=auth)).raise_for_status()
            await asyncio.sleep(interval)
        await asyncio.wait_for(asyncio.gather(*tasks), 60)
        return latencies


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--followers", type=int, default=100)
    parser.add_argument("--views", type=int, default=40)
    parser.add_argument("--interval-ms", type=float, default=100.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    interval = args.interval_ms / 1000
    servers: list[Server] = []
    with RedisServer() as redis_server:
        try:
            plain = Server()
            shared = [Server(env={"CHAINRULE_REDIS_URL": redis_server.url}) for _ in range(2)]
            servers = [plain, *shared]
            for server in servers:
                server.start()
            n = args.followers
            setups = {
                "in-process": (plain.url, [plain.url] * n),
                "redis-one": (shared[0].url, [shared[0].url] * n),
                "redis-two": (shared[0].url, [shared[i % 2].url for i in range(n)]),
            }
            results: dict[str, list[list[float]]] = {name: [] for name in setups}
            for _ in range(args.rounds):  # interleaved: each set-up sees the same machine load
                for name, (presenter, urls) in setups.items():
                    results[name].append(asyncio.run(fan_out(presenter, urls, args.views, interval)))
        finally:
            for server in servers:
                server.stop()
    every = f"one every {args.interval_ms:g} ms"
    print(f"fan-out latency: {args.followers} followers, {args.views} views, {every}, {args.rounds} rounds")
    print("p50 and p99 over all rounds; p99 range: the lowest and highest of the rounds' p99s")
    reference = percentile([x for r in results["in-process"] for x in r], 99)
    heads = ("samples", "p50 ms", "p99 ms", "max ms", "p99/ref")
    print(f"{'set-up':<12}" + "".join(f" {h:>8}" for h in heads) + f" {'p99/target':>10}  p99 range ms")
    for name, rounds in results.items():
        values = [x for r in rounds for x in r]
        p50, p99 = statistics.median(values), percentile(values, 99)
        spread = sorted(percentile(r, 99) for r in rounds)
        print(
            f"{name:<12} {len(values):>8} {p50:>8.1f} {p99:>8.1f} {max(values):>8.1f}"
            f" {p99 / reference:>8.2f} {p99 / TARGET_P99_MS:>10.2f}  {spread[0]:.0f}-{spread[-1]:.0f}"
        )


if __name__ == "__main__":
    main()
