"""The training API: presets, stateless steps, server-sent events, and 422s that name the field."""

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.routes import train as train_routes
from app.settings import get_settings as get_app_settings
from tests.app.train_api_helpers import events, preset


@pytest.fixture
def demo(client):
    return preset(client, "micrograd-demo")


def test_presets_include_the_sources_with_step_zero_states(client):
    response = client.get("/api/train/presets")
    assert response.status_code == 200
    presets = {p["name"]: p for p in response.json()["presets"]}
    assert {"micrograd-demo", "lecture", "lr-too-high", "forget-zero-grad"} <= set(presets)
    demo = presets["micrograd-demo"]
    assert demo["steps"] == 100
    assert demo["state"]["step"] == 0 and demo["state"]["config"]["layers"] == [16, 16, 1]
    assert len(demo["state"]["weights"]["layers"][1]["neurons"]) == 16
    assert presets["lecture"]["state"]["config"]["dataset"]["name"] == "lecture"
    assert presets["forget-zero-grad"]["state"]["config"]["forget_zero_grad"] is True


def test_step_returns_one_metric_per_step_measured_before_the_update(client, demo):
    response = client.post("/api/train/step", json={"state": demo, "steps": 3})
    assert response.status_code == 200
    body = response.json()
    assert [m["step"] for m in body["metrics"]] == [0, 1, 2]
    first = body["metrics"][0]
    assert {k: first[k] for k in ("step", "loss", "accuracy", "lr")} == {
        "step": 0,
        "loss": 0.8958441028683222,
        "accuracy": 0.5,
        "lr": 1.0,
    }
    assert len(first["grad_norms"]) == 3  # one per layer
    assert body["metrics"][1]["accuracy"] == 0.81
    assert body["state"]["step"] == 3 and body["state"]["history"] == body["metrics"]
    assert body["stopped"] is None and body["boundary"] is None and body["predictions"] is None


def test_each_metric_says_its_learning_rate_and_the_answer_the_next_one(client, demo):
    # the demo's schedule: lr = 1.0 - 0.9*k/100
    response = client.post("/api/train/step", json={"state": demo, "steps": 3})
    assert response.status_code == 200
    body = response.json()
    assert [m["lr"] for m in body["metrics"]] == pytest.approx([1.0, 0.991, 0.982])
    assert body["lr"] == pytest.approx(0.973)


def test_predictions_carry_the_whole_datasets_loss_and_accuracy(client, demo):
    response = client.post("/api/train/step", json={"state": demo, "steps": 0, "predictions": True})
    assert response.status_code == 200
    body = response.json()
    # the demo trains on the full batch: its step 0 metric is this loss (micrograd's demo prints 0.8958)
    assert body["predictions"]["loss"] == pytest.approx(0.8958441028683222, rel=1e-12)
    assert body["predictions"]["accuracy"] == 0.5
    assert body["metrics"] == [] and body["lr"] == 1.0


def test_step_answer_says_how_big_one_samples_graph_is(client):
    lecture = client.get("/api/train/presets").json()["presets"]
    state = next(p["state"] for p in lecture if p["name"] == "lecture")
    answer = client.post("/api/train/step", json={"state": state, "steps": 0}).json()
    graph = client.post("/api/train/graph", json={"state": state, "sample": 0}).json()
    assert answer["sample_nodes"] == graph["nodes"] == 119


def test_stepping_is_stateless_and_deterministic(client, demo):
    demo = {**demo, "config": {**demo["config"], "batch_size": 20}}
    once = client.post("/api/train/step", json={"state": demo, "steps": 4}).json()
    again = client.post("/api/train/step", json={"state": demo, "steps": 4}).json()
    assert once == again
    half = client.post("/api/train/step", json={"state": demo, "steps": 2}).json()
    rest = client.post("/api/train/step", json={"state": half["state"], "steps": 2}).json()
    assert rest["state"] == once["state"]
    assert half["metrics"] + rest["metrics"] == once["metrics"]


