"""`dot` kept running between graphs (app/dot.py): the same pictures as a process per graph,
one process reused, replaced after its quota, killed on a timeout, and a failing `dot` still
reported with what went wrong."""

from __future__ import annotations

import subprocess
import time

import pytest

from app.dot import DotFailed, DotPool
from app.graph_service import get_service
from app.render import Renderer, RenderTimeout, RenderUnavailable, clean_svg
from app.settings import get_settings
from tests.app.test_render import script

# named, as app/render.py names its graphs (dot numbers anonymous ones, counting across a process)
GRAPHS = [
    b"digraph g { a -> b }",
    b'digraph g { rankdir=LR; x [shape=record, label="x|data 2.0000"]; x -> y; y -> z }\n',
    b'digraph g { "&lt;/svg&gt;" -> b; b -> c; a -> c }\n',  # text that reads like the end mark
]


def one_off(dot: bytes) -> bytes:
    return subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, check=True).stdout


def test_a_kept_process_draws_each_graph_as_a_process_of_its_own_would():
    pool = DotPool("dot", max_graphs=100)
    try:
        for dot in GRAPHS * 2:
            assert pool.draw(dot, timeout=10) == one_off(dot)
        assert pool.running == 1 and pool._idle[0].drawn == 6  # one process drew them all
    finally:
        pool.close()
    assert pool.running == 0


def test_a_kept_process_is_replaced_after_its_quota():
    pool = DotPool("dot", max_graphs=2)
    try:
        pool.draw(GRAPHS[0], timeout=10)
        first = pool._idle[0].proc
        pool.draw(GRAPHS[1], timeout=10)
        assert pool.running == 0 and first.poll() is not None  # its quota is drawn: it is gone
        pool.draw(GRAPHS[2], timeout=10)
        assert pool._idle[0].proc.pid != first.pid
    finally:
        pool.close()


def test_a_kept_process_that_takes_too_long_is_killed(tmp_path):
    pool = DotPool(script(tmp_path, "cat > /dev/null"), max_graphs=100)  # reads, never answers
    started = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired):
        pool.draw(GRAPHS[0], timeout=0.3)
    assert time.monotonic() - started < 3
    assert pool.running == 0


def test_a_kept_process_that_exits_fails_and_is_not_kept(tmp_path):
    pool = DotPool("dot", max_graphs=100)
    with pytest.raises(DotFailed):
        pool.draw(b"digraph { a -> ; }\n", timeout=10)  # dot exits on a syntax error
    assert pool.running == 0
    assert pool.draw(GRAPHS[0], timeout=10) == one_off(GRAPHS[0])  # a new one takes over
    pool.close()
    with pytest.raises(DotFailed):
        DotPool(str(tmp_path / "no-such-dot"), max_graphs=100).draw(GRAPHS[0], timeout=10)


def test_the_renderer_with_kept_processes_reports_timeouts_and_failures_as_before(tmp_path):
    slow = Renderer(dot_command=script(tmp_path, "cat > /dev/null"), timeout=0.3, graphs_per_process=50)
    with pytest.raises(RenderTimeout):
        slow.run_dot("digraph g { a -> b }")
    failing = Renderer(dot_command=script(tmp_path, "echo boom >&2; exit 3"), graphs_per_process=50)
    with pytest.raises(RenderUnavailable, match="exit 3"):
        failing.run_dot("digraph g { a -> b }")
    missing = Renderer(dot_command=str(tmp_path / "no-such-dot"), graphs_per_process=50)
    with pytest.raises(RenderUnavailable, match="not available"):
        missing.run_dot("digraph g { a -> b }")
    kept = Renderer(graphs_per_process=50)
    assert kept.run_dot("digraph g { a -> b }") == clean_svg(one_off(b"digraph g { a -> b }").decode())
    assert kept.kept_dot is not None and kept.kept_dot.running == 1
    kept.kept_dot.close()


def test_the_app_keeps_dot_running_as_its_setting_says():
    renderer = get_service().renderer
    assert get_settings().dot_graphs_per_process > 1
    assert renderer.kept_dot is not None
    assert renderer.kept_dot.max_graphs == get_settings().dot_graphs_per_process
    assert Renderer().kept_dot is None  # a bare renderer starts a process per graph
