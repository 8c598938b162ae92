"""Gradient health: each metric's lr and per-layer grad_norms; presets where gradients vanish or explode."""

import math

import pytest

from engine import MLP, Value
from engine.train import PRESETS, Run, preset_state, step

# a tiny net, MLP(2, [1, 1]) with ReLU, one sample: worked out by hand below
TINY = {
    "config": {
        "dataset": {"name": "custom", "points": [[1.0, 2.0, 1]]},
        "layers": [1, 1],
        "loss": "mse",
        "reduction": "sum",
        "l2": 0.0,
        "optimizer": {"lr": 0.1, "schedule": "constant"},
    },
    "weights": {
        "layers": [
            {"neurons": [{"w": [0.5, -0.25], "b": 0.1}]},
            {"neurons": [{"w": [2.0], "b": 0.3}]},
        ]
    },
}


def test_grad_norms_of_a_tiny_net_equal_the_ones_worked_by_hand():
    # h = relu(0.5*1 - 0.25*2 + 0.1) = 0.1; score = 2*h + 0.3 = 0.5; loss = (0.5 - 1)**2 = 0.25
    # dloss/dscore = 2*(0.5 - 1) = -1
    # layer 2: dw = -1*h = -0.1, db = -1                  -> norm sqrt(0.01 + 1)
    # layer 1: dh = -1*2 = -2, relu' = 1: dw = -2*x = (-2, -4), db = -2 -> norm sqrt(4 + 16 + 4)
    _, [metric] = step(TINY, 1)
    assert metric["loss"] == pytest.approx(0.25, rel=1e-12)
    assert metric["grad_norms"] == pytest.approx([math.sqrt(24), math.sqrt(1.01)], rel=1e-12)
    assert metric["lr"] == 0.1


def scalar_grad_norms(run):
    """micrograd's way: one Value graph over the whole batch, backward(), then each layer's p.grad."""
    config = run.config
    model = MLP(2, config["layers"], activation=config["activation"], seed=config["seed"])
    for p, v in zip(model.parameters(), run.params.tolist(), strict=True):
        p.data = v
    losses = []
    for (x1, x2), target in zip(run.X.tolist(), run.y.tolist(), strict=True):
        score = model([Value(x1), Value(x2)])
        losses.append((1 + -target * score).relu())  # the default loss: svm
    total = sum(losses) * (1.0 / len(losses)) + config["l2"] * sum(p * p for p in model.parameters())
    model.zero_grad()
    total.backward()
    return [math.sqrt(sum(p.grad**2 for p in layer.parameters())) for layer in model.layers]


def test_grad_norms_equal_the_scalar_engines_grads_layer_by_layer():
    points = [[-1.1, -0.9, 1], [0.8, 1.2, 1], [-1.0, 1.1, -1], [1.2, -0.7, -1], [0.1, 0.2, 1]]
    state = {"config": {"dataset": {"name": "custom", "points": points}}}  # otherwise the demo's model
    state, _ = step(state, 3)  # a few steps in, so that no layer's grads are at their start
    expected = scalar_grad_norms(Run(state))
    _, [metric] = step(state, 1)
    assert len(metric["grad_norms"]) == 3
    assert metric["grad_norms"] == pytest.approx(expected, rel=1e-9)


def test_vanishing_gradients_preset_starts_with_the_first_layer_100x_below_the_last():
    state = preset_state("vanishing-gradients")
    config = state["config"]
    assert config["activation"] == "sigmoid" and len(config["layers"]) >= 5 and max(config["layers"]) <= 4
    _, metrics = step(state, 2)
    for metric in metrics:  # at step 1 and still at step 2
        norms = metric["grad_norms"]
        assert norms[0] * 100 <= norms[-1], norms
        assert norms == sorted(norms)  # each layer's smaller than the one after it
    assert "first layer" in PRESETS["vanishing-gradients"].description


def test_exploding_gradients_preset_grows_its_gradients_until_the_run_stops():
    preset = PRESETS["exploding-gradients"]
    state, metrics = step(preset_state("exploding-gradients"), preset.steps)
    assert min(metrics[0]["grad_norms"]) >= 10
    biggest = [max(m["grad_norms"]) for m in metrics]
    assert all(later >= 10 * earlier for earlier, later in zip(biggest, biggest[1:], strict=False))
    assert state["stopped"] is not None and "weight left the range" in state["stopped"]["reason"]
    assert len(metrics) <= 5
    # the demo's own gradients, for scale
    _, [demo] = step(preset_state("micrograd-demo"), 1)
    assert max(demo["grad_norms"]) < min(metrics[0]["grad_norms"]) / 10
    assert "gradient-norm chart" in preset.description and "stops" in preset.description
