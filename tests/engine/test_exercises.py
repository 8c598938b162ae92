"""Practice exercises: the same for the same level and seed, varied, workable on paper at levels
1-2, free of math errors, growing with the level, and shaped as each level promises."""

import functools
import json
import math
import os
import re
import statistics
import subprocess
import sys
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Value, exercises, gradcheck, parse, trace
from engine.exercises import LEVELS, MAX_SEED, Exercise, exercise
from engine.expr import FUNCTIONS, name_problem

SEEDS = range(1, 201)  # seed 0 is the lecture's graph at levels 1 and 3
NAME = re.compile(r"[A-Za-z_]\w*")


@functools.cache
def made(level: int, seed: int) -> Exercise:
    """exercise(), drawn once per test run (the determinism tests call exercise() itself)."""
    return exercise(level, seed)


def graph(ex: Exercise) -> tuple[Value, list[Value]]:
    """The exercise built by the engine and run backward."""
    root = parse(ex.source, ex.values)
    nodes, _ = trace(root)
    root.backward()
    return root, nodes


def on_paper(x: float) -> bool:
    """A number with at most one decimal (as a fraction: a denominator dividing 10), |x| <= 100."""
    near = Fraction(x).limit_denominator(1000)
    return abs(x) <= 100 and 10 % near.denominator == 0 and abs(float(near) - x) < 1e-9


def ops(nodes: list[Value]) -> set[str]:
    return {node._op for node in nodes if node._prev}


def by_label(nodes: list[Value]) -> dict[str, Value]:
    return {node.label: node for node in nodes if node.label}


@pytest.mark.parametrize("level", LEVELS)
def test_an_exercise_is_the_same_for_the_same_level_and_seed(level):
    for seed in SEEDS:
        assert exercise(level, seed) == exercise(level, seed)


def test_exercises_are_the_same_in_another_process():
    """A teacher's "level 3, exercise 42" is the same exercise on every worker and after a restart
    (nothing depends on hash order: the other process hashes strings differently)."""
    asked = [(level, seed) for level in LEVELS for seed in (1, 42, MAX_SEED)]
    code = "import json, sys; from engine.exercises import exercise\n"
    code += f"json.dump([exercise(*a) for a in {asked}], sys.stdout)"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == json.loads(json.dumps([exercise(*a) for a in asked]))


@settings(max_examples=150, deadline=None)  # a level 5 exercise takes about 50 ms to draw and check
@given(st.sampled_from(LEVELS), st.integers(0, MAX_SEED))
def test_any_seed_gives_a_graph_without_a_math_error(level, seed):
    ex = made(level, seed)
    assert (ex.level, ex.seed) == (level, seed)
    root, nodes = graph(ex)
    assert all(math.isfinite(node.data) and math.isfinite(node.grad) for node in nodes)
    checks = gradcheck(root, [node for node in nodes if not node._prev and node.label])
    assert checks and all(check.ok for check in checks), ex


@pytest.mark.parametrize("level", LEVELS)
def test_no_math_error_over_many_seeds(level):
    for seed in [0, *SEEDS, MAX_SEED]:
        root, nodes = graph(made(level, seed))
        assert all(math.isfinite(node.grad) for node in nodes)
        assert all(check.ok for check in gradcheck(root))


@pytest.mark.parametrize("level", LEVELS)
def test_no_two_seeds_of_a_level_are_alike(level):
    exercises = [made(level, seed) for seed in range(300)]
    assert len({(ex.source, tuple(ex.values.items())) for ex in exercises}) == 300
    # not only the numbers: the programs differ, and so do their shapes with the names taken out
    assert len({ex.source for ex in exercises}) >= 30
    assert len({NAME.sub("N", ex.source) for ex in exercises}) >= 10


@pytest.mark.parametrize("level", [1, 2])
def test_levels_1_and_2_work_out_on_paper(level):
    for seed in [0, *SEEDS]:
        ex = made(level, seed)
        _, nodes = graph(ex)
        for node in nodes:
            assert on_paper(node.data) and on_paper(node.grad), (ex, node)
            assert all(on_paper(d) for d in node._local), (ex, node)


@pytest.mark.parametrize("level", [3, 4, 5])
def test_neurons_are_not_saturated(level):
    """Most grads asked for are worth computing: not a tanh at 0.9999 making every grad ~0."""
    for seed in SEEDS:
        _, nodes = graph(made(level, seed))
        named_leaves = [node for node in nodes if node.label and not node._prev]
        alive = [node for node in named_leaves if abs(node.grad) >= 0.01]
        assert len(alive) >= len(named_leaves) / 2, made(level, seed)


def test_the_paper_check_tells_one_decimal_from_two():
    assert on_paper(-2.5) and on_paper(0.30000000000000004) and on_paper(100)
    assert not on_paper(0.25) and not on_paper(1 / 3) and not on_paper(100.5)


@pytest.mark.parametrize("level", LEVELS)
def test_sizes_grow_with_the_level(level):
    def sizes(lv: int) -> list[int]:
        return [len(graph(made(lv, seed))[1]) for seed in SEEDS]

    if level == 1:
        return
    lower, upper = sizes(level - 1), sizes(level)
    assert statistics.mean(upper) > statistics.mean(lower)
    assert min(upper) >= min(lower) and max(upper) > max(lower)


