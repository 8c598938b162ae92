"""Replay a scalar graph over a whole batch: trace one sample once, then run numpy arrays through it.

The scalar engine builds one ``Value`` per operation per sample, which is exact but slow for a
batch. Here the graph of ONE sample is traced once; its ops (each node's ``_op`` and ``_arg``)
are then run again with numpy arrays in place of the scalars: every input leaf holds a column
of the batch, every parameter leaf a single number. Backward walks the same ops in reverse
with the same local derivatives as ``engine.RULES``: multiply by the upstream grad and add
into the input. So the gradients are the scalar engine's, summed over the batch.

For training, ops of the same kind at the same depth of the graph (the 16 products of one
layer, say) run as one numpy call on a table of values, one row per node and one column per
sample: the same arithmetic per element, far fewer calls.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from .engine import Value, topological_order

Array = Any  # an ndarray over the batch, or a plain number for nodes that do not depend on it


def _relu(a: Array) -> Array:
    return np.maximum(a, 0.0)


def _sigmoid(a: Array) -> Array:
    # engine.engine._sigmoid's two forms, chosen per element: exp(-|a|) never overflows
    z = np.exp(-np.abs(a))
    return np.where(a >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


# Forward: op -> f(inputs..., arg). The same values as engine.RULES, elementwise.
FORWARD: dict[str, Callable[..., Array]] = {
    "+": lambda a, b, k: a + b,
    "-": lambda a, b, k: a - b,
    "*": lambda a, b, k: a * b,
    "/": lambda a, b, k: a / b,
    "**": lambda a, b, k: a**b,
    "**k": lambda a, k: a**k,
    "neg": lambda a, k: -a,
    "tanh": lambda a, k: np.tanh(a),
    "exp": lambda a, k: np.exp(a),
    "log": lambda a, k: np.log(a),
    "relu": lambda a, k: _relu(a),
    "sigmoid": lambda a, k: _sigmoid(a),
}


# The same values written into an existing array (``out=``), for the ops that can.
INTO: dict[str, Callable[..., Array]] = {
    "+": np.add,
    "-": np.subtract,
    "*": np.multiply,
    "/": np.divide,
    "neg": np.negative,
    "tanh": np.tanh,
    "exp": np.exp,
    "log": np.log,
    "relu": lambda a, out: np.maximum(a, 0.0, out=out),
}


def _pow_base_log(a: Array, out: Array) -> Array:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(a > 0, out * np.log(np.where(a > 0, a, 1.0)), np.where(out == 0, 0.0, np.nan))


# Backward: op -> one function per input, (inputs..., out, grad, arg) -> what that input gets:
# its local derivative (engine.RULES) times the upstream grad.
BACKWARD: dict[str, tuple[Callable[..., Array], ...]] = {
    "+": (lambda a, b, o, g, k: g, lambda a, b, o, g, k: g),
    "-": (lambda a, b, o, g, k: g, lambda a, b, o, g, k: -1.0 * g),
    "*": (lambda a, b, o, g, k: b * g, lambda a, b, o, g, k: a * g),
    "/": (lambda a, b, o, g, k: (1.0 / b) * g, lambda a, b, o, g, k: (-o / b) * g),
    "**": (lambda a, b, o, g, k: (b * a ** (b - 1)) * g, lambda a, b, o, g, k: _pow_base_log(a, o) * g),
    "**k": (lambda a, o, g, k: (k * a ** (k - 1)) * g,),
    "neg": (lambda a, o, g, k: -1.0 * g,),
    "tanh": (lambda a, o, g, k: (1.0 - o * o) * g,),
    "exp": (lambda a, o, g, k: o * g,),
    "log": (lambda a, o, g, k: (1.0 / a) * g,),
    "relu": (lambda a, o, g, k: (a > 0) * g,),
    "sigmoid": (lambda a, o, g, k: (o * (1.0 - o)) * g,),
}


Rows = slice | np.ndarray  # rows of the value table: a slice where they are evenly spaced


def _rows(rows: np.ndarray) -> Rows:
    """Evenly spaced rows as a slice (numpy then reads and writes them in place), else as they are."""
    step = int(rows[1] - rows[0]) if len(rows) > 1 else 1
    if step > 0 and (np.diff(rows) == step).all():
        return slice(int(rows[0]), int(rows[-1]) + 1, step)
    return rows


class Flow(NamedTuple):
    """Where one input position of a group sends its grads."""

    position: int
    ops: np.ndarray | None  # which ops of the group (None: all of them)
    rows: Rows  # the input nodes, each once
    order: np.ndarray | None  # if a node is an input of several ops: sort the grads by node,
    starts: np.ndarray | None  # then add up each run (np.add.reduceat)


class Group(NamedTuple):
    """Ops of one kind (and constant exponent) at one depth, run as one numpy call."""

    op: str
    arg: float | None
    out: Rows  # the nodes they make (rows of the table)
    ins: tuple[Rows, ...]  # their inputs, one row array per input position
    flows: tuple[Flow, ...]  # backward: where each input position's grads go


# which values each local derivative reads (the rest are not gathered)
READS_INPUTS = {"*", "/", "**", "**k", "log", "relu"}
READS_OUTPUT = {"/", "**", "tanh", "exp", "sigmoid"}


class Replay:
    """The graph behind ``root``, ready to run over a batch.

    ``inputs`` are the leaves that take one column of the batch each, ``params`` the leaves that
    take one number each (their grads are what ``backward`` returns), ``target`` an optional
    leaf that takes the batch's targets, and ``output`` an optional inner node that
    ``evaluate`` computes alone (the model's score inside a loss, say). Every other leaf is a
    constant and keeps the ``data`` it had when traced.
    """

    def __init__(
        self,
        root: Value,
        inputs: Sequence[Value] = (),
        params: Sequence[Value] = (),
        target: Value | None = None,
        output: Value | None = None,
    ) -> None:
        nodes = topological_order(root)
        traced = list(nodes)  # depth first: evaluate() keeps few values alive in this order
        # leaves the root does not use still get a row (and grad 0)
        seen = {id(n) for n in nodes}
        for leaf in [*inputs, *params, *([target] if target is not None else [])]:
            if id(leaf) not in seen:
                seen.add(id(leaf))
                nodes.insert(0, leaf)
        # Rows ordered by depth, then op: each group of same-op, same-depth nodes (see _group) is
        # a run of consecutive rows, so the table reads and writes it as a slice, not a copy.
        # Leaves go by the group of their first use (a layer's weights together, its biases together).
        depth_of: dict[int, int] = {}
        key: dict[int, tuple[int, int, str, str, int]] = {}
        for n in nodes:
            if n._prev:
                depth_of[id(n)] = 1 + max(depth_of[id(c)] for c in n._prev)
                key[id(n)] = (depth_of[id(n)], 0, n._op, repr(n._arg), 0)
                for position, c in enumerate(n._prev):
                    key.setdefault(id(c), (0, depth_of[id(n)], n._op, repr(n._arg), position))
            else:
                depth_of[id(n)] = 0
        nodes.sort(key=lambda n: key.get(id(n), (0, 0, "", "", 0)))  # stable: ties keep their order
        index = {id(n): i for i, n in enumerate(nodes)}
        self.root = index[id(root)]
        self.size = len(nodes)
        self.output = index[id(output)] if output is not None else self.root
        self.input_slots = [index[id(v)] for v in inputs]
        self.param_slots = [index[id(v)] for v in params]
        self.target_slot = index[id(target)] if target is not None else None
        roles = set(self.input_slots) | set(self.param_slots) | {self.target_slot}
        self.constants = [(i, float(n.data)) for i, n in enumerate(nodes) if not n._prev and i not in roles]

        # ops in topological order: (node, op, input nodes, constant exponent)
        self.ops: list[tuple[int, str, tuple[int, ...], float | None]] = [
            (i, "**k" if n._arg is not None else n._op, tuple(index[id(c)] for c in n._prev), n._arg)
            for i, n in enumerate(nodes)
            if n._prev
        ]
        depth = [depth_of[id(n)] for n in nodes]
        needs = [False] * len(nodes)  # a node needs a grad if a parameter is behind it
        for i in self.param_slots:
            needs[i] = True
        for i, _, ins, _ in self.ops:
            needs[i] = any(needs[c] for c in ins)
        self.groups = self._group(self.ops, depth, needs, backward=False)
        self.backward_groups = self._group(
            [op for op in self.ops if needs[op[0]]], depth, needs, backward=True
        )
        by_node = {op[0]: op for op in self.ops}
        self.output_ops = self._output_ops([by_node[index[id(n)]] for n in traced if n._prev])

    @staticmethod
    def _group(ops: list[Any], depth: list[int], needs: list[bool], backward: bool) -> list[Group]:
        """Ops bucketed by (depth, op, exponent), shallowest first."""
        buckets: dict[tuple[int, str, float | None], list[Any]] = {}
        for i, op, ins, arg in ops:
            buckets.setdefault((depth[i], op, arg), []).append((i, ins))
        groups = []
        for (_, op, arg), members in sorted(buckets.items(), key=lambda kv: kv[0][0]):
            out = np.array([i for i, _ in members])
            ins = tuple(np.array([m[1][p] for m in members]) for p in range(len(members[0][1])))
            flows = []
            for p, rows in enumerate(ins) if backward else ():
                wanted = np.array([needs[c] for c in rows])
                if not wanted.any():
                    continue
                chosen = None if wanted.all() else np.flatnonzero(wanted)
                rows = rows if chosen is None else rows[chosen]
                if len(set(rows.tolist())) == len(rows):
                    flows.append(Flow(p, chosen, _rows(rows), None, None))
                else:
                    order = np.argsort(rows, kind="stable")
                    starts = np.flatnonzero(np.r_[True, np.diff(rows[order]) != 0])
                    flows.append(Flow(p, chosen, _rows(rows[order][starts]), order, starts))
            groups.append(Group(op, arg, _rows(out), tuple(_rows(r) for r in ins), tuple(flows)))
        return groups

    def _output_ops(
        self, ops: list[Any]
    ) -> list[tuple[int, str, tuple[int, ...], float | None, tuple[int, ...], int | None]]:
        """The ops behind ``output``, one by one, each with the values it uses for the last time
        and, if one of those is an op's result, that one: its array can take this op's result."""
        behind = {self.output}
        for i, _, ins, _ in reversed(ops):
            if i in behind:
                behind.update(ins)
        needed = [op for op in ops if op[0] in behind]
        made = {op[0] for op in needed}
        last_use: dict[int, int] = {}
        for j, (_, _, ins, _) in enumerate(needed):
            for c in ins:
                last_use[c] = j
        out = []
        for j, (i, op, ins, arg) in enumerate(needed):
            done = tuple({c for c in ins if last_use[c] == j and c != self.output})
            reuse = next((c for c in done if c in made), None) if op in INTO else None
            out.append((i, op, ins, arg, done, reuse))
        return out

    def _leaves(
        self, vals: Any, X: np.ndarray, params: Sequence[float] | np.ndarray, y: Array | None
    ) -> None:
        for i, c in self.constants:
            vals[i] = c
        columns = np.ascontiguousarray(np.asarray(X, dtype=float).T)  # each input's batch, contiguous
        for j, i in enumerate(self.input_slots):
            vals[i] = columns[j]
        for p, i in zip(params, self.param_slots, strict=True):
            vals[i] = float(p)
        if self.target_slot is not None:
            vals[self.target_slot] = 0.0 if y is None else y

    def forward(
        self, X: np.ndarray, params: Sequence[float] | np.ndarray, y: Array | None = None
    ) -> np.ndarray:
        """Every node's value over the batch ``X``: a table with one row per node, one column per sample."""
        table = np.empty((self.size, len(X)))
        self._leaves(table, X, params, y)
        with np.errstate(all="ignore"):
            for g in self.groups:
                table[g.out] = FORWARD[g.op](*(table[rows] for rows in g.ins), g.arg)
        return table

    def backward(self, table: np.ndarray, seed: Array = 1.0) -> np.ndarray:
        """d(sum over the batch of seed * root) / d param, for each param, from ``forward``'s table."""
        grads = np.zeros_like(table)
        grads[self.root] = seed
        with np.errstate(all="ignore"):
            for g in reversed(self.backward_groups):
                upstream = grads[g.out]
                ins = [table[rows] for rows in g.ins] if g.op in READS_INPUTS else [None] * len(g.ins)
                out = table[g.out] if g.op in READS_OUTPUT else None
                for f in g.flows:
                    into = BACKWARD[g.op][f.position](*ins, out, upstream, g.arg)  # local x upstream
                    if f.ops is not None:
                        into = into[f.ops]
                    if f.order is not None:
                        into = np.add.reduceat(into[f.order], f.starts, axis=0)
                    grads[f.rows] += into
        return grads[self.param_slots].sum(axis=1)

    def evaluate(self, X: np.ndarray, params: Sequence[float] | np.ndarray) -> np.ndarray:
        """The ``output`` node over the batch ``X``, op by op; each value is dropped (or its array
        reused) after its last use, so big batches stay in the cache."""
        vals: list[Array] = [None] * self.size
        self._leaves(vals, X, params, None)
        with np.errstate(all="ignore"):
            for i, op, ins, arg, done, reuse in self.output_ops:
                if reuse is not None and isinstance(vals[reuse], np.ndarray):
                    vals[i] = INTO[op](*(vals[c] for c in ins), out=vals[reuse])  # no new array
                else:
                    vals[i] = FORWARD[op](*(vals[c] for c in ins), arg)
                for c in done:
                    vals[c] = None
        return np.broadcast_to(np.asarray(vals[self.output], dtype=float), (len(X),))
