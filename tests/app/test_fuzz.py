"""Property tests over the HTTP API: whatever is sent, the answer is a result or a clear 4xx.

- POST /api/graph with any text, with generated valid programs, and with mutations of valid
  programs: a 200 with a whole graph, or a 400 with a message and a real line and column
  (or a 422 with a message when the graph is too big to draw). Never a 5xx.
- POST /api/train/step with hostile states (odd configs; weights, grads and Adam moments
  that are huge, tiny, negative or not numbers at all): a 200 whose state can be stepped
  again, or a 422 naming the field. Never a 5xx, never a non-finite number in the answer.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from app.main import app

API = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def api() -> TestClient:
    with TestClient(app) as client:
        yield client


def strict_json(response) -> Any:
    """The body as JSON, refusing NaN and infinities (a browser's JSON.parse refuses them too)."""

    def refuse(constant: str) -> None:
        raise AssertionError(f"the response contains {constant}")

    return json.loads(response.content, parse_constant=refuse)


def assert_graph_or_clear_error(response, source: str) -> None:
    assert response.status_code in {200, 400, 422}, (response.status_code, response.text[:500])
    body = strict_json(response)
    if response.status_code == 200:
        ids = [node["id"] for node in body["nodes"]]
        assert ids == [f"n{k}" for k in range(len(ids))]
        assert body["output"] == ids[-1]
        assert sorted(body["backward_order"]) == sorted(ids) and body["backward_order"][0] == ids[-1]
        for node in body["nodes"]:
            assert len(node["inputs"]) == len(node["local"]) == len(node["derivatives"])
            assert all(i in ids for i in node["inputs"])
        assert body["svg"].startswith("<svg") and "<script" not in body["svg"]
        event("200")
        return
    detail = body["detail"]
    assert isinstance(detail, dict) and detail["message"], body
    if response.status_code == 400:
        lines = re.split(r"\r\n|\r|\n", source)
        assert 1 <= detail["line"] <= len(lines), (detail, len(lines))
        assert 1 <= detail["column"] <= len(lines[detail["line"] - 1]) + 1, detail
    event(str(response.status_code))


# --- the graph API ----------------------------------------------------------------------

PIECES = ["a", "b", "x1", "_", "2", "0", ".5", "1e308", "1e-320", "(", ")", "+", "-", "*", "/", "**"]
PIECES += ["=", ";", "\n", " ", "tanh(", "exp(", "log(", "relu(", "sigmoid(", "#", ",", ".", "'"]
PIECES += ["−", "×", "а", "\x00", "\u200b", "__import__", "lambda", "\\", "{", "\r"]


@API
@given(source=st.text(max_size=200))
def test_any_text_gives_a_graph_or_a_positioned_error(api, source):
    assert_graph_or_clear_error(api.post("/api/graph", json={"source": source}), source)


@API
@given(source=st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
def test_token_soup_gives_a_graph_or_a_positioned_error(api, source):
    assert_graph_or_clear_error(api.post("/api/graph", json={"source": source}), source)


NAMES = ["a", "b", "c"]
numbers = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False, allow_infinity=False).map(
    lambda x: repr(round(x, 3))
)
atoms = st.one_of(st.sampled_from(NAMES), numbers.map(lambda n: f"({n})"))


def combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.tuples(children, st.sampled_from(["+", "-", "*", "/"]), children).map(
        lambda t: f"({t[0]} {t[1]} {t[2]})"
    )
    power = st.tuples(children, st.sampled_from(["2", "3", "0.5", "-1"])).map(lambda t: f"({t[0]})**{t[1]}")
    call = st.tuples(st.sampled_from(["tanh", "exp", "log", "relu", "sigmoid"]), children).map(
        lambda t: f"{t[0]}({t[1]})"
    )
    return st.one_of(binary, power, call, children.map(lambda c: f"-{c}"))


expressions = st.recursive(atoms, combine, max_leaves=12)


@st.composite
def programs(draw: st.DrawFn) -> str:
    values = [draw(numbers) for _ in NAMES]
    lines = [f"{name} = {value}" for name, value in zip(NAMES, values, strict=True)]
    lines += [f"e{k} = {draw(expressions)}" for k in range(draw(st.integers(0, 2)))]
    lines.append(draw(expressions))
    return draw(st.sampled_from(["\n", "; "])).join(lines)


@API
@given(source=programs())
def test_generated_programs_give_a_graph_or_a_positioned_error(api, source):
    # domain errors (log of a negative, 0 ** -1, overflow) are allowed, as positioned 400s
    assert_graph_or_clear_error(api.post("/api/graph", json={"source": source}), source)


@st.composite
def mutated_programs(draw: st.DrawFn) -> str:
    source = draw(programs())
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(source)))
        kind = draw(st.sampled_from(["insert", "delete", "replace", "duplicate"]))
        piece = draw(st.sampled_from(PIECES))
        if kind == "insert":
            source = source[:at] + piece + source[at:]
        elif kind == "delete":
            source = source[:at] + source[at + draw(st.integers(1, 5)) :]
        elif kind == "replace":
            source = source[:at] + piece + source[at + 1 :]
        else:
            source = source[:at] + source[at : at + 20] * draw(st.integers(2, 50)) + source[at:]
    return source


