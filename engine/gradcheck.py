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
    nodes = topological_order(root)
    saved = leaf.data
    try:
        leaf.data = saved + h
        forward(nodes, leaf)
        up = root.data
        leaf.data = saved - h
        forward(nodes, leaf)
        down = root.data
    finally:
        leaf.data = saved
        forward(nodes, leaf)
    return (up - down) / (2 * h)


def agree(analytic: float, numeric: float, rtol: float = RTOL, atol: float = ATOL) -> bool:
    return abs(analytic - numeric) <= atol + rtol * max(abs(analytic), abs(numeric))


def gradcheck(root: Value, leaves: list[Value] | None = None, h: float = DEFAULT_H) -> list[Check]:
    """Compare each leaf's ``grad`` (run ``root.backward()`` first) with a central difference.

    ``leaves`` defaults to every leaf behind ``root``, in topological order.
    """
    if leaves is None:
        leaves = [node for node in topological_order(root) if not node._prev]
    checks = []
    for leaf in leaves:
        try:
            numeric: float | None = central_difference(root, leaf, h)
        except (MathError, CustomOpError):  # no finite value at x±h, or a custom op on the way
            numeric = None
        ok = numeric is not None and agree(float(leaf.grad), numeric)
        checks.append(Check(leaf, float(leaf.grad), numeric, ok))
    return checks
