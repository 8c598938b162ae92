"""A corpus of hostile and confused inputs: each gets a clear 4xx that says what (and where)."""

from __future__ import annotations

import json
import re
import select
import socket
import time
from typing import Any

import pytest

from app.settings import get_settings
from tests.live import running

LIMIT = get_settings().max_body_bytes


def message_of(response) -> str:
    """The human-readable message of any 4xx the app gives, whatever its shape."""
    detail = response.json()["detail"]
    if isinstance(detail, dict):
        return detail["message"]
    if isinstance(detail, list):
        return "; ".join(e["msg"] for e in detail)
    return detail


# (program, words the message must contain, line, column); every one is a 400
PROGRAMS = [
    ("__import__('os').system('id')", "__", 1, 1),
    ("a = 2\nb = a.__class__", "attribute", 2, 6),
    ("x = 1; x.data", "attribute", 1, 9),
    ("lambda: 1", "keyword", 1, 1),
    ("f = lambda x: x", "keyword", 1, 5),
    ("'rm -rf /'", "strings", 1, 1),
    ('f"{open(1)}"', "strings", 1, 2),
    ("import os", "keyword", 1, 1),
    ("eval('1')", "unknown function", 1, 1),
    ("a = [1, 2]", "square brackets", 1, 5),
    ("a = {}", "curly braces", 1, 5),
    ("a = 1 if 1 else 2", "expected an operator", 1, None),
    ("2**2**2**2**2", "too large", 1, 2),
    ("a = 10.0 ** 400", "too large", 1, 10),
    ("1e999", "too large", 1, 1),
    ("x = 1e308 * 10", "too large", 1, 11),
    ("exp(1000)", "too large", 1, 1),
    ("a = 1e200; b = a*a", "too large", 1, 17),
    ("(" * 5000 + "1" + ")" * 4999, "", 1, None),
    ("(" * 300 + "1" + ")" * 300, "", 1, None),
    ("-" * 3000 + "1", "", 1, None),
    ("9" * 5000, "longer than", 1, 1),
    ("a" * 5000, "longer than", 1, 1),
    ("a = 1\n" * 2000, "limit", None, None),
    ("log(0)", "log", 1, 1),
    ("log(-1)", "log", 1, 1),
    ("a = 0; b = 1/a", "division by zero", 1, 13),
    ("(-8) ** (1/3)", "no real value", 1, 6),
    ("a = (", "never closed", 1, 5),
    ("a = 1 +", "right", 1, 7),
    ("a = )", "')'", 1, 5),
    ("a = b", "'b'", 1, 5),
    ("tanh", "function", 1, 1),
    ("tanh(1, 2)", "one argument", 1, 7),
    ("sqrt(4)", "sqrt", 1, 1),
    ("", "no expression", 1, 1),
    ("# only a comment", "no expression", 1, 1),
    ("ａ = 1", "U+FF41", 1, 1),
    ("а = 1", "CYRILLIC", 1, 1),  # a Cyrillic a
    ("a = 1\u200b", "U+200B", 1, 6),
    ("a\x00 = 1", "U+0000", 1, 2),
    ("a = 1\x1b[31m", "U+001B", 1, 6),
    ("a = 2 × 3", "×", 1, 7),
    ("a = 1\u202e", "U+202E", 1, 6),
]


@pytest.mark.parametrize(("source", "words", "line", "column"), PROGRAMS, ids=lambda x: repr(x)[:40])
def test_hostile_program_is_a_400_with_message_and_position(client, source, words, line, column):
    response = client.post("/api/graph", json={"source": source})
    assert response.status_code == 400, response.text
    detail = response.json()["detail"]
    assert detail["message"] and words in detail["message"]
    assert isinstance(detail["line"], int) and isinstance(detail["column"], int)
    assert detail["line"] >= 1 and detail["column"] >= 1
    if line is not None:
        assert detail["line"] == line
    if column is not None:
        assert detail["column"] == column


