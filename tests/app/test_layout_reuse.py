"""Layout reuse (app/layout.py): a picture whose numbers changed is drawn from its shape's kept
layout, and it is the picture a fresh `dot` run draws, byte for byte.

Every comparison is exact: the reused SVG against `dot -Tsvg` run on the full DOT text (numbers,
grad colours and classes written in) and cleaned like any other picture. Nothing is normalised.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from app.fold import plan
from app.graph_service import GraphService, get_service
from app.layout import LayoutCache, Template
from app.main import app
from app.render import (
    FIELD,
    THEMES,
    GraphTooLarge,
    Look,
    Renderer,
    RenderUnavailable,
    clean_svg,
    number,
    to_dot,
)
from app.schemas import Direction, GraphNode, GraphRequest
from app.settings import Settings, get_settings
from engine.expr import ExprError
from tests.app.test_fuzz import expressions
from tests.app.test_render import script

LECTURE = "L = (a*b + c)*f"
SLOW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def fresh(nodes: list[GraphNode], theme: str = "light", direction: Direction = "LR") -> str:
    """The picture without any reuse: bare dot on the full DOT text, cleaned as the renderer does."""
    drawn, folds, clusters, _ = plan(nodes, [], len(nodes))  # statements framed, none folded
    dot = to_dot(drawn, Look(theme, folds, clusters, direction))
    done = subprocess.run(["dot", "-Tsvg"], input=dot.encode(), capture_output=True, check=True)
    return clean_svg(done.stdout.decode())


def counting(renderer: Renderer) -> list[str]:
    """The DOT texts the renderer hands to dot from now on."""
    runs: list[str] = []
    real = renderer.run_dot
    renderer.run_dot = lambda dot: runs.append(dot) or real(dot)  # type: ignore[method-assign]
    return runs


def value(
    k: int, data: float, grad: float, label: str = "", op: str = "", inputs=(), role="input"
) -> GraphNode:
    inputs = list(inputs)
    return GraphNode(
        id=f"n{k}",
        label=label,
        op=op,
        data=data,
        grad=grad,
        inputs=inputs,
        local=[1.0] * len(inputs),
        derivatives=["1"] * len(inputs),
        role=role,
    )


def pair(x: float, y: float, z: float, w: float) -> list[GraphNode]:
    """a (data x, grad y) and a*a (data z, grad w)."""
    return [value(0, x, y, "a"), value(1, z, w, op="*", inputs=["n0", "n0"], role="output")]


def test_top_to_bottom_keeps_its_own_layout_and_reuses_it_exactly():
    service = GraphService(Renderer(), cache_bytes=0)  # no answer cache: each request is drawn
    runs = counting(service.renderer)
    for direction in ("LR", "TB", "TB", "LR", "TB"):
        for a in (2.0, 3.0):
            request = GraphRequest(source=LECTURE, values=_lecture(a), direction=direction)
            answer = service.answer(request)
            nodes = [GraphNode(**node) for node in json.loads(answer.json)["nodes"]]
            assert answer.svg.decode() == fresh(nodes, direction=direction), (direction, a)
    assert [re.search(r"rankdir=(\w+)", dot)[1] for dot in runs] == ["LR", "TB"]  # type: ignore[index]
    assert service.renderer.layouts.misses == 2 and service.renderer.layouts.hits == 8


# --- a numbers-only change draws without dot, and draws what dot draws --------------------


def test_a_slider_drag_runs_dot_once_and_every_picture_is_a_fresh_layouts():
    service = GraphService(Renderer(), cache_bytes=0)  # no answer cache: each request is drawn
    runs = counting(service.renderer)
    for a in (2.0, 2.5, 3.0, 3.25, 1.75, 2.125):  # every number stays within FIELD characters
        answer = service.answer(GraphRequest(source=LECTURE, values=_lecture(a)))
        nodes = [GraphNode(**node) for node in json.loads(answer.json)["nodes"]]
        assert answer.svg.decode() == fresh(nodes)
    assert len(runs) == 1
    assert service.renderer.layouts.hits == 5 and service.renderer.layouts.misses == 1


def _lecture(a: float) -> dict[str, float]:
    return {"a": a, "b": -3.0, "c": 10.0, "f": -2.0}


@pytest.mark.parametrize("theme", sorted(THEMES))
def test_numbers_whose_text_widths_change_get_a_new_layout_and_the_same_width_reuses_it(theme):
    renderer = Renderer()
    runs = counting(renderer)
    steps = [
        ((1.0, 2.0, 1.0, 1.0), 1),  # first layout
        ((-12345.6789, 3.0, 1.0, -1.0), 2),  # wider: a new layout...
        ((-54321.9876, -3.0, 9.5, 0.5), 2),  # ...reused by numbers as wide
        ((-1.5e-07, 2.0, 1.0, 1.0), 3),  # an exponent ("-1.5e-07", 8 characters)
        ((-2.5e-07, -9.0, 4.0, 3.0), 3),  # as wide
        ((1.234e12, -0.0, math.inf, -math.inf), 4),  # "1.234e+12"; infinities fit in FIELD
        ((-12345.6789, 3.0, math.nan, 0.0), 4),  # the second layout, still kept (the LRU has room)
    ]
    seen = []
    for numbers, layouts in steps:
        nodes = pair(*numbers)
        assert renderer.svg(nodes, Look(theme)) == fresh(nodes, theme), numbers
        seen.append(len(runs))
        assert len(runs) == layouts, (numbers, seen)


@pytest.mark.parametrize("theme", sorted(THEMES))
def test_every_number_of_at_most_field_characters_takes_one_width_and_a_longer_one_more(theme):
    """The data and grad cells have room for FIELD characters as dot measures them, no more:
    a cell sized by guesswork that was too small would make two layouts under one key."""

    def width(x: float) -> float:
        svg = fresh(pair(x, x, 1.0, 1.0), theme)
        return float(re.search(r'viewBox="[\d.]+ [\d.]+ ([\d.]+)', svg)[1])

    short = [0.0, 1.0, -1.5, 10.0, 99.5, -9.5, math.inf, -math.inf, math.nan, 1e-05]
    assert all(len(number(x)) <= FIELD for x in short)
    widths = {width(x) for x in short}
    assert len(widths) == 1
    assert len(number(-10.5)) == FIELD + 1 and width(-10.5) > widths.pop()


@pytest.mark.parametrize(
    "label", ["data 0000000", "grad 0000000", "grad-mask", 'fill="#fe01fe"', "</text></g>"]
)
def test_labels_that_look_like_the_slots_do_not_confuse_the_template(label):
    renderer = Renderer()
    for x in (1.0, -2.0):
        nodes = [value(0, x, x, label), value(1, x, 1.0, label, "tanh", ["n0"], "output")]
        assert renderer.svg(nodes) == fresh(nodes)
    assert renderer.layouts.hits == 1


# --- hypothesis: many graphs and numbers, each picture against a fresh dot ------------------

# numbers of every width: the lecture's, wide ones, exponents, signed zeros, non-finite ones
interesting = st.sampled_from(
    [0.0, -0.0, 1.0, -1.0, 2.0, -8.0, 10.0, -12345.6789, 99999.0, 123456.0, 1e-4, -2.5e-5, 1e300]
    + [math.inf, -math.inf, math.nan]
)
numbers = st.one_of(interesting, st.floats(), st.floats(-20, 20))


@st.composite
def shapes(draw: st.DrawFn) -> list[tuple[str, str, list[int], str]]:
    """(label, op, inputs, role) per node, in topological order, every one leading to the last."""
    leaves = draw(st.integers(1, 4))
    out = [(draw(st.sampled_from(["a", "b", "x1", "", "weight"])), "", [], "input") for _ in range(leaves)]
    for k in range(draw(st.integers(0, 6))):
        arity = draw(st.integers(1, 2))
        inputs = [draw(st.integers(0, len(out) - 1)) for _ in range(arity)]
        op = draw(st.sampled_from(["+", "*"] if arity == 2 else ["tanh", "exp", "**2", "neg"]))
        out.append((draw(st.sampled_from(["", "e", f"t{k}"])), op, inputs, "intermediate"))
    used = {i for _, _, inputs, _ in out for i in inputs}
    for unused in [k for k in range(len(out) - 1) if k not in used]:  # sum them into the output
        out.append(("", "+", [len(out) - 1, unused], "intermediate"))
    if len(out) == 1:
        out.append(("", "tanh", [0], "intermediate"))
    label, op, inputs, _ = out[-1]
    out[-1] = (label, op, inputs, "output")
    return out


def build(shape, numbers: list[tuple[float, float]]) -> list[GraphNode]:
    return [
        value(k, data, grad, label, op, [f"n{i}" for i in inputs], role)
        for k, ((label, op, inputs, role), (data, grad)) in enumerate(zip(shape, numbers, strict=True))
    ]


def cells(nodes: list[GraphNode]) -> list[int]:
    """The width of every number's cell, in characters (FIELD at least)."""
    return [max(len(number(x)), FIELD) for node in nodes for x in (node.data, node.grad)]


