"""The graph API through TestClient: the lecture's numbers, the picture, errors and limits."""

import asyncio
import json
import math
import stat
import threading
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

import pytest

from app.graph_service import Answer, AnswerCache, GraphService, get_service
from app.main import app
from app.middleware import BodySizeLimit
from app.render import Renderer
from app.schemas import GraphRequest, UnprocessableResponse
from app.settings import get_settings
from tests.lecture import LECTURE, NEURON_SUM

NEURON = NEURON_SUM + "o = tanh(n)\n"


def by_label(body: dict) -> dict[str, dict]:
    return {node["label"]: node for node in body["nodes"] if node["label"]}


def svg_ids(svg: str) -> set[str]:
    return {g.get("id") for g in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}g")}


@pytest.fixture
def use_service():
    """Serve the API with a given GraphService for one test."""

    def install(service: GraphService) -> GraphService:
        app.dependency_overrides[get_service] = lambda: service
        return service

    yield install
    app.dependency_overrides.pop(get_service, None)


def test_graph_gives_the_lecture_numbers(client):
    response = client.post("/api/graph", json={"source": LECTURE})
    assert response.status_code == 200
    body = response.json()
    nodes = by_label(body)
    assert nodes["L"]["data"] == -8.0 and nodes["L"]["grad"] == 1.0
    assert {name: nodes[name]["grad"] for name in "abcf"} == {"a": 6.0, "b": -4.0, "c": -2.0, "f": 4.0}
    assert nodes["d"]["grad"] == -2.0 and nodes["e"]["grad"] == -2.0
    assert body["output"] == nodes["L"]["id"]
    assert nodes["L"]["role"] == "output" and nodes["a"]["role"] == "input"
    assert nodes["e"]["role"] == "intermediate"
    assert nodes["e"]["inputs"] == [nodes["a"]["id"], nodes["b"]["id"]]
    assert nodes["e"]["local"] == [-3.0, 2.0] and nodes["e"]["derivatives"] == ["b", "a"]


def test_graph_ids_are_topological_and_backward_runs_output_first(client):
    body = client.post("/api/graph", json={"source": LECTURE}).json()
    ids = [node["id"] for node in body["nodes"]]
    assert ids == [f"n{k}" for k in range(len(ids))]
    position = {node_id: k for k, node_id in enumerate(ids)}
    for node in body["nodes"]:
        assert all(position[i] < position[node["id"]] for i in node["inputs"])
    assert body["backward_order"] == ids[::-1]
    assert body["backward_order"][0] == body["output"]


def test_graph_gives_the_lecture_neuron(client):
    response = client.post("/api/graph", json={"source": NEURON})
    assert response.status_code == 200
    nodes = by_label(response.json())
    assert nodes["o"]["data"] == pytest.approx(0.7071, abs=1e-4)
    assert nodes["n"]["grad"] == pytest.approx(0.5)
    assert nodes["x1"]["grad"] == pytest.approx(-1.5)
    assert nodes["w1"]["grad"] == pytest.approx(1.0)
    assert nodes["x2"]["grad"] == pytest.approx(0.5)
    assert nodes["w2"]["grad"] == pytest.approx(0.0)


def test_checks_cover_every_labeled_leaf_and_agree(client):
    body = client.post("/api/graph", json={"source": NEURON, "h": 1e-6}).json()
    assert body["h"] == 1e-6
    assert [c["label"] for c in body["checks"]] == ["x1", "w1", "x2", "w2", "b"]
    for check in body["checks"]:
        assert check["agree"] is True
        assert check["numeric"] == pytest.approx(check["analytic"], abs=1e-5)


def test_values_feed_names_the_program_does_not_assign(client):
    response = client.post(
        "/api/graph", json={"source": "L = (a*b + c)*f", "values": {"a": 2, "b": -3, "c": 10, "f": -2}}
    )
    assert response.status_code == 200
    body = response.json()
    assert by_label(body)["a"]["grad"] == 6.0
    assert body["nodes"][-1]["data"] == -8.0


