"""The graph API against bare Graphviz, in one run.

    .venv/bin/python bench/bench_graph_api.py [--rounds N]

Times, interleaved so all see the same machine load:
  bare     `dot -Tsvg` run as a subprocess on the DOT text the API draws for the lecture program;
  full     POST /api/graph through TestClient, a new shape each time (the kept layouts cleared and
           unique values: no cache hit, `dot` runs);
  numbers  POST /api/graph with only numbers changed, as a slider drag does (a = 2.01, 2.02, ...):
           drawn from the kept layout, no `dot` (app/layout.py); through TestClient and straight
           through the ASGI app;
  cached   the same request repeated (a cache hit): through TestClient, and straight through the
           ASGI app without TestClient's threads (what a server adds is closer to the latter).
Then the same for a 398-value neuron, and the training page's sample graph (the lecture preset's
net, one redraw per training step): how many steps reuse the layout, and a redraw against bare dot.
Targets: full / bare <= 1.5 (issue 4), a cached request < 2 ms; numbers / bare <= 0.2 (issue 15).
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

from app.graph_service import get_service  # noqa: E402
from app.main import app  # noqa: E402
from app.render import to_dot  # noqa: E402
from app.schemas import GraphNode  # noqa: E402
from engine.train import preset_state, sample_program, step  # noqa: E402

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


def bare_dot(dot: bytes) -> float:
    return timed(lambda: subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, check=True))


def nodes_of(response) -> list[GraphNode]:
    assert response.status_code == 200, response.text
    return [GraphNode(**node) for node in response.json()["nodes"]]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--steps", type=int, default=40, help="training steps for the sample graph")
    args = parser.parse_args()
    layouts = get_service().renderer.layouts
    loop = asyncio.new_event_loop()

    with TestClient(app) as client:
        post = lambda body: client.post("/api/graph", json=body)  # noqa: E731
        nodes = nodes_of(post({"source": LECTURE, "values": VALUES}))
        dot = to_dot(nodes).encode()

        bare, full, numbers, numbers_asgi = [], [], [], []
        reused = 0
        for i in range(args.rounds):
            fresh = {**VALUES, "f": -2.0 + (i + 1) * 1e-12}  # same picture, new cache key
            drag = {**VALUES, "a": 2.0 + (i + 1) * 0.01}  # new numbers, same layout
            drag_asgi = json.dumps(
                {"source": LECTURE, "values": {**drag, "b": -3.0 - (i + 1) * 0.01}}
            ).encode()
            bare.append(bare_dot(dot))
            layouts.clear()
            full.append(timed(lambda v=fresh: post({"source": LECTURE, "values": v})))
            numbers.append(timed(lambda v=drag: post({"source": LECTURE, "values": v})))
            numbers_asgi.append(
                timed(lambda b=drag_asgi: loop.run_until_complete(asgi_post("/api/graph", b)))
            )
            reused += layouts.hits  # since the clear: the two numbers-only requests
        assert reused == 2 * args.rounds, "a numbers-only change ran dot"

        repeat = {"source": LECTURE, "values": VALUES}
        cached = [timed(lambda: post(repeat)) for _ in range(args.rounds * 10)]
        healthz = [timed(lambda: client.get("/healthz")) for _ in range(args.rounds * 10)]

        big_dot = to_dot(nodes_of(post({"source": BIG}))).encode()
        big_bare, big_full, big_numbers = [], [], []
        for i in range(max(3, args.rounds // 8)):
            big_bare.append(bare_dot(big_dot))
            layouts.clear()
            big_full.append(timed(lambda i=i: post({"source": BIG, "values": {"unused": float(i)}})))
            drag = BIG.replace("b = 0.1", f"b = {0.1 + (i + 1) * 0.01:.2f}")
            big_numbers.append(timed(lambda s=drag: post({"source": s})))

        # the training page: one sample's graph redrawn after every step of the lecture preset
        state = preset_state("lecture")
        source, values = sample_program(state, 0)
        train_nodes = nodes_of(post({"source": source, "values": values}))
        train_dot = to_dot(train_nodes).encode()
        train_bare, train_redraw = [], []
        hits = layouts.hits
        for _ in range(args.steps):
            state, _ = step(state, 1)
            source, values = sample_program(state, 0)
            train_bare.append(bare_dot(train_dot))
            train_redraw.append(timed(lambda b={"source": source, "values": values}: post(b)))
        train_hits = layouts.hits - hits

    body = json.dumps(repeat).encode()
    assert loop.run_until_complete(asgi_post("/api/graph", body)) == 200
    direct = [
        timed(lambda: loop.run_until_complete(asgi_post("/api/graph", body))) for _ in range(args.rounds * 10)
    ]
    loop.close()

    ms = lambda xs: statistics.median(xs) * 1000  # noqa: E731
    print(f"lecture program, {len(nodes)} values; medians of {args.rounds} runs (x10 for cached)")
    print(f"  bare dot -Tsvg subprocess         {ms(bare):8.2f} ms")
    print(f"  POST /api/graph, new layout       {ms(full):8.2f} ms")
    print(f"  POST, numbers only (client)       {ms(numbers):8.2f} ms")
    print(f"  POST, numbers only (ASGI)         {ms(numbers_asgi):8.2f} ms")
    print(f"  POST /api/graph, cached (ASGI)    {ms(direct):8.2f} ms")
    print(f"  POST /api/graph, cached (client)  {ms(cached):8.2f} ms")
    print(f"  GET /healthz (client) for scale   {ms(healthz):8.2f} ms")
    print(
        f"398-value neuron, medians of {len(big_bare)}: bare dot {ms(big_bare):.0f} ms, new layout "
        f"{ms(big_full):.0f} ms, numbers only {ms(big_numbers):.1f} ms"
    )
    print(
        f"training page's sample graph (lecture preset, {len(train_nodes)} values), "
        f"{args.steps} steps: {train_hits} redraws reused the layout; bare dot {ms(train_bare):.1f} ms, "
        f"redraw {ms(train_redraw):.1f} ms"
    )
    print(f"ratio full / bare dot = {ms(full) / ms(bare):.2f} (target <= 1.5)")
    print(
        f"ratio numbers only / bare dot = {ms(numbers) / ms(bare):.3f} through TestClient, "
        f"{ms(numbers_asgi) / ms(bare):.3f} through ASGI (target <= 0.2, bar 0.5)"
    )
    print(f"ratio numbers only / bare dot, 398-value neuron = {ms(big_numbers) / ms(big_bare):.3f}")
    print(f"ratio training redraw / bare dot = {ms(train_redraw) / ms(train_bare):.3f}")
    print(
        f"cached request = {ms(direct):.2f} ms (target < 2 ms; TestClient adds its own ~{ms(healthz):.1f} ms)"
    )


if __name__ == "__main__":
    main()
