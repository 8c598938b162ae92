"""Presets: runs that reproduce the sources (micrograd's demo, the lecture) and show what goes wrong."""

from __future__ import annotations

from typing import Any, NamedTuple

from .run import new_state


class Preset(NamedTuple):
    title: str
    description: str
    steps: int  # how many steps the preset is meant to run
    config: dict[str, Any]


def _lecture(**changes: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "dataset": {"name": "lecture", "n_samples": 4, "noise": 0.0, "seed": 0},
        "layers": [4, 4, 1],
        "activation": "tanh",
        "loss": "mse",
        "reduction": "sum",
        "l2": 0.0,
        "optimizer": {"name": "sgd", "lr": 0.1, "schedule": "constant"},
        "seed": 1337,
    }
    return {**config, **changes}


PRESETS: dict[str, Preset] = {
    "micrograd-demo": Preset(
        "micrograd's demo.ipynb",
        "Moons (100 samples, noise 0.1, seed 1337), MLP(2, [16, 16, 1]) with ReLU under random.seed(1337), "
        "SVM max-margin loss + 1e-4 L2, full batch, lr 1.0 - 0.9*k/100. Step 0: loss 0.8958, accuracy 50%; "
        "ends at 100%.",
        100,
        {},
    ),
    "lecture": Preset(
        "The lecture's four samples",
        "MLP(3, [4, 4, 1]) with tanh on the lecture's four inputs, summed squared error, lr 0.1: "
        "the predictions approach the targets [1, -1, -1, 1].",
        30,
        _lecture(),
    ),
    "lr-too-high": Preset(
        "Learning rate too high",
        "The micrograd demo with a constant learning rate of 10: the first steps overshoot, "
        "the loss jumps by millions and the accuracy sticks at 50%.",
        60,
        {"optimizer": {"lr": 10.0, "schedule": "constant"}},
    ),
    "forget-zero-grad": Preset(
        "Forgot zero_grad",
        "The micrograd demo without model.zero_grad(): every step's grads add to all the old ones, "
        "the steps keep growing and the loss climbs instead of falling.",
        60,
        {"forget_zero_grad": True},
    ),
    "spiral-adam": Preset(
        "Spiral with Adam",
        "Two interleaved spiral arms, MLP(2, [16, 16, 1]) with tanh, cross-entropy, Adam (lr 0.03), "
        "minibatches of 64.",
        600,
        {
            "dataset": {"name": "spiral", "n_samples": 200, "noise": 0.05, "seed": 1},
            "activation": "tanh",
            "loss": "bce",
            "l2": 0.0,
            "optimizer": {"name": "adam", "lr": 0.03, "schedule": "constant"},
            "batch_size": 64,
        },
    ),
    "circles-minibatch": Preset(
        "Circles with minibatches",
        "A ring around a disc, MLP(2, [8, 8, 1]) with ReLU, SVM loss, SGD lr 0.1 on minibatches of 32.",
        300,
        {
            "dataset": {"name": "circles", "n_samples": 200, "noise": 0.1, "seed": 2},
            "layers": [8, 8, 1],
            "optimizer": {"lr": 0.1, "schedule": "constant"},
            "batch_size": 32,
        },
    ),
    "xor": Preset(
        "XOR",
        "Four quadrants, opposite ones alike: no straight line separates them. MLP(2, [8, 8, 1]) with tanh, "
        "squared error, SGD lr 0.05 on minibatches of 32.",
        300,
        {
            "dataset": {"name": "xor", "n_samples": 200, "noise": 0.05, "seed": 3},
            "layers": [8, 8, 1],
            "activation": "tanh",
            "loss": "mse",
            "l2": 0.0,
            "optimizer": {"lr": 0.05, "schedule": "constant"},
            "batch_size": 32,
        },
    ),
    "blobs-one-neuron": Preset(
        "One neuron: logistic regression",
        "Two gaussian blobs, a single linear neuron (layers [1]) with cross-entropy: a straight boundary.",
        50,
        {
            "dataset": {"name": "blobs", "n_samples": 100, "noise": 0.6, "seed": 4},
            "layers": [1],
            "loss": "bce",
            "l2": 0.0,
            "optimizer": {"lr": 0.5, "schedule": "constant"},
        },
    ),
    "vanishing-gradients": Preset(
        "Vanishing gradients",
        "Moons through five sigmoid layers of 4 neurons, squared error, SGD lr 0.5. Each sigmoid passes on "
        "at most a quarter of the gradient, so at step 1 the first layer's gradient norm is about 2,000x "
        "below the last layer's. Look at the gradient-norm chart: the input-side layers sit far below the "
        "output side, and the loss stalls near 1 while the boundary hardly moves.",
        300,
        {
            "layers": [4, 4, 4, 4, 4, 1],
            "activation": "sigmoid",
            "loss": "mse",
            "l2": 0.0,
            "optimizer": {"lr": 0.5, "schedule": "constant"},
        },
    ),
    "exploding-gradients": Preset(
        "Exploding gradients",
        "Moons through five ReLU layers of 16 neurons, squared error, SGD lr 0.02. micrograd's "
        "uniform(-1, 1) weights make each layer's output larger than its input, so the score "
        "starts far off and every layer's gradient norm is 40-70 at step 1. Look at the "
        "gradient-norm chart: each update overshoots, the next norms are 10x larger, and within "
        "three steps a weight leaves the range and the run stops.",
        20,
        {
            "layers": [16, 16, 16, 16, 16, 1],
            "loss": "mse",
            "l2": 0.0,
            "optimizer": {"lr": 0.02, "schedule": "constant"},
        },
    ),
}


def preset_state(name: str) -> dict[str, Any]:
    """The named preset's run at step 0; ``KeyError`` for an unknown name."""
    return new_state(PRESETS[name].config)
