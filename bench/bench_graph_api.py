"""The graph API against bare Graphviz, in one run.

    .venv/bin/python bench/bench_graph_api.py [--rounds N]

Times, interleaved so both see the same machine load:
  bare     `dot -Tsvg` run as a subprocess on the DOT text the API draws for the lecture program;
  full     POST /api/graph through TestClient, a fresh request each time (unique values: no cache hit);
  cached   the same request repeated (a cache hit): through TestClient, and straight through the
           ASGI app without TestClient's threads (what a server adds is closer to the latter).
Targets (issue 4): full / bare <= 1.5, a cached request < 2 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
warnings.filterwarnings("ignore", category=DeprecationWarning)

from fastapi.testclient import TestClient  # noqa: E402

from app.main import app  # noqa: E402
from app.render import to_dot  # noqa: E402
from app.schemas import GraphNode  # noqa: E402

LECTURE = "L = (a*b + c)*f"
# a 99-input neuron: 398 values, just under the default picture cap (400)
BIG = (
    "\n".join(f"w{i} = 0.5; x{i} = -1.5" for i in range(99))
    + "\nb = 0.1\no = tanh("
    + " + ".join(f"w{i}*x{i}" for i in range(99))
    + " + b)"
)
VALUES = {"a": 2.0, "b": -3.0, "c": 10.0, "f": -2.0}


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


async def asgi_post(path: str, body: bytes) -> int:
    """One request straight through the ASGI app, on this thread's event loop."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
        "state": {},
    }
    sent = False
    status = 0

    async def receive():
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()

    with TestClient(app) as client:
        first = client.post("/api/graph", json={"source": LECTURE, "values": VALUES})
        assert first.status_code == 200, first.text
        nodes = [GraphNode(**node) for node in first.json()["nodes"]]
        dot = to_dot(nodes, "light").encode()

        bare, full = [], []
        for i in range(args.rounds):
            values = {**VALUES, "f": -2.0 + (i + 1) * 1e-12}  # same picture, new cache key
            bare.append(
                timed(lambda: subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, check=True))
            )
            full.append(
                timed(lambda v=values: client.post("/api/graph", json={"source": LECTURE, "values": v}))
            )

        repeat = {"source": LECTURE, "values": VALUES}
        cached = [timed(lambda: client.post("/api/graph", json=repeat)) for _ in range(args.rounds * 10)]
        healthz = [timed(lambda: client.get("/healthz")) for _ in range(args.rounds * 10)]

        big = client.post("/api/graph", json={"source": BIG})
        assert big.status_code == 200, big.text
        big_dot = to_dot([GraphNode(**node) for node in big.json()["nodes"]], "light").encode()
        big_bare = timed(
            lambda: subprocess.run(["dot", "-Tsvg"], input=big_dot, capture_output=True, check=True)
        )
        big_full = timed(lambda: client.post("/api/graph", json={"source": BIG, "values": {"unused": 1.0}}))

    body = json.dumps(repeat).encode()
    loop = asyncio.new_event_loop()
    assert loop.run_until_complete(asgi_post("/api/graph", body)) == 200
    direct = [
        timed(lambda: loop.run_until_complete(asgi_post("/api/graph", body))) for _ in range(args.rounds * 10)
    ]
    loop.close()

    ms = lambda xs: statistics.median(xs) * 1000  # noqa: E731
    ratio = ms(full) / ms(bare)
    print(f"lecture program, {len(nodes)} values; medians of {args.rounds} runs (x10 for cached)")
    print(f"  bare dot -Tsvg subprocess         {ms(bare):8.2f} ms")
    print(f"  POST /api/graph, no cache hit     {ms(full):8.2f} ms")
    print(f"  POST /api/graph, cached (ASGI)    {ms(direct):8.2f} ms")
    print(f"  POST /api/graph, cached (client)  {ms(cached):8.2f} ms")
    print(f"  GET /healthz (client) for scale   {ms(healthz):8.2f} ms")
    print(f"  398-value neuron, one run: bare dot {big_bare * 1000:.0f} ms, POST {big_full * 1000:.0f} ms")
    print(f"ratio full / bare dot = {ratio:.2f} (target <= 1.5)")
    print(
        f"cached request = {ms(direct):.2f} ms (target < 2 ms; TestClient adds its own ~{ms(healthz):.1f} ms)"
    )


if __name__ == "__main__":
    main()
