"""Gradients by central differences, to check the engine's chain rule against."""

from __future__ import annotations

from typing import NamedTuple

from .engine import CustomOpError, MathError, Value, forward, topological_order

DEFAULT_H = 1e-5  # step for (f(x+h) - f(x-h)) / 2h: truncation error ~h², round-off ~1e-16/h
RTOL = 1e-4  # an analytic and a numeric grad agree within this relative error...
ATOL = 1e-6  # ...or this absolute one (for grads near zero)


class Check(NamedTuple):
    leaf: Value
    analytic: float
    numeric: float | None  # None when f(x±h) has no finite value, or a custom op can't be recomputed
    ok: bool


def central_difference(root: Value, leaf: Value, h: float = DEFAULT_H) -> float:
    """d root / d leaf as (f(x+h) - f(x-h)) / 2h, leaving the graph's data as it was."""
    return _difference(root, leaf, dependents(topological_order(root), [leaf])[0], h)


def dependents(nodes: list[Value], leaves: list[Value]) -> list[list[Value]]:
    """For each of ``leaves``, the nodes of ``nodes`` (topologically ordered) whose value depends
    on it, in that order: all that x+h changes. One walk for all leaves: each node's set of
    leaves behind it is a bit mask, the or of its inputs' masks."""
    bit: dict[Value, int] = {}
    for i, leaf in enumerate(leaves):
        bit[leaf] = bit.get(leaf, 0) | 1 << i
    mask: dict[Value, int] = {}
    ops: list[tuple[Value, int]] = []
    for node in nodes:
        behind = 0
        for child in node._prev:
            behind |= mask.get(child, 0)
        if node._prev:
            ops.append((node, behind))
        mask[node] = behind | bit.get(node, 0)
    return [[node for node, behind in ops if behind >> i & 1] for i in range(len(leaves))]


def _difference(root: Value, leaf: Value, changed: list[Value], h: float) -> float:
    """The central difference, recomputing only ``changed`` (the nodes that depend on ``leaf``)
    and then putting back what they held."""
    saved = leaf.data
    kept = [(node, node.data, node._da, node._db, node._own_backward) for node in changed]
    try:
        leaf.data = saved + h
        forward(changed)
        up = root.data
        leaf.data = saved - h
        forward(changed)
        down = root.data
    finally:
        leaf.data = saved
        for node, data, da, db, own in kept:
            node.data, node._da, node._db, node._own_backward = data, da, db, own
    return (up - down) / (2 * h)


def agree(analytic: float, numeric: float, rtol: float = RTOL, atol: float = ATOL) -> bool:
    return abs(analytic - numeric) <= atol + rtol * max(abs(analytic), abs(numeric))


def gradcheck(root: Value, leaves: list[Value] | None = None, h: float = DEFAULT_H) -> list[Check]:
    """Compare each leaf's ``grad`` (run ``root.backward()`` first) with a central difference.

    ``leaves`` defaults to every leaf behind ``root``, in topological order.
    """
    nodes = topological_order(root)
    if leaves is None:
        leaves = [node for node in nodes if not node._prev]
    checks = []
    for leaf, changed in zip(leaves, dependents(nodes, leaves), strict=True):
        try:
            numeric: float | None = _difference(root, leaf, changed, h)
        except (MathError, CustomOpError):  # no finite value at x±h, or a custom op on the way
            numeric = None
        ok = numeric is not None and agree(float(leaf.grad), numeric)
        checks.append(Check(leaf, float(leaf.grad), numeric, ok))
    return checks
