"""The engine against the lecture's hand-worked numbers, micrograd's README, and its edge cases."""

import math

import pytest

from engine import RULES, MathError, Value, forward, gradcheck, rule_of, topological_order, trace
from tests.lecture import lecture_graph


def test_lecture_expression_gives_the_lectures_grads():
    a, b, c, f, e, d, L = lecture_graph()
    L.backward()
    assert L.data == -8.0
    assert (a.grad, b.grad, c.grad, f.grad) == (6.0, -4.0, -2.0, 4.0)
    assert (e.grad, d.grad, L.grad) == (-2.0, -2.0, 1)


def test_tanh_neuron_gives_the_lectures_grads():
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    o = n.tanh()
    o.backward()
    assert o.data == pytest.approx(0.7071, abs=1e-4)
    assert x1.grad == pytest.approx(-1.5)
    assert w1.grad == pytest.approx(1.0)
    assert x2.grad == pytest.approx(0.5)
    assert w2.grad == 0.0
    assert b.grad == pytest.approx(0.5)


def test_tanh_written_through_exp_matches_tanh():
    x1, w1, b = Value(2.0), Value(-3.0), Value(6.8813735870195432)
    n = x1 * w1 + b
    e = (2 * n).exp()
    o = (e - 1) / (e + 1)
    o.backward()
    assert o.data == pytest.approx(math.sqrt(0.5))
    assert x1.grad == pytest.approx(-1.5)
    assert w1.grad == pytest.approx(1.0)


def test_value_used_twice_accumulates():
    a = Value(3.0)
    b = a + a
    b.backward()
    assert a.grad == 2.0
    a = Value(3.0)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad == 4.0


def test_inputs_are_kept_in_order_with_repeats():
    a, b = Value(1.0), Value(2.0)
    assert (a + a)._prev == (a, a)
    assert (b - a)._prev == (b, a)


@pytest.mark.parametrize(
    ("make", "data", "grad"),
    [
        (lambda a: 2 * a, 6.0, 2.0),
        (lambda a: 1 - a, -2.0, -1.0),
        (lambda a: 1 / a, 1 / 3, -1 / 9),
        (lambda a: 2**a, 8.0, 8.0 * math.log(2)),
        (lambda a: a**2, 9.0, 6.0),
        (lambda a: a**-1, 1 / 3, -1 / 9),
        (lambda a: -a, -3.0, -1.0),
        (lambda a: a + 1, 4.0, 1.0),
        (lambda a: a / 2, 1.5, 0.5),
        (lambda a: a.exp(), math.exp(3), math.exp(3)),
        (lambda a: a.log(), math.log(3), 1 / 3),
        (lambda a: a.relu(), 3.0, 1.0),
        (lambda a: (-a).relu(), 0.0, 0.0),
        (lambda a: a.sigmoid(), 1 / (1 + math.exp(-3)), math.exp(-3) / (1 + math.exp(-3)) ** 2),
        (lambda a: a.tanh(), math.tanh(3), 1 - math.tanh(3) ** 2),
    ],
)
def test_operators_with_plain_numbers_on_either_side(make, data, grad):
    a = Value(3.0)
    out = make(a)
    out.backward()
    assert out.data == pytest.approx(data)
    assert a.grad == pytest.approx(grad)


def test_value_exponent_differentiates_both_ways():
    a, b = Value(2.0), Value(3.0)
    out = a**b
    out.backward()
    assert out.data == 8.0
    assert a.grad == pytest.approx(3 * 2.0**2)
    assert b.grad == pytest.approx(8.0 * math.log(2.0))


def test_constant_exponent_is_shown_like_micrograd():
    a = Value(2.0)
    assert (a**2)._op == "**2"
    assert (a**2)._arg == 2
    assert (a**0.5)._op == "**0.5"


@pytest.mark.parametrize(
    ("make", "op"),
    [
        (lambda: Value(1000.0).exp(), "exp"),
        (lambda: Value(0.0).log(), "log"),
        (lambda: Value(-1.0).log(), "log"),
        (lambda: Value(1.0) / Value(0.0), "/"),
        (lambda: 1 / Value(0.0), "/"),
        (lambda: Value(-8.0) ** (1 / 3), "**"),
        (lambda: Value(0.0) ** -1, "**"),
        (lambda: Value(1e200) * Value(1e200), "*"),
        (lambda: Value(1e308) + Value(1e308), "+"),
        (lambda: Value(10.0) ** 400, "**"),
    ],
)
def test_non_finite_results_raise_one_clear_error(make, op):
    with pytest.raises(MathError) as info:
        make()
    assert info.value.op == op
    assert str(info.value).startswith(f"{op}(")
    assert "finite real" in str(info.value)


@pytest.mark.parametrize(
    ("make", "data", "formula"),
    [
        (lambda: Value(0.0) ** 0.5, 0.0, "k·a^(k-1)"),  # the value is 0 but its slope is infinite
        (lambda: (Value(0.0) ** 2 + Value(0.0) ** 2) ** 0.5, 0.0, "k·a^(k-1)"),  # a length at the origin
        (lambda: Value(-2.0) ** Value(2.0), 4.0, "a^b·ln a"),  # d/db needs ln(-2)
        (lambda: Value(0.0) ** Value(0.5), 0.0, "b·a^(b-1)"),
    ],
)
def test_a_slope_that_is_not_finite_fails_in_backward_naming_the_derivative(make, data, formula):
    out = make()  # forward works, as in micrograd
    assert out.data == data
    with pytest.raises(MathError) as info:
        out.backward()
    assert (info.value.op, info.value.what, info.value.derivative) == ("**", "derivative", formula)
    message = f"has a finite value, but its local derivative {formula} is not a finite real number"
    assert message in str(info.value)
    with pytest.raises(MathError, match="local derivative"):
        out._backward()  # by hand too


