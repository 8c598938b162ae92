"""GET /api/exercise through TestClient: exercises that draw through the graph API, and the
graph JSON holding every factor the practice page checks an answer with."""

import json
import xml.etree.ElementTree as ET

import pytest

from app.graph_service import GraphService
from app.layout import Template
from app.render import Renderer
from app.schemas import GraphRequest
from app.settings import get_settings
from engine import exercises
from engine.exercises import LEVELS, MAX_SEED, exercise

SEEDS = [0, 1, 2, 3, 42, 1000, 65536, MAX_SEED, *range(100, 110)]  # drawn by dot


def get_exercise(client, level: int, seed: int) -> dict:
    response = client.get("/api/exercise", params={"level": level, "seed": seed})
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize("level", LEVELS)
def test_every_exercise_draws_through_the_graph_api(client, level):
    for seed in SEEDS:
        ex = get_exercise(client, level, seed)
        assert (ex["level"], ex["seed"]) == (level, seed)
        assert ex["title"].startswith(f"Level {level} · ")
        response = client.post("/api/graph", json={"source": ex["source"], "values": ex["values"]})
        assert response.status_code == 200, (ex, response.text)
        body = response.json()
        assert ET.fromstring(body["svg"]).tag == "{http://www.w3.org/2000/svg}svg"
        assert body["checks"] and all(check["agree"] for check in body["checks"])


@pytest.mark.parametrize("level", LEVELS)
def test_many_more_exercises_pass_every_check_the_graph_api_makes_before_drawing(monkeypatch, level):
    """120 seeds a level through the graph service with the app's limits (size, layout, grads
    that overflow, checks); only dot itself is left out, as it takes a while."""
    settings = get_settings()
    renderer = Renderer(max_nodes=settings.max_render_nodes, max_layout=settings.max_layout_size)
    drawn = []

    def layout(picture):  # after the renderer's own checks (prepare), a stand-in for the layout
        drawn.append(picture.nodes)
        return Template(("<svg/>",), ())

    monkeypatch.setattr(renderer, "layout", layout)
    service = GraphService(renderer, settings.max_checked_leaves, settings.max_check_evaluations, 0)
    for seed in range(120):
        ex = exercise(level, seed)
        service.answer(GraphRequest(source=ex.source, values=ex.values))
    assert len(drawn) == 120


def test_an_exercise_draws_as_an_svg_image(client):
    ex = get_exercise(client, 2, 7)
    params = {"source": ex["source"], "values": json.dumps(ex["values"])}
    response = client.get("/api/graph.svg", params=params)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert response.text.startswith("<svg")


@pytest.mark.parametrize("level", LEVELS)
def test_the_graph_json_has_each_grads_upstream_and_local_factors(client, level):
    """What the page needs to check an answer and say which factor is wrong, without doing any
    maths itself: a value's grad is the sum, over the operations that use it, of that
    operation's grad (upstream) times its local derivative for that input."""
    ex = get_exercise(client, level, 5)
    body = client.post("/api/graph", json={"source": ex["source"], "values": ex["values"]}).json()
    nodes = {node["id"]: node for node in body["nodes"]}
    summed = dict.fromkeys(nodes, 0.0)
    for parent in body["nodes"]:
        assert len(parent["local"]) == len(parent["inputs"]) == len(parent["derivatives"])
        for child, local in zip(parent["inputs"], parent["local"], strict=True):
            summed[child] += parent["grad"] * local
    for node_id, node in nodes.items():
        expected = 1.0 if node_id == body["output"] else summed[node_id]
        assert node["grad"] == pytest.approx(expected, rel=1e-12, abs=1e-12), node


def test_the_same_level_and_seed_give_the_same_bytes(client):
    first = client.get("/api/exercise?level=3&seed=42")
    second = client.get("/api/exercise?level=3&seed=42")
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert first.headers["cache-control"] == "public, max-age=3600"
    assert client.get("/api/exercise?level=3&seed=43").json() != first.json()


def test_level_1_exercise_0_is_the_lecture(client):
    ex = get_exercise(client, 1, 0)
    body = client.post("/api/graph", json={"source": ex["source"], "values": ex["values"]}).json()
    grads = {node["label"]: node["grad"] for node in body["nodes"] if node["label"]}
    assert grads == {"a": 6.0, "b": -4.0, "e": -2.0, "c": -2.0, "d": -2.0, "f": 4.0, "L": 1.0}
    assert ex["title"] == "Level 1 · the lecture's first graph"


@pytest.mark.parametrize(
    ("query", "field", "kind"),
    [
        ("seed=1", "level", "missing"),
        ("level=1", "seed", "missing"),
        ("level=0&seed=1", "level", "greater_than_equal"),
        ("level=6&seed=1", "level", "less_than_equal"),
        ("level=1&seed=-1", "seed", "greater_than_equal"),
        (f"level=1&seed={2**31}", "seed", "less_than_equal"),
        ("level=1.5&seed=1", "level", "int_parsing"),
        ("level=one&seed=1", "level", "int_parsing"),
        ("level=1&seed=1e3", "seed", "int_parsing"),
        ("level=1&seed=", "seed", "int_parsing"),
    ],
)
def test_a_bad_level_or_seed_is_a_422_naming_the_field(client, query, field, kind):
    response = client.get(f"/api/exercise?{query}")
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["query", field] and error["type"] == kind
    assert "cache-control" not in response.headers


@pytest.mark.parametrize("level", LEVELS)
def test_an_exercise_no_draw_could_make_is_a_fallback_that_draws_not_a_500(client, monkeypatch, level):
    """Every draw forced to fail (a math error each time): the API still answers with one of the
    level's known-good exercises, which draws through the graph API."""
    failing = {k: (lambda rng: ("L = log(a)", {"a": -1.0}, "never"), lambda nodes: True) for k in LEVELS}
    monkeypatch.setattr(exercises, "LEVEL_DRAWS", failing)
    monkeypatch.setattr(exercises, "MAX_ATTEMPTS", 5)
    ex = get_exercise(client, level, 77)
    choices = exercises.FALLBACK[level]
    assert (ex["level"], ex["seed"]) == (level, 77)
    assert (ex["source"], ex["values"], ex["title"]) == choices[77 % len(choices)]
    response = client.post("/api/graph", json={"source": ex["source"], "values": ex["values"]})
    assert response.status_code == 200, response.text
    assert all(check["agree"] for check in response.json()["checks"])
