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

Why not 8x: the bench measures a floor beside ours. ``Bare`` below is the least a Value can be
and still give right grads: its number, grad, inputs and creation order in slots, the op as its
class, the engine's walk, nothing else (no op name or local derivatives for the graph, no label or
other attributes, no ``_backward`` of its own, no inf or nan check). Measured 2026-11-30 on the
quiet 2-core machine, two runs, forward+backward against micrograd:

    graph               ours       the bare Value
    balanced            5.7-5.8x   7.0-7.7x
    products of pairs   6.2-7.6x   8.8-10.4x
    chain 900 deep      3.0x       3.6-3.7x

So 8x on the balanced graph and the chain is out of reach for any Value written in Python on
CPython 3.11: even one that can do nothing the app needs does not get there; ours is 70-85% of it.
What is left is CPython's own cost, which micrograd pays too: the dunder called from C, a new
object, a store per slot, and the cycle collector, which walks every live tracked object again
and again while a graph grows (a young collection every 700 new objects, and a full walk of
everything once a quarter more has survived) and which tracks every instance of a Python class.
micrograd spends 700-1,000 ms of its time there, ours 70-115 ms, the bare Value 25-65 ms.

What ours carries beyond that, measured side by side on the balanced build (one scratch run, best
of 5): a Value of four slots (number, grad, two inputs) builds in 106 ms; with creation order
110 ms; with a ``__dict__`` slot 122 ms (what lets a Value take new attributes: on Python 3.11
every instance gets its attribute-values array when it is made); with five more slots, left
empty, 118 ms; with all ours has but the ``__dict__`` 133 ms; ours 164 ms. Measured and kept:
``+ - *`` make their node inline (-3% instructions), ``label`` out of the slots (-2%). Measured
and dropped: a plain class without slots (slower), a level-by-level walk with set operations for
the topological order (50% slower than the loop), the op as the node's class with local
derivatives read at backward (in one run of both: as fast as ours on the balanced graph, 6.9x
against 5.5x on products of pairs; a rewrite of every module that reads a node, for no 8x).
``gc.disable()`` around backward would change nothing: our backward makes no tracked object per
node, so no collection starts during it.
"""

from __future__ import annotations

import gc
import itertools
import operator
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


_serials = itertools.count()
_serial_of = operator.attrgetter("_serial")


class Bare:
    """The least a Value can be in CPython and still give right grads for ``+`` and ``*``: its
    number, its grad, its inputs and its place in creation order (for the topological order), in
    slots; the op is its class. It has none of what the engine's Value must have: no op name or
    local derivatives to show on a graph, no label or other attribute, no ``_backward`` of its
    own, no check for inf or nan. Only a floor to measure against: what ours could be at best.
    """

    __slots__ = ("data", "grad", "_a", "_b", "_serial")

    def __init__(self, data: float) -> None:
        self.data, self.grad, self._a, self._b, self._serial = data, 0.0, None, None, -1

    def __add__(self, other: Bare | float) -> Bare:
        if not isinstance(other, Bare):
            other = Bare(other)
        node = _new(_BareSum)
        node.data, node.grad, node._a, node._b = self.data + other.data, 0.0, self, other
        node._serial = next(_serials)
        return node

    def __mul__(self, other: Bare | float) -> Bare:
        if not isinstance(other, Bare):
            other = Bare(other)
        node = _new(_BareProduct)
        node.data, node.grad, node._a, node._b = self.data * other.data, 0.0, self, other
        node._serial = next(_serials)
        return node

    def backward(self) -> None:
        """The engine's walk: the op nodes breadth first, sorted by creation order, then the chain rule."""
        self.grad = 1.0
        ops = [self]
        seen = {self}
        for node in ops:  # written out as the engine's is: a loop over (a, b) costs a tuple per node
            a, b = node._a, node._b
            if a is not None and a._a is not None and a not in seen:
                seen.add(a)
                ops.append(a)
            if b is not None and b._a is not None and b not in seen:
                seen.add(b)
                ops.append(b)
        ops.sort(key=_serial_of, reverse=True)
        for node in ops:
            a, b, grad = node._a, node._b, node.grad
            if type(node) is _BareProduct:
                a.grad += b.data * grad
                b.grad += a.data * grad
            else:
                a.grad += grad
                b.grad += grad


class _BareSum(Bare):
    __slots__ = ()


class _BareProduct(Bare):
    __slots__ = ()


_new = object.__new__


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


def compare(
    name: str, theirs: Callable[[], object], ours: Callable[[], object], bare: Callable[[], object]
) -> float:
    """Runs the three REPEATS times, interleaved so that all see the same machine; best of each."""
    runs = [(timed(theirs), timed(ours), timed(bare)) for _ in range(REPEATS)]
    t, o, b = (Times(*(min(run[k][i] for run in runs) for i in range(len(Times._fields)))) for k in range(3))
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
    floor = (t.forward + t.backward) / (b.forward + b.backward)
    print(
        f"  the bare Value (the least one can be): forward+backward {floor:.1f}x; "
        f"in the cycle collector {b.collector * 1e3:.0f} ms"
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
        lambda: balanced(Bare, leaves),
    )
    pair_leaves = [rng.uniform(-1, 1) for _ in range(PAIR_LEAVES)]
    pair_ratio = compare(
        f"products of pairs summed pairwise, {2 * PAIR_LEAVES - 1:,} nodes",
        lambda: pairs(MicrogradValue, pair_leaves),
        lambda: pairs(Value, pair_leaves),
        lambda: pairs(Bare, pair_leaves),
    )
    chain_ratio = compare(
        f"chain, {CHAIN} deep ({2 * CHAIN + 1:,} nodes with its constants)",
        lambda: chain(MicrogradValue, CHAIN),
        lambda: chain(Value, CHAIN),
        lambda: chain(Bare, CHAIN),
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
