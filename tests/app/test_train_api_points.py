"""The training API's newer parts: the class's own points, gradient health, the schedule, imports."""

import json

import numpy as np
import pytest

from app.settings import get_settings


def xor_clusters(n_per_cluster=10, spread=0.2, seed=0):
    """Four clusters in an XOR pattern: (-1, -1) and (1, 1) are class 1, the other two class -1."""
    rng = np.random.RandomState(seed)
    points = []
    for cx, cy, label in [(-1, -1, 1), (1, 1, 1), (-1, 1, -1), (1, -1, -1)]:
        for dx, dy in rng.normal(scale=spread, size=(n_per_cluster, 2)).tolist():
            points.append([cx + dx, cy + dy, label])
    return points


def custom(points, **config):
    return {"config": {"dataset": {"name": "custom", "points": points}, **config}}


def test_custom_xor_clusters_reach_full_accuracy_with_the_default_model(client):
    points = xor_clusters()
    assert len(points) == 40
    response = client.post(
        "/api/train/step", json={"state": custom(points), "steps": 100, "grid": 10, "predictions": True}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["state"]["config"]["layers"] == [16, 16, 1]  # the default model
    assert body["metrics"][0]["accuracy"] < 1 and body["metrics"][-1]["accuracy"] == 1.0
    scored = body["predictions"]
    assert scored["x"] == [p[:2] for p in points]
    assert all((s > 0) == (t > 0) for s, t in zip(scored["score"], scored["target"], strict=True))
    # the points travel in the state: the next request continues from them
    assert body["state"]["config"]["dataset"]["points"] == points
    again = client.post("/api/train/step", json={"state": body["state"], "steps": 1})
    assert again.status_code == 200 and again.json()["metrics"][0]["accuracy"] == 1.0


def test_the_boundary_view_covers_the_points_with_a_margin(client):
    points = [[-3.0, 1.0, 1], [5.0, 2.0, -1], [0.0, -1.0, 1]]
    response = client.post("/api/train/step", json={"state": custom(points), "steps": 0, "grid": 4})
    assert response.status_code == 200
    grid = response.json()["boundary"]
    # the larger side is 8 wide: 0.8 on each side
    assert grid["x_min"] == pytest.approx(-3.8) and grid["x_max"] == pytest.approx(5.8)
    assert grid["y_min"] == pytest.approx(-1.8) and grid["y_max"] == pytest.approx(2.8)


LIMIT = get_settings().train_max_coordinate
BAD_POINTS = [
    ([0.0, 0.0, 0], (2,), "1 or -1"),
    ([0.0, 0.0, 2], (2,), "1 or -1"),
    ([0.0, 0.0, "1"], (2,), "integer"),
    ([0.0, 0.0, True], (2,), "integer"),
    ([0.0, 0.0, 1.5], (2,), "integer"),
    ([0.0, 0.0, None], (2,), "integer"),
    ([LIMIT * 1.01, 0.0, 1], (0,), f"less than or equal to {LIMIT:g}"),
    ([0.0, -LIMIT * 1.01, 1], (1,), f"greater than or equal to {-LIMIT:g}"),
    (["0.5", 0.0, 1], (0,), "number"),
    ([0.0, None, 1], (1,), "number"),
    ([False, 0.0, 1], (0,), "number"),
    ([0.0, 0.0], (2,), "required"),
    ([0.0, 0.0, 1, 7], (), "at most 3"),
    ([], (0,), "required"),
    ({"x": 0, "y": 0, "label": 1}, (), "tuple"),
    ("0,0,1", (), "tuple"),
    (0.5, (), "tuple"),
]


@pytest.mark.parametrize(("point", "rest", "message"), BAD_POINTS)
def test_every_bad_point_is_a_422_naming_points_and_its_index(client, point, rest, message):
    points = [[0.0, 0.0, 1], [1.0, 1.0, -1], point]
    response = client.post("/api/train/step", json={"state": custom(points), "steps": 1})
    assert response.status_code == 422
    errors = response.json()["detail"]
    where = ("body", "state", "config", "dataset", "points", 2, *rest)
    assert any(tuple(e["loc"]) == where and message in e["msg"] for e in errors), errors


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_a_non_finite_coordinate_is_a_422_naming_the_point(client, token):
    text = json.dumps({"state": custom([[0.0, 0.0, 1], [0.0, 123.25, -1]]), "steps": 1})
    text = text.replace("123.25", token)
    response = client.post("/api/train/step", content=text, headers={"content-type": "application/json"})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "state", "config", "dataset", "points", 1, 1]
    assert "finite" in error["msg"]


@pytest.mark.parametrize(
    ("points", "message"),
    [
        (None, "needs points"),
        ([], "at least 1"),
        ([[0.0, 0.0, 1]] * (get_settings().train_max_points + 1), "at most 1000"),
    ],
)
def test_too_few_or_too_many_points_is_a_422_naming_points(client, points, message):
    response = client.post("/api/train/step", json={"state": custom(points), "steps": 1})
    assert response.status_code == 422
    errors = response.json()["detail"]
    where = ("body", "state", "config", "dataset", "points")
    assert any(tuple(e["loc"]) == where and message in e["msg"] for e in errors), errors


