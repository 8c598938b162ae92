"""What the page draws of a run: the decision boundary, every sample's score, one sample's graph."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .run import Run
from .state import TrainError, to_weights

# the boundary's view: the data's box widened on each side by this fraction of its larger side...
MARGIN = 0.1
# ...or by this much when the box has no size (one point, or every point in the same place)
POINT_MARGIN = 1.0


def view(X: np.ndarray) -> tuple[float, float, float, float]:
    """``(x_min, x_max, y_min, y_max)``: the data's box with a margin, the plane the boundary covers."""
    low, high = X.min(axis=0), X.max(axis=0)
    margin = MARGIN * float((high - low).max()) or POINT_MARGIN
    return float(low[0] - margin), float(high[0] + margin), float(low[1] - margin), float(high[1] + margin)


def _plane(
    state: dict[str, Any] | Run, size: int, field: str, needs: str
) -> tuple[Run, tuple[float, float, float, float], np.ndarray]:
    """The run, the data's ``view``, and a size x size grid of points covering it, row by row. A
    map of the plane needs 2 inputs: else a TrainError on ``field`` says what ``needs`` them."""
    run = state if isinstance(state, Run) else Run(state)
    if run.nin != 2:
        raise TrainError((field,), f"{needs} 2 inputs; {run.config['dataset']['name']!r} has {run.nin}")
    x_min, x_max, y_min, y_max = box = view(run.X)
    gx, gy = np.meshgrid(np.linspace(x_min, x_max, size), np.linspace(y_min, y_max, size))
    return run, box, np.column_stack([gx.ravel(), gy.ravel()])


def boundary(state: dict[str, Any] | Run, size: int = 50) -> dict[str, Any]:
    """The model's score (to 4 decimals) over a size x size grid covering the data's ``view``."""
    run, (x_min, x_max, y_min, y_max), points = _plane(state, size, "grid", "the decision boundary needs")
    with np.errstate(all="ignore"):
        scores = run.scores(points).reshape(size, size)
        # for drawing: 4 decimals are plenty, and make the JSON a third as long
        scores = _json_scores(np.round(scores, 4))
    return {
        "size": size,
        "x_min": x_min,
        "x_max": x_max,
        "y_min": y_min,
        "y_max": y_max,
        "scores": scores.tolist(),
    }


def neurons(state: dict[str, Any] | Run, size: int = 24) -> list[dict[str, Any]]:
    """Each hidden neuron's output (its activation, to 4 decimals) over a size x size grid of the
    boundary's ``view``: ``{"layer", "index", "size", "scores"}``, layer and index 1-based, input
    side first; ``scores[i][j]`` is at the same point as the boundary's."""
    run, _, points = _plane(state, size, "neuron_grid", "neuron maps need")
    with np.errstate(all="ignore"):
        passed = run.dense.forward(points, run.params, np.ones(len(points)))
        maps = []
        for li, outputs in enumerate(passed.post[:-1], start=1):  # the last layer is the score
            for ni, row in enumerate(outputs, start=1):
                scores = _json_scores(np.round(row.reshape(size, size), 4))
                maps.append({"layer": li, "index": ni, "size": size, "scores": scores.tolist()})
    return maps


def _json_scores(scores: np.ndarray) -> np.ndarray:
    """The scores with each infinity as ±1e300 and nan as 0: numbers JSON can carry."""
    return np.where(np.isfinite(scores), scores, np.sign(np.nan_to_num(scores)) * 1e300)


def predictions(state: dict[str, Any] | Run) -> dict[str, Any]:
    """Every sample of the dataset, its target and its score under the state's weights, and the
    whole dataset's total loss (data + L2, null if not finite) and accuracy."""
    run = state if isinstance(state, Run) else Run(state)
    with np.errstate(all="ignore"):
        passed, loss, accuracy, _ = run.forward()
        scores = _json_scores(passed.scores)
    shown = loss if math.isfinite(loss) else None
    return {
        "x": run.X.tolist(),
        "target": run.y.tolist(),
        "score": scores.tolist(),
        "loss": shown,
        "accuracy": accuracy,
    }


LOSS_LINES = {
    "svm": "loss = relu(1 + -y*score)",
    "mse": "loss = (score - y)**2",
    "bce": "loss = -log(sigmoid(y*score))",
}


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
        lines.append(LOSS_LINES[run.config["loss"]])
    return "\n".join(lines), values
