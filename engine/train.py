"""Training an MLP, one JSON document at a time.

A run is a plain JSON-able dict (see ``DEFAULT_CONFIG`` and ``new_state``): the config, the
step count, the weights as ``{"layers": [{"neurons": [{"w": [...], "b": ...}]}]}``, the last
grads, the optimiser's state and the metric history. ``step(state, n)`` returns the next state
and one metric per step, and nothing else changes anywhere: the same state stepped twice gives
the same result, because minibatches are drawn from ``seed`` and the step number.

One step does what micrograd's ``demo.ipynb`` does per iteration::

    total_loss, acc = loss()            # forward (the metric is measured here)
    model.zero_grad()                   # unless config["forget_zero_grad"]
    total_loss.backward()
    p.data -= learning_rate * p.grad    # or Adam

with the forward and backward passes replayed over the batch (``engine.replay``).
"""

from __future__ import annotations

import copy
import math
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np

from .datasets import INPUTS, make_dataset
from .engine import Value
from .nn import ACTIVATIONS, MLP
from .replay import Replay

LOSSES = ("svm", "mse", "bce")
REDUCTIONS = ("mean", "sum")
OPTIMIZERS = ("sgd", "adam")
SCHEDULES = ("constant", "linear")

# The defaults are micrograd's demo.ipynb.
DEFAULT_CONFIG: dict[str, Any] = {
    "dataset": {"name": "moons", "n_samples": 100, "noise": 0.1, "seed": 1337},
    "layers": [16, 16, 1],
    "activation": "relu",
    "loss": "svm",
    "reduction": "mean",
    "l2": 1e-4,
    "optimizer": {
        "name": "sgd",
        "lr": 1.0,
        "schedule": "linear",
        "lr_end": 0.1,
        "decay_steps": 100,
        "beta1": 0.9,
        "beta2": 0.999,
        "eps": 1e-8,
    },
    "batch_size": None,
    "seed": 1337,
    "forget_zero_grad": False,
}

VERSION = 1


class TrainError(ValueError):
    """A state that cannot be trained, with ``loc``: the path of the offending field."""

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        self.loc = loc
        self.message = message
        super().__init__(f"{'.'.join(str(p) for p in loc)}: {message}")


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


def config_of(state: dict[str, Any]) -> dict[str, Any]:
    """The state's config with every missing field filled from ``DEFAULT_CONFIG``."""
    given = state.get("config") or {}
    config = copy.deepcopy(DEFAULT_CONFIG)
    for key, value in given.items():
        if isinstance(value, dict) and isinstance(config.get(key), dict):
            config[key].update(value)
        else:
            config[key] = value
    return config