# raw bodies for POST /api/graph: (body, status, text the message must contain)
RAW_GRAPH_BODIES = [
    (b'{"source": "a*2", "values": {"a": NaN}}', 422, "finite"),
    (b'{"source": "a*2", "values": {"a": Infinity}}', 422, "finite"),
    (b'{"source": "a*2", "values": {"a": -Infinity}}', 422, "finite"),
    (b'{"source": "a*2", "values": {"a": 1e999}}', 422, "finite"),
    (b'{"source": "a*b", "values": {"a": 1e308, "b": 1e308}}', 400, "too large"),
    (b'{"source": "a", "values": {"a": true}}', 422, "number"),
    (b'{"source": "a", "values": {"a": "1"}}', 422, "number"),
    (b'{"source": "a", "values": [1]}', 422, "dictionary"),
    (b'{"source": "1", "h": 0}', 422, "greater than 0"),
    (b'{"source": "1", "h": NaN}', 422, "finite"),
    (b'{"source": "1", "h": 2}', 422, "less than or equal"),
    (b'{"source": "1", "theme": "<script>"}', 422, "light"),
    (b'{"source": 1}', 422, "string"),
    (b'{"source": null}', 422, "string"),
    (b'{"values": {}}', 422, "required"),
    (b'{"source": ', 422, "JSON"),
    (b"not json at all", 422, "JSON"),
    (b"", 422, "required"),
    (b"\xff\xfe\x00", 422, "not UTF-8"),
    (b'"just a string"', 422, "dictionary"),
    (b"null", 422, "dictionary"),
    (b"[" * 5000 + b"]" * 5000, 422, "nested too deeply"),
    (b'{"source": "a\\ud800"}', 400, "U+D800"),
    (b'{"source": "a*2", "values": {"a": 1' + b"0" * 5000 + b"}}", 422, "too many digits"),
]


@pytest.mark.parametrize(("body", "status", "words"), RAW_GRAPH_BODIES, ids=lambda x: repr(x)[:40])
def test_malformed_graph_request_is_a_clear_4xx(client, body, status, words):
    response = client.post("/api/graph", content=body, headers={"content-type": "application/json"})
    assert response.status_code == status, response.text
    assert words in message_of(response)


@pytest.mark.parametrize("name", ["<script>alert(1)</script>", "a\x00b", "", "x" * 10_000, "1a", "a-b"])
def test_values_with_hostile_names_are_refused_before_any_picture(client, name):
    response = client.post("/api/graph", json={"source": "q = 2.0\nq*q", "values": {name: 1.0}})
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "values"] and "is not a variable name" in error["msg"]
    assert len(error["msg"]) < 200  # a long name is cut short in the message


SVG_QUERIES = [
    ({"source": "__import__('os')"}, 400, "__"),
    ({"source": "a", "values": "{"}, 422, "JSON"),
    ({"source": "a", "values": "[1]"}, 422, "dictionary"),
    ({"source": "a", "values": '{"a": NaN}'}, 422, "finite"),
    ({"source": "a", "values": '{"a": 1' + "0" * 5000 + "}"}, 422, "JSON"),
    ({"source": "a", "values": "[" * 5000}, 422, "JSON"),
    ({"source": "1", "theme": "neon"}, 422, "light"),
    ({}, 422, "required"),
]


@pytest.mark.parametrize(("params", "status", "words"), SVG_QUERIES, ids=lambda x: repr(x)[:40])
def test_hostile_svg_query_is_a_clear_4xx(client, params, status, words):
    response = client.get("/api/graph.svg", params=params)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert words in message_of(response)


def micrograd_demo(client) -> dict[str, Any]:
    presets = client.get("/api/train/presets").json()["presets"]
    return next(p["state"] for p in presets if p["name"] == "micrograd-demo")