def dragged(x: float) -> st.SearchStrategy[float]:
    """What a slider drag makes of a number: any short one, or a long one scaled a little."""
    if len(number(x)) <= FIELD:
        return st.floats(-9.9999, 99.9999)
    return st.floats(0.5, 1.5).map(lambda scale: x * scale)


@SLOW
@given(data=st.data(), shape=shapes(), theme=st.sampled_from(sorted(THEMES)), drag=st.booleans())
def test_reused_pictures_equal_fresh_layouts_on_generated_graphs(data, shape, theme, drag):
    """Two sets of numbers on one graph (the second often a drag of the first, else anything)."""
    renderer = Renderer()
    first = build(
        shape, data.draw(st.lists(st.tuples(numbers, numbers), min_size=len(shape), max_size=len(shape)))
    )
    if drag:
        second = build(shape, [(data.draw(dragged(n.data)), data.draw(dragged(n.grad))) for n in first])
    else:
        numbers_ = st.lists(st.tuples(numbers, numbers), min_size=len(shape), max_size=len(shape))
        second = build(shape, data.draw(numbers_))
    assert renderer.svg(first, Look(theme)) == fresh(first, theme)
    assert renderer.svg(second, Look(theme)) == fresh(second, theme)
    reused = cells(first) == cells(second)
    assert renderer.layouts.hits == (1 if reused else 0)  # reused exactly when the widths match
    event("reused" if reused else "laid out again")


