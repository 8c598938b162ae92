"""The bare Value that bench/bench_engine.py measures as a floor is a right engine for + and *:
on the bench's own graphs it gives the engine's results and grads, so what it costs is what
the least correct Value costs, not what a broken one does."""

from __future__ import annotations

import random

import pytest

from bench.bench_engine import Bare, balanced, chain, pairs
from engine import Value

rng = random.Random(7)
LEAVES = [rng.uniform(-1, 1) for _ in range(64)]


def grads(value_class: type, build) -> tuple[float, list[float]]:
    """Root data and every leaf's grad, for leaves made from ``LEAVES`` in order."""
    made: list = []

    class Counted(value_class):  # records the leaves a graph builder makes
        __slots__ = ()

        def __init__(self, data: float) -> None:
            super().__init__(data)
            made.append(self)

    root = build(Counted)
    root.backward()
    return root.data, [leaf.grad for leaf in made]


@pytest.mark.parametrize(
    "build",
    [
        lambda cls: balanced(cls, LEAVES[:33]),  # odd: a node carried up a level
        lambda cls: pairs(cls, LEAVES),
        lambda cls: chain(cls, 40),
        lambda cls: (lambda x: x * x + x * (x + 1.0))(cls(0.5)),  # one leaf on several paths
    ],
    ids=["balanced", "pairs", "chain", "shared leaf"],
)
def test_the_bare_value_gives_the_engines_data_and_grads(build) -> None:
    data, bare_grads = grads(Bare, build)
    expected_data, expected_grads = grads(Value, build)
    assert data == pytest.approx(expected_data, rel=1e-12)
    assert len(bare_grads) == len(expected_grads) > 0
    assert bare_grads == pytest.approx(expected_grads, rel=1e-12, abs=1e-15)


def test_a_shared_leaf_gets_the_hand_worked_grad() -> None:
    x = Bare(0.5)
    y = x * x + x * (x + 1.0)  # 2x² + x: dy/dx = 4x + 1 = 3
    y.backward()
    assert (y.data, x.grad) == (1.0, 3.0)
