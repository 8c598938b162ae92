"""A graph with a custom op (a node made by hand, micrograd-style) draws, and its inspector data
says it has no rule instead of inventing one."""

import math

from app.graph_service import GraphService
from app.render import Renderer
from engine import CUSTOM_OP, Value


def test_a_custom_op_is_drawn_and_its_inspector_data_says_it_has_no_rule():
    x = Value(0.5, label="x")
    t = math.tanh(x.data)
    out = Value(t, (x,), "tanh")  # the lecture's tanh, made by hand

    def _backward():
        x.grad += (1 - t**2) * out.grad

    out._backward = _backward
    answer = GraphService(Renderer()).from_root(out * 2)
    by_op = {node.op: node for node in answer.nodes}
    custom = by_op["tanh"]
    assert custom.derivatives == [CUSTOM_OP] == ["custom op: no local derivative rule"]
    assert custom.local == []
    assert custom.grad == 2.0
    assert by_op["*"].derivatives == ["b", "a"]
    (check,) = answer.checks  # the central difference can't recompute a custom op
    assert (check.label, check.numeric, check.agree) == ("x", None, False)
    assert check.analytic == 2 * (1 - t**2)
    assert "tanh" in answer.svg
