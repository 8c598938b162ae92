"""The training API's event streams: POST and GET, resuming, and bad streams refused before streaming."""

import dataclasses
import json

import pytest

from app.routes import train as train_routes
from app.settings import get_settings as get_app_settings
from tests.app.train_api_helpers import events, preset


@pytest.fixture
def demo(client):
    return preset(client, "micrograd-demo")


def test_post_stream_sends_steps_then_done_and_resumes_from_a_state(client, demo):
    with client.stream(
        "POST", "/api/train/stream", json={"state": demo, "steps": 5, "every": 2, "grid": 3}
    ) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        assert r.headers["x-accel-buffering"] == "no"  # nginx passes each event on at once
        stream = events("".join(r.iter_text()))
    kinds = [(event, id_) for event, id_, _ in stream]
    assert kinds == [("step", "2"), ("step", "4"), ("step", "5"), ("done", None)]
    assert stream[-1][2] == {"step": 5, "reason": "finished", "stopped": None}
    assert stream[0][2]["boundary"]["size"] == 3
    streamed = [m for _, _, data in stream[:-1] for m in data["metrics"]]

    # resume after "dropping" at step 2: POST the last state received
    with client.stream("POST", "/api/train/stream", json={"state": stream[0][2]["state"], "steps": 3}) as r:
        resumed = events("".join(r.iter_text()))
    direct = client.post("/api/train/step", json={"state": demo, "steps": 5}).json()
    assert streamed == direct["metrics"]
    assert resumed[-2][2]["state"] == direct["state"]


def test_get_stream_resumes_from_last_event_id(client):
    with client.stream("GET", "/api/train/stream?preset=lecture&until=6") as r:
        assert r.status_code == 200
        full = events("".join(r.iter_text()))
    with client.stream(
        "GET", "/api/train/stream?preset=lecture&until=6", headers={"Last-Event-ID": "4"}
    ) as r:
        resumed = events("".join(r.iter_text()))
    assert [i for _, i, _ in full[:-1]] == ["1", "2", "3", "4", "5", "6"]
    assert [i for _, i, _ in resumed[:-1]] == ["5", "6"]
    assert resumed[-2][2]["state"] == full[-2][2]["state"]
    assert resumed[0][2]["metrics"] == full[4][2]["metrics"]


def test_a_get_stream_that_is_accepted_can_be_resumed_at_its_last_step(client, monkeypatch):
    # the lecture preset: 4 samples x 41 parameters a step, plus its fixed cost, 9 neurons' and
    # 41 parameters';
    # allow 50 steps of work
    settings = get_app_settings()
    step = (
        (4 + settings.train_parameter_work) * 41 + settings.train_step_work + settings.train_neuron_work * 9
    )
    limited = dataclasses.replace(settings, train_max_work=step * 50)
    monkeypatch.setattr(train_routes, "get_settings", lambda: limited)
    too_long = client.get("/api/train/stream?preset=lecture&until=51")
    assert too_long.status_code == 422
    (error,) = too_long.json()["detail"]
    assert error["loc"] == ["query", "until"]
    message = f"51 steps x 4 samples x 41 parameters (plus each step's own cost) is {51 * step} units"
    assert f"{message} of work, over the limit of {50 * step}" in error["msg"]
    assert "reconnection" in error["msg"] and "POST" in error["msg"]
    # the longest one allowed resumes even from its last step but one
    url = "/api/train/stream?preset=lecture&until=50"
    with client.stream("GET", url, headers={"Last-Event-ID": "49"}) as r:
        assert r.status_code == 200
        resumed = events("".join(r.iter_text()))
    assert [(e, i) for e, i, _ in resumed] == [("step", "50"), ("done", None)]
    direct = client.post("/api/train/step", json={"state": preset(client, "lecture"), "steps": 50}).json()
    assert resumed[0][2]["state"] == direct["state"]


def test_get_stream_takes_a_config_as_json(client):
    config = json.dumps({"layers": [2, 1], "dataset": {"name": "blobs"}})
    with client.stream("GET", f"/api/train/stream?config={config}&until=2&grid=2") as r:
        assert r.status_code == 200
        stream = events("".join(r.iter_text()))
    assert [e for e, _, _ in stream] == ["step", "step", "done"]


@pytest.mark.parametrize(
    ("query", "headers", "loc"),
    [
        ("preset=nope", {}, ["query", "preset"]),
        ("until=5", {}, ["query", "preset"]),
        ("preset=lecture&config={}", {}, ["query", "preset"]),
        ('config={"layers": [3]}', {}, ["query", "config", "layers", 0]),
        ('config={"layers": [2, 1], "lr": 1}', {}, ["query", "config", "lr"]),
        ("config=not json", {}, ["query", "config"]),
        ("preset=lecture&grid=20", {}, ["query", "grid"]),
        ("preset=lecture&until=5", {"Last-Event-ID": "9"}, ["header", "Last-Event-ID"]),
        ("preset=lecture&until=5", {"Last-Event-ID": "x"}, ["header", "Last-Event-ID"]),
        ("preset=lecture&until=0", {}, ["query", "until"]),
        # 2,000 demo steps could not be recomputed on a reconnection near the end: refused up front
        ("preset=micrograd-demo&until=2000", {}, ["query", "until"]),
    ],
)
def test_bad_streams_get_422_before_streaming(client, query, headers, loc):
    response = client.get(f"/api/train/stream?{query}", headers=headers)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/json")
    assert any(e["loc"][: len(loc)] == loc for e in response.json()["detail"]), response.json()
