"""Code written while following the lecture, or for micrograd, runs on our engine unchanged."""

import math
import random
from fractions import Fraction

import numpy as np
import pytest

from engine import (
    CUSTOM_OP,
    MLP,
    CustomOpError,
    Layer,
    Neuron,
    Value,
    derivative_formulas,
    forward,
    gradcheck,
    rule_of,
    trace,
)
from tests.micrograd_readme import readme_example

# ---------------------------------------------------------------- the lecture's own ops, by hand


def lecture_tanh(self):
    """The lecture's tanh, word for word: a node made by hand and a closure for its backward."""
    x = self.data
    t = (math.exp(2 * x) - 1) / (math.exp(2 * x) + 1)
    out = Value(t, (self,), "tanh")

    def _backward():
        self.grad += (1 - t**2) * out.grad

    out._backward = _backward
    return out


def lecture_exp(self):
    x = self.data
    out = Value(math.exp(x), (self,), "exp")

    def _backward():
        self.grad += out.data * out.grad

    out._backward = _backward
    return out


def lecture_pow(self, other):
    assert isinstance(other, int | float), "only supporting int/float powers for now"
    out = Value(self.data**other, (self,), f"**{other}")

    def _backward():
        self.grad += other * (self.data ** (other - 1)) * out.grad

    out._backward = _backward
    return out


def lecture_neuron():
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    return (x1, x2, w1, w2, b), n


def test_the_lectures_tanh_through_a_closure_gives_the_lectures_grads():
    (x1, x2, w1, w2, b), n = lecture_neuron()
    o = lecture_tanh(n)
    o.backward()
    assert o.data == pytest.approx(0.7071, abs=1e-4)
    assert (x1.grad, w1.grad) == (pytest.approx(-1.5), pytest.approx(1.0))
    assert (x2.grad, w2.grad, b.grad) == (pytest.approx(0.5), 0.0, pytest.approx(0.5))
    assert n.grad == pytest.approx(0.5)


def test_the_lectures_exp_and_pow_through_closures_give_the_lectures_grads():
    (x1, x2, w1, w2, b), n = lecture_neuron()
    e = lecture_exp(2 * n)
    o = (e - 1) * lecture_pow(e + 1, -1)  # the lecture's a / b is a * b**-1
    o.backward()
    assert o.data == pytest.approx(math.sqrt(0.5))
    assert (x1.grad, w1.grad) == (pytest.approx(-1.5), pytest.approx(1.0))
    assert (x2.grad, w2.grad) == (pytest.approx(0.5), 0.0)


def test_a_closure_runs_once_in_its_place_after_every_use_of_its_node_added_up():
    x = Value(3.0)
    y = lecture_pow(x, 2)  # used twice below: its closure must see the sum of both uses
    z = y * y + y
    z.backward()
    assert y.grad == 2 * 9.0 + 1  # d(y² + y)/dy
    assert x.grad == (2 * 9.0 + 1) * 6.0
    reference = Value(3.0)
    (lambda r: r * r + r)(reference**2).backward()
    assert x.grad == reference.grad


def test_a_custom_op_draws_like_any_other_and_says_it_has_no_rule():
    (x1, x2, w1, w2, b), n = lecture_neuron()
    o = lecture_tanh(n)
    nodes, edges = trace(o)
    assert nodes[-1] is o and o._op == "tanh"
    assert [(e.child, e.index) for e in edges if e.parent is o] == [(n, 0)]
    assert rule_of(o) is None and o._local == ()
    assert derivative_formulas(o) == [CUSTOM_OP] == ["custom op: no local derivative rule"]
    assert derivative_formulas(n) == ["1", "1"]  # the nodes the table made keep their rows
    assert derivative_formulas(x1) == []


def test_a_custom_op_cannot_be_recomputed_so_gradcheck_reports_no_numeric_slope():
    (x1, *_), n = lecture_neuron()
    o = lecture_tanh(n)
    o.backward()
    with pytest.raises(CustomOpError, match="custom op: no local derivative rule, so its value can't be"):
        forward(trace(o)[0])
    (check,) = gradcheck(o, [x1])
    assert (check.numeric, check.ok) == (None, False)
    assert x1.data == 2.0  # central_difference put the leaf back


def test_a_node_made_by_hand_keeps_at_most_two_inputs():
    a, b, c = Value(1.0), Value(2.0), Value(3.0)
    with pytest.raises(ValueError, match="a node has at most two inputs, got 3"):
        Value(6.0, (a, b, c), "sum3")


# ---------------------------------------------------------------- attributes on Values


def test_values_take_new_attributes_as_micrographs_do():
    v = Value(1.0)
    v.color = "red"
    v.m, v.v = 0.0, 0.0
    assert (v.color, v.m, v.v) == ("red", 0.0, 0.0)
    assert vars(v) == {"color": "red", "m": 0.0, "v": 0.0}
    w = v * 2  # the slots are untouched by them
    w.backward()
    assert (w.data, v.grad) == (2.0, 2.0)
    with pytest.raises(AttributeError):
        _ = Value(1.0).m  # an attribute nobody set is still an error


def test_labels_as_the_lecture_sets_them_on_leaves_and_on_results():
    a, b = Value(2.0, label="a"), Value(-3.0)
    e = a * b
    e.label = "e"  # the lecture names each result after making it
    d = e + 10.0
    assert (a.label, b.label, e.label, d.label) == ("a", "", "e", "")
    assert vars(b) == {} and vars(e) == {"label": "e"}  # only a given label is stored
    e.m = 1.5  # a label sits beside other new attributes
    assert vars(e) == {"label": "e", "m": 1.5}
    d.backward()
    assert (a.grad, b.grad, e.grad) == (-3.0, 2.0, 1.0)


