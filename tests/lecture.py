"""The lecture's first worked expression, L = (a*b + c) * f, built with the engine by hand."""

from __future__ import annotations

from engine import Value


def lecture_graph() -> tuple[Value, Value, Value, Value, Value, Value, Value]:
    """(a, b, c, f, e, d, L), labelled as in the lecture; backward not run (L = -8)."""
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = Value(10.0, label="c")
    f = Value(-2.0, label="f")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = d * f
    L.label = "L"
    return a, b, c, f, e, d, L
