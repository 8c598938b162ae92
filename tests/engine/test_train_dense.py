"""The layer-at-a-time step (engine/train/dense.py) gives the replay's numbers to the last bit.

The replay (engine/replay.py) runs one sample's traced graph over the batch and is itself held
to the scalar engine (tests/engine/test_replay.py); the dense path must not change a single bit
of a loss, a score, a grad or a trained weight, or replicas and saved runs would disagree.
"""

import itertools
import math

import numpy as np
import pytest

from engine.train import PRESETS, Run, new_state, preset_state, step


def bits(a) -> bytes:
    """The exact bits of an array, every nan counted alike (signs of zero and infinities kept)."""
    a = np.asarray(a, dtype=float)
    return np.where(np.isnan(a), 0.5, a).tobytes()


class ReplayRun(Run):
    """``Run`` with the forward and backward of the traced graph's replay: the reference."""

    def forward(self, idx=None):
        X, y = (self.X, self.y) if idx is None else (self.X[idx], self.y[idx])
        vals = self.replay.forward(X, self.params, y)
        losses = np.broadcast_to(vals[self.replay.root], (len(X),))
        scores = np.broadcast_to(vals[self.replay.output], (len(X),))
        return vals, *self.batch_totals(losses, scores, y)

    def gradient(self, vals, seed):
        l2 = float(self.config["l2"])
        return self.replay.backward(vals, seed) + (l2 * self.params + l2 * self.params)


def assert_same_pass(run: Run, idx, seed_value: float) -> None:
    X, y = (run.X, run.y) if idx is None else (run.X[idx], run.y[idx])
    seed = np.full(len(X), seed_value)
    with np.errstate(all="ignore"):
        vals = run.replay.forward(X, run.params, y)
        expected_grads = run.replay.backward(vals, seed)
    passed = run.dense.forward(X, run.params, y)
    assert bits(passed.losses) == bits(np.broadcast_to(vals[run.replay.root], (len(X),)))
    assert bits(passed.scores) == bits(np.broadcast_to(vals[run.replay.output], (len(X),)))
    assert bits(run.dense.backward(passed, seed, run.params)) == bits(expected_grads)


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_presets_steps_are_the_replays_to_the_bit(name):
    run = Run(preset_state(name))
    for k in range(8):
        assert_same_pass(run, run.batch(k), 0.37)
        run.train(1)
        if run.stopped is not None:  # exploding-gradients stops within a few steps
            break
    reference, expected = ReplayRun(preset_state(name)), Run(preset_state(name))
    reference.train(12)
    expected.train(12)
    assert reference.to_state() == expected.to_state()


CONFIGS = [
    {"layers": layers, "activation": activation, "loss": loss, "reduction": reduction}
    for layers, activation, loss, reduction in itertools.product(
        [[1], [3, 1], [1, 1], [7, 5, 1], [4, 1, 3, 1]],
        ["relu", "tanh", "sigmoid"],
        ["svm", "mse", "bce"],
        ["mean", "sum"],
    )
]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "-".join(str(v) for v in c.values()))
def test_every_architecture_and_loss_gives_the_replays_bits(config):
    state = new_state({**config, "dataset": {"name": "circles", "n_samples": 37, "seed": 5}, "seed": 9})
    run = Run(state)
    for idx in (None, np.array([4]), np.array([30, 2, 2, 17])):
        assert_same_pass(run, idx, 1.0 / 3)


def test_a_trajectory_into_overflow_and_nan_is_the_replays():
    # an lr of 50 on squared error blows up within a few steps: inf and nan go through both paths
    config = {"loss": "mse", "optimizer": {"lr": 50.0, "schedule": "constant"}, "l2": 0.0, "batch_size": 10}
    run, reference = Run(new_state(config)), ReplayRun(new_state(config))
    run.train(40, max_abs_weight=1e300)
    reference.train(40, max_abs_weight=1e300)
    assert run.stopped is not None  # it did blow up
    assert run.to_state() == reference.to_state()
    big = Run(new_state(config))
    big.params = big.params * 1e200  # products overflow to inf, inf - inf is nan
    assert_same_pass(big, None, 1.0)
    with np.errstate(all="ignore"):
        assert not math.isfinite(big.forward()[1])


def test_the_lecture_and_custom_points_and_adam_are_the_replays():
    points = [[0.5, -1.0, 1], [2.0, 0.25, -1], [-1.5, 1.0, 1], [0.0, 0.0, -1], [1.0, 1.0, 1]]
    for config in (
        {"dataset": {"name": "lecture"}, "layers": [4, 4, 1], "activation": "tanh", "loss": "mse"},
        {"dataset": {"name": "custom", "points": points}, "optimizer": {"name": "adam", "lr": 0.1}},
        {"forget_zero_grad": True, "batch_size": 1},
        {"dataset": {"name": "moons", "n_samples": 300}},  # numpy sums 300 numbers pairwise
    ):
        expected, _ = step(new_state(config), 15)
        reference = ReplayRun(new_state(config))
        reference.train(15)
        assert reference.to_state() == expected
