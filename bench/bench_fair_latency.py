"""Fair latency (issue 15): a cached answer and a numbers-only change while `dot` lays out new
shapes, against the same requests on an idle service, in one run.

    .venv/bin/python -m bench.bench_fair_latency [requests of each kind, default 20]

GraphService.answer_async as the graph routes call it (no HTTP). Each new shape's `dot` is made
to last LAYOUT_SECONDS (a big graph on a busy machine); enough of them are sent that both `dot`
places are taken and more wait. A request that waited behind a layout would take about that
long; one that does not takes about what it takes on the idle service (ratio near 1).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.graph_service import GraphService  # noqa: E402
from app.render import Renderer  # noqa: E402
from app.schemas import GraphRequest  # noqa: E402

LECTURE = "a = 2.0\nb = -3.0\nc = 10.0\nf = -2.0\ne = a*b\nd = e + c\nL = d*f\n"
LAYOUT_SECONDS = 0.5
REQUESTS = int(sys.argv[1]) if len(sys.argv) > 1 else 20  # of each kind, one after another


def numbers(k: int) -> GraphRequest:
    """The lecture with ``a`` changed (as wide as 2.0: its shape's layout is kept)."""
    return GraphRequest(source=LECTURE.replace("a = 2.0", f"a = {2 + k / 1000:.3f}"))


def new_shape(k: int) -> GraphRequest:
    """The lecture and one more line, under a name of its own (a shape never laid out)."""
    return GraphRequest(source=LECTURE + f"t{k} = L*{k % 7 + 2}.0 + c\n")


async def timed(service: GraphService, requests: list[GraphRequest]) -> tuple[float, float]:
    """The median and the longest seconds of the requests, sent one after another."""
    took = []
    for request in requests:
        started = time.perf_counter()
        await service.answer_async(request, "student")
        took.append(time.perf_counter() - started)
    return statistics.median(took), max(took)


async def measure() -> dict[str, tuple[float, float]]:
    service = GraphService(Renderer(timeout=30.0), cache_bytes=32 * 2**20)
    service.answer(GraphRequest(source=LECTURE))  # the shared program: cached, its layout kept
    await timed(service, [numbers(-k) for k in range(1, REQUESTS)])  # warm-up
    idle = {
        "hit": await timed(service, [GraphRequest(source=LECTURE)] * REQUESTS),
        "numbers": await timed(service, [numbers(k) for k in range(REQUESTS)]),
    }
    real = service.renderer.run_dot

    def slow_dot(dot: str) -> str:
        time.sleep(LAYOUT_SECONDS)
        return real(dot)

    service.renderer.run_dot = slow_dot  # type: ignore[method-assign]
    layouts = [
        asyncio.create_task(service.answer_async(new_shape(k), f"class{k}")) for k in range(2 * REQUESTS)
    ]
    while service.slots.waiting < 2:  # both dot places taken, more waiting
        await asyncio.sleep(0.01)
    busy = {
        "hit": await timed(service, [GraphRequest(source=LECTURE)] * REQUESTS),
        "numbers": await timed(service, [numbers(REQUESTS + k) for k in range(REQUESTS)]),
    }
    still_waiting = service.slots.waiting
    started = time.perf_counter()
    await asyncio.gather(*layouts)
    layouts_left = time.perf_counter() - started
    return {
        **{f"{kind} idle": s for kind, s in idle.items()},
        **{f"{kind} under layouts": s for kind, s in busy.items()},
        "waiting": (still_waiting, still_waiting),
        "layouts left": (layouts_left, layouts_left),
    }


def main() -> int:
    figures = asyncio.run(measure())
    print(f"fair latency: {REQUESTS} requests of each kind, `dot` made to last {LAYOUT_SECONDS:g} s")
    for kind, name in (("hit", "cached answer"), ("numbers", "numbers-only change")):
        (idle, _), (busy, longest) = figures[f"{kind} idle"], figures[f"{kind} under layouts"]
        print(
            f"  {name:20s} median idle {idle * 1000:7.2f} ms, while layouts run {busy * 1000:7.2f} ms "
            f"(ratio {busy / idle:5.2f}), longest {longest * 1000:7.1f} ms "
            f"(a layout: {LAYOUT_SECONDS * 1000:g} ms)"
        )
    print(
        f"  {figures['waiting'][0]:.0f} new shapes were still waiting for a `dot` place after the last was "
        f"measured; they took {figures['layouts left'][0]:.1f} s more"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