def adam_on_the_values(params, lr=0.05, b1=0.9, b2=0.999, eps=1e-8):
    """Adam the usual micrograd way: each parameter keeps its own moments."""
    for p in params:
        if not hasattr(p, "m"):
            p.m, p.v, p.t = 0.0, 0.0, 0
        p.t += 1
        p.m = b1 * p.m + (1 - b1) * p.grad
        p.v = b2 * p.v + (1 - b2) * p.grad**2
        m_hat = p.m / (1 - b1**p.t)
        v_hat = p.v / (1 - b2**p.t)
        p.data -= lr * m_hat / (v_hat**0.5 + eps)


class AdamWithLists:
    def __init__(self, params, lr=0.05, b1=0.9, b2=0.999, eps=1e-8):
        self.params, self.lr, self.b1, self.b2, self.eps = params, lr, b1, b2, eps
        self.m, self.v, self.t = [0.0] * len(params), [0.0] * len(params), 0

    def step(self):
        self.t += 1
        for i, p in enumerate(self.params):
            self.m[i] = self.b1 * self.m[i] + (1 - self.b1) * p.grad
            self.v[i] = self.b2 * self.v[i] + (1 - self.b2) * p.grad**2
            m_hat = self.m[i] / (1 - self.b1**self.t)
            v_hat = self.v[i] / (1 - self.b2**self.t)
            p.data -= self.lr * m_hat / (v_hat**0.5 + self.eps)


def train(step_with):
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    model = MLP(3, [4, 4, 1], activation="tanh", seed=1)
    step = step_with(model.parameters())
    losses = []
    for _ in range(40):
        loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, [model(x) for x in xs], strict=True))
        model.zero_grad()
        loss.backward()
        step()
        losses.append(loss.data)
    return losses, [p.data for p in model.parameters()]


def test_adam_with_its_moments_on_the_values_trains_and_matches_adam_with_lists():
    on_values, weights_on_values = train(lambda params: lambda: adam_on_the_values(params))
    with_lists, weights_with_lists = train(lambda params: AdamWithLists(params).step)
    assert on_values == with_lists
    assert weights_on_values == weights_with_lists
    assert on_values[-1] < on_values[0] / 20


# ---------------------------------------------------------------- NumPy rows and input lengths


def test_numpy_rows_are_inputs_like_lists():
    X = np.array([[2.0, 3.0, -1.0], [3.0, -1.0, 0.5]])
    model = MLP(3, [4, 4, 1], seed=0)
    for row in X:
        from_numpy, from_list = model(row), model(row.tolist())
        assert from_numpy.data == from_list.data
        assert type(from_numpy.data) is float  # NumPy numbers become floats
    assert Neuron(3, rng=random.Random(0))(X[0]).data == Neuron(3, rng=random.Random(0))(list(X[0])).data
    assert len(Layer(3, 2)(X[1])) == 2
    assert isinstance(Neuron(1)(np.float64(2.0)), Value)  # one number is one input
    assert isinstance(Neuron(2)((Value(1.0), 2)), Value)  # a tuple of a Value and an int


@pytest.mark.parametrize(
    ("module", "x", "message"),
    [
        (lambda: MLP(3, [4, 1]), [1.0, 2.0, 3.0, 4.0], "expected 3 inputs, got 4"),
        (lambda: MLP(3, [4, 1]), np.zeros(4), "expected 3 inputs, got 4"),
        (lambda: MLP(3, [4, 1]), np.zeros(2), "expected 3 inputs, got 2"),
        (lambda: Layer(3, 2), (1.0, 2.0), "expected 3 inputs, got 2"),
        (lambda: Neuron(2), 1.0, "expected 2 inputs, got 1"),
        (lambda: Neuron(1), [], "expected 1 input, got 0"),
    ],
)
def test_a_wrong_number_of_inputs_says_how_many(module, x, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        module()(x)


# ---------------------------------------------------------------- tanh near saturation


def test_tanh_slope_keeps_its_digits_near_saturation():
    t = 0.99999999
    out = Value(math.atanh(t)).tanh()
    exact = 1 - Fraction(out.data) ** 2  # the slope at the t the engine computed, exactly
    (slope,) = out._local
    assert abs(Fraction(slope) - exact) / exact < 1e-15
    assert abs(Fraction(1 - out.data * out.data) - exact) / exact > 1e-10  # what 1 - t*t loses


# ---------------------------------------------------------------- micrograd's test/test_engine.py
# The same two programs, in our words; the numbers are PyTorch's (float64), written out:
# y = -20, dy/dx = 46; g = 24.70408163265306, dg/da = 138.8338192419825, dg/db = 645.5772594752186.


def test_micrographs_sanity_check_gives_pytorchs_numbers():
    x = Value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    assert (y.data, x.grad) == (-20.0, 46.0)


def test_micrographs_more_ops_give_pytorchs_numbers():
    g, a, b = readme_example(Value)
    g.backward()
    tol = 1e-6  # micrograd's own tolerance against PyTorch
    assert abs(g.data - 24.70408163265306) < tol
    assert abs(a.grad - 138.8338192419825) < tol
    assert abs(b.grad - 645.5772594752186) < tol
