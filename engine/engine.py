"""A scalar autograd engine in the spirit of micrograd, with the chain rule as a table.

Every operation is one row of ``RULES``: how it computes its value, and its local
derivative with respect to each input. A node stores those local derivatives as plain
numbers (``_da``, ``_db``), so ``backward()`` is a single loop over the topological order:
multiply by the upstream grad and add into the input. No node holds a closure over
itself, so building and dropping large graphs creates no reference cycles.

micrograd's own way of adding an op works too: make the node by hand,
``out = Value(t, (self,), 'tanh')``, and assign it a closure, ``out._backward = _backward``.
``backward()`` calls such a closure in the same walk, in its place in the order.

Speed (``python -m bench.bench_engine``): a node is one small object (inputs and local
derivatives in slots, no tuples), ``+ - *`` are their rows written out, node and all, and the
topological order is creation order, found without recursion. Python's cycle collector, which
walks every live object now and then, costs micrograd most of its time on large graphs; one
object per node, as few slots as it needs (a ``label`` lives in ``__dict__``, on the Values that
have one) and no cycles keep that walk short here. ``backward()`` leaves the collector alone:
it allocates no tracked object per node, so no collection starts during its walk.
"""

from __future__ import annotations

import functools
import itertools
import math
import operator
from collections.abc import Callable
from typing import Any, NamedTuple


class MathError(ArithmeticError):
    """An operation whose result, or one of its local derivatives, is not a finite real number.

    ``what`` is ``"result"``, or ``"derivative"`` when the value is fine and only a slope is
    not; then ``derivative`` is that local derivative as ``RULES`` writes it.
    """

    def __init__(
        self, op: str, operands: tuple[float, ...], what: str = "result", derivative: str = ""
    ) -> None:
        self.op = op
        self.operands = operands
        self.what = what
        self.derivative = derivative
        args = ", ".join(_show(x) for x in operands)
        if what == "derivative":
            message = (
                f"{op}({args}) has a finite value, but its local derivative {derivative} is not a "
                "finite real number there, so backward can't pass a grad through it"
            )
        else:
            message = f"{op}({args}) has no finite real {what}"
        super().__init__(message)


class CustomOpError(LookupError):
    """A node made by hand, micrograd-style (a custom op), where the engine would need its rule."""


CUSTOM_OP = "custom op: no local derivative rule"  # what a custom op shows where a rule would be


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


def _power(a: float, b: float) -> float:
    """``a ** b`` for a slope: inf or nan where math.pow raises (0 ** -0.5 is an infinite slope)."""
    try:
        return math.pow(a, b)
    except OverflowError:
        return math.inf
    except ValueError:  # 0 to a negative power, or a negative base to a fractional one
        return math.inf if a == 0 else math.nan


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
        lambda a, b, out: (b * _power(a, b - 1), _log_or_zero(a, out)),
        ("b·a^(b-1)", "a^b·ln a"),
    ),
    "**k": Rule(math.pow, lambda a, k, out: (k * _power(a, k - 1),), ("k·a^(k-1)",)),
    "neg": Rule(lambda a: -a, lambda a, out: (-1.0,), ("-1",)),
    # (1 - t)(1 + t) is 1 - t², without losing digits near saturation (t = 0.99999999)
    "tanh": Rule(math.tanh, lambda a, out: ((1.0 - out) * (1.0 + out),), ("(1 - tanh)·(1 + tanh)",)),
    "exp": Rule(math.exp, lambda a, out: (out,), ("exp a",)),
    "log": Rule(math.log, lambda a, out: (1.0 / a,), ("1/a",)),
    "relu": Rule(_relu, lambda a, out: (1.0 if a > 0 else 0.0,), ("1 if a > 0 else 0",)),
    "sigmoid": Rule(_sigmoid, lambda a, out: (out * (1.0 - out),), ("σ·(1 - σ)",)),
}