@SLOW
@given(
    expression=expressions,
    values=st.lists(st.fixed_dictionaries(dict.fromkeys("abc", numbers)), min_size=2, max_size=3),
    theme=st.sampled_from(sorted(THEMES)),
)
def test_reused_pictures_equal_fresh_layouts_on_generated_programs(expression, values, theme):
    service = GraphService(Renderer(), cache_bytes=0)
    drawn = 0
    for numbers_ in values:
        finite = {name: x for name, x in numbers_.items() if math.isfinite(x)}
        try:
            answer = service.answer(GraphRequest(source=expression, values=finite, theme=theme))
        except (ExprError, GraphTooLarge):
            continue  # a domain error (log of a negative, an overflow) or a graph too big to draw
        nodes = [GraphNode(**node) for node in json.loads(answer.json)["nodes"]]
        assert answer.svg.decode() == fresh(nodes, theme)
        drawn += 1
    assume(drawn > 0)
    event(f"{service.renderer.layouts.hits} of {drawn} reused")


# --- the cache: bounded in bytes, least recently used first, shared by concurrent misses ----


def test_the_layout_cache_is_bounded_by_bytes_and_drops_the_least_recently_used():
    shapes_ = [[value(0, 1.0, 1.0, "a" * (k + 1))] for k in range(6)]  # six shapes (label widths)
    one = Renderer()
    one.svg(shapes_[0])
    size = one.layouts.bytes
    assert size > 1000  # the SVG itself, roughly
    renderer = Renderer(layout_cache_bytes=3 * size + size // 2)  # room for three
    runs = counting(renderer)
    for nodes in shapes_[:3]:
        renderer.svg(nodes)
    renderer.svg(shapes_[0])  # used again: now the most recent
    renderer.svg(shapes_[3])  # drops shapes_[1], the least recently used
    assert len(renderer.layouts) == 3 and renderer.layouts.bytes <= renderer.layouts.max_bytes
    before = len(runs)
    renderer.svg(shapes_[0])
    renderer.svg(shapes_[2])
    assert len(runs) == before  # both kept
    renderer.svg(shapes_[1])
    assert len(runs) == before + 1  # dropped, laid out again


def test_a_zero_byte_cache_keeps_no_layout_and_still_draws_right():
    renderer = Renderer(layout_cache_bytes=0)
    runs = counting(renderer)
    for a in (1.0, 2.0):
        nodes = pair(a, a, a, a)
        assert renderer.svg(nodes) == fresh(nodes)
    assert len(runs) == 2 and len(renderer.layouts) == 0 and renderer.layouts.bytes == 0


def test_the_setting_sizes_the_apps_layout_cache(monkeypatch):
    monkeypatch.setenv("CHAINRULE_LAYOUT_CACHE_BYTES", "12345")
    get_service.cache_clear()
    get_settings.cache_clear()
    try:
        assert get_service().renderer.layouts.max_bytes == 12345
    finally:
        monkeypatch.delenv("CHAINRULE_LAYOUT_CACHE_BYTES")
        get_settings.cache_clear()
        get_service.cache_clear()
    assert Settings().layout_cache_bytes == 16 * 1024 * 1024


def test_concurrent_requests_for_one_new_shape_lay_it_out_once():
    renderer = Renderer()
    runs = counting(renderer)
    counted = renderer.run_dot
    renderer.run_dot = lambda dot: time.sleep(0.3) or counted(dot)  # type: ignore[method-assign]
    graphs = [pair(float(k), -float(k), float(k * k), 1.0) for k in range(8)]
    with ThreadPoolExecutor(8) as pool:
        pictures = list(pool.map(renderer.svg, graphs))
    assert len(runs) == 1
    for nodes, picture in zip(graphs, pictures, strict=True):
        assert picture == fresh(nodes)


def test_the_cache_is_consistent_under_threads():
    cache = LayoutCache(max_bytes=5 * (Template(("x" * 1000,), ()).bytes + 200))
    errors = []

    def work(t: int) -> None:
        try:
            for i in range(300):
                key = bytes([(i * 7 + t) % 20])
                got = cache.get_or_build(key, lambda key=key: Template((key.hex() * 500,), ()))
                assert got.parts[0] == key.hex() * 500
        except BaseException as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert 0 < len(cache) <= 5 and cache.bytes <= cache.max_bytes
    assert cache.hits + cache.misses == 6 * 300


def test_a_failed_layout_is_not_kept(tmp_path):
    renderer = Renderer(dot_command=script(tmp_path, "echo boom >&2; exit 3"))
    with pytest.raises(RenderUnavailable, match="exit 3"):
        renderer.svg(pair(1.0, 1.0, 1.0, 1.0))
    assert len(renderer.layouts) == 0
    renderer.dot_command = "dot"
    nodes = pair(2.0, 2.0, 2.0, 2.0)
    assert renderer.svg(nodes) == fresh(nodes)


def test_an_svg_without_the_expected_slots_is_drawn_without_reuse(tmp_path):
    # another Graphviz might write its SVG differently: the picture is then dot's, unreused
    renderer = Renderer(dot_command=script(tmp_path, 'cat > /dev/null; echo "<svg>$$</svg>"'))
    first, second = renderer.svg(pair(1.0, 1.0, 1.0, 1.0)), renderer.svg(pair(2.0, 2.0, 2.0, 2.0))
    assert first.startswith("<svg>") and first != second  # two runs of the fake dot
    assert len(renderer.layouts) == 0


# --- through the API ------------------------------------------------------------------------


def test_the_api_draws_a_numbers_only_change_from_the_kept_layout(client):
    service = GraphService(Renderer(), cache_bytes=10**6)
    runs = counting(service.renderer)
    app.dependency_overrides[get_service] = lambda: service
    try:
        answers = [
            client.post("/api/graph", json={"source": LECTURE, "values": _lecture(a)})
            for a in (2.0, 2.5, 3.25)  # every number stays within FIELD characters
        ]
    finally:
        app.dependency_overrides.pop(get_service, None)
    assert [r.status_code for r in answers] == [200, 200, 200]
    for response in answers:
        body = response.json()
        assert body["svg"] == fresh([GraphNode(**node) for node in body["nodes"]])
    assert len(runs) == 1