@API
@given(source=mutated_programs())
def test_mutated_programs_give_a_graph_or_a_positioned_error(api, source):
    assert_graph_or_clear_error(api.post("/api/graph", json={"source": source}), source)


hostile_floats = st.one_of(
    st.floats(),  # NaN, infinities, subnormals, ±0, ±1.8e308
    st.sampled_from([1e308, -1e308, 1e-320, 5e-324, 0.0, -0.0, 1e6, 1e154]),
)
# usually an ordinary number, one time in six a hostile one
mostly_finite = st.sampled_from([False] * 5 + [True]).flatmap(
    lambda hostile: hostile_floats if hostile else st.floats(-100, 100)
)


@API
@given(
    source=programs(),
    values=st.dictionaries(
        st.sampled_from(["a", "b", "c", "z"]) | st.text(max_size=8), mostly_finite, max_size=4
    ),
    h=st.sampled_from([False] * 3 + [True]).flatmap(
        lambda hostile: hostile_floats if hostile else st.floats(1e-9, 1)
    ),
)
def test_hostile_values_and_h_give_a_graph_or_a_clear_error(api, source, values, h):
    body = json.dumps({"source": source, "values": values, "h": h})  # NaN as the literal NaN
    response = api.post("/api/graph", content=body, headers={"content-type": "application/json"})
    if response.status_code == 422 and isinstance(strict_json(response)["detail"], list):
        event("422 validation")
        assert all(e["loc"][0] == "body" and e["msg"] for e in strict_json(response)["detail"])
        return
    assert_graph_or_clear_error(response, source)


# --- the training API -------------------------------------------------------------------

DATASETS = ["lecture", "moons", "circles", "xor", "spiral", "blobs"]


