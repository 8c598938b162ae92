"""The class's own points (dataset "custom") and the boundary's view fitted to the data."""

import numpy as np
import pytest

from engine.train import Run, TrainError, boundary, new_state, step


def custom(points, **config):
    return {"config": {"dataset": {"name": "custom", "points": points}, **config}}


def test_custom_points_are_the_dataset_with_their_labels():
    run = Run(custom([[0.5, -1.0, 1], [2, 3, -1]]))
    np.testing.assert_array_equal(run.X, [[0.5, -1.0], [2.0, 3.0]])
    np.testing.assert_array_equal(run.y, [1.0, -1.0])


def test_custom_points_travel_in_the_state():
    points = [[0.5, -1.0, 1], [2.0, 3.0, -1]]
    state, _ = step(custom(points), 2)
    assert [list(p) for p in state["config"]["dataset"]["points"]] == points
    again, _ = step(state, 1)
    assert again["step"] == 3


@pytest.mark.parametrize(
    ("points", "loc", "message"),
    [
        (None, ("config", "dataset", "points"), "needs points"),
        ([], ("config", "dataset", "points"), "needs points"),
        ([[0, 0, 1], [0, 0]], ("config", "dataset", "points", 1), "[x, y, label]"),
        ([[0, 0, 1], [0, float("nan"), 1]], ("config", "dataset", "points", 1, 1), "finite"),
        ([["0", 0, 1]], ("config", "dataset", "points", 0, 0), "finite"),
        ([[0, 0, 0]], ("config", "dataset", "points", 0, 2), "1 or -1"),
        ([[0, 0, True]], ("config", "dataset", "points", 0, 2), "1 or -1"),
    ],
)
def test_bad_custom_points_raise_train_error_naming_the_point(points, loc, message):
    with pytest.raises(TrainError) as caught:
        Run(custom(points))
    assert caught.value.loc == loc and message in caught.value.message


def test_batch_size_is_checked_against_the_number_of_points():
    with pytest.raises(TrainError) as caught:
        Run(custom([[0, 0, 1], [1, 1, -1]], batch_size=3))
    assert caught.value.loc == ("config", "batch_size") and "1 to 2" in caught.value.message


@pytest.mark.parametrize("name", ["moons", "spiral", "circles", "xor", "blobs"])
def test_the_boundary_view_fits_the_data_with_a_ten_percent_margin(name):
    run = Run(new_state({"dataset": {"name": name}}))
    grid = boundary(run, 5)
    low, high = run.X.min(axis=0), run.X.max(axis=0)
    margin = 0.1 * (high - low).max()
    assert grid["x_min"] == pytest.approx(low[0] - margin) and grid["x_max"] == pytest.approx(
        high[0] + margin
    )
    assert grid["y_min"] == pytest.approx(low[1] - margin) and grid["y_max"] == pytest.approx(
        high[1] + margin
    )


def test_a_single_point_gets_a_view_around_it():
    grid = boundary(Run(custom([[3.0, -2.0, 1]])), 3)
    assert (grid["x_min"], grid["x_max"], grid["y_min"], grid["y_max"]) == (2.0, 4.0, -3.0, -1.0)
