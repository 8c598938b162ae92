"""The state document: a run as plain JSON, its defaults, and the checks that relate its fields.

A state is ``{"version", "config", "step", "weights", "grads", "optimizer_state", "history",
"stopped"}``; weights (and grads, and Adam's moments) have the shape
``{"layers": [{"neurons": [{"w": [...], "b": ...}]}]}``. Every problem is a ``TrainError``
whose ``loc`` is the path of the offending field, the shape the web layer's 422s use.
"""

from __future__ import annotations

import copy
import math
from functools import lru_cache
from typing import Any

import numpy as np

from ..datasets import INPUTS, custom, make_dataset
from ..nn import ACTIVATIONS

LOSSES = ("svm", "mse", "bce")
REDUCTIONS = ("mean", "sum")
OPTIMIZERS = ("sgd", "adam")
SCHEDULES = ("constant", "linear")
# what each schedule does, in the words the page shows next to the field
SCHEDULE_TEXT = {
    "constant": "The learning rate stays at lr on every step.",
    "linear": "The learning rate falls in a straight line from lr at step 0 to lr_end at step decay_steps, "
    "then stays there. It never rises: an lr_end above lr counts as lr.",
}

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

Loc = tuple[str | int, ...]


class TrainError(ValueError):
    """A state that cannot be trained, with ``loc``: the path of the offending field."""

    def __init__(self, loc: Loc, message: str) -> None:
        self.loc = loc
        self.message = message
        super().__init__(f"{'.'.join(str(p) for p in loc)}: {message}")


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


@lru_cache(maxsize=16)
def _custom(points: tuple[tuple[float, float, float], ...]) -> tuple[np.ndarray, np.ndarray]:
    X, y = custom(points)
    X.flags.writeable = y.flags.writeable = False
    return X, y


def dataset_of(config: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    d = config["dataset"]
    if d["name"] == "custom":
        return _custom(points_of(d.get("points"), ("config", "dataset", "points")))
    return _dataset(d["name"], int(d["n_samples"]), float(d["noise"]), int(d["seed"]))


def points_of(points: Any, loc: Loc) -> tuple[tuple[float, float, float], ...]:
    """``config.dataset.points`` as ``(x, y, label)`` tuples; ``TrainError`` naming the first bad one."""
    if not isinstance(points, list) or not points:
        raise TrainError(loc, 'dataset "custom" needs points: [[x, y, label], ...], at least one')
    out = []
    for i, point in enumerate(points):
        if not isinstance(point, list | tuple) or len(point) != 3:
            raise TrainError((*loc, i), f"expected [x, y, label], got {point!r:.40}")
        x, y = _finite(point[0], (*loc, i, 0)), _finite(point[1], (*loc, i, 1))
        if point[2] not in (1, -1) or isinstance(point[2], bool):
            raise TrainError((*loc, i, 2), f"expected the label 1 or -1, got {point[2]!r:.40}")
        out.append((x, y, float(point[2])))
    return tuple(out)


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


def from_weights(weights: Any, nin: int, layers: list[int], loc: Loc = ("weights",)) -> np.ndarray:
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


def weight_loc(nin: int, layers: list[int], index: int) -> Loc:
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


def _finite(v: Any, loc: Loc) -> float:
    try:
        fine = not isinstance(v, bool) and isinstance(v, int | float) and math.isfinite(float(v))
    except OverflowError:  # an int too big for a float
        fine = False
    if not fine:
        raise TrainError(loc, f"expected a finite number, got {v!r:.40}")
    return float(v)


def check_config(config: dict[str, Any], loc: Loc = ("config",)) -> None:
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


def check_step(step: Any) -> int:
    if isinstance(step, bool) or not isinstance(step, int) or step < 0:
        raise TrainError(("step",), f"expected a whole number of steps done, got {step!r}")
    return step