def test_the_most_points_allowed_train(client):
    points = [
        [(i % 40) / 4, (i // 40) / 4, 1 if i % 2 else -1] for i in range(get_settings().train_max_points)
    ]
    state = custom(points, layers=[4, 1])
    response = client.post("/api/train/step", json={"state": state, "steps": 1})
    assert response.status_code == 200
    assert len(response.json()["state"]["config"]["dataset"]["points"]) == 1000


def test_grad_norms_of_a_tiny_net_are_the_ones_worked_by_hand(client):
    # MLP(2, [1, 1]), ReLU, one sample x = (1, 2), y = 1: h = 0.1, score = 0.5, dloss/dscore = -1
    # layer 1: dw = (-2, -4), db = -2; layer 2: dw = -0.1, db = -1
    state = custom([[1.0, 2.0, 1]], layers=[1, 1], loss="mse", l2=0.0)
    state["weights"] = {
        "layers": [{"neurons": [{"w": [0.5, -0.25], "b": 0.1}]}, {"neurons": [{"w": [2.0], "b": 0.3}]}]
    }
    response = client.post("/api/train/step", json={"state": state, "steps": 1})
    assert response.status_code == 200
    [metric] = response.json()["metrics"]
    assert metric["grad_norms"] == pytest.approx([24**0.5, 1.01**0.5], rel=1e-12)
    assert response.json()["state"]["history"] == [metric]


def test_presets_include_the_gradient_presets_and_say_what_each_schedule_does(client):
    response = client.get("/api/train/presets")
    assert response.status_code == 200
    body = response.json()
    presets = {p["name"]: p for p in body["presets"]}
    assert presets["vanishing-gradients"]["state"]["config"]["activation"] == "sigmoid"
    assert "first layer" in presets["vanishing-gradients"]["description"]
    assert "gradient-norm chart" in presets["exploding-gradients"]["description"]
    assert set(body["schedules"]) == {"constant", "linear"}
    assert "never rises" in body["schedules"]["linear"]


def test_the_lr_never_rises_when_it_is_lowered_mid_run(client):
    presets = {p["name"]: p for p in client.get("/api/train/presets").json()["presets"]}
    body = client.post(
        "/api/train/step", json={"state": presets["micrograd-demo"]["state"], "steps": 59}
    ).json()
    assert body["metrics"][-1]["lr"] == pytest.approx(1.0 - 0.9 * 58 / 100)
    state = body["state"]
    state["config"]["optimizer"]["lr"] = 0.05  # lr_end stays 0.1, above it
    response = client.post("/api/train/step", json={"state": state, "steps": 30})
    assert response.status_code == 200
    assert {m["lr"] for m in response.json()["metrics"]} == {0.05}


# What the page's import sends: the file's run, history emptied, steps 0 with the boundary.
BAD_IMPORTS = [
    ({"config": {"layers": "16,16,1"}}, ("config", "layers"), "list"),
    ({"config": {"dataset": {"name": "custom"}}}, ("config", "dataset", "points"), "needs points"),
    ({"config": {}, "version": 2}, ("version",), "1"),
    ({"config": {}, "weights": {"layers": []}}, ("weights", "layers"), "expected 3 layers"),
    ({"config": {}, "step": "ten"}, ("step",), "integer"),
    ({"config": {}, "weights": {"neurons": []}}, ("weights", "layers"), "required"),
    ({"config": {"optimizer": {"schedule": "cosine"}}}, ("config", "optimizer", "schedule"), "'linear'"),
]


@pytest.mark.parametrize(("run", "loc", "message"), BAD_IMPORTS)
def test_importing_a_run_that_is_not_valid_says_which_field_and_why(client, run, loc, message):
    response = client.post(
        "/api/train/step", json={"state": {**run, "history": []}, "steps": 0, "grid": 50, "predictions": True}
    )
    assert response.status_code == 422
    errors = response.json()["detail"]
    assert any(tuple(e["loc"]) == ("body", "state", *loc) and message in e["msg"] for e in errors), errors


def test_a_run_exported_before_lr_and_grad_norms_still_imports(client):
    old_history = [{"step": 0, "loss": 0.9, "accuracy": 0.5}, {"step": 1, "loss": 0.8, "accuracy": 0.6}]
    response = client.post(
        "/api/train/step", json={"state": {"config": {}, "step": 2, "history": old_history}}
    )
    assert response.status_code == 200
    history = response.json()["state"]["history"]
    assert history[:2] == [{**m, "lr": None, "grad_norms": None} for m in old_history]
    assert history[2]["step"] == 2 and len(history[2]["grad_norms"]) == 3
