"""gradcheck walks the graph once for all leaves and recomputes only what a leaf changes:
its checks and the graph it leaves behind are those of checking each leaf on its own."""

import math
import random

import pytest

from engine import MLP, Value, forward, gradcheck, parse, topological_order
from engine.engine import CustomOpError, MathError
from engine.gradcheck import DEFAULT_H, agree, central_difference, dependents


def one_leaf_at_a_time(root, leaves, h=DEFAULT_H):
    """The reference: the whole graph's order per leaf, three whole forward passes per leaf."""
    out = []
    for leaf in leaves:
        nodes = topological_order(root)
        saved = leaf.data
        try:
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
            numeric = (up - down) / (2 * h)
        except (MathError, CustomOpError):
            numeric = None
        out.append(
            (leaf, float(leaf.grad), numeric, numeric is not None and agree(float(leaf.grad), numeric))
        )
    return out


def snapshot(root):
    return [(n.data, n._da, n._db, n._own_backward) for n in topological_order(root)]


def random_graph(rng):
    leaves = [Value(rng.uniform(-2, 2), label=f"v{i}") for i in range(5)]
    pool = list(leaves)
    for _ in range(25):
        a, b = rng.choice(pool), rng.choice(pool)
        op = rng.choice(["+", "-", "*", "tanh", "relu", "sigmoid", "exp", "pow", "div", "log"])
        if op in "+-*":
            node = {"+": a + b, "-": a - b, "*": a * b}[op]
        elif op == "pow":
            node = a ** rng.choice([2, 3, 0.5])  # 0.5 of a negative: no value at x±h
        elif op == "div":
            node = a / (b * b + 0.5)
        elif op == "log":
            node = (a * a + 1e-6).log()  # near 0: x-h may leave the domain
        elif op == "exp":
            node = (a * 0.3).exp()
        else:
            node = getattr(a, op)()
        pool.append(node)
    root = sum(pool[-6:], Value(0.0))
    return root, leaves


@pytest.mark.parametrize("seed", range(40))
def test_checks_and_the_graph_after_are_those_of_one_leaf_at_a_time(seed):
    rng = random.Random(seed)
    try:
        root, leaves = random_graph(rng)
        root.backward()
    except MathError:  # this draw has no value or no slope (a root of a negative number, or of 0)
        pytest.skip("no finite graph for this seed")
    checked = [leaves[0], *leaves, leaves[2]]  # repeats are checked each time
    before = snapshot(root)
    fast = gradcheck(root, checked)
    after = snapshot(root)
    reference = one_leaf_at_a_time(root, checked)
    assert [tuple(c) for c in fast] == reference
    assert after == before == snapshot(root)


def test_an_mlp_sample_and_the_default_leaves():
    model = MLP(3, [4, 4, 1], activation="tanh", seed=1)
    root = (model([Value(2.0), Value(3.0), Value(-1.0)]) - 1.0) ** 2
    root.backward()
    leaves = [n for n in topological_order(root) if not n._prev]
    fast = gradcheck(root)
    assert [tuple(c) for c in fast] == one_leaf_at_a_time(root, leaves)
    assert all(c.ok for c in fast)


def test_an_inner_node_a_leaf_outside_the_graph_and_a_lone_leaf():
    root = parse("a = 2.0\nb = -3.0\nc = 10.0\ne = a*b\nd = e + c\nf = -2.0\nL = d*f")
    root.backward()
    inner = next(n for n in topological_order(root) if n.label == "d")
    stranger = Value(5.0)
    assert [tuple(c) for c in gradcheck(root, [inner, stranger])] == one_leaf_at_a_time(
        root, [inner, stranger]
    )
    lone = Value(3.0)
    assert central_difference(lone, lone) == pytest.approx(1.0)
    assert dependents(topological_order(root), [stranger]) == [[]]


def test_a_hand_written_closure_has_no_numeric_grad_and_the_graph_is_put_back():
    x = Value(0.5, label="x")
    y = x * 2.0
    t = Value(math.tanh(y.data), (y,), "tanh")  # the lecture's way: a node made by hand

    def _backward():
        y.grad += (1 - t.data**2) * t.grad

    t._backward = _backward
    root = t * x
    root.backward()
    before = snapshot(root)
    [check] = gradcheck(root, [x])
    assert check.numeric is None and not check.ok
    assert snapshot(root) == before


def test_a_leaf_with_no_value_at_x_minus_h_is_unchecked_and_the_graph_is_put_back():
    x, w = Value(1e-6, label="x"), Value(2.0, label="w")
    root = (x**0.5) * w + w * w  # at x - h, the root of a negative number
    root.backward()
    before = snapshot(root)
    fast = gradcheck(root, [x, w])
    assert [tuple(c) for c in fast] == one_leaf_at_a_time(root, [x, w])
    assert fast[0].numeric is None and fast[1].ok
    assert snapshot(root) == before
