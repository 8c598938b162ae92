"""The run and its optimiser: a state unpacked into numpy arrays, stepped, and packed back.

One step does what micrograd's ``demo.ipynb`` does per iteration::

    total_loss, acc = loss()            # forward (the metric is measured here)
    model.zero_grad()                   # unless config["forget_zero_grad"]
    total_loss.backward()
    p.data -= learning_rate * p.grad    # or Adam

with the forward and backward passes run over the batch a layer at a time (``dense.py``: the
arithmetic of ``engine.replay``, which replays one sample's traced graph, to the last bit).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np

from ..datasets import INPUTS
from ..engine import Value
from ..nn import MLP
from ..replay import Replay
from .dense import Pass, dense
from .state import (
    VERSION,
    TrainError,
    check_config,
    check_step,
    config_of,
    dataset_of,
    from_weights,
    to_weights,
)


def per_sample_loss(name: str, score: Value, y: Value) -> Value:
    """One sample's loss, written with Value ops so the replay can trace it; targets are ±1."""
    if name == "svm":
        return (1 + -y * score).relu()  # micrograd's demo: the "max-margin" hinge
    if name == "mse":
        return (score - y) ** 2
    if name == "bce":
        return -((y * score).sigmoid().log())  # -log p(the right class), p(+1) = sigmoid(score)
    raise ValueError(f"unknown loss {name!r}")


@lru_cache(maxsize=32)
def model_replay(nin: int, layers: tuple[int, ...], activation: str, loss: str) -> Replay:
    """The graph of one sample's loss through ``MLP(nin, layers)``, traced once per architecture."""
    model = MLP(nin, layers, activation=activation, seed=0)
    x = [Value(0.0, label=f"x{j + 1}") for j in range(nin)]
    y = Value(1.0, label="y")
    score = model(x)
    assert isinstance(score, Value)
    return Replay(
        per_sample_loss(loss, score, y), inputs=x, params=model.parameters(), target=y, output=score
    )


def learning_rate(opt: dict[str, Any], k: int) -> float:
    """Step k's learning rate; "linear" is the notebook's ``1.0 - 0.9*k/100`` for lr 1, lr_end 0.1.

    It is never above ``lr``, the rate the person set: when they lower lr below lr_end mid-run,
    "linear" does not climb towards lr_end but stays at lr (``SCHEDULE_TEXT`` says so).
    """
    lr = float(opt["lr"])
    if opt["schedule"] == "constant":
        return lr
    decay = max(int(opt["decay_steps"]), 1)
    end = min(float(opt["lr_end"]), lr)
    return lr - (lr - end) * min(k, decay) / decay