def rule_of(node: Value) -> Rule | None:
    """The row of ``RULES`` that made ``node``; None for a leaf or a custom op."""
    if node._a is None or node._da is None:
        return None
    return RULES["**k" if node._arg is not None else node._op]


def derivative_formulas(node: Value) -> list[str]:
    """The local derivatives of ``node`` as formulas, one per input (``CUSTOM_OP`` for a custom op)."""
    rule = rule_of(node)
    if rule is None:
        return [CUSTOM_OP] * len(node._prev)
    return list(rule.derivatives)


def _show(x: float) -> str:
    return f"{x:.6g}" if isinstance(x, float) else str(x)


def _evaluate(rule: Rule, op: str, xs: tuple[float, ...]) -> tuple[float, tuple[float, ...]]:
    """``rule``'s value on ``xs`` (finite, or a ``MathError`` for ``op``) and its local derivatives.

    For ``"**k"`` the constant exponent is the last of ``xs``. A derivative may be inf or nan:
    see ``_slope_check``.
    """
    try:
        out = rule.forward(*xs)
        local = rule.local(*xs, out)
    except (ArithmeticError, ValueError):  # overflow, division by zero, outside the domain
        raise MathError(op, xs) from None
    # x - x is 0 for a finite x and nan for inf or nan: one check, no function call
    if out - out:
        raise MathError(op, xs)
    return out, local


def _slope_check(
    rule: Rule, op: str, xs: tuple[float, ...], local: tuple[float, ...]
) -> Callable[[], None] | None:
    """None when every local derivative is finite. Otherwise what backward does at this node
    instead of the chain rule: raise a ``MathError`` naming the first derivative that is not.

    So ``Value(0.0) ** 0.5`` is 0, as in micrograd, and only ``backward()`` fails, when it
    reaches that node (micrograd fails there too, with Python's ZeroDivisionError).
    """
    for d, formula in zip(local, rule.derivatives, strict=True):
        if d - d:
            return functools.partial(_raise_math_error, op, xs, formula)
    return None


def _raise_math_error(op: str, xs: tuple[float, ...], formula: str) -> None:
    raise MathError(op, xs, "derivative", formula)


def _apply(op: str, inputs: tuple[Value, ...], arg: float | None = None) -> Value:
    """Make the node ``op(*inputs)``, or ``inputs[0] ** arg`` when ``arg`` is a number."""
    xs: tuple[float, ...]
    if arg is not None:
        rule, xs = RULES["**k"], (inputs[0].data, arg)
        out, local = _evaluate(rule, op, xs)
        node = _node(out, f"**{_show(arg)}", inputs[0], None, local[0], arg)  # _db holds the exponent
    else:
        rule, xs = RULES[op], tuple(x.data for x in inputs)
        out, local = _evaluate(rule, op, xs)
        b = inputs[1] if len(inputs) == 2 else None
        node = _node(out, op, inputs[0], b, local[0], local[1] if b is not None else 0.0)
    node._own_backward = _slope_check(rule, op, xs, local)
    return node


_new = object.__new__
_serials = itertools.count()  # the order op nodes are made in: a node's inputs always exist before it


def _node(data: float, op: str, a: Value, b: Value | None, da: float, db: float) -> Value:
    """A new node ``op(a, b)`` with its local derivatives; for one input, ``b`` is None and ``db``
    unused (or the constant exponent of ``**k``). Sets every slot directly instead of through
    ``Value.__init__``: building graphs is the hot path.
    """
    node = _new(Value)
    node.data = data
    node.grad = 0
    node._a = a
    node._b = b
    node._da = da
    node._db = db
    node._op = op
    node._serial = next(_serials)
    node._own_backward = None
    return node


def _no_backward() -> None:
    """micrograd's ``_backward`` of a node nobody gave one: it passes no grad on."""