def test_a_minimal_state_gets_the_defaults_and_micrograds_weights(client, demo):
    response = client.post("/api/train/step", json={"state": {"config": {}}, "steps": 0})
    assert response.status_code == 200
    assert response.json()["state"] == demo
    assert response.json()["metrics"] == []


def test_init_builds_a_run_for_a_config(client):
    response = client.post("/api/train/init", json={"config": {"layers": [4, 1], "dataset": {"name": "xor"}}})
    assert response.status_code == 200
    state = response.json()["state"]
    assert [len(layer["neurons"]) for layer in state["weights"]["layers"]] == [4, 1]
    assert state["config"]["dataset"] == {"name": "xor", "n_samples": 100, "noise": 0.1, "seed": 1337}


def test_negative_zero_noise_trains_like_zero_noise(client):
    # JSON's -0.0 satisfies the schema's noise >= 0; it once reached numpy as a negative scale (a 500)
    configs = [{"dataset": {"name": "moons", "noise": noise}, "layers": [4, 1]} for noise in (-0.0, 0.0)]
    answers = [client.post("/api/train/init", json={"config": config}) for config in configs]
    assert [a.status_code for a in answers] == [200, 200]
    stepped = [client.post("/api/train/step", json={"state": a.json()["state"], "steps": 1}) for a in answers]
    assert [s.status_code for s in stepped] == [200, 200]
    assert stepped[0].json()["metrics"] == stepped[1].json()["metrics"]


def test_boundary_and_predictions_come_with_the_new_weights(client, demo):
    response = client.post(
        "/api/train/step", json={"state": demo, "steps": 1, "grid": 7, "predictions": True}
    )
    assert response.status_code == 200
    body = response.json()
    grid = body["boundary"]
    assert grid["size"] == 7 and len(grid["scores"]) == 7 and all(len(row) == 7 for row in grid["scores"])
    assert grid["x_min"] < grid["x_max"] and grid["y_min"] < grid["y_max"]
    predictions = body["predictions"]
    assert len(predictions["x"]) == len(predictions["target"]) == len(predictions["score"]) == 100
    assert set(predictions["target"]) == {-1.0, 1.0}
    # the scores are the model's after the step: the same request with steps 0 on the new state agrees
    again = client.post(
        "/api/train/step", json={"state": body["state"], "steps": 0, "grid": 7, "predictions": True}
    ).json()
    assert again["predictions"] == predictions and again["boundary"] == grid


