"""The Graphviz renderer on graphs built with the engine directly (no parser, no HTTP)."""

import stat
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from app.graph_service import GraphService
from app.render import (
    THEMES,
    GraphTooLarge,
    Look,
    Renderer,
    RenderTimeout,
    RenderUnavailable,
    clean_svg,
    layout_size,
    number,
    to_dot,
)
from app.schemas import GraphNode, GraphRequest
from engine import Value
from tests.lecture import lecture_graph

SVG = "{http://www.w3.org/2000/svg}"


def lecture() -> Value:
    return lecture_graph()[-1]


def nodes_of(root: Value) -> list[GraphNode]:
    return GraphService(Renderer()).from_root(root).nodes


def groups(svg: str) -> dict[str, str]:
    """id -> class of every <g> in the SVG (parsed as XML, so references are decoded)."""
    tree = ET.fromstring(svg)
    return {g.get("id"): g.get("class") for g in tree.iter(f"{SVG}g")}


def script(tmp_path, body: str) -> str:
    path = tmp_path / "fake-dot"
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def counting_dot(tmp_path) -> tuple[str, Path]:
    """A dot that notes how many copies of it are running, lingers, then draws with the real dot:
    its command, and the file each copy adds the count it saw to."""
    running = tmp_path / "running"
    running.mkdir()
    counts = tmp_path / "counts"
    body = f'touch {running}/$$; ls {running} | wc -l >> {counts}; sleep 0.3; rm {running}/$$; exec dot "$@"'
    return script(tmp_path, body), counts


@pytest.mark.parametrize(
    ("x", "shown"),
    [
        (2.0, "2.0000"),
        (-1.5, "-1.5000"),
        (0.70710678, "0.7071"),
        (0.0, "0.0000"),
        (-0.0, "0.0000"),
        (99999.0, "99999.0000"),
        (123456.0, "1.235e+05"),
        (-2.5e-5, "-2.5e-05"),
        (1e-4, "0.0001"),
    ],
)
def test_numbers_have_four_decimals_or_an_exponent(x, shown):
    assert number(x) == shown


def test_dot_has_one_record_per_value_and_an_op_node_per_operation():
    dot = to_dot(nodes_of(lecture()))
    assert "rankdir=LR" in dot
    assert dot.count('class="value ') == 7
    assert dot.count('class="op"') == 3
    assert "data 2.0000" in dot and "grad 6.0000" in dot
    assert "data -8.0000" in dot and "grad 1.0000" in dot


def test_svg_groups_carry_the_api_ids_and_classes():
    nodes = nodes_of(lecture())
    found = groups(Renderer().svg(nodes))
    for node in nodes:
        cls = found[f"node-{node.id}"].split()
        assert "value" in cls and f"role-{node.role}" in cls
        if node.op:
            assert "op" in found[f"op-{node.id}"].split()
            assert "edge" in found[f"opedge-{node.id}"].split()
            for i, child in enumerate(node.inputs):
                assert "edge" in found[f"edge-{child}-{node.id}-{i}"].split()
    by_label = {n.label: n for n in nodes}
    assert "grad-pos" in found[f"node-{by_label['a'].id}"].split()  # a.grad = 6
    assert "grad-neg" in found[f"node-{by_label['b'].id}"].split()  # b.grad = -4


def test_a_value_used_twice_gets_two_edges():
    a = Value(3.0, label="a")
    nodes = nodes_of(a + a)
    found = groups(Renderer().svg(nodes))
    assert "edge-n0-n1-0" in found and "edge-n0-n1-1" in found
    assert nodes[0].grad == 2.0


def test_grad_sign_class_zero():
    w = Value(1.0, label="w")
    x = Value(0.0, label="x")
    nodes = nodes_of(w * x)
    assert "grad-zero" in groups(Renderer().svg(nodes))["node-n0"].split()


def test_svg_is_inline_ready_and_static():
    svg = Renderer().svg(nodes_of(lecture()))
    assert svg.startswith("<svg")
    for banned in (
        "<?xml",
        "<!DOCTYPE",
        "<!--",
        "&#45;",
        "<script",
        "href",
        "<image",
        "foreignObject",
        "url(",
    ):
        assert banned not in svg
    assert 'font-family="DejaVu Sans' in svg


def test_everything_typed_reaches_dot_escaped():
    nasty = Value(1.0, label='<script>alert("x")</script>&\\"]; n9 [label="')
    svg = Renderer().svg(nodes_of(nasty * 2))
    assert "<script" not in svg and "alert(" in svg  # shown as text, not markup
    ET.fromstring(svg)  # still well-formed XML


def test_long_labels_are_cut_short_in_the_picture_only():
    node = Value(1.0, label="x" * 60)
    nodes = nodes_of(node * 2)
    assert nodes[0].label == "x" * 60
    assert "x" * 60 not in to_dot(nodes) and "x" * 23 + "…" in to_dot(nodes)


@pytest.mark.parametrize("theme", sorted(THEMES))
def test_every_theme_renders_with_its_colours(theme):
    svg = Renderer().svg(nodes_of(lecture()), Look(theme))
    assert f'fill="{THEMES[theme].background}"' in svg
    assert f'fill="{THEMES[theme].grad_colours["neg"].lower()}"' in svg  # Graphviz writes lower case
    assert f'font-size="{THEMES[theme].font_size:.2f}"' in svg