class Value:
    """Stores a single scalar value, its gradient, and how it was made.

    A node has at most two inputs, kept in slots (``_a``, ``_b``) with their local derivatives
    (``_da``, ``_db``) rather than in tuples: one object per node is what makes large graphs
    cheap to build and to collect. ``_prev`` and ``_local`` give them as tuples, micrograd-style.
    Like micrograd's, a Value takes any new attribute (``p.m = 0.0`` for an optimiser's moment):
    those live in a ``__dict__`` made only for the Values that get one.
    """

    __slots__ = (
        "data",
        "grad",
        "_a",  # the inputs in order, with repeats (micrograd keeps a set)
        "_b",
        "_da",  # d self / d input; None for a custom op (a node made by hand): it has no rule
        "_db",
        "_op",  # the op that produced this node, as shown on the graph
        "_serial",  # a node's place in creation order (-1 for a leaf: see topological_order)
        "_own_backward",  # None, or what backward() calls here instead of the rule: see _backward
        "__dict__",
    )
    label = ""  # the name shown on the graph; kept in __dict__, set only on the Values that have one

    def __init__(self, data: float, _children: tuple[Value, ...] = (), _op: str = "", label: str = ""):
        self.data = data
        self.grad: float = 0
        self._a: Value | None = None
        self._b: Value | None = None
        self._da: float | None = 0.0
        self._db: float | None = 0.0
        self._op = _op
        if label:
            self.label = label
        self._serial = -1
        self._own_backward: Callable[[], None] | None = None
        if _children:  # a node made by hand, micrograd-style: a custom op, with no rule
            children = tuple(_children)
            if len(children) > 2:
                raise ValueError(f"a node has at most two inputs, got {len(children)}")
            self._a, self._b = children[0], (children[1] if len(children) == 2 else None)
            self._da = self._db = None
            self._serial = next(_serials)
            self._own_backward = _no_backward  # until its maker assigns _backward

    @property
    def _prev(self) -> tuple[Value, ...]:
        """The inputs, in order, with repeats: ``(a + a)._prev == (a, a)``."""
        if self._a is None:
            return ()
        return (self._a,) if self._b is None else (self._a, self._b)

    @property
    def _arg(self) -> float | None:
        """The constant exponent of a ``**k`` node (kept in ``_db``: such a node has one input)."""
        if self._b is None and self._da is not None and self._a is not None and self._op.startswith("**"):
            return self._db
        return None

    @property
    def _local(self) -> tuple[float, ...]:
        """d self / d input, one per input; none for a leaf or a custom op."""
        if self._a is None or self._da is None:
            return ()
        return (self._da,) if self._b is None else (self._da, self._db)  # type: ignore[return-value]

    @property
    def _backward(self) -> Callable[[], None]:
        """The chain rule at this node, micrograd's name for it (the lecture calls ``o._backward()``
        by hand, node by node). Assigning a closure here, as micrograd code does for a new op,
        makes ``backward()`` call it at this node instead of the rule table.
        """
        return self._chain_rule if self._own_backward is None else self._own_backward

    @_backward.setter
    def _backward(self, closure: Callable[[], None]) -> None:
        self._own_backward = closure
        self._da = None  # its maker's closure, not a rule of the table: a custom op

    def _chain_rule(self) -> None:
        """Each input gets upstream grad x local derivative (a leaf has none to pass on)."""
        if self._a is not None:
            self._a.grad += self._da * self.grad  # type: ignore[operator]
            if self._b is not None:
                self._b.grad += self._db * self.grad  # type: ignore[operator]

    # + - and * are the bulk of every graph, so they skip _apply's table lookup and generic
    # checks: each is its row of RULES written out (tests hold them equal to the table). With
    # finite inputs only the result can overflow; the local derivatives are constants or inputs.

    def __add__(self, other: Value | float) -> Value:  # self + other
        if not isinstance(other, Value):
            other = Value(other)
        a, b = self.data, other.data
        out = a + b
        if out - out:  # inf or nan
            raise MathError("+", (a, b))
        node = _new(Value)  # _node(out, "+", self, other, 1.0, 1.0), written out: a call less
        node.data, node.grad, node._op = out, 0, "+"
        node._a, node._b, node._serial = self, other, next(_serials)
        node._da, node._db, node._own_backward = 1.0, 1.0, None
        return node

    def __sub__(self, other: Value | float) -> Value:  # self - other
        if not isinstance(other, Value):
            other = Value(other)
        a, b = self.data, other.data
        out = a - b
        if out - out:
            raise MathError("-", (a, b))
        node = _new(Value)  # _node(out, "-", self, other, 1.0, -1.0), written out: a call less
        node.data, node.grad, node._op = out, 0, "-"
        node._a, node._b, node._serial = self, other, next(_serials)
        node._da, node._db, node._own_backward = 1.0, -1.0, None
        return node

    def __mul__(self, other: Value | float) -> Value:  # self * other
        if not isinstance(other, Value):
            other = Value(other)
        a, b = self.data, other.data
        out = a * b
        if out - out:
            raise MathError("*", (a, b))
        node = _new(Value)  # _node(out, "*", self, other, b, a), written out: a call less
        node.data, node.grad, node._op = out, 0, "*"
        node._a, node._b, node._serial = self, other, next(_serials)
        node._da, node._db, node._own_backward = b, a, None
        return node

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

    def backward(self) -> None:
        """Fill in ``grad`` for every node behind this one (grads accumulate, as in micrograd).

        ``_backward()`` for each node, from the output back to the leaves: the rule table's
        chain rule written out, or the node's own closure where it has one.
        """
        self.grad = 1
        for node in reversed(topological_order(self, leaves=False)):
            own = node._own_backward
            if own is not None:
                own()  # micrograd's way: it reads node.grad and adds into its inputs' grads
                continue
            grad = node.grad
            node._a.grad += node._da * grad  # type: ignore[union-attr,operator]  # an op has inputs
            b = node._b
            if b is not None:
                b.grad += node._db * grad  # type: ignore[operator]

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"


