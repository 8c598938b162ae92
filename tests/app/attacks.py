"""Attacks on a live server (tests/live.py) and a poller that measures what a normal user sees
meanwhile: used by tests/app/test_attack.py and bench/availability.py.

Each attack comes from other loopback addresses than the user's (127.0.0.2 and up; Linux
routes all of 127/8 to lo), as a crowd would: the server shares its places per address.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import random
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

USER_GRAPH = "a = 2.0\nb = -3.0\nc = 10.0\nf = -2.0\ne = a*b\nd = e + c\nL = d*f + x"
USER_CONFIG = {"dataset": {"name": "moons", "n_samples": 40}, "layers": [4, 1]}
# a net whose steps are real work (about 1185 parameters, 200 samples)
HEAVY_CONFIG = {"dataset": {"name": "moons", "n_samples": 200}, "layers": [32, 32, 1]}


def rss_mib(pid: int) -> float:
    """The resident memory of a process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


@dataclass
class Worst:
    """The worst latency (s) seen per probe, and every answer that was not a 200."""

    latency: dict[str, float] = field(default_factory=lambda: {"healthz": 0.0, "graph": 0.0, "step": 0.0})
    failures: list[str] = field(default_factory=list)
    probes: int = 0


class Poller:
    """While running: /healthz every 0.2 s in one thread, and in another a normal user's graph
    request (new values each time, so it is drawn, not cached) and one training step."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.worst = Worst()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._health), threading.Thread(target=self._user)]

    def _timed(self, client: httpx.Client, name: str, method: str, path: str, **kw: object) -> None:
        started = time.monotonic()
        try:
            response = client.request(method, path, **kw)  # type: ignore[arg-type]
            status = str(response.status_code)
        except httpx.HTTPError as error:
            status = type(error).__name__
        took = time.monotonic() - started
        self.worst.latency[name] = max(self.worst.latency[name], took)
        self.worst.probes += 1
        if status != "200":
            self.worst.failures.append(f"{name}: {status} after {took:.1f} s")

    def _health(self) -> None:
        with httpx.Client(base_url=self.url, timeout=30) as client:
            while not self._stop.wait(0.2):
                self._timed(client, "healthz", "GET", "/healthz")

    def _user(self) -> None:
        with httpx.Client(base_url=self.url, timeout=30) as client:
            while not self._stop.wait(0.3):
                body = {"source": USER_GRAPH, "values": {"x": random.random()}}
                self._timed(client, "graph", "POST", "/api/graph", json=body)
                step: dict[str, object] = {"state": {"config": USER_CONFIG}, "steps": 1}
                self._timed(client, "step", "POST", "/api/train/step", json=step)

    def __enter__(self) -> Poller:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()


def attacker(k: int, **kw: object) -> httpx.AsyncClient:
    """An async client from loopback address 127.0.0.(2 + k % 200)."""
    transport = httpx.AsyncHTTPTransport(local_address=f"127.0.0.{2 + k % 200}")
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    return httpx.AsyncClient(transport=transport, timeout=60, limits=limits, **kw)  # type: ignore[arg-type]


One = Callable[[httpx.AsyncClient, int], Awaitable[object]]


async def _crowd(url: str, count: int, seconds: float, one: One) -> None:
    """``count`` attackers (address k % 25) each running ``one`` again and again for ``seconds``."""
    deadline = time.monotonic() + seconds

    async def loop(k: int) -> None:
        async with attacker(k % 25, base_url=url) as client:
            while time.monotonic() < deadline:
                with contextlib.suppress(httpx.HTTPError):
                    await one(client, k)

    async def all_of_them() -> None:
        tasks = [asyncio.create_task(loop(k)) for k in range(count)]
        await asyncio.sleep(seconds)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    await all_of_them()


async def _read_stream(client: httpx.AsyncClient, method: str, path: str, **kw: object) -> None:
    async with client.stream(method, path, **kw) as response:  # type: ignore[arg-type]
        async for _ in response.aiter_bytes():
            pass
    await asyncio.sleep(1)  # refused or done: try again in a moment


# each attack: async (url, seconds) -> None, running until ``seconds`` have passed


async def slow_get_streams(url: str, seconds: float) -> None:
    """A hundred GET streams of the smallest preset, an event a second: almost no CPU."""
    path = "/api/train/stream?preset=lecture&until=5000&interval_ms=1000"
    await _crowd(url, 100, seconds, lambda c, k: _read_stream(c, "GET", path))


async def bulk_graphs(url: str, seconds: float) -> None:
    """Forty clients drawing ~120-value graphs, a new one each time (no cache hit)."""

    async def one(client: httpx.AsyncClient, k: int) -> None:
        terms = " + ".join(f"{random.random():.6f}*x{j}" for j in range(30))
        values = {f"x{j}": random.random() for j in range(30)}
        await client.post("/api/graph", json={"source": f"y = {terms}", "values": values})

    await _crowd(url, 40, seconds, one)


async def bulk_training(url: str, seconds: float) -> None:
    """Forty clients each asking for 50 steps of a 1185-parameter net on 200 samples."""

    async def one(client: httpx.AsyncClient, k: int) -> None:
        body = {"state": {"config": {**HEAVY_CONFIG, "seed": k}}, "steps": 50}
        response = await client.post("/api/train/step", json=body)
        if response.status_code == 503:
            await asyncio.sleep(0.2)

    await _crowd(url, 40, seconds, one)


def big_invalid_body(keys: int = 40_000) -> bytes:
    """A ~480 KB training body with tens of thousands of unknown keys (each an error)."""
    config = {f"k{j}": 1 for j in range(keys)}
    return json.dumps({"state": {"config": config}, "steps": 1}).encode()


async def big_422s(url: str, seconds: float) -> None:
    """Four clients sending bodies that are tens of thousands of validation errors each."""
    body = big_invalid_body()
    headers = {"content-type": "application/json"}
    await _crowd(url, 4, seconds, lambda c, k: c.post("/api/train/step", content=body, headers=headers))


async def cache_bloat(url: str, seconds: float) -> None:
    """Graph requests, each with a few thousand names the program never uses (~60 KB each)."""

    async def one(client: httpx.AsyncClient, k: int) -> None:
        values = {f"unused_{random.getrandbits(40):x}_{j}": 1.0 for j in range(2500)}
        await client.post("/api/graph", json={"source": "a*b", "values": {**values, "a": 2.0, "b": 3.0}})

    await _crowd(url, 8, seconds, one)


async def replays(url: str, seconds: float) -> None:
    """GET streams that reconnect near their end (a replay of thousands of steps) and hang up."""
    config = json.dumps(HEAVY_CONFIG | {"dataset": {"name": "moons", "n_samples": 20}})
    path = f"/api/train/stream?config={config}&until=1000"

    async def one(client: httpx.AsyncClient, k: int) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            async with asyncio.timeout(0.5):
                await _read_stream(client, "GET", path, headers={"Last-Event-ID": "999"})

    await _crowd(url, 6, seconds, one)


async def post_streams(url: str, seconds: float) -> None:
    """Twenty POST streams of a heavy net, each as fast as the server goes, read as they come."""
    body = {"state": {"config": HEAVY_CONFIG}, "steps": 10_000, "every": 5}
    await _crowd(url, 20, seconds, lambda c, k: _read_stream(c, "POST", "/api/train/stream", json=body))


async def unread_streams(url: str, seconds: float) -> None:
    """Thirty POST streams with the largest grid and every prediction, never read."""
    host, port = url.removeprefix("http://").split(":")
    body = json.dumps(
        {"state": {"config": HEAVY_CONFIG}, "steps": 10_000, "every": 1, "grid": 100, "predictions": True}
    ).encode()
    request = (
        f"POST /api/train/stream HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    sockets = []
    for k in range(30):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # reads nothing, buffers little
        s.bind((f"127.0.0.{2 + k % 25}", 0))
        s.connect((host, int(port)))
        s.sendall(request)
        sockets.append(s)
    await asyncio.sleep(seconds)
    for s in sockets:
        s.close()


Attack = Callable[[str, float], Coroutine[object, object, None]]

ATTACKS: dict[str, Attack] = {
    "slow GET streams": slow_get_streams,
    "bulk graph requests": bulk_graphs,
    "bulk training requests": bulk_training,
    "big 422 bodies": big_422s,
    "graph cache bloat": cache_bloat,
    "replayed GET streams": replays,
    "twenty POST streams": post_streams,
    "unread large streams": unread_streams,
}


def _attack(url: str, name: str, seconds: float) -> None:
    asyncio.run(ATTACKS[name](url, seconds))


@contextlib.contextmanager
def attacking(url: str, name: str, seconds: float) -> Iterator[None]:
    """Runs the attack ``name`` for ``seconds`` in a process of its own, as another machine's
    clients would (in a thread here, its own client work would slow the poller that measures the
    server); the block runs meanwhile."""
    process = multiprocessing.get_context("spawn").Process(target=_attack, args=(url, name, seconds))
    process.start()
    try:
        yield
    finally:
        process.join(seconds + 60)
        if process.is_alive():
            process.kill()
        if process.exitcode != 0:
            raise RuntimeError(f"the attack {name!r} failed (exit code {process.exitcode})")


def measure(url: str, pid: int, name: str, seconds: float) -> tuple[Worst, float, float]:
    """(worst latencies and failures, RSS before, RSS at the end) of the attack ``name``."""
    before = rss_mib(pid)
    with attacking(url, name, seconds):
        time.sleep(1.5)  # the attacker's process starts, and its first wave arrives
        with Poller(url) as poller:
            time.sleep(max(0.0, seconds - 2))
        after = rss_mib(pid)
    return poller.worst, before, after