def with_bias(state: dict[str, Any], literal: str) -> bytes:
    """The state as JSON with the first bias replaced by a raw literal (NaN, Infinity...)."""
    text = json.dumps({"state": state, "steps": 1})
    assert '"b": 0.0' in text
    return text.replace('"b": 0.0', f'"b": {literal}', 1).encode()


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999", '"0"', "null", "true"])
def test_non_finite_or_wrong_typed_weight_is_a_422_naming_it(client, literal):
    body = with_bias(micrograd_demo(client), literal)
    response = client.post("/api/train/step", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    locs = [e["loc"] for e in response.json()["detail"]]
    assert ["body", "state", "weights", "layers", 0, "neurons", 0, "b"] in locs


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"layers": [64, 64, 64, 64, 64, 1]}, ["body", "state", "config", "layers"]),
        ({"layers": [64] * 7 + [1]}, ["body", "state", "config", "layers"]),
        ({"layers": [10**9, 1]}, ["body", "state", "config", "layers", 0]),
        ({"layers": []}, ["body", "state", "config", "layers"]),
        ({"layers": [4]}, ["body", "state", "config", "layers", 0]),
        ({"dataset": {"n_samples": 10**12}}, ["body", "state", "config", "dataset", "n_samples"]),
        ({"dataset": {"noise": 1e308}}, ["body", "state", "config", "dataset", "noise"]),
        ({"dataset": {"name": "../../etc/passwd"}}, ["body", "state", "config", "dataset", "name"]),
        ({"optimizer": {"lr": 1e308}}, ["body", "state", "config", "optimizer", "lr"]),
        ({"optimizer": {"lr": 0}}, ["body", "state", "config", "optimizer", "lr"]),
        ({"optimizer": {"lr": -1}}, ["body", "state", "config", "optimizer", "lr"]),
        ({"optimizer": {"name": "adam", "beta1": 1}}, ["body", "state", "config", "optimizer", "beta1"]),
        ({"optimizer": {"decay_steps": 0}}, ["body", "state", "config", "optimizer", "decay_steps"]),
        ({"l2": 1e300}, ["body", "state", "config", "l2"]),
        ({"seed": -1}, ["body", "state", "config", "seed"]),
        ({"seed": 2**64}, ["body", "state", "config", "seed"]),
        ({"batch_size": 0}, ["body", "state", "config", "batch_size"]),
        ({"batch_size": 500, "dataset": {"n_samples": 10}}, ["body", "state", "config", "batch_size"]),
        ({"activation": "__import__"}, ["body", "state", "config", "activation"]),
        ({"lr": 1.0}, ["body", "state", "config", "lr"]),  # a misplaced field is named, not ignored
    ],
    ids=lambda x: repr(x)[:50],
)
def test_enormous_or_confused_training_config_is_a_422_naming_the_field(client, change, loc):
    response = client.post("/api/train/step", json={"state": {"config": change}, "steps": 1})
    assert response.status_code == 422, response.text
    errors = response.json()["detail"]
    assert loc in [e["loc"] for e in errors], errors
    assert all(e["msg"] for e in errors)


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"state": {}, "steps": 10**9}, ["body", "steps"]),
        ({"state": {}, "steps": -1}, ["body", "steps"]),
        ({"state": {}, "steps": 1.5}, ["body", "steps"]),
        ({"state": {}, "grid": 10**6}, ["body", "grid"]),
        ({"state": {"config": {"dataset": {"name": "lecture"}}}, "grid": 10}, ["body", "grid"]),
        ({"state": {"step": 10**30}}, ["body", "state", "step"]),
        ({"state": {"version": 2}}, ["body", "state", "version"]),
        ({"state": "x"}, ["body", "state"]),
        ({"state": {"weights": {"layers": [{"neurons": [{"w": [1.0], "b": 0.0}]}]}}}, None),
        ({"state": {"history": [{"step": -1, "loss": 1.0, "accuracy": 2.0}]}}, None),
        ({}, ["body", "state"]),
    ],
    ids=lambda x: repr(x)[:50],
)
def test_hostile_training_request_is_a_422(client, body, loc):
    response = client.post("/api/train/step", json=body)
    assert response.status_code == 422, response.text
    errors = response.json()["detail"]
    assert errors and all(e["msg"] for e in errors)
    if loc is not None:
        assert loc in [e["loc"] for e in errors], errors


def test_weight_beyond_the_limit_is_a_422_naming_it(client):
    state = micrograd_demo(client)
    state["weights"]["layers"][0]["neurons"][0]["w"][0] = 1.7e308
    response = client.post("/api/train/step", json={"state": state, "steps": 1})
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "state", "weights", "layers", 0, "neurons", 0, "w", 0]
    assert "1e+06" in error["msg"]


