"""Our engine against micrograd from PyPI, in one process, on the same graphs.

    .venv/bin/python -m bench.bench_engine

Prints forward (build) and backward times for a balanced ~200,000-node graph and for a deep
chain, and the ratios micrograd / ours. Target: forward+backward at least 5x faster.
"""

from __future__ import annotations

import gc
import random
import sys
import time
from collections.abc import Callable

from micrograd.engine import Value as MicrogradValue

from engine import Value

LEAVES = 100_000  # a balanced binary tree over this many leaves has 2 * LEAVES - 1 nodes
CHAIN = 900  # micrograd's recursive topological sort dies near Python's limit of 1,000
DEEP_CHAIN = 1_000_000  # ours only
REPEATS = 3


def balanced(value_class: type, leaves: list[float]):
    level = [value_class(x) for x in leaves]
    depth = 0
    while len(level) > 1:
        combine = (lambda x, y: x + y) if depth % 2 else (lambda x, y: x * y)
        paired = [combine(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        level = paired + level[len(level) - len(level) % 2 :]
        depth += 1
    return level[0]


def chain(value_class: type, depth: int):
    out = value_class(1.0)
    for _ in range(depth):
        out = out * 1.0001 + 0.5
    return out


def timed(build: Callable[[], object]) -> tuple[float, float]:
    """Seconds to build the graph and to run backward, best of REPEATS, with the GC on as usual."""
    best_forward = best_backward = float("inf")
    for _ in range(REPEATS):
        gc.collect()
        start = time.perf_counter()
        root = build()
        built = time.perf_counter()
        root.backward()
        done = time.perf_counter()
        best_forward = min(best_forward, built - start)
        best_backward = min(best_backward, done - built)
        del root
    return best_forward, best_backward


def report(name: str, theirs: tuple[float, float], ours: tuple[float, float]) -> float:
    ratio = sum(theirs) / sum(ours)
    print(f"{name}")
    for part, t, o in (("forward", theirs[0], ours[0]), ("backward", theirs[1], ours[1])):
        print(f"  {part:9s} micrograd {t * 1e3:9.1f} ms   ours {o * 1e3:9.1f} ms   ratio {t / o:5.1f}x")
    print(
        f"  {'total':9s} micrograd {sum(theirs) * 1e3:9.1f} ms   ours {sum(ours) * 1e3:9.1f} ms   "
        f"ratio {ratio:5.1f}x"
    )
    return ratio


def main() -> None:
    rng = random.Random(0)
    leaves = [rng.uniform(-1, 1) for _ in range(LEAVES)]
    print(f"Python {sys.version.split()[0]}; best of {REPEATS}; ratio = micrograd time / our time\n")
    ratio = report(
        f"balanced graph, {2 * LEAVES - 1:,} nodes",
        timed(lambda: balanced(MicrogradValue, leaves)),
        timed(lambda: balanced(Value, leaves)),
    )
    report(
        f"chain, {CHAIN} deep ({4 * CHAIN + 1:,} nodes with its constants)",
        timed(lambda: chain(MicrogradValue, CHAIN)),
        timed(lambda: chain(Value, CHAIN)),
    )
    try:
        chain(MicrogradValue, 1_000).backward()
        print("\nmicrograd, chain 1,000 deep: ok")
    except RecursionError:
        print("\nmicrograd, chain 1,000 deep: RecursionError")
    forward, backward = timed(lambda: chain(Value, DEEP_CHAIN))
    print(f"ours, chain {DEEP_CHAIN:,} deep: forward {forward:.2f} s, backward {backward:.2f} s")
    print(f"\nbalanced graph forward+backward: {ratio:.1f}x faster than micrograd (target 5x)")


if __name__ == "__main__":
    main()
