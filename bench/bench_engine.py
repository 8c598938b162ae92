"""Our engine against micrograd from PyPI, in one process, on the same graphs.

    .venv/bin/python -m bench.bench_engine

For a balanced ~200,000-node graph, a balanced graph of products of pairs (2**16 leaves,
``Value(x) * Value(y)`` summed pairwise) and a chain, prints the time to build the graph
(forward), to run backward, and to free it, for micrograd and for ours, and the ratios
micrograd / ours. Times are CPU seconds of this process (``time.process_time``), so other
work on a shared machine does not count; the wall-clock ratio of forward+backward is printed too.
Target: forward+backward at least 8x faster than micrograd (issue 15); the bar was 5x.

Where the time goes: a micrograd op node is seven objects the cycle collector tracks (the
Value, its set of children, the _backward closure, its cells and their tuple; counted with
gc.get_objects()), tied in a reference cycle, and the collector walks every live one of them
again and again while a graph grows; that is most of micrograd's build time. Ours is one object
per node (engine/engine.py says how), so the walks are short, and backward sorts the op nodes
by creation order instead of recursing.

Why not 8x (measured 2026-11-29 on the shared 2-core machine, load 8-11; the figures move by
about 10% between runs): forward+backward is 5.1-5.3x on the balanced graph, 7.2-7.9x on the
products of pairs, 2.9-3.3x on the chain. The lines "in the cycle collector" split each side.
On the balanced graph micrograd spends 940-990 ms of its 1.3 s in collections and we spend
110-115 ms of our 0.25 s; what is left is 2.3-2.7x (2.1-2.9x on every graph). 8x needs our
total under an eighth of micrograd's, about 170 ms here: our collections take two thirds of
that, leaving about 60 ms for work that takes 140 ms, so the rest would have to be near 6x
and it is 2.5x. The collector's share is fixed by CPython: a young collection every 700 new
tracked objects, a middle one every ten of those, and a full walk of everything live every tenth
middle one, once the objects that survived since the last full walk are a quarter of the old
ones. Our one object per node (the least a Value can be) is walked that way; only fewer slots
make each walk cheaper. The engine's own work is CPython's floor for an operator on a Python
class: the dunder called from C, a new object with its ``__dict__`` values array, a store per
slot. Counted in instructions (valgrind, one build, backward and free of the balanced graph):
micrograd 4.20 G, ours 1.58 G before issue 15 and 1.50 G after it (2.30 G against about 1.03 G
with the collector off), so CPU time favours us more than instructions do only because
micrograd's collections miss the cache. ``gc.disable()`` around backward would change nothing:
no collection starts while our backward walks a graph (it makes no tracked object per node), and
it would turn off the collector for a user's own ``_backward`` closures too. Measured and kept:
``+ - *`` make their node inline (-3% instructions), ``label`` out of the slots (-2%). Measured
and dropped: a plain class without slots (slower), a level-by-level walk with set operations for
the topological order (50% slower than the loop), dropping the None check for an op's first
input (-0.3%), the Value for a plain number made without calling the class (-2% on chains). The
``__dict__`` slot that lets a Value take new attributes costs 10-15% of the build (each instance
gets its attribute-values array when it is made), measured side by side.
"""

from __future__ import annotations

import gc
import random
import sys
import time
from collections.abc import Callable
from typing import NamedTuple

from micrograd.engine import Value as MicrogradValue

from engine import Value

LEAVES = 100_000  # a balanced binary tree over this many leaves has 2 * LEAVES - 1 nodes
PAIR_LEAVES = 2**16  # products of pairs, then sums of pairs: 2 * PAIR_LEAVES - 1 nodes
CHAIN = 900  # micrograd's recursive topological sort dies near Python's limit of 1,000
DEEP_CHAIN = 1_000_000  # ours only
REPEATS = 5


