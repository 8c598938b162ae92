"""POST /api/train/step's neuron maps (neuron_grid): each hidden neuron's output over the plane."""

import json

import pytest

from engine.train import Run, neurons


def _demo(client):
    presets = client.get("/api/train/presets").json()["presets"]
    return next(p["state"] for p in presets if p["name"] == "micrograd-demo")


def test_neuron_maps_come_only_when_asked_one_per_hidden_neuron(client):
    demo = _demo(client)
    plain = client.post("/api/train/step", json={"state": demo, "steps": 1, "grid": 5}).json()
    assert plain["neurons"] is None
    body = {"state": demo, "steps": 1, "grid": 5, "neuron_grid": 6}
    answer = client.post("/api/train/step", json=body).json()
    hidden = demo["config"]["layers"][:-1]
    maps = answer["neurons"]
    assert len(maps) == sum(hidden)
    assert [(m["layer"], m["index"]) for m in maps][: hidden[0] + 1] == [
        *((1, k) for k in range(1, hidden[0] + 1)),
        (2, 1),
    ]
    assert all(m["size"] == 6 and len(m["scores"]) == 6 and len(m["scores"][0]) == 6 for m in maps)
    # the maps are the engine's, under the answer's weights
    assert maps == json.loads(json.dumps(neurons(Run(answer["state"]), 6)))
    assert answer["boundary"] == plain["boundary"]


def test_the_stream_carries_neuron_maps_too(client):
    body = {"state": _demo(client), "steps": 2, "every": 1, "neuron_grid": 3}
    with client.stream("POST", "/api/train/stream", json=body) as r:
        text = r.read().decode()
    steps = [json.loads(line[6:]) for line in text.splitlines() if line.startswith('data: {"state"')]
    assert len(steps) == 2 and all(len(s["neurons"]) == 32 for s in steps)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"state": {"config": {"dataset": {"name": "lecture"}}}, "neuron_grid": 10}, "2 inputs"),
        ({"neuron_grid": 1}, "greater than or equal to 2"),
        ({"neuron_grid": 101}, "less than or equal to 100"),
        ({"neuron_grid": 100}, "over the limit of"),  # 32 hidden neurons x 100² values
    ],
)
def test_a_bad_neuron_grid_is_a_422_naming_it(client, body, message):
    response = client.post("/api/train/step", json={"state": _demo(client), **body})
    assert response.status_code == 422
    assert any(e["loc"] == ["body", "neuron_grid"] and message in e["msg"] for e in response.json()["detail"])