class Run:
    """A state unpacked into numpy arrays for stepping, and packed back."""

    def __init__(self, state: dict[str, Any]) -> None:
        self.config = config = config_of(state)
        check_config(config)
        self.nin = nin = INPUTS[config["dataset"]["name"]]
        self.layers = layers = list(config["layers"])
        self.replay = model_replay(nin, tuple(layers), config["activation"], config["loss"])
        self.dense = dense(nin, tuple(layers), config["activation"], config["loss"])
        self.X, self.y = dataset_of(config)
        self.step = check_step(state.get("step", 0))
        weights = state.get("weights")
        if weights is None:  # micrograd's initialisation: MLP(nin, layers) under random.Random(seed)
            model = MLP(nin, layers, activation=config["activation"], seed=config["seed"])
            self.params = np.array([p.data for p in model.parameters()], dtype=float)
        else:
            self.params = from_weights(weights, nin, layers)
        grads = state.get("grads")
        self.grads = None if grads is None else from_weights(grads, nin, layers, ("grads",))
        self.m = self.v = None
        opt_state = state.get("optimizer_state")
        if config["optimizer"]["name"] == "adam" and opt_state is not None:
            if not isinstance(opt_state, dict):
                message = 'expected {"m": <weights shape>, "v": <weights shape>} or null'
                raise TrainError(("optimizer_state",), message)
            self.m = from_weights(opt_state.get("m"), nin, layers, ("optimizer_state", "m"))
            self.v = from_weights(opt_state.get("v"), nin, layers, ("optimizer_state", "v"))
        self.history: list[dict[str, Any]] = list(state.get("history") or [])
        sizes = [nin, *layers]
        ends = np.cumsum([(sizes[i] + 1) * sizes[i + 1] for i in range(len(layers))]).tolist()
        self.layer_slices = list(zip([0, *ends[:-1]], ends, strict=True))  # each layer's parameters
        self.stopped = state.get("stopped")

    def batch(self, k: int) -> np.ndarray | None:
        """Step k's sample indices (None: the full batch), drawn from the seed and k alone."""
        size = self.config["batch_size"]
        if size is None or size >= len(self.X):
            return None
        return np.random.default_rng([int(self.config["seed"]), k]).permutation(len(self.X))[:size]

    def forward(self, idx: np.ndarray | None = None) -> tuple[Pass, float, float, np.ndarray]:
        """The forward pass on a batch (its ``scores`` among it), total loss, accuracy and backward's seed."""
        X, y = (self.X, self.y) if idx is None else (self.X[idx], self.y[idx])
        passed = self.dense.forward(X, self.params, y)
        return passed, *self.batch_totals(passed.losses, passed.scores, y)

    def batch_totals(
        self, losses: np.ndarray, scores: np.ndarray, y: np.ndarray
    ) -> tuple[float, float, np.ndarray]:
        """A batch's total loss (data loss, mean or sum, plus L2), accuracy and backward's seed."""
        # sums run left to right from 0, exactly as micrograd's sum() over Values
        data_loss = sum(losses.tolist())
        seed = 1.0
        if self.config["reduction"] == "mean":
            seed = 1.0 / len(y)
            data_loss = data_loss * seed
        l2 = float(self.config["l2"])
        total = data_loss + l2 * sum((self.params * self.params).tolist())
        accuracy = sum(((y > 0) == (scores > 0)).tolist()) / len(y)
        return total, accuracy, np.full(len(y), seed)

    def gradient(self, passed: Pass, seed: np.ndarray) -> np.ndarray:
        l2 = float(self.config["l2"])
        return self.dense.backward(passed, seed, self.params) + (l2 * self.params + l2 * self.params)

    def grad_norms(self, grads: np.ndarray) -> list[float]:
        """The L2 norm of each layer's weight-and-bias gradient, input side first."""
        return [math.hypot(*grads[a:b].tolist()) for a, b in self.layer_slices]

    def update(
        self, grads: np.ndarray, k: int, lr: float
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        opt = self.config["optimizer"]
        if opt["name"] == "sgd":
            return self.params - lr * grads, None, None
        b1, b2, eps = float(opt["beta1"]), float(opt["beta2"]), float(opt["eps"])
        m = (0.0 if self.m is None else b1 * self.m) + (1 - b1) * grads
        v = (0.0 if self.v is None else b2 * self.v) + (1 - b2) * grads * grads
        t = k + 1
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        return self.params - lr * m_hat / (np.sqrt(v_hat) + eps), m, v

    def train(self, n: int, max_abs_weight: float = 1e6) -> list[dict[str, Any]]:
        """n steps, or fewer if training blows up (then ``self.stopped`` says where and why).

        The steps' metrics are returned and added to ``self.history``.
        """
        metrics: list[dict[str, Any]] = []
        self.stopped = None
        with np.errstate(all="ignore"):
            for _ in range(n):
                k = self.step
                passed, loss, accuracy, seed = self.forward(self.batch(k))
                if not math.isfinite(loss):
                    self.stopped = {"step": k, "reason": "the loss is not a finite number"}
                    break
                grads = self.gradient(passed, seed)
                if self.config["forget_zero_grad"] and self.grads is not None:
                    grads = self.grads + grads  # never zeroed: this step's grads add to the old ones
                norms = self.grad_norms(grads)
                if not np.isfinite(grads).all() or not math.isfinite(sum(norms)):
                    self.stopped = {"step": k, "reason": "a gradient is not a finite number"}
                    break
                lr = learning_rate(self.config["optimizer"], k)
                params, m, v = self.update(grads, k, lr)
                if not np.isfinite(params).all() or np.abs(params).max() > max_abs_weight:
                    self.stopped = {"step": k, "reason": f"a weight left the range ±{max_abs_weight:g}"}
                    break
                if v is not None and not np.isfinite(v).all():  # Adam's v holds grad², which overflows first
                    self.stopped = {"step": k, "reason": "Adam's running averages overflowed"}
                    break
                self.params, self.grads, self.m, self.v = params, grads, m, v
                self.step += 1
                metrics.append({"step": k, "loss": loss, "accuracy": accuracy, "lr": lr, "grad_norms": norms})
        self.history.extend(metrics)
        return metrics

    def to_state(self, max_history: int | None = 1000) -> dict[str, Any]:
        """The run as a JSON-able state, keeping the last ``max_history`` metrics (None: all)."""

        def shape(flat: np.ndarray | None) -> dict[str, Any] | None:
            return None if flat is None else to_weights(flat, self.nin, self.layers)

        adam = self.config["optimizer"]["name"] == "adam" and self.m is not None
        history = self.history
        if max_history is not None:
            history = history[-max_history:] if max_history > 0 else []
        return {
            "version": VERSION,
            "config": self.config,
            "step": self.step,
            "weights": shape(self.params),
            "grads": shape(self.grads),
            "optimizer_state": {"m": shape(self.m), "v": shape(self.v)} if adam else None,
            "history": history,
            "stopped": self.stopped,
        }

    def scores(self, X: np.ndarray) -> np.ndarray:
        return self.replay.evaluate(X, self.params)


def new_state(config: dict[str, Any] | None = None) -> dict[str, Any]:
    """A run at step 0: the config (defaults filled in) and micrograd's initial weights."""
    return normalise({"config": config or {}})


def normalise(state: dict[str, Any]) -> dict[str, Any]:
    """The state with defaults filled in and weights initialised if missing, checked throughout."""
    return Run(state).to_state(max_history=None)


def step(
    state: dict[str, Any], n: int = 1, *, max_abs_weight: float = 1e6, max_history: int = 1000
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """n training steps from ``state``: the new state and one metric per step:
    ``{"step", "loss", "accuracy", "lr", "grad_norms"}`` (the lr the step used, and the L2 norm
    of each layer's gradient, input side first).

    Each metric is measured on its step's forward pass, before the update (as the notebook
    prints them). If a step would make the loss, a grad or a weight non-finite, or a weight
    larger than ``max_abs_weight``, that step is not applied and training stops there; the
    returned state's ``"stopped"`` says which step and why (it is null otherwise).
    """
    run = Run(state)
    metrics = run.train(n, max_abs_weight)
    return run.to_state(max_history), metrics