def _lift(x: Value | float) -> Value:
    return x if isinstance(x, Value) else Value(x)


_serial_of = operator.attrgetter("_serial")


def topological_order(root: Value, leaves: bool = True) -> list[Value]:
    """Every node behind ``root``, each after all of its inputs, without recursion.

    The nodes an op made come in the order they were made (a node is made after its inputs,
    so that order is topological), each leaf just before the first of them that uses it.
    With ``leaves=False``, only the op nodes: what ``backward()`` walks, as a leaf has no
    inputs to pass its grad on to.
    """
    if root._a is None:
        return [root] if leaves else []
    ops = [root]
    seen = {root}
    visit, place = seen.add, ops.append
    for node in ops:  # breadth first, in no particular order; the list grows while the loop walks it
        a, b = node._a, node._b
        if a is not None and a._a is not None and a not in seen:
            visit(a)
            place(a)
        if b is not None and b._a is not None and b not in seen:
            visit(b)
            place(b)
    ops.sort(key=_serial_of)
    if not leaves:
        return ops
    order: list[Value] = []
    for node in ops:
        for child in node._prev:
            if child._a is None and child not in seen:
                seen.add(child)
                order.append(child)
        order.append(node)
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

    With ``changed``, only the nodes that depend on that one are recomputed. A custom op
    can't be recomputed (its forward is its maker's code): a ``CustomOpError``.
    """
    stale = None if changed is None else {changed}
    for node in nodes:
        inputs = node._prev
        if inputs and (stale is None or any(child in stale for child in inputs)):
            rule = rule_of(node)
            if rule is None:
                raise CustomOpError(f"{CUSTOM_OP}, so its value can't be recomputed ('{node._op}')")
            arg = node._arg
            op = "**" if arg is not None else node._op
            xs: tuple[Any, ...] = tuple(x.data for x in inputs) if arg is None else (inputs[0].data, arg)
            node.data, local = _evaluate(rule, op, xs)
            node._da = local[0]
            if arg is None:
                node._db = local[1] if len(local) == 2 else 0.0
            node._own_backward = _slope_check(rule, op, xs, local)
            if stale is not None:
                stale.add(node)
