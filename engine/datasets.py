"""Small seeded datasets for training: the lecture's four samples and five 2-D toy problems.

Every generator returns ``(X, y)``: ``X`` a float array of shape (n, inputs) and ``y`` the
targets as -1.0 / +1.0 (micrograd's demo maps scikit-learn's 0/1 labels with ``y*2 - 1``).
Randomness comes from ``numpy.random.RandomState(seed)``, so ``moons`` draws exactly what
scikit-learn's ``make_moons(n_samples, noise=noise, random_state=seed)`` draws.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

Data = tuple[np.ndarray, np.ndarray]

# Karpathy's lecture: four inputs of three numbers each and their desired outputs.
LECTURE_X = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
LECTURE_Y = [1.0, -1.0, -1.0, 1.0]


def lecture(n_samples: int = 4, noise: float = 0.0, seed: int = 0) -> Data:
    """The lecture's four samples (the size, noise and seed do not apply)."""
    return np.array(LECTURE_X), np.array(LECTURE_Y)


def _labels(n_out: int, n_in: int) -> np.ndarray:
    return np.hstack([np.zeros(n_out, dtype=np.intp), np.ones(n_in, dtype=np.intp)])


def _shuffle_and_noise(X: np.ndarray, y: np.ndarray, noise: float, rng: np.random.RandomState) -> Data:
    """scikit-learn's ``shuffle(X, y, random_state=rng)`` and then its gaussian noise."""
    order = np.arange(len(X))
    rng.shuffle(order)
    X, y = X[order], y[order]
    X = X + rng.normal(scale=noise, size=X.shape)
    return X, y * 2.0 - 1.0


def moons(n_samples: int = 100, noise: float = 0.1, seed: int = 0) -> Data:
    """Two interleaving half circles, as scikit-learn's ``make_moons``."""
    n_out = n_samples // 2
    n_in = n_samples - n_out
    rng = np.random.RandomState(seed)
    outer = np.linspace(0, np.pi, n_out)
    inner = np.linspace(0, np.pi, n_in)
    X = np.vstack(
        [
            np.append(np.cos(outer), 1 - np.cos(inner)),
            np.append(np.sin(outer), 1 - np.sin(inner) - 0.5),
        ]
    ).T
    return _shuffle_and_noise(X, _labels(n_out, n_in), noise, rng)


def circles(n_samples: int = 100, noise: float = 0.1, seed: int = 0, factor: float = 0.5) -> Data:
    """A circle inside another, as scikit-learn's ``make_circles(factor=0.5)``."""
    n_out = n_samples // 2
    n_in = n_samples - n_out
    rng = np.random.RandomState(seed)
    outer = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    inner = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    X = np.vstack(
        [
            np.append(np.cos(outer), np.cos(inner) * factor),
            np.append(np.sin(outer), np.sin(inner) * factor),
        ]
    ).T
    return _shuffle_and_noise(X, _labels(n_out, n_in), noise, rng)


def xor(n_samples: int = 100, noise: float = 0.1, seed: int = 0) -> Data:
    """Points in the square [-1, 1]²; the class is the sign of x1·x2 (then noise moves them)."""
    rng = np.random.RandomState(seed)
    X = rng.uniform(-1, 1, size=(n_samples, 2))
    y = np.where(X[:, 0] * X[:, 1] > 0, 1.0, -1.0)
    return X + rng.normal(scale=noise, size=X.shape), y


def spiral(n_samples: int = 100, noise: float = 0.1, seed: int = 0) -> Data:
    """Two arms winding once and a half around the origin, one per class."""
    rng = np.random.RandomState(seed)
    n_a = n_samples // 2
    parts = []
    for cls, n in ((0, n_a), (1, n_samples - n_a)):
        r = np.linspace(0.05, 1.0, n)
        t = np.linspace(0.0, 3 * np.pi, n) + cls * np.pi
        parts.append(np.column_stack([r * np.sin(t), r * np.cos(t)]))
    X = np.vstack(parts)
    y = np.hstack([-np.ones(n_a), np.ones(n_samples - n_a)])
    return X + rng.normal(scale=noise, size=X.shape), y


def blobs(n_samples: int = 100, noise: float = 0.1, seed: int = 0) -> Data:
    """Two gaussian blobs centred on (-1, -1) and (1, 1); ``noise`` is their spread."""
    rng = np.random.RandomState(seed)
    n_a = n_samples // 2
    y = np.hstack([-np.ones(n_a), np.ones(n_samples - n_a)])
    centres = np.where(y[:, None] > 0, 1.0, -1.0) * np.ones((n_samples, 2))
    X = centres + rng.normal(scale=noise, size=(n_samples, 2))
    order = rng.permutation(n_samples)
    return X[order], y[order]


def custom(points: Sequence[Sequence[float]]) -> Data:
    """The class's own points, each ``(x, y, label)`` with label 1 or -1 (``config.dataset.points``)."""
    table = np.array(points, dtype=float).reshape(-1, 3)
    return table[:, :2].copy(), table[:, 2].copy()


DATASETS: dict[str, Callable[..., Data]] = {
    "lecture": lecture,
    "moons": moons,
    "circles": circles,
    "xor": xor,
    "spiral": spiral,
    "blobs": blobs,
}

# how many numbers each sample has; "custom" is the class's own points (``custom``, from
# ``config.dataset.points``), the one dataset that is given rather than generated
INPUTS = {**{name: 3 if name == "lecture" else 2 for name in DATASETS}, "custom": 2}


def make_dataset(name: str, n_samples: int = 100, noise: float = 0.1, seed: int = 0) -> Data:
    """The named dataset; ``ValueError`` for an unknown name."""
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; one of {', '.join(DATASETS)}")
    if not noise >= 0:
        raise ValueError(f"noise is a standard deviation, so at least 0; got {noise}")
    # abs() turns -0.0 (which JSON and the schema's ge=0 let through) into 0.0: numpy's
    # normal() refuses a scale whose sign bit is set, zero or not
    return DATASETS[name](n_samples=n_samples, noise=abs(noise), seed=seed)