def test_level_1_is_the_lecture_shape_with_4_to_7_values():
    for seed in SEEDS:
        ex = made(1, seed)
        _, nodes = graph(ex)
        assert ops(nodes) == {"+", "*"}, ex
        assert 4 <= len(ex.values) <= 7
        assert all(not node._prev or node.label for node in nodes)  # every result has a name


def test_level_2_uses_a_value_twice_with_minus_and_divide():
    for seed in SEEDS:
        ex = made(2, seed)
        _, nodes = graph(ex)
        assert {"-", "/"} <= ops(nodes) <= {"+", "-", "*", "/"}, ex
        uses = [id(child) for node in nodes for child in node._prev]
        assert len(uses) > len(set(uses)), ex


def test_level_3_is_one_neuron_with_tanh_exp_log_or_pow():
    seen = set()
    for seed in SEEDS:
        _, nodes = graph(made(3, seed))
        assert ops(nodes) & {"tanh", "exp", "log", "**2", "sigmoid"}
        assert "n" in by_label(nodes) and "o" in by_label(nodes)
        seen |= ops(nodes)
    assert {"tanh", "exp", "log", "**2", "/"} <= seen


def test_level_4_is_a_layer_of_two_neurons_and_a_loss():
    for seed in SEEDS:
        ex = made(4, seed)
        _, nodes = graph(ex)
        named = by_label(nodes)
        assert named["h1"]._op == named["h2"]._op in {"tanh", "relu", "sigmoid"}
        assert named["loss"] is nodes[-1]
        assert "y1" in ex.values and "y2" in ex.values


def test_level_5_is_one_sample_through_an_mlp_with_its_loss():
    for seed in SEEDS:
        ex = made(5, seed)
        _, nodes = graph(ex)
        named = by_label(nodes)
        assert named["loss"] is nodes[-1] and "score" in named and "y" in ex.values
        assert "h1_1" in named and "h1_2" in named  # a hidden layer
        assert ex.values["y"] in (-1.0, 1.0)


def test_seed_0_is_the_lecture():
    _, nodes = graph(exercise(1, 0))
    named = by_label(nodes)
    assert named["L"].data == -8.0
    assert {name: named[name].grad for name in "abcf"} == {"a": 6.0, "b": -4.0, "c": -2.0, "f": 4.0}
    _, nodes = graph(exercise(3, 0))
    named = by_label(nodes)
    assert named["o"].data == pytest.approx(0.7071, abs=1e-4)
    assert named["x1"].grad == pytest.approx(-1.5) and named["w1"].grad == pytest.approx(1.0)


@pytest.mark.parametrize("level", LEVELS)
def test_values_are_exactly_the_names_the_program_needs(level):
    for seed in SEEDS:
        ex = made(level, seed)
        assigned = {line.split(" = ")[0] for line in ex.source.splitlines()}
        used = set(NAME.findall(ex.source)) - assigned - set(FUNCTIONS)
        assert set(ex.values) == used, ex
        assert all(name_problem(name) is None for name in [*ex.values, *assigned])
        assert all(isinstance(v, float) and math.isfinite(v) for v in ex.values.values())


@pytest.mark.parametrize("level", LEVELS)
def test_titles_are_short_and_name_the_level(level):
    for seed in SEEDS:
        title = made(level, seed).title
        assert title.startswith(f"Level {level} · ") and len(title) <= 60


@pytest.mark.parametrize(("level", "seed"), [(0, 1), (6, 1), (1, -1), (1, MAX_SEED + 1)])
def test_a_level_or_seed_out_of_range_is_refused(level, seed):
    with pytest.raises(ValueError, match="level" if level in (0, 6) else "seed"):
        made(level, seed)


def _always_failing_draws(monkeypatch) -> list[int]:
    """Every draw of every level a math error (log of a negative number); the draws counted."""
    calls: list[int] = []

    def draw(rng):
        calls.append(1)
        return "L = log(a)", {"a": -1.0}, "never"

    monkeypatch.setattr(exercises, "LEVEL_DRAWS", {level: (draw, lambda nodes: True) for level in LEVELS})
    return calls


@pytest.mark.parametrize("level", LEVELS)
def test_an_exercise_falls_back_to_a_known_good_one_when_no_draw_passes(monkeypatch, level):
    calls = _always_failing_draws(monkeypatch)
    for seed in (1, 2, 3, MAX_SEED):
        ex = exercise(level, seed)
        assert (ex.level, ex.seed) == (level, seed)
        choices = exercises.FALLBACK[level]
        assert (ex.source, ex.values, ex.title) == choices[seed % len(choices)]
        assert exercise(level, seed) == ex, "the fallback is deterministic too"
    assert len(calls) == 8 * exercises.MAX_ATTEMPTS, "each call tried every draw before falling back"
    assert ex.title.startswith(f"Level {level} · ")


@pytest.mark.parametrize("level", LEVELS)
def test_every_fallback_passes_its_levels_own_checks(level):
    """The fallbacks are held to what a drawn exercise must pass: no math error, every grad
    agreeing with its central difference, and the level's shape (nice numbers at 1-2, ...)."""
    _, good = exercises.LEVEL_DRAWS[level]
    for source, values, title in exercises.FALLBACK[level]:
        nodes = exercises.checked(source, values)
        assert nodes is not None, source
        assert good(nodes), source
        assert title.startswith(f"Level {level} · ") and len(title) <= 60
        assigned = {line.split(" = ")[0] for line in source.splitlines()}
        assert set(values) == set(NAME.findall(source)) - assigned - set(FUNCTIONS), source