def test_literals_are_constants_and_a_lone_leaf_is_the_output(client):
    nodes = client.post("/api/graph", json={"source": "a = 3.0\ny = 2*a"}).json()["nodes"]
    assert [n["role"] for n in nodes if not n["inputs"]] == ["constant", "input"]
    alone = client.post("/api/graph", json={"source": "a = 3.0"}).json()
    assert alone["nodes"][0]["role"] == "output"
    assert alone["checks"][0]["analytic"] == 1.0 and alone["checks"][0]["agree"] is True


def test_a_value_used_twice_gets_two_edges_and_grad_two(client):
    response = client.post("/api/graph", json={"source": "a = 3.0\ny = a + a"})
    assert response.status_code == 200
    body = response.json()
    a, y = by_label(body)["a"], by_label(body)["y"]
    assert y["inputs"] == [a["id"], a["id"]] and a["grad"] == 2.0
    ids = svg_ids(body["svg"])
    assert f"edge-{a['id']}-{y['id']}-0" in ids and f"edge-{a['id']}-{y['id']}-1" in ids


def test_svg_shows_the_numbers_and_has_every_id(client):
    body = client.post("/api/graph", json={"source": LECTURE}).json()
    svg = body["svg"]
    for text in ("data -8.0000", "grad 6.0000", "grad -4.0000", "data 10.0000", "grad 4.0000"):
        assert text in svg
    ids = svg_ids(svg)
    for node in body["nodes"]:
        assert f"node-{node['id']}" in ids
        if node["op"]:
            assert {f"op-{node['id']}", f"opedge-{node['id']}"} <= ids
            assert {f"edge-{c}-{node['id']}-{i}" for i, c in enumerate(node["inputs"])} <= ids


def test_neuron_svg_shows_the_lecture_numbers(client):
    svg = client.post("/api/graph", json={"source": NEURON}).json()["svg"]
    for text in ("data 0.7071", "grad -1.5000", "grad 1.0000", "grad 0.5000", "grad 0.0000", "tanh"):
        assert text in svg


def test_svg_endpoint_returns_the_picture(client):
    response = client.get(
        "/api/graph.svg",
        params={
            "source": "L = (a*b + c)*f",
            "values": json.dumps({"a": 2, "b": -3, "c": 10, "f": -2}),
            "theme": "dark",
        },
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert response.text.startswith("<svg") and "data -8.0000" in response.text
    assert 'fill="#1b1d22"' in response.text  # the dark background


@pytest.mark.parametrize(
    ("source", "line", "column", "words"),
    [
        ("a = 2\nb = a +* 3", 2, 8, "'+'"),
        ("a = 2\nb = (a + 1", 2, None, "("),
        ("y = z * 2", 1, 5, "'z'"),
        ("a = 0.0\ny = log(a)", 2, None, "log"),
    ],
)
def test_program_errors_are_400_with_a_position(client, source, line, column, words):
    response = client.post("/api/graph", json={"source": source})
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert words in detail["message"]
    assert detail["line"] == line
    assert column is None or detail["column"] == column
    assert detail["column"] >= 1


def test_svg_endpoint_errors_are_json_with_a_position(client):
    response = client.get("/api/graph.svg", params={"source": "a = 2\nb = a +* 3"})
    assert response.status_code == 400
    assert response.json()["detail"] == {
        "message": response.json()["detail"]["message"],
        "line": 2,
        "column": 8,
    }


@pytest.mark.parametrize("values", ["{not json", '{"a": "two"}', "[1, 2]", '{"a": NaN}', "[" * 3000])
def test_svg_endpoint_rejects_bad_values(client, values):
    response = client.get("/api/graph.svg", params={"source": "y = a*2", "values": values})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][:2] == ["query", "values"]


@pytest.mark.parametrize(
    "body",
    [
        {"source": "y = 2", "h": 0},
        {"source": "y = 2", "h": 2},
        {"source": "y = a", "values": {"a": "2"}},
        {"source": "y = 2", "theme": "neon"},
        {"values": {}},
    ],
)
def test_wrong_fields_are_validation_errors(client, body):
    response = client.post("/api/graph", json=body)
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], list)
    UnprocessableResponse.model_validate(response.json())