def test_a_step_that_would_blow_up_stops_the_run_instead_of_failing(client):
    state = micrograd_demo(client)
    state["weights"]["layers"][0]["neurons"][0]["w"][0] = 9.9e5  # just inside the limit
    state["config"]["optimizer"] |= {"lr": 100.0, "schedule": "constant"}  # the L2 pull pushes it out
    response = client.post("/api/train/step", json={"state": state, "steps": 5})
    assert response.status_code == 200
    body = response.json()
    assert body["stopped"] == {"step": 0, "reason": body["stopped"]["reason"]} and body["stopped"]["reason"]
    assert body["metrics"] == [] and body["state"]["weights"] == state["weights"]  # the last good state


@pytest.mark.parametrize(
    "params",
    [
        {"config": "{" * 5000},
        {"config": "[1]"},
        {"config": '{"layers": [64, 64, 64, 64, 64, 1]}'},
        {"preset": "nope"},
        {"preset": "lecture", "config": "{}"},
        {},
        {"preset": "lecture", "until": 10**9},
        {"preset": "lecture", "grid": 10},  # the lecture has 3 inputs
    ],
    ids=lambda x: repr(x)[:50],
)
def test_hostile_stream_query_is_a_422_before_the_stream_starts(client, params):
    response = client.get("/api/train/stream", params=params)
    assert response.status_code == 422, response.text
    assert message_of(response)


@pytest.mark.parametrize("last_event_id", [b"9" * 5000, b"-1", b"1e3", b"\xb2", b"5 ", b"101"])
def test_hostile_last_event_id_is_a_422(client, last_event_id):
    params = {"preset": "lecture", "until": 100}
    response = client.get("/api/train/stream", params=params, headers={"Last-Event-ID": last_event_id})
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["header", "Last-Event-ID"]


@pytest.mark.parametrize(
    ("url", "limit"),
    [("/api/graph", LIMIT), ("/api/train/step", get_settings().max_train_body_bytes)],
)
def test_body_over_the_limit_is_413(client, url, limit):
    response = client.post(url, content=b"{" + b" " * limit + b"}")
    assert response.status_code == 413
    assert str(limit) in message_of(response)


# Over a real socket: the server must answer 413 without reading the body in full.


def read_response(sock: socket.socket) -> bytes:
    """The status line, headers and the Content-Length body of one response."""
    data = b""
    sock.settimeout(10)
    while True:
        head, _, body = data.partition(b"\r\n\r\n")
        length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
        if _ and length and len(body) >= int(length.group(1)):
            return data
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


@pytest.fixture(scope="module")
def server():
    with running() as live:
        yield live


def test_declared_oversize_body_is_413_before_any_byte_is_sent(server):
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(
            b"POST /api/graph HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000000000\r\n\r\n"
        )
        response = read_response(sock)
    assert response.startswith(b"HTTP/1.1 413")
    assert b"larger than the limit" in response


def test_chunked_oversize_body_is_413_before_it_is_all_sent(server):
    """A streamed body with no Content-Length: the server stops it early, not after 100 MB."""
    total = 100 * 1024 * 1024
    chunk = b"x" * 16384
    sent = 0
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(
            b"POST /api/graph HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        deadline = time.monotonic() + 30
        try:
            while sent < total and time.monotonic() < deadline:
                readable, _, _ = select.select([sock], [], [], 0)
                if readable:
                    break  # the server has answered
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server closed the connection after answering
        response = read_response(sock)
    assert response.startswith(b"HTTP/1.1 413"), response[:200]
    assert b"larger than the limit" in response
    assert sent < total / 10  # it stopped reading long before the end
    assert server.healthy()


@pytest.mark.parametrize("url", ["/api/graph", "/api/train/step", "/api/train/init", "/api/train/stream"])
@pytest.mark.parametrize(
    ("body", "why"),
    [(b"\xff[\x1b", "not UTF-8"), (b"[" * 10_000, "nested too deeply"), (b"1" * 5000, "too many digits")],
    ids=["not-utf8", "deep", "digits"],
)
def test_unparsable_body_is_a_422_saying_why_on_every_endpoint(client, url, body, why):
    response = client.post(url, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body"]
    assert why in message_of(response)
