"""Neuron maps: each hidden neuron's output over the boundary's plane."""

import numpy as np
import pytest

from engine import MLP, Value
from engine.train import Run, TrainError, neurons, new_state, step
from engine.train.views import view


def _model(run: Run) -> MLP:
    """micrograd's MLP with the run's weights: the scalar engine's per-point forward pass."""
    model = MLP(run.nin, run.layers, activation=run.config["activation"], seed=0)
    for p, value in zip(model.parameters(), run.params.tolist(), strict=True):
        p.data = value
    return model


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_each_map_is_its_neurons_activation_at_the_grid_points(activation):
    config = {"dataset": {"name": "moons", "n_samples": 30}, "layers": [4, 3, 1], "activation": activation}
    state, _ = step(new_state(config), 3)
    run = Run(state)
    size = 5
    maps = neurons(run, size)
    assert [(m["layer"], m["index"]) for m in maps] == [(1, k) for k in range(1, 5)] + [
        (2, 1),
        (2, 2),
        (2, 3),
    ]
    x_min, x_max, y_min, y_max = view(run.X)
    model = _model(run)
    for i, j in [(0, 0), (0, size - 1), (2, 3), (size - 1, 1), (size - 1, size - 1)]:
        x = x_min + j * (x_max - x_min) / (size - 1)
        y = y_min + i * (y_max - y_min) / (size - 1)
        h1 = model.layers[0]([Value(x), Value(y)])
        h2 = model.layers[1](h1)
        expected = [v.data for v in h1] + [v.data for v in h2]
        for m, want in zip(maps, expected, strict=True):
            assert m["size"] == size and len(m["scores"]) == size
            assert m["scores"][i][j] == pytest.approx(want, abs=6e-5)  # 4 decimals


def test_a_one_layer_model_has_no_maps_and_the_lecture_has_none_at_all():
    assert neurons(new_state({"dataset": {"name": "xor"}, "layers": [1]}), 4) == []
    with pytest.raises(TrainError) as error:
        neurons(new_state({"dataset": {"name": "lecture"}, "layers": [4, 1]}), 4)
    assert error.value.loc == ("neuron_grid",)


def test_maps_tell_neurons_apart():
    maps = neurons(new_state({"dataset": {"name": "moons"}, "layers": [8, 1], "activation": "tanh"}), 6)
    grids = [np.array(m["scores"]) for m in maps]
    assert all(g.std() > 0 for g in grids)  # each varies over the plane
    assert len({g.tobytes() for g in grids}) == len(grids)