@lru_cache(maxsize=16)
def _dataset(name: str, n_samples: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    X, y = make_dataset(name, n_samples, noise, seed)
    X.flags.writeable = y.flags.writeable = False
    return X, y


def dataset_of(config: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    d = config["dataset"]
    return _dataset(d["name"], int(d["n_samples"]), float(d["noise"]), int(d["seed"]))


def parameter_count(nin: int, layers: list[int]) -> int:
    sizes = [nin, *layers]
    return sum((sizes[i] + 1) * sizes[i + 1] for i in range(len(layers)))


def to_weights(flat: Any, nin: int, layers: list[int]) -> dict[str, Any]:
    """A flat parameter vector (micrograd's ``parameters()`` order) as the JSON weights shape."""
    values = [float(v) for v in flat]
    out, at, width = [], 0, nin
    for nout in layers:
        neurons = []
        for _ in range(nout):
            neurons.append({"w": values[at : at + width], "b": values[at + width]})
            at += width + 1
        out.append({"neurons": neurons})
        width = nout
    return {"layers": out}


def from_weights(
    weights: Any, nin: int, layers: list[int], loc: tuple[str | int, ...] = ("weights",)
) -> np.ndarray:
    """The JSON weights shape as a flat vector; ``TrainError`` naming the first misfit."""
    if not isinstance(weights, dict) or not isinstance(weights.get("layers"), list):
        raise TrainError(loc, 'expected {"layers": [{"neurons": [{"w": [...], "b": ...}]}]}')
    if len(weights["layers"]) != len(layers):
        raise TrainError(
            (*loc, "layers"), f"expected {len(layers)} layers (config.layers), got {len(weights['layers'])}"
        )
    rows: list[np.ndarray] = []
    width = nin
    for li, (layer, nout) in enumerate(zip(weights["layers"], layers, strict=True)):
        neurons = layer.get("neurons") if isinstance(layer, dict) else None
        if not isinstance(neurons, list) or len(neurons) != nout:
            got = len(neurons) if isinstance(neurons, list) else "none"
            raise TrainError(
                (*loc, "layers", li, "neurons"), f"expected {nout} neurons (config.layers[{li}]), got {got}"
            )
        for ni, neuron in enumerate(neurons):
            where = (*loc, "layers", li, "neurons", ni)
            w = neuron.get("w") if isinstance(neuron, dict) else None
            if not isinstance(w, list) or len(w) != width:
                what = (
                    f"{width} inputs" if li == 0 else f"{width} weights (layer {li - 1} has {width} neurons)"
                )
                got = len(w) if isinstance(w, list) else "none"
                raise TrainError((*where, "w"), f"expected {what}, got {got}")
            row = [*w, neuron.get("b")]
            try:
                values = np.array(row, dtype=float)
                fine = {type(v) for v in row} <= {float, int} and bool(np.isfinite(values).all())
            except (TypeError, ValueError, OverflowError):
                fine = False
            if not fine:  # find the culprit
                for wi, v in enumerate(w):
                    _finite(v, (*where, "w", wi))
                _finite(neuron.get("b"), (*where, "b"))
            rows.append(values)
        width = nout
    return np.concatenate(rows)


def weight_loc(nin: int, layers: list[int], index: int) -> tuple[str | int, ...]:
    """Where the flat parameter ``index`` sits in the JSON weights shape."""
    width = nin
    for li, nout in enumerate(layers):
        if index < nout * (width + 1):
            ni, wi = divmod(index, width + 1)
            where = ("weights", "layers", li, "neurons", ni)
            return (*where, "b") if wi == width else (*where, "w", wi)
        index -= nout * (width + 1)
        width = nout
    raise IndexError(index)


def _finite(v: Any, loc: tuple[str | int, ...]) -> float:
    try:
        fine = not isinstance(v, bool) and isinstance(v, int | float) and math.isfinite(float(v))
    except OverflowError:  # an int too big for a float
        fine = False
    if not fine:
        raise TrainError(loc, f"expected a finite number, got {v!r:.40}")
    return float(v)


def check_config(config: dict[str, Any], loc: tuple[str | int, ...] = ("config",)) -> None:
    """Cross-field checks the JSON schema cannot say; ``TrainError`` naming the field."""
    d = config["dataset"]
    if d["name"] not in INPUTS:
        raise TrainError(
            (*loc, "dataset", "name"), f"unknown dataset {d['name']!r}; one of {', '.join(INPUTS)}"
        )
    layers = config["layers"]
    if (
        not isinstance(layers, list)
        or not layers
        or any(isinstance(n, bool) or not isinstance(n, int) or n < 1 for n in layers)
    ):
        raise TrainError((*loc, "layers"), "expected a list of layer sizes, each at least 1")
    if layers[-1] != 1:
        raise TrainError((*loc, "layers", len(layers) - 1), "the last layer must have 1 neuron: the score")
    for key, allowed in (
        ("activation", ACTIVATIONS),
        ("loss", LOSSES),
        ("reduction", REDUCTIONS),
    ):
        if config[key] not in allowed:
            raise TrainError((*loc, key), f"expected one of {', '.join(allowed)}, got {config[key]!r}")
    opt = config["optimizer"]
    if opt["name"] not in OPTIMIZERS:
        raise TrainError(
            (*loc, "optimizer", "name"), f"expected one of {', '.join(OPTIMIZERS)}, got {opt['name']!r}"
        )
    if opt["schedule"] not in SCHEDULES:
        raise TrainError((*loc, "optimizer", "schedule"), f"expected one of {', '.join(SCHEDULES)}")
    if not opt["lr"] > 0:
        raise TrainError((*loc, "optimizer", "lr"), "the learning rate must be greater than 0")
    n = len(dataset_of(config)[0])
    batch = config["batch_size"]
    if batch is not None and not 1 <= batch <= n:
        raise TrainError(
            (*loc, "batch_size"), f"expected null (full batch) or 1 to {n} (the dataset's size), got {batch}"
        )


def new_state(config: dict[str, Any] | None = None) -> dict[str, Any]:
    """A run at step 0: the config (defaults filled in) and micrograd's initial weights."""
    return normalise({"config": config or {}})


def normalise(state: dict[str, Any]) -> dict[str, Any]:
    """The state with defaults filled in and weights initialised if missing, checked throughout."""
    return Run(state).to_state(max_history=None)


def learning_rate(opt: dict[str, Any], k: int) -> float:
    """Step k's learning rate; "linear" is the notebook's ``1.0 - 0.9*k/100`` for lr 1, lr_end 0.1."""
    lr = float(opt["lr"])
    if opt["schedule"] == "constant":
        return lr
    decay = max(int(opt["decay_steps"]), 1)
    return lr - (lr - float(opt["lr_end"])) * min(k, decay) / decay


class Run:
    """A state unpacked into numpy arrays for stepping, and packed back."""

    def __init__(self, state: dict[str, Any]) -> None:
        self.config = config = config_of(state)
        check_config(config)
        self.nin = nin = INPUTS[config["dataset"]["name"]]
        self.layers = layers = list(config["layers"])
        self.replay = model_replay(nin, tuple(layers), config["activation"], config["loss"])
        self.X, self.y = dataset_of(config)
        self.step = state.get("step", 0)
        if isinstance(self.step, bool) or not isinstance(self.step, int) or self.step < 0:
            raise TrainError(("step",), f"expected a whole number of steps done, got {self.step!r}")
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
        self.stopped = state.get("stopped")

    def batch(self, k: int) -> np.ndarray | None:
        """Step k's sample indices (None: the full batch), drawn from the seed and k alone."""
        size = self.config["batch_size"]
        if size is None or size >= len(self.X):
            return None
        return np.random.default_rng([int(self.config["seed"]), k]).permutation(len(self.X))[:size]

    def forward(self, idx: np.ndarray | None = None) -> tuple[np.ndarray, float, float, np.ndarray]:
        """The forward pass on a batch: node values, total loss, accuracy and the backward seed."""
        X, y = (self.X, self.y) if idx is None else (self.X[idx], self.y[idx])
        vals = self.replay.forward(X, self.params, y)
        losses = np.broadcast_to(vals[self.replay.root], (len(X),))
        scores = np.broadcast_to(vals[self.replay.output], (len(X),))
        # sums run left to right from 0, exactly as micrograd's sum() over Values
        data_loss = sum(losses.tolist())
        seed = 1.0
        if self.config["reduction"] == "mean":
            seed = 1.0 / len(X)
            data_loss = data_loss * seed
        l2 = float(self.config["l2"])
        total = data_loss + l2 * sum((self.params * self.params).tolist())
        accuracy = sum(((y > 0) == (scores > 0)).tolist()) / len(X)
        return vals, total, accuracy, np.full(len(X), seed)

    def gradient(self, vals: np.ndarray, seed: np.ndarray) -> np.ndarray:
        l2 = float(self.config["l2"])
        return self.replay.backward(vals, seed) + (l2 * self.params + l2 * self.params)

    def update(self, grads: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        opt = self.config["optimizer"]
        lr = learning_rate(opt, k)
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
                vals, loss, accuracy, seed = self.forward(self.batch(k))
                if not math.isfinite(loss):
                    self.stopped = {"step": k, "reason": "the loss is not a finite number"}
                    break
                grads = self.gradient(vals, seed)
                if self.config["forget_zero_grad"] and self.grads is not None:
                    grads = self.grads + grads  # never zeroed: this step's grads add to the old ones
                if not np.isfinite(grads).all():
                    self.stopped = {"step": k, "reason": "a gradient is not a finite number"}
                    break
                params, m, v = self.update(grads, k)
                if not np.isfinite(params).all() or np.abs(params).max() > max_abs_weight:
                    self.stopped = {"step": k, "reason": f"a weight left the range ±{max_abs_weight:g}"}
                    break
                if v is not None and not np.isfinite(v).all():  # Adam's v holds grad², which overflows first
                    self.stopped = {"step": k, "reason": "Adam's running averages overflowed"}
                    break
                self.params, self.grads, self.m, self.v = params, grads, m, v
                self.step += 1
                lr = learning_rate(self.config["optimizer"], k)
                metrics.append({"step": k, "loss": loss, "accuracy": accuracy, "lr": lr})
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


def step(
    state: dict[str, Any], n: int = 1, *, max_abs_weight: float = 1e6, max_history: int = 1000
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """n training steps from ``state``: the new state and one ``{"step", "loss", "accuracy"}`` per step.

    Each metric is measured on its step's forward pass, before the update (as the notebook
    prints them). If a step would make the loss, a grad or a weight non-finite, or a weight
    larger than ``max_abs_weight``, that step is not applied and training stops there; the
    returned state's ``"stopped"`` says which step and why (it is null otherwise).
    """
    run = Run(state)
    metrics = run.train(n, max_abs_weight)
    return run.to_state(max_history), metrics


def boundary(state: dict[str, Any] | Run, size: int = 50, pad: float = 1.0) -> dict[str, Any]:
    """The model's score (to 4 decimals) over a size x size grid covering the data padded by ``pad``."""
    run = state if isinstance(state, Run) else Run(state)
    if run.nin != 2:
        raise TrainError(
            ("grid",),
            f"the decision boundary needs 2 inputs; {run.config['dataset']['name']!r} has {run.nin}",
        )
    (x_min, y_min), (x_max, y_max) = run.X.min(axis=0) - pad, run.X.max(axis=0) + pad
    xs, ys = np.linspace(x_min, x_max, size), np.linspace(y_min, y_max, size)
    gx, gy = np.meshgrid(xs, ys)
    with np.errstate(all="ignore"):
        scores = run.scores(np.column_stack([gx.ravel(), gy.ravel()])).reshape(size, size)
        # for drawing: 4 decimals are plenty, and make the JSON a third as long
        scores = _json_scores(np.round(scores, 4))
    return {
        "size": size,
        "x_min": float(x_min),
        "x_max": float(x_max),
        "y_min": float(y_min),
        "y_max": float(y_max),
        "scores": scores.tolist(),
    }


def _json_scores(scores: np.ndarray) -> np.ndarray:
    """The scores with each infinity as ±1e300 and nan as 0: numbers JSON can carry."""
    return np.where(np.isfinite(scores), scores, np.sign(np.nan_to_num(scores)) * 1e300)


def predictions(state: dict[str, Any] | Run) -> dict[str, Any]:
    """Every sample of the dataset, its target and its score under the state's weights, and the
    whole dataset's total loss (data + L2, null if not finite) and accuracy."""
    run = state if isinstance(state, Run) else Run(state)
    with np.errstate(all="ignore"):
        vals, loss, accuracy, _ = run.forward()  # the scores are its output's values
        scores = _json_scores(np.broadcast_to(vals[run.replay.output], (len(run.X),)))
    shown = loss if math.isfinite(loss) else None
    return {
        "x": run.X.tolist(),
        "target": run.y.tolist(),
        "score": scores.tolist(),
        "loss": shown,
        "accuracy": accuracy,
    }


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
}


def preset_state(name: str) -> dict[str, Any]:
    """The named preset's run at step 0; ``KeyError`` for an unknown name."""
    return new_state(PRESETS[name].config)


def sample_program(
    state: dict[str, Any] | Run, index: int, with_loss: bool = True
) -> tuple[str, dict[str, float]]:
    """One sample through the model as a program of the expression language, and its leaves' values.

    ``parse(source, values)`` builds the same graph as the model does (the same ops in the same
    order, ``b + w1*x1 + w2*x2 + ...`` as micrograd's Neuron), with every weight, bias, input and
    hidden output labeled: ``w2_3_1`` is layer 2, neuron 3, input 1 (1-based).
    """
    run = state if isinstance(state, Run) else Run(state)
    if not 0 <= index < len(run.X):
        raise TrainError(("sample",), f"expected a sample index from 0 to {len(run.X) - 1}, got {index}")
    values = {f"x{i + 1}": float(v) for i, v in enumerate(run.X[index])}
    names = list(values)
    lines = []
    weights = to_weights(run.params, run.nin, run.layers)["layers"]
    for li, layer in enumerate(weights, start=1):
        last = li == len(weights)
        outputs = []
        for ni, neuron in enumerate(layer["neurons"], start=1):
            terms = [f"b{li}_{ni}"]
            values[terms[0]] = neuron["b"]
            for wi, (w, x) in enumerate(zip(neuron["w"], names, strict=True), start=1):
                values[f"w{li}_{ni}_{wi}"] = w
                terms.append(f"w{li}_{ni}_{wi}*{x}")
            total = " + ".join(terms)
            name = "score" if last else f"h{li}_{ni}"
            lines.append(f"{name} = {total}" if last else f"{name} = {run.config['activation']}({total})")
            outputs.append(name)
        names = outputs
    if with_loss:
        values["y"] = float(run.y[index])
        lines.append(
            {
                "svm": "loss = relu(1 + -y*score)",
                "mse": "loss = (score - y)**2",
                "bce": "loss = -log(sigmoid(y*score))",
            }[run.config["loss"]]
        )
    return "\n".join(lines), values