def test_lecture_predictions_approach_the_targets(client):
    presets = {p["name"]: p for p in client.get("/api/train/presets").json()["presets"]}
    lecture = presets["lecture"]
    response = client.post(
        "/api/train/step", json={"state": lecture["state"], "steps": lecture["steps"], "predictions": True}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["predictions"]["target"] == [1.0, -1.0, -1.0, 1.0]
    assert all(abs(s - t) < 0.1 for s, t in zip(body["predictions"]["score"], [1, -1, -1, 1], strict=True))
    assert body["metrics"][-1]["loss"] < 0.01


def test_a_diverging_run_is_a_200_that_says_where_it_stopped(client, demo):
    state = copy.deepcopy(demo)
    state["config"]["optimizer"] = {"lr": 100.0, "schedule": "constant"}
    state["weights"]["layers"][0]["neurons"][0]["w"] = [9e5, -9e5]
    response = client.post("/api/train/step", json={"state": state, "steps": 20, "grid": 4})
    assert response.status_code == 200
    body = response.json()
    assert body["stopped"]["step"] == len(body["metrics"]) == body["state"]["step"]
    assert "weight" in body["stopped"]["reason"] and body["state"]["stopped"] == body["stopped"]


def _bad(demo, path, value):
    state = copy.deepcopy(demo)
    target = state
    for key in path[:-1]:
        target = target[key]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return state


DELETE = object()
W1 = ("weights", "layers", 1, "neurons")

BAD_STATES = [
    (("config", "layers"), [16, 16, 2], ("config", "layers", 2), "last layer"),
    (("config", "layers"), [], ("config", "layers"), "at least 1"),
    (("config", "layers"), [16, 0, 1], ("config", "layers", 1), "greater than or equal to 1"),
    (("config", "layers"), [65, 1], ("config", "layers", 0), "less than or equal to 64"),
    (("config", "layers"), [2, 2, 2, 2, 2, 2, 1], ("config", "layers"), "at most 6"),
    (("config", "layers"), [64, 64, 1], ("config", "layers"), "the limit is 2000"),
    (("config", "optimizer", "lr"), 0, ("config", "optimizer", "lr"), "greater than 0"),
    (("config", "optimizer", "lr"), -1.5, ("config", "optimizer", "lr"), "greater than 0"),
    (("config", "optimizer", "lr"), 1000, ("config", "optimizer", "lr"), "less than or equal to 100"),
    (("config", "optimizer", "lr"), "fast", ("config", "optimizer", "lr"), "number"),
    (("config", "optimizer", "name"), "rmsprop", ("config", "optimizer", "name"), "'sgd' or 'adam'"),
    (("config", "optimizer", "lr_ned"), 0.1, ("config", "optimizer", "lr_ned"), "Extra inputs"),
    (("config", "dataset", "name"), "swirl", ("config", "dataset", "name"), "moons"),
    (
        ("config", "dataset", "n_samples"),
        5000,
        ("config", "dataset", "n_samples"),
        "less than or equal to 1000",
    ),
    (("config", "dataset", "noise"), -0.1, ("config", "dataset", "noise"), "greater than or equal to 0"),
    (("config", "batch_size"), 101, ("config", "batch_size"), "1 to 100"),
    (("config", "l2"), True, ("config", "l2"), "number"),
    (("config", "activation"), "gelu", ("config", "activation"), "relu"),
    (("config", "seed"), 2**40, ("config", "seed"), "less than or equal to"),
    (("step",), -3, ("step",), "greater than or equal to 0"),
    ((*W1, 3, "w"), [0.1] * 15, (*W1, 3, "w"), "expected 16 weights (layer 0 has 16 neurons), got 15"),
    ((*W1, 3, "w"), [0.1] * 65, (*W1, 3, "w"), "at most 64"),
    ((*W1, 3, "b"), "0", (*W1, 3, "b"), "number"),
    ((*W1, 3, "b"), -2e6, (*W1, 3, "b"), "within ±1e+06, got -2e+06"),
    ((*W1, 3, "w"), [0.1] * 5 + [1e305] + [0.1] * 10, (*W1, 3, "w", 5), "within ±1e+06"),
    ((*W1, 3, "b"), DELETE, (*W1, 3, "b"), "Field required"),
    (("weights", "layers", 2, "neurons"), [], ("weights", "layers", 2, "neurons"), "expected 1 neurons"),
    (("grads",), {"layers": []}, ("grads", "layers"), "expected 3 layers"),
    (
        ("history",),
        [{"step": 0, "loss": 1.0, "accuracy": 2}],
        ("history", 0, "accuracy"),
        "less than or equal",
    ),
]


@pytest.mark.parametrize(("path", "value", "loc", "message"), BAD_STATES)
def test_bad_states_get_422_naming_the_field(client, demo, path, value, loc, message):
    response = client.post("/api/train/step", json={"state": _bad(demo, path, value), "steps": 1})
    assert response.status_code == 422
    errors = response.json()["detail"]
    assert any(tuple(e["loc"]) == ("body", "state", *loc) and message in e["msg"] for e in errors), errors


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_anywhere_get_422(client, demo, token):
    text = json.dumps({"state": demo, "steps": 1}).replace('"b": 0.0', f'"b": {token}', 1)  # the first bias
    assert token in text
    response = client.post("/api/train/step", content=text, headers={"content-type": "application/json"})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "state", "weights", "layers", 0, "neurons", 0, "b"]
    assert "finite" in error["msg"]


