"""A scalar autograd engine in the spirit of micrograd, with the chain rule as a table.

Every operation is one row of ``RULES``: how it computes its value, and its local
derivative with respect to each input. A node stores those local derivatives as plain
numbers (``_local``), so ``backward()`` is a single loop over the topological order:
multiply by the upstream grad and add into the input. No node holds a closure over
itself, so building and dropping large graphs creates no reference cycles.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple


class MathError(ArithmeticError):
    """An operation whose result or local derivative is not a finite real number."""

    def __init__(self, op: str, operands: tuple[float, ...], what: str = "result") -> None:
        self.op = op
        self.operands = operands
        self.what = what
        args = ", ".join(_show(x) for x in operands)
        super().__init__(f"{op}({args}) has no finite real {what}")


class Rule(NamedTuple):
    forward: Callable[..., float]  # input data (then the constant argument, if any) -> out
    local: Callable[..., tuple[float, ...]]  # same inputs, then out -> d out / d input, each
    derivatives: tuple[str, ...]  # the local derivatives as a learner writes them


def _relu(a: float) -> float:
    return a if a > 0 else 0.0


def _sigmoid(a: float) -> float:
    # the two forms keep exp() from overflowing on either side
    if a >= 0:
        return 1.0 / (1.0 + math.exp(-a))
    z = math.exp(a)
    return z / (1.0 + z)


def _log_or_zero(a: float, out: float) -> float:
    # d(a**b)/db = a**b * ln a; at a == 0 the result is flat in b (0**b == 0 for b > 0)
    if a > 0:
        return out * math.log(a)
    return 0.0 if out == 0 else math.nan


# The lecture's table: for each op, its value and its local derivatives.
# Binary ops take (a, b); unary ops take (a); "**k" takes the base and its constant exponent.
RULES: dict[str, Rule] = {
    "+": Rule(lambda a, b: a + b, lambda a, b, out: (1.0, 1.0), ("1", "1")),
    "-": Rule(lambda a, b: a - b, lambda a, b, out: (1.0, -1.0), ("1", "-1")),
    "*": Rule(lambda a, b: a * b, lambda a, b, out: (b, a), ("b", "a")),
    "/": Rule(lambda a, b: a / b, lambda a, b, out: (1.0 / b, -out / b), ("1/b", "-a/b²")),
    "**": Rule(
        math.pow,  # unlike a**b, never complex: a negative base to a fractional power raises
        lambda a, b, out: (b * math.pow(a, b - 1), _log_or_zero(a, out)),
        ("b·a^(b-1)", "a^b·ln a"),
    ),
    "**k": Rule(math.pow, lambda a, k, out: (k * math.pow(a, k - 1),), ("k·a^(k-1)",)),
    "neg": Rule(lambda a: -a, lambda a, out: (-1.0,), ("-1",)),
    "tanh": Rule(math.tanh, lambda a, out: (1.0 - out * out,), ("1 - tanh²",)),
    "exp": Rule(math.exp, lambda a, out: (out,), ("exp a",)),
    "log": Rule(math.log, lambda a, out: (1.0 / a,), ("1/a",)),
    "relu": Rule(_relu, lambda a, out: (1.0 if a > 0 else 0.0,), ("1 if a > 0 else 0",)),
    "sigmoid": Rule(_sigmoid, lambda a, out: (out * (1.0 - out),), ("σ·(1 - σ)",)),
}


def rule_of(node: Value) -> Rule:
    """The row of ``RULES`` that made ``node`` (a leaf has none: KeyError)."""
    return RULES["**k" if node._arg is not None else node._op]


def _show(x: float) -> str:
    return f"{x:.6g}" if isinstance(x, float) else str(x)


def _apply(op: str, inputs: tuple[Value, ...], arg: float | None = None) -> Value:
    """Make the node ``op(*inputs)``: its value and local derivatives, both checked finite."""
    xs: tuple[float, ...]
    if arg is not None:
        rule, xs = RULES["**k"], (inputs[0].data, arg)
    else:
        rule = RULES[op]
        xs = (inputs[0].data, inputs[1].data) if len(inputs) == 2 else (inputs[0].data,)
    try:
        out = rule.forward(*xs)
        local = rule.local(*xs, out)
    except (ArithmeticError, ValueError):  # overflow, division by zero, outside the domain
        raise MathError(op, xs) from None
    # x - x is 0 for a finite x and nan for inf or nan: one check, no function call
    if out - out:
        raise MathError(op, xs)
    for d in local:
        if d - d:
            raise MathError(op, xs, "derivative")
    node = Value(out, inputs, op if arg is None else f"**{_show(arg)}")
    node._local = local
    node._arg = arg
    return node


def _lift(x: Value | float) -> Value:
    return x if isinstance(x, Value) else Value(x)


class Value:
    """Stores a single scalar value, its gradient, and how it was made."""

    __slots__ = ("data", "grad", "_prev", "_op", "_arg", "_local", "label")

    def __init__(self, data: float, _children: tuple[Value, ...] = (), _op: str = "", label: str = ""):
        self.data = data
        self.grad: float = 0
        self._prev = tuple(_children)  # inputs in order, with repeats (micrograd keeps a set)
        self._op = _op  # the op that produced this node, as shown on the graph
        self._arg: float | None = None  # the constant exponent of "**k"
        self._local: tuple[float, ...] = ()  # d self / d input, one per input
        self.label = label

    def __add__(self, other: Value | float) -> Value:  # self + other
        return _apply("+", (self, _lift(other)))

    def __sub__(self, other: Value | float) -> Value:  # self - other
        return _apply("-", (self, _lift(other)))

    def __mul__(self, other: Value | float) -> Value:  # self * other
        return _apply("*", (self, _lift(other)))

    def __truediv__(self, other: Value | float) -> Value:  # self / other
        return _apply("/", (self, _lift(other)))

    def __pow__(self, other: Value | float) -> Value:  # self ** other
        if isinstance(other, Value):
            return _apply("**", (self, other))
        return _apply("**", (self,), arg=other)

    def __neg__(self) -> Value:  # -self
        return _apply("neg", (self,))

    def __radd__(self, other: float) -> Value:  # other + self
        return Value(other) + self

    def __rsub__(self, other: float) -> Value:  # other - self
        return Value(other) - self

    def __rmul__(self, other: float) -> Value:  # other * self
        return Value(other) * self

    def __rtruediv__(self, other: float) -> Value:  # other / self
        return Value(other) / self

    def __rpow__(self, other: float) -> Value:  # other ** self
        return Value(other) ** self

    def tanh(self) -> Value:
        return _apply("tanh", (self,))

    def exp(self) -> Value:
        return _apply("exp", (self,))

    def log(self) -> Value:
        return _apply("log", (self,))

    def relu(self) -> Value:
        return _apply("relu", (self,))

    def sigmoid(self) -> Value:
        return _apply("sigmoid", (self,))

    def _backward(self) -> None:
        """The chain rule at this node: each input gets upstream grad x local derivative.

        micrograd's name for it: the lecture calls ``o._backward()`` by hand, node by node.
        """
        grad = self.grad
        for child, local in zip(self._prev, self._local, strict=False):
            child.grad += local * grad

    def backward(self) -> None:
        """Fill in ``grad`` for every node behind this one (grads accumulate, as in micrograd)."""
        self.grad = 1
        for node in reversed(topological_order(self)):
            if node._prev:
                node._backward()

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"


def topological_order(root: Value) -> list[Value]:
    """Every node behind ``root``, each after all of its inputs, without recursion."""
    order: list[Value] = []
    visited: set[Value] = set()
    stack: list[Value | tuple[Value]] = [root]
    pop, push, visit, place = stack.pop, stack.append, visited.add, order.append
    while stack:
        node = pop()
        if isinstance(node, tuple):  # all of this node's inputs are placed by now
            place(node[0])
        elif node not in visited:
            visit(node)
            if node._prev:
                push((node,))
                for child in reversed(node._prev):  # reversed, so that inputs are placed in order
                    if child not in visited:
                        push(child)
            else:
                place(node)
    return order


class Edge(NamedTuple):
    child: Value  # the input
    parent: Value  # the node it feeds
    index: int  # type: ignore[assignment]  # which input of ``parent`` it is (a value used twice has two edges)


def trace(root: Value) -> tuple[list[Value], list[Edge]]:
    """The nodes behind ``root`` in topological order, and every input edge in order."""
    nodes = topological_order(root)
    edges = [Edge(child, node, i) for node in nodes for i, child in enumerate(node._prev)]
    return nodes, edges


def forward(nodes: list[Value], changed: Value | None = None) -> None:
    """Recompute ``data`` and local derivatives of a topologically ordered graph from its leaves.

    With ``changed``, only the nodes that depend on that one are recomputed.
    """
    stale = None if changed is None else {changed}
    for node in nodes:
        if node._prev and (stale is None or any(child in stale for child in node._prev)):
            fresh = _apply(node._op if node._arg is None else "**", node._prev, node._arg)
            node.data, node._local = fresh.data, fresh._local
            if stale is not None:
                stale.add(node)