def test_non_finite_values_are_rejected(client):
    response = client.post(
        "/api/graph",
        content='{"source": "y = a", "values": {"a": Infinity}}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422


def test_overflowing_gradient_is_a_clear_400_at_the_value_it_overflows_for(client):
    # forward is finite (1e-300 * 1e400 = 1e100), but d L / d a = 1e400 is not
    response = client.post("/api/graph", json={"source": "k = 1e200\na = 1e-300\nL = a*k*k"})
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail["message"] == "the gradient of a overflows (it is not a finite number)"
    assert (detail["line"], detail["column"]) == (2, 5)  # where a is made
    unnamed = client.post("/api/graph", json={"source": "x = 1\nL = 1e-300*1e200*1e200"}).json()["detail"]
    assert unnamed["message"] == "the gradient overflows (it is not a finite number)"
    assert (unnamed["line"], unnamed["column"]) == (2, 5)  # the literal 1e-300


def test_body_over_the_limit_is_413(client):
    limit = get_settings().max_body_bytes
    response = client.post("/api/graph", json={"source": "y = 1\n" + "#" * limit})
    assert response.status_code == 413
    assert str(limit) in response.json()["detail"]["message"]


def test_streamed_body_over_the_limit_is_413_before_the_app_reads_it_all():
    seen = []

    async def reader(scope, receive, send):
        while True:
            message = await receive()
            seen.append(len(message["body"]))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    chunks = [b"x" * 40 for _ in range(10)]
    sent = []

    async def receive():
        body = chunks.pop(0)
        return {"type": "http.request", "body": body, "more_body": bool(chunks)}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/", "headers": []}  # no Content-Length
    asyncio.run(BodySizeLimit(reader, max_bytes=100)(scope, receive, send))
    assert sent[0]["status"] == 413
    assert sum(seen) <= 80 and len(chunks) == 7  # stopped at the third chunk


def test_graph_over_the_node_cap_is_422_with_a_message(client):
    # one value per statement: folding cannot make it smaller (the cap counts what is drawn)
    cap = get_settings().max_render_nodes
    source = "x = 1.0\ny = x + x\n" + "y = y + x\n" * cap
    response = client.post("/api/graph", json={"source": source})
    assert response.status_code == 422
    message = response.json()["detail"]["message"]
    assert f"limited to {get_settings().max_render_nodes} values" in message
    UnprocessableResponse.model_validate(response.json())  # as the OpenAPI schema says


def test_a_graph_still_over_the_cap_folded_counts_boxes_not_values(client):
    # 404 values; folded a box per statement, `z = 3*y` is one box: 403 boxes. The message counts
    # boxes, so it does not contradict the 404 values the page lists beside it
    cap = get_settings().max_render_nodes
    source = "x = 1.0\ny = x + x\n" + "y = y + x\n" * cap + "z = 3*y\n"
    response = client.post("/api/graph", json={"source": source})
    assert response.status_code == 422
    message = response.json()["detail"]["message"]
    assert message == (
        f"folded to a box per statement, the graph still has {cap + 3} boxes; pictures are limited "
        f"to {cap} (try a smaller expression)"
    )


def test_dot_timeout_is_503_and_the_service_stays_healthy(client, use_service, tmp_path):
    slow = tmp_path / "slow-dot"
    slow.write_text("#!/bin/sh\nsleep 10\n")
    slow.chmod(slow.stat().st_mode | stat.S_IEXEC)
    use_service(GraphService(Renderer(dot_command=str(slow), timeout=0.3)))
    response = client.post("/api/graph", json={"source": LECTURE})
    assert response.status_code == 503
    assert "longer than 0.3 s" in response.json()["detail"]["message"]
    assert response.headers["retry-after"] == "5"

    app.dependency_overrides.pop(get_service)
    assert client.get("/healthz").status_code == 200
    assert client.post("/api/graph", json={"source": "q = 1.5\nr = q*q"}).status_code == 200


def test_missing_dot_is_503_not_500(client, use_service):
    use_service(GraphService(Renderer(dot_command="/nonexistent/dot")))
    response = client.get("/api/graph.svg", params={"source": LECTURE})
    assert response.status_code == 503
    assert "Graphviz" in response.json()["detail"]["message"]


def test_repeated_requests_hit_the_cache(client, use_service, monkeypatch):
    service = use_service(GraphService(Renderer(), cache_bytes=10**6))
    runs = []
    real = service.renderer.run_dot
    monkeypatch.setattr(service.renderer, "run_dot", lambda dot: runs.append(dot) or real(dot))
    first = client.post("/api/graph", json={"source": LECTURE})
    second = client.post("/api/graph", json={"source": LECTURE})
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert len(runs) == 1 and service.cache.hits == 1
    assert client.get("/api/graph.svg", params={"source": LECTURE}).text == first.json()["svg"]
    assert len(runs) == 1  # the picture endpoint shares the cache

    client.post("/api/graph", json={"source": LECTURE, "theme": "projector"})
    client.post("/api/graph", json={"source": LECTURE, "h": 1e-4})
    assert service.cache.misses == 3  # a different theme or h is a different entry...
    assert len(runs) == 2  # ...but h changes no picture: its layout is reused (app/layout.py)


def test_negative_zero_is_its_own_cache_entry(client, use_service):
    # -0.0 == 0.0 in Python, so a key of plain floats once answered one with the other's graph
    use_service(GraphService(Renderer(), cache_bytes=10**6))
    answers = [
        client.post("/api/graph", json={"source": "y = a*2", "values": {"a": a}}).json() for a in (-0.0, 0.0)
    ]
    data = [next(n["data"] for n in answer["nodes"] if n["label"] == "a") for answer in answers]
    assert [math.copysign(1, d) for d in data] == [-1, 1]


def test_errors_are_not_cached(client, use_service):
    service = use_service(GraphService(Renderer(), cache_bytes=10**6))
    for _ in range(2):
        assert client.post("/api/graph", json={"source": "y = (1"}).status_code == 400
    assert service.cache.hits == 0


def test_only_the_first_leaves_get_a_numeric_check(client, use_service):
    use_service(GraphService(Renderer(), max_checked_leaves=2))
    checks = client.post("/api/graph", json={"source": NEURON}).json()["checks"]
    assert [c["agree"] for c in checks] == [True, True, None, None, None]
    assert [c["numeric"] is None for c in checks] == [False, False, True, True, True]
    assert checks[4]["analytic"] == pytest.approx(0.5)


def test_openapi_documents_the_graph_endpoints(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert "GraphResponse" in json.dumps(paths["/api/graph"]["post"]["responses"]["200"])
    assert "image/svg+xml" in paths["/api/graph.svg"]["get"]["responses"]["200"]["content"]


def test_tangled_graph_is_422_with_a_message(client):
    source = "x = 1.0\ny = x" + " + x*1.5" * 60  # 181 values, but x feeds every rank
    response = client.post("/api/graph", json={"source": source})
    assert response.status_code == 422
    assert "too tangled to lay out in time" in response.json()["detail"]["message"]


def test_cache_is_bounded_by_bytes_least_recently_used_first():
    cache = AnswerCache(max_bytes=100)
    for key in "abc":
        cache.put(key, Answer(b"j" * 20, b"s" * 20))  # 41 bytes each: the key's byte counts too
    assert len(cache) == 2 and cache.bytes == 82
    assert cache.get("a") is None and cache.get("b") is not None
    cache.put("d", Answer(b"j" * 20, b"s" * 20))  # "c" is now the least recently used
    assert cache.get("c") is None and cache.get("b") is not None
    cache.put("huge", Answer(b"j" * 200, b""))  # bigger than the whole cache: not kept
    assert cache.get("huge") is None and cache.bytes == 82
    cache.put("k" * 60, Answer(b"j" * 20, b"s" * 20))  # a long key costs its length
    assert len(cache) == 1 and cache.bytes == 100


def test_identical_requests_arriving_together_run_dot_once():
    service = GraphService(Renderer(), cache_bytes=0)  # no cache: only the sharing is tested
    runs = []
    gate = threading.Event()
    real = service.renderer.run_dot

    def slow_run_dot(dot):
        runs.append(dot)
        gate.wait(5)
        return real(dot)

    service.renderer.run_dot = slow_run_dot
    arrived = []
    real_get = service.cache._get  # the look-up each request makes first
    service.cache._get = lambda key: arrived.append(key) or real_get(key)
    request = GraphRequest(source=LECTURE)
    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(service.answer, request) for _ in range(4)]
        deadline = time.monotonic() + 10
        while len(arrived) < 4 or not runs:  # all four asked while the first is still drawing
            assert time.monotonic() < deadline, "the requests never arrived"
            time.sleep(0.01)
        time.sleep(0.1)  # and have reached the pending build
        gate.set()
        answers = [f.result() for f in futures]
    assert len(runs) == 1
    assert all(a == answers[0] for a in answers)
    service.renderer.run_dot = real
    assert service.answer(request) == answers[0]  # built again later (no cache), same answer


def test_big_graphs_get_fewer_numeric_checks(client, use_service):
    size = len(client.post("/api/graph", json={"source": NEURON}).json()["nodes"])
    use_service(GraphService(Renderer(), max_check_evaluations=3 * size * 3))  # room for three leaves
    checks = client.post("/api/graph", json={"source": NEURON}).json()["checks"]
    assert [c["agree"] for c in checks] == [True, True, True, None, None]


def test_graph_says_where_each_literal_leaf_is_in_the_source(client):
    res = client.post("/api/graph", json={"source": "a = 2.0\nb = -3.0  # b\nL = a*b + 4"})
    assert res.status_code == 200
    assert res.json()["literals"] == [
        {"name": "a", "line": 1, "column": 5, "end_column": 8, "value": 2.0},
        {"name": "b", "line": 2, "column": 5, "end_column": 9, "value": -3.0},
    ]


@pytest.mark.parametrize(("target", "words"), [("micrograd", "a = Value(2.0)"), ("pytorch", "import torch")])
def test_export_gives_the_program_as_python(client, target, words):
    res = client.post("/api/export", json={"source": LECTURE, "target": target})
    assert res.status_code == 200
    body = res.json()
    assert body["target"] == target
    assert words in body["code"] and "L.backward()" in body["code"]


def test_export_takes_values_for_names_the_program_does_not_assign(client):
    res = client.post("/api/export", json={"source": "L = x*2", "values": {"x": 1.5}})
    assert res.status_code == 200
    assert "x = Value(1.5)  # from the values panel" in res.json()["code"]


def test_export_of_a_bad_program_is_400_with_a_position(client):
    res = client.post("/api/export", json={"source": "a = 1.0\nL = a*(b"})
    assert res.status_code == 400
    assert res.json()["detail"]["line"] == 2


@pytest.mark.parametrize(
    "body", [{"source": LECTURE, "target": "jax"}, {"source": LECTURE, "values": {"1x": 2}}]
)
def test_export_rejects_bad_fields(client, body):
    assert client.post("/api/export", json=body).status_code == 422


def _svg_size(svg: str) -> tuple[float, float]:
    root = ET.fromstring(svg)
    return float(root.get("width", "0").rstrip("pt")), float(root.get("height", "0").rstrip("pt"))


def test_direction_tb_draws_a_chain_top_to_bottom_and_lr_or_null_left_to_right(client):
    source = "x = 1.5\n" + "\n".join(f"x{k} = {'x' if k == 0 else f'x{k - 1}'} * 2 + 1" for k in range(6))
    answers = {
        d: client.post("/api/graph", json={"source": source, "direction": d}) for d in ("LR", "TB", None)
    }
    assert all(r.status_code == 200 for r in answers.values())
    svgs = {d: r.json()["svg"] for d, r in answers.items()}
    assert svgs[None] == svgs["LR"] != svgs["TB"]
    wide, tall = _svg_size(svgs["LR"]), _svg_size(svgs["TB"])
    assert wide[0] > 2 * wide[1]  # a long chain: wide left to right
    assert tall[1] > tall[0] and tall[1] / tall[0] > 2 * wide[1] / wide[0]  # and tall top to bottom
    assert answers["TB"].json()["nodes"] == answers["LR"].json()["nodes"]


def test_an_unknown_direction_is_a_422_that_names_the_field(client):
    response = client.post("/api/graph", json={"source": LECTURE, "direction": "RL"})
    assert response.status_code == 422
    assert "direction" in response.text
