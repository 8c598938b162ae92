"""micrograd's demo.ipynb, as the notebook writes it, for micrograd's own Value and MLP
(tests/engine/test_train.py checks our micrograd-demo preset against it; bench/bench_train.py
times it)."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import numpy as np


def demo_moons(make_moons: Callable[..., Any], mlp_class: type) -> tuple[Any, Any, Any]:
    """(X, y, model): the notebook's seeds, 100 moons with labels -1 and 1, and MLP(2, [16, 16, 1])."""
    np.random.seed(1337)
    random.seed(1337)
    X, y = make_moons(n_samples=100, noise=0.1)
    y = y * 2 - 1
    return X, y, mlp_class(2, [16, 16, 1])


def demo_loss(model: Any, X: Any, y: Any, value_class: type) -> tuple[Any, float]:
    """The notebook's loss(): the mean max-margin loss over all of X plus 1e-4 L2, and accuracy."""
    inputs = [list(map(value_class, xrow)) for xrow in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores, strict=True)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(y, scores, strict=True)]
    return data_loss + reg_loss, sum(accuracy) / len(accuracy)