def test_adam_state_of_the_wrong_shape_is_a_422(client, demo):
    state = {**demo, "config": {**demo["config"], "optimizer": {"name": "adam"}}}
    state["optimizer_state"] = {"m": demo["weights"], "v": {"layers": [{"neurons": []}]}}
    response = client.post("/api/train/step", json={"state": state})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][:5] == ["body", "state", "optimizer_state", "v", "layers"]


@pytest.mark.parametrize(
    ("body", "loc", "message"),
    [
        ({"steps": 1001}, ("body", "steps"), "less than or equal to 1000"),
        ({"steps": -1}, ("body", "steps"), "greater than or equal to 0"),
        ({"grid": 1}, ("body", "grid"), "greater than or equal to 2"),
        ({"grid": 101}, ("body", "grid"), "less than or equal to 100"),
        ({"state": {"config": {"dataset": {"name": "lecture"}}}, "grid": 10}, ("body", "grid"), "2 inputs"),
        ({"extra": 1}, ("body", "extra"), "Extra inputs"),
    ],
)
def test_bad_request_fields_get_422(client, demo, body, loc, message):
    response = client.post("/api/train/step", json={"state": demo, **body})
    assert response.status_code == 422
    assert any(tuple(e["loc"]) == loc and message in e["msg"] for e in response.json()["detail"])


def test_history_keeps_the_last_entries_up_to_the_limit(client, demo):
    limit = get_app_settings().train_max_history
    history = [{"step": k, "loss": 1.0, "accuracy": 0.5} for k in range(limit)]
    response = client.post("/api/train/step", json={"state": {**demo, "step": limit, "history": history}})
    assert response.status_code == 200
    kept = response.json()["state"]["history"]
    assert len(kept) == limit
    assert kept[0]["step"] == 1 and kept[-1]["step"] == limit


def test_bad_post_stream_gets_422_before_streaming(client, demo):
    bad = _bad(demo, ("config", "layers"), [16, 16, 3])
    response = client.post("/api/train/stream", json={"state": bad, "steps": 5})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "state", "config", "layers", 2]


JUNK = [None, True, -1, 0, 2**70, 1e308, -1e308, "x", [], {}, [1.5], {"a": 1}]


def _leaves(value, path=()):
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _leaves(child, (*path, key))
    elif isinstance(value, list) and value:
        for i, child in enumerate(value):
            yield from _leaves(child, (*path, i))
    else:
        yield path


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_field_replaced_by_junk_is_a_200_or_a_422_never_a_500(client, demo, data):
    state = copy.deepcopy(demo)
    state["config"]["layers"] = [3, 1]
    state["weights"] = None
    state = client.post("/api/train/step", json={"state": state, "steps": 2}).json()["state"]
    path = data.draw(st.sampled_from(list(_leaves(state))))
    target = state
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = data.draw(st.sampled_from(JUNK))
    response = client.post(
        "/api/train/step", json={"state": state, "steps": 2, "grid": 3, "predictions": True}
    )
    assert response.status_code in (200, 422), (path, response.text)
    if response.status_code == 422:
        assert all(e["loc"][0] == "body" and e["msg"] for e in response.json()["detail"])
    else:
        json.dumps(response.json(), allow_nan=False)


def test_one_samples_graph_goes_through_the_graph_api(client):
    presets = {p["name"]: p for p in client.get("/api/train/presets").json()["presets"]}
    state = client.post("/api/train/step", json={"state": presets["lecture"]["state"], "steps": 3}).json()[
        "state"
    ]
    response = client.post("/api/train/graph", json={"state": state, "sample": 2})
    assert response.status_code == 200
    program = response.json()
    assert program["values"]["x1"] == 0.5 and program["values"]["y"] == -1.0
    scored = client.post("/api/train/step", json={"state": state, "steps": 0, "predictions": True}).json()
    score = scored["predictions"]["score"][2]

    graph = client.post("/api/graph", json={"source": program["source"], "values": program["values"]})
    assert graph.status_code == 200, graph.text
    body = graph.json()
    assert len(body["nodes"]) == program["nodes"]
    output = next(n for n in body["nodes"] if n["id"] == body["output"])
    assert output["label"] == "loss"
    assert output["data"] == pytest.approx((score + 1.0) ** 2, rel=1e-12)