def sometimes(draw: st.DrawFn, good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> Any:
    """Usually a good value, one time in sixteen a hostile one (so many states get stepped)."""
    return draw(bad) if draw(st.sampled_from([False] * 15 + [True])) else draw(good)


@st.composite
def configs(draw: st.DrawFn) -> dict[str, Any]:
    """Small configs (so steps are cheap), with a field out of range or odd now and then."""
    return {
        "dataset": {
            "name": sometimes(draw, st.sampled_from(DATASETS), st.sampled_from(["", "MOONS", "../x"])),
            "n_samples": sometimes(draw, st.integers(2, 40), st.integers(-5, 10**7)),
            "noise": sometimes(draw, st.floats(0, 2), hostile_floats),
            "seed": sometimes(draw, st.integers(0, 2**32 - 1), st.integers(-(2**70), 2**70)),
        },
        "layers": sometimes(draw, st.lists(st.integers(1, 6), max_size=3), st.lists(st.integers(-1, 99)))
        + [1],
        "activation": sometimes(draw, st.sampled_from(["relu", "tanh", "sigmoid"]), st.just("gelu")),
        "loss": sometimes(draw, st.sampled_from(["svm", "mse", "bce"]), st.just("hinge")),
        "reduction": draw(st.sampled_from(["mean", "sum"])),
        "l2": sometimes(draw, st.floats(0, 10), hostile_floats),
        "optimizer": {
            "name": draw(st.sampled_from(["sgd", "adam"])),
            "lr": sometimes(draw, st.floats(1e-4, 100), hostile_floats),
            "schedule": draw(st.sampled_from(["constant", "linear"])),
            "beta1": sometimes(draw, st.floats(0, 0.999), hostile_floats),
            "beta2": sometimes(draw, st.floats(0, 0.9999), hostile_floats),
            "eps": sometimes(draw, st.floats(1e-12, 1), hostile_floats),
        },
        "batch_size": sometimes(draw, st.none() | st.integers(1, 4), st.integers(-3, 10**6)),
        "forget_zero_grad": draw(st.booleans()),
    }


def shaped(draw: st.DrawFn, nin: int, layers: list[int]) -> dict[str, Any]:
    """Weights of the right shape: ordinary numbers, or extreme ones, sometimes one hostile entry."""
    scale = draw(st.sampled_from([1.0, 1.0, 1e-300, 1e5, 1e150, 1e307]))
    shape, width = [], nin
    for n in layers:
        neurons = [{"w": [draw(st.floats(-3, 3)) * scale for _ in range(width)], "b": 0.0} for _ in range(n)]
        shape.append({"neurons": neurons})
        width = n
    if draw(st.integers(0, 3)) == 0:
        layer = draw(st.sampled_from(shape))
        draw(st.sampled_from(layer["neurons"]))["b"] = draw(hostile_floats)
    return {"layers": shape}


@st.composite
def states(draw: st.DrawFn) -> dict[str, Any]:
    config = draw(configs())
    step = sometimes(draw, st.integers(0, 10**9), st.integers(-1, 10**10))
    state: dict[str, Any] = {"config": config, "step": step}
    layers = config["layers"]
    if all(1 <= n <= 8 for n in layers) and sum(layers) <= 20:
        nin = 3 if config["dataset"]["name"] == "lecture" else 2
        for field in ("weights", "grads"):
            if draw(st.booleans()):
                state[field] = shaped(draw, nin, layers)
        if draw(st.booleans()):
            state["optimizer_state"] = {"m": shaped(draw, nin, layers), "v": shaped(draw, nin, layers)}
    return state


def all_finite(x: Any) -> bool:
    if isinstance(x, float):
        return math.isfinite(x)
    if isinstance(x, dict):
        return all(all_finite(v) for v in x.values())
    if isinstance(x, list):
        return all(all_finite(v) for v in x)
    return True


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(state=states(), steps=st.integers(0, 4), grid=st.none() | st.integers(2, 6), predictions=st.booleans())
def test_hostile_training_states_give_a_state_or_a_422(api, state, steps, grid, predictions):
    request = {"state": state, "steps": steps, "grid": grid, "predictions": predictions}
    body = json.dumps(request)  # NaN and infinities as JS-style literals
    response = api.post("/api/train/step", content=body, headers={"content-type": "application/json"})
    assert response.status_code in {200, 422}, (response.status_code, response.text[:500])
    answer = strict_json(response)
    if response.status_code == 422:
        event("422")
        assert answer["detail"] and all(e["loc"][0] == "body" and e["msg"] for e in answer["detail"])
        return
    event("200 stopped" if answer["stopped"] else "200")
    new = answer["state"]
    assert new["step"] == max(state["step"], 0) + len(answer["metrics"])
    assert all_finite(answer)
    again = api.post("/api/train/step", json={"state": new, "steps": 0})  # the answer is a valid state
    assert again.status_code == 200, again.text[:500]