def test_math_error_names_its_operands():
    with pytest.raises(MathError, match=r"log\(-1\) has no finite real result"):
        Value(-1.0).log()
    with pytest.raises(MathError, match=r"/\(1, 0\)"):
        Value(1.0) / 0


def test_backward_has_no_recursion_limit_on_a_million_deep_chain():
    x = Value(1.0)
    out = x
    for _ in range(1_000_000):
        out = out + 1
    out.backward()
    assert out.data == 1_000_001.0
    assert x.grad == 1.0


def test_backward_accumulates_across_calls_like_micrograd():
    a = Value(2.0)
    b = a * 3
    b.backward()
    b.backward()
    assert a.grad == 6.0


def test_topological_order_puts_inputs_before_outputs():
    *_, L = lecture_graph()
    order = topological_order(L)
    position = {id(node): i for i, node in enumerate(order)}
    assert order[-1] is L
    assert len(order) == 7
    for node in order:
        for child in node._prev:
            assert position[id(child)] < position[id(node)]


def test_topological_order_is_the_order_ops_ran_each_leaf_before_its_first_use():
    a, b, c, f, e, d, L = lecture_graph()
    assert topological_order(L) == [a, b, e, c, d, f, L]
    assert topological_order(L, leaves=False) == [e, d, L]  # what backward() walks
    assert topological_order(d) == [a, b, e, c, d]  # only what is behind the root
    assert topological_order(a) == [a] and topological_order(a, leaves=False) == []
    late = Value(1.0)  # made after e, but e's inputs were made first: order follows use
    g = late * e
    assert topological_order(g) == [a, b, e, late, g]


def test_topological_order_of_a_shared_diamond_lists_each_node_once():
    x = Value(1.0)
    layers = [x]
    for _ in range(60):  # 2**60 paths from the root to x: a walk without a visited set never ends
        y = layers[-1]
        layers.append(y * 2 + y * 3)
    order = topological_order(layers[-1])
    assert len(order) == len(set(map(id, order))) == 1 + 60 * 5  # x, then y*2, 2, y*3, 3, + per layer
    layers[-1].backward()
    assert x.grad == pytest.approx(5.0**60, rel=1e-12)


def test_a_node_made_by_hand_micrograd_style_keeps_its_inputs_and_passes_no_grad():
    a, b = Value(2.0), Value(3.0)
    c = Value(5.0, (a, b), "+")
    assert (c._prev, c._op, c._arg) == ((a, b), "+", None)
    c.backward()
    assert (c.grad, a.grad, b.grad) == (1, 0, 0)
    with pytest.raises(ValueError, match="at most two inputs, got 3"):
        Value(0.0, (a, b, c))


def test_trace_lists_every_input_edge_with_repeats():
    a = Value(3.0, label="a")
    b = a + a
    c = b * a
    nodes, edges = trace(c)
    assert nodes == [a, b, c]
    assert [(e.child, e.parent, e.index) for e in edges] == [(a, b, 0), (a, b, 1), (b, c, 0), (a, c, 1)]


def test_local_derivatives_are_readable_data():
    a, b = Value(2.0), Value(-3.0)
    e = a * b
    assert e._local == (-3.0, 2.0)
    assert rule_of(e) is RULES["*"]
    assert RULES["*"].derivatives == ("b", "a")
    assert rule_of(a**2).derivatives == ("k·a^(k-1)",)
    assert all(len(rule.derivatives) in (1, 2) for rule in RULES.values())


def test_repr_matches_micrograd():
    assert repr(Value(2.0)) == "Value(data=2.0, grad=0)"


def test_gradcheck_agrees_on_the_micrograd_example():
    a, b = Value(-4.0), Value(2.0)
    c = a + b
    d = a * b + b**3
    e = (c * 2 + 1 - a).tanh() * d.sigmoid() + (d / 50).exp() + (b + 5).log()
    e.backward()
    checks = gradcheck(e)
    assert [check.leaf for check in checks][:2] == [a, b]
    assert all(check.ok for check in checks), checks


def test_gradcheck_catches_a_wrong_gradient():
    a = Value(2.0)
    out = a * a
    out.backward()
    a.grad = 5.0  # the true slope is 4
    (check,) = [c for c in gradcheck(out) if c.leaf is a]
    assert check.numeric == pytest.approx(4.0)
    assert not check.ok


def test_forward_recomputes_only_what_depends_on_a_changed_leaf():
    a, b = Value(2.0), Value(3.0)
    left, right = a * 2, b * 2
    out = left + right
    nodes = topological_order(out)
    a.data = 5.0
    right.data = -1.0  # stale on purpose: forward(nodes, a) must not touch it
    forward(nodes, a)
    assert (left.data, right.data, out.data) == (10.0, -1.0, 9.0)
    forward(nodes)
    assert (right.data, out.data) == (6.0, 16.0)


def test_backward_by_hand_node_by_node_as_in_the_lecture():
    """Before writing backward(), the lecture calls _backward() on each node in turn."""
    x1, w1, b = Value(2.0), Value(-3.0), Value(6.8813735870195432)
    x1w1 = x1 * w1
    n = x1w1 + b
    o = n.tanh()
    o.grad = 1.0
    o._backward()
    assert n.grad == pytest.approx(0.5)
    n._backward()
    assert (x1w1.grad, b.grad) == (pytest.approx(0.5), pytest.approx(0.5))
    x1w1._backward()
    assert (x1.grad, w1.grad) == (pytest.approx(-1.5), pytest.approx(1.0))
    x1._backward()  # a leaf: nothing to pass on
    assert x1.grad == pytest.approx(-1.5)