def balanced(value_class: type, leaves: list[float]):
    level = [value_class(x) for x in leaves]
    depth = 0
    while len(level) > 1:
        combine = (lambda x, y: x + y) if depth % 2 else (lambda x, y: x * y)
        paired = [combine(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        level = paired + level[len(level) - len(level) % 2 :]
        depth += 1
    return level[0]


def pairs(value_class: type, leaves: list[float]):
    """``Value(x) * Value(y)`` for each pair of leaves, then the products summed pairwise."""
    level = [value_class(leaves[i]) * value_class(leaves[i + 1]) for i in range(0, len(leaves) - 1, 2)]
    while len(level) > 1:
        level = [level[i] + level[i + 1] for i in range(0, len(level), 2)]  # PAIR_LEAVES is a power of 2
    return level[0]


def chain(value_class: type, depth: int):
    out = value_class(1.0)
    for _ in range(depth):
        out = out + 0.5
    return out


class Times(NamedTuple):
    forward: float  # build the graph
    backward: float  # root.backward()
    free: float  # drop the graph and collect it (micrograd's closures make a cycle per node)
    wall: float  # forward + backward, wall-clock (its best of REPEATS, beside the other side's best)
    collector: float  # of forward + backward, the CPU time spent in the cycle collector's runs
    rest: float  # forward + backward without the collector's runs: the engine's own work


class CollectorClock:
    """CPU seconds spent inside the cycle collector's runs, from ``gc.callbacks``."""

    def __init__(self) -> None:
        self.total = 0.0
        self._start = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._start = time.process_time()
        else:
            self.total += time.process_time() - self._start


def timed(build: Callable[[], object]) -> Times:
    """CPU seconds for each phase, with the GC on as a user has it, collected between runs."""
    gc.collect()
    clock = CollectorClock()
    gc.callbacks.append(clock)
    wall = time.perf_counter()
    start = time.process_time()
    root = build()
    built = time.process_time()
    root.backward()
    done = time.process_time()
    wall = time.perf_counter() - wall
    gc.callbacks.remove(clock)
    del root
    gc.collect()
    freed = time.process_time()
    own = done - start - clock.total
    return Times(built - start, done - built, freed - done, wall, clock.total, own)


def compare(name: str, theirs: Callable[[], object], ours: Callable[[], object]) -> float:
    """Runs both REPEATS times, interleaved so that both see the same machine; best of each."""
    runs = [(timed(theirs), timed(ours)) for _ in range(REPEATS)]
    t = Times(*(min(run[0][i] for run in runs) for i in range(len(Times._fields))))
    o = Times(*(min(run[1][i] for run in runs) for i in range(len(Times._fields))))
    print(name)
    for part in Times._fields[:3]:
        tp, op = getattr(t, part), getattr(o, part)
        print(f"  {part:9s} micrograd {tp * 1e3:8.1f} ms   ours {op * 1e3:8.1f} ms   ratio {tp / op:6.1f}x")
    ratio = (t.forward + t.backward) / (o.forward + o.backward)
    with_free = sum(t[:3]) / sum(o[:3])
    wall = t.wall / o.wall
    print(f"  forward+backward {ratio:.1f}x (wall-clock {wall:.1f}x); freeing it too {with_free:.1f}x")
    rest = t.rest / o.rest
    print(
        f"  of forward+backward, in the cycle collector: micrograd {t.collector * 1e3:.0f} ms, "
        f"ours {o.collector * 1e3:.0f} ms; the rest {rest:.1f}x"
    )
    return ratio


def main() -> None:
    rng = random.Random(0)
    leaves = [rng.uniform(-1, 1) for _ in range(LEAVES)]
    print(f"Python {sys.version.split()[0]}; best of {REPEATS}; ratio = micrograd time / our time\n")
    ratio = compare(
        f"balanced graph, {2 * LEAVES - 1:,} nodes",
        lambda: balanced(MicrogradValue, leaves),
        lambda: balanced(Value, leaves),
    )
    pair_leaves = [rng.uniform(-1, 1) for _ in range(PAIR_LEAVES)]
    pair_ratio = compare(
        f"products of pairs summed pairwise, {2 * PAIR_LEAVES - 1:,} nodes",
        lambda: pairs(MicrogradValue, pair_leaves),
        lambda: pairs(Value, pair_leaves),
    )
    chain_ratio = compare(
        f"chain, {CHAIN} deep ({2 * CHAIN + 1:,} nodes with its constants)",
        lambda: chain(MicrogradValue, CHAIN),
        lambda: chain(Value, CHAIN),
    )
    try:
        chain(MicrogradValue, 1_000).backward()
        print("\nmicrograd, chain 1,000 deep: ok")
    except RecursionError:
        print("\nmicrograd, chain 1,000 deep: RecursionError")
    deep = timed(lambda: chain(Value, DEEP_CHAIN))
    print(f"ours, chain {DEEP_CHAIN:,} deep: forward {deep.forward:.2f} s, backward {deep.backward:.2f} s")
    print(
        f"\nforward+backward against micrograd (target 8x): balanced graph {ratio:.1f}x, "
        f"products of pairs {pair_ratio:.1f}x, chain {chain_ratio:.1f}x"
    )


if __name__ == "__main__":
    main()