@pytest.mark.parametrize("theme", sorted(THEMES))
def test_each_role_is_drawn_in_its_own_fill(theme):
    fills = THEMES[theme].fills
    assert len(set(fills.values())) == len(fills) == 4  # input, constant, intermediate, output
    tree = ET.fromstring(Renderer().svg(nodes_of(lecture() + 1), Look(theme)))  # + 1: a constant too
    drawn: dict[str, set[str]] = {}
    for g in tree.iter(f"{SVG}g"):
        role = next((c[5:] for c in (g.get("class") or "").split() if c.startswith("role-")), None)
        if role:
            drawn.setdefault(role, set()).update(p.get("fill") for p in g.iter(f"{SVG}polygon"))
            drawn[role].discard("none")  # the record's outline
    assert {role: drawn[role] for role in fills} == {role: {fill.lower()} for role, fill in fills.items()}


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours."""

    def luminance(colour: str) -> float:
        r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize(("theme", "least"), [("light", 4.5), ("dark", 4.5), ("projector", 7.0)])
def test_grad_and_text_colours_are_readable_on_every_fill(theme, least):
    """AA (4.5:1) on a laptop, AAA (7:1) on the projector, for every grad sign on every role."""
    t = THEMES[theme]
    for fill in t.fills.values():
        for colour in [t.text, *t.grad_colours.values()]:
            assert contrast(colour, fill) >= least, (theme, colour, fill)


def test_positive_and_negative_grads_differ_in_hue_not_only_lightness():
    """Blue against vermillion (Okabe-Ito): told apart with any common colour blindness."""
    for theme in THEMES.values():
        pos, neg = theme.grad_colours["pos"], theme.grad_colours["neg"]
        assert int(pos[5:7], 16) > int(pos[1:3], 16)  # blue-ish
        assert int(neg[1:3], 16) > int(neg[5:7], 16)  # red-ish


def test_node_cap_stops_before_layout():
    x = Value(1.0, label="x")
    for _ in range(10):
        x = x + 1
    renderer = Renderer(dot_command="/nonexistent/dot", max_nodes=5)
    with pytest.raises(GraphTooLarge, match="21 values.*limited to 5"):
        renderer.svg(nodes_of(x))


def test_dot_timeout_is_a_clear_error_and_the_renderer_recovers(tmp_path):
    slow = Renderer(dot_command=script(tmp_path, "sleep 10"), timeout=0.2)
    with pytest.raises(RenderTimeout, match="longer than 0.2 s"):
        slow.svg(nodes_of(lecture()))
    slow.dot_command, slow.timeout = "dot", 60.0  # the real dot, with time to spare on a busy machine
    assert slow.svg(nodes_of(lecture())).startswith("<svg")  # the slot was given back


def test_missing_dot_is_unavailable():
    with pytest.raises(RenderUnavailable, match="not available"):
        Renderer(dot_command="/nonexistent/dot").svg(nodes_of(lecture()))


def test_failing_dot_is_unavailable(tmp_path):
    broken = Renderer(dot_command=script(tmp_path, "echo boom >&2; exit 3"))
    with pytest.raises(RenderUnavailable, match="exit 3"):
        broken.svg(nodes_of(lecture()))


def test_busy_slots_give_a_clear_error():
    renderer = Renderer(max_processes=1, timeout=0.1)
    renderer._slots.acquire()  # another request is drawing
    try:
        with pytest.raises(RenderUnavailable, match="busy"):
            renderer.svg(nodes_of(lecture()))
    finally:
        renderer._slots.release()
    renderer.timeout = 60.0
    assert renderer.svg(nodes_of(lecture())).startswith("<svg")


def test_at_most_max_processes_dots_run_at_once_under_concurrent_requests(tmp_path):
    dot, counts = counting_dot(tmp_path)
    service = GraphService(Renderer(dot_command=dot, max_processes=2, timeout=60.0), cache_bytes=0)
    # all different shapes (a shape already laid out is drawn without dot)
    requests = [GraphRequest(source="y = x" + " + 1" * (k + 1), values={"x": 1.0}) for k in range(8)]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(service.answer, requests))
    assert len(answers) == 8
    seen = [int(line) for line in counts.read_text().split()]
    assert len(seen) == 8 and max(seen) == 2  # two at a time, never three


def test_clean_svg_drops_prologue_and_comments():
    raw = '<?xml version="1.0"?>\n<!DOCTYPE svg>\n<!-- n0 -->\n<svg><g id="node&#45;n0"/></svg>'
    assert clean_svg(raw) == '<svg><g id="node-n0"/></svg>'


def test_layout_size_grows_with_the_ranks_a_reused_value_spans():
    def hub(k: int) -> list[GraphNode]:
        x = Value(1.0, label="x")
        y = x
        for _ in range(k):
            y = y + x * 1.5
        return nodes_of(y)

    small, double = layout_size(hub(20)), layout_size(hub(40))
    assert len(hub(40)) < 2.1 * len(hub(20))
    assert double > 3 * small  # the long edges from x grow quadratically
    assert layout_size(nodes_of(lecture())) < 40


def test_a_tangled_graph_is_refused_before_layout():
    x = Value(1.0, label="x")
    y = x
    for _ in range(60):
        y = y + x * 1.5
    renderer = Renderer(dot_command="/nonexistent/dot")  # would fail if dot were run
    with pytest.raises(GraphTooLarge, match="too tangled to lay out in time"):
        renderer.svg(nodes_of(y))


def test_unicode_labels_are_drawn_and_broken_ones_do_not_crash():
    alpha = Value(2.0, label="α")
    broken = Value(3.0, label="\ud800b")  # a lone surrogate, as JSON can carry
    svg = Renderer().svg(nodes_of(alpha * broken))
    assert ">α<" in svg and "?b" in svg
