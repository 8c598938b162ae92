"""The numpy replay of a traced graph gives the scalar engine's values and grads (to 1e-12)."""

import numpy as np
import pytest

from engine import MLP, Value, forward, topological_order
from engine.datasets import make_dataset
from engine.replay import Replay
from engine.train import model_replay, per_sample_loss

ARCHITECTURES = [
    ("relu", "svm", [16, 16, 1]),
    ("tanh", "mse", [4, 4, 1]),
    ("sigmoid", "bce", [5, 3, 1]),
    ("tanh", "bce", [1]),
    ("relu", "mse", [3, 1]),
]


def scalar_loss_and_grads(model, X, y, loss, seed):
    """The batch loss the scalar engine computes: sum of seed * per-sample loss."""
    model.zero_grad()
    losses = [
        per_sample_loss(loss, model([Value(float(v)) for v in x]), Value(float(t)))
        for x, t in zip(X, y, strict=True)
    ]
    total = sum(loss_i * seed for loss_i in losses)
    total.backward()
    return [loss_i.data for loss_i in losses], [p.grad for p in model.parameters()]


@pytest.mark.parametrize(("activation", "loss", "layers"), ARCHITECTURES)
def test_replayed_grads_equal_the_scalar_engines(activation, loss, layers):
    X, y = make_dataset("moons", 23, 0.2, 5)
    model = MLP(2, layers, activation=activation, seed=11)
    params = [p.data for p in model.parameters()]
    losses_ref, grads_ref = scalar_loss_and_grads(model, X, y, loss, 1.0 / len(X))

    replay = model_replay(2, tuple(layers), activation, loss)
    table = replay.forward(X, params, y)
    grads = replay.backward(table, np.full(len(X), 1.0 / len(X)))

    np.testing.assert_allclose(table[replay.root], losses_ref, rtol=0, atol=1e-12)
    np.testing.assert_allclose(grads, grads_ref, rtol=0, atol=1e-12)
    assert np.abs(grads).max() > 1e-3  # the comparison is not of zeros


def test_replay_of_the_lecture_net_on_the_lecture_samples():
    X, y = make_dataset("lecture")
    model = MLP(3, [4, 4, 1], activation="tanh", seed=1337)
    _, grads_ref = scalar_loss_and_grads(model, X, y, "mse", 1.0)
    replay = model_replay(3, (4, 4, 1), "tanh", "mse")
    params = [p.data for p in model.parameters()]
    grads = replay.backward(replay.forward(X, params, y), np.ones(4))
    np.testing.assert_allclose(grads, grads_ref, rtol=0, atol=1e-12)


def test_every_op_replays_like_the_scalar_engine():
    # one graph with each row of the rules table, inputs used twice, and an unused parameter
    x1, x2 = Value(0.0, label="x1"), Value(0.0, label="x2")
    a, b, c, unused = Value(0.7), Value(-1.3), Value(0.4), Value(2.0)
    u = (a * x1 + b / (x2 + 3.0)).tanh() - (c * x1).exp() / 4
    v = ((x2 * x2 + 1.0).log() * a) ** 2 + (-(b * x2)).sigmoid() + (c * x2).relu()
    w = (x1 * x1 + 1.5) ** (c + 1.0) + (a * x2 - 0.5).relu() * u
    root = u * v - w / 3
    params = [a, b, c, unused]
    replay = Replay(root, inputs=[x1, x2], params=params)

    X = np.random.default_rng(0).uniform(-1.5, 1.5, size=(40, 2))
    table = replay.forward(X, [p.data for p in params])
    grads = replay.backward(table, np.ones(len(X)))

    values, total = [], np.zeros(len(params))
    for row in X:  # the scalar engine, one sample at a time
        x1.data, x2.data = row
        nodes = topological_order(root)
        forward(nodes)
        for n in nodes:
            n.grad = 0
        root.backward()
        values.append(root.data)
        total += [p.grad for p in params]
    np.testing.assert_allclose(table[replay.root], values, rtol=0, atol=1e-12)
    np.testing.assert_allclose(grads, total, rtol=0, atol=1e-12)
    assert grads[3] == 0.0


def test_evaluate_gives_the_models_score_on_every_point():
    model = MLP(2, [8, 8, 1], activation="relu", seed=3)
    replay = model_replay(2, (8, 8, 1), "relu", "svm")
    grid = np.random.default_rng(1).normal(size=(300, 2))
    scores = replay.evaluate(grid, [p.data for p in model.parameters()])
    expected = [model([Value(float(a)), Value(float(b))]).data for a, b in grid]
    np.testing.assert_allclose(scores, expected, rtol=0, atol=1e-12)


def test_forward_table_score_row_is_the_models_output():
    model = MLP(2, [5, 1], activation="tanh", seed=4)
    replay = model_replay(2, (5, 1), "tanh", "bce")
    X, y = make_dataset("circles", 10, 0.1, 0)
    table = replay.forward(X, [p.data for p in model.parameters()], y)
    expected = [model([Value(float(a)), Value(float(b))]).data for a, b in X]
    np.testing.assert_allclose(table[replay.output], expected, rtol=0, atol=1e-12)