def test_sample_graph_errors_name_the_field(client, demo):
    too_big = client.post("/api/train/graph", json={"state": demo})
    assert too_big.status_code == 422
    assert too_big.json()["detail"][0]["loc"] == ["body", "state", "config", "layers"]
    assert "400" in too_big.json()["detail"][0]["msg"]
    small = {"config": {"layers": [2, 1]}}
    out_of_range = client.post("/api/train/graph", json={"state": small, "sample": 100})
    assert out_of_range.status_code == 422
    assert out_of_range.json()["detail"][0]["loc"] == ["body", "sample"]


def test_too_much_work_in_one_request_is_a_422_before_any_step(client):
    state = {"config": {"layers": [32, 32, 1], "dataset": {"n_samples": 1000}}}
    response = client.post("/api/train/step", json={"state": state, "steps": 100})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "steps"]
    assert "100 steps x 1000 samples x 1185 parameters (plus each step's own cost) is" in error["msg"]
    smaller = client.post("/api/train/step", json={"state": state, "steps": 1})
    assert smaller.status_code == 200


def test_the_largest_run_fits_the_training_body_limit_but_not_more(client):
    """A run travels whole; the graph API's 64 KiB would refuse an Adam run of 2,000 parameters."""
    config = {"dataset": {"name": "moons"}, "layers": [30, 59, 1], "optimizer": {"name": "adam"}}
    response = client.post("/api/train/step", json={"state": {"config": config}, "steps": 2})
    assert response.status_code == 200
    body = json.dumps({"state": response.json()["state"], "steps": 1})
    assert 64 * 1024 < len(body) < get_app_settings().max_train_body_bytes
    as_json = {"content-type": "application/json"}
    assert client.post("/api/train/step", content=body, headers=as_json).status_code == 200
    padded = body[:-1] + " " * get_app_settings().max_train_body_bytes + "}"
    response = client.post("/api/train/step", content=padded, headers=as_json)
    assert response.status_code == 413
    assert "limit" in response.json()["detail"]["message"]


def test_a_busy_server_answers_503_with_retry_after_and_recovers(client, demo, monkeypatch):
    """Training requests beyond train_max_concurrent wait, then get a clear 503, never pile up."""
    from app.routes import train as train_routes
    from app.slots import Slots

    slots = Slots(1, timeout=0.05)
    monkeypatch.setattr(train_routes, "_training_slots", lambda: slots)
    assert slots.acquire()  # another run is being computed
    response = client.post("/api/train/step", json={"state": demo, "steps": 1})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert "busy training other runs" in response.json()["detail"]["message"]
    slots.release()
    response = client.post("/api/train/step", json={"state": demo, "steps": 1})
    assert response.status_code == 200
    assert response.json()["metrics"][0]["step"] == 0


def test_a_get_stream_reconnection_redoes_its_steps_in_a_training_slot(client, monkeypatch):
    # the replay up to Last-Event-ID is training work too: with every slot taken it must wait
    # and then answer 503, not run beside the others (found running 3 at once with a limit of 1)
    from app.slots import Slots

    slots = Slots(1, timeout=0.05)
    monkeypatch.setattr(train_routes, "_training_slots", lambda: slots)
    assert slots.acquire()
    url = "/api/train/stream?preset=lecture&until=6"
    busy = client.get(url, headers={"Last-Event-ID": "4"})
    assert busy.status_code == 503 and busy.headers["retry-after"] == "1"
    slots.release()
    with client.stream("GET", url, headers={"Last-Event-ID": "4"}) as r:
        assert r.status_code == 200
        assert [i for _, i, _ in events("".join(r.iter_text()))[:-1]] == ["5", "6"]


def test_presets_say_how_much_history_a_state_may_carry(client):
    assert client.get("/api/train/presets").json()["max_history"] == get_app_settings().train_max_history
