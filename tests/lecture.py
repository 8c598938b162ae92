"""The lecture's worked examples for tests: L = (a*b + c) * f built with the engine by hand and
as a program, and the tanh neuron's sum as a program."""

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


# the lecture's first graph as a program, one statement a line after the inputs
LECTURE = "a = 2.0; b = -3.0; c = 10.0; f = -2.0\ne = a*b\nd = e + c\nL = d*f"

# the tanh neuron's inputs, weights and sum n, as a program (an output line goes after it)
NEURON_SUM = """\
x1 = 2.0; x2 = 0.0
w1 = -3.0; w2 = 1.0
b = 6.8813735870195432
x1w1 = x1*w1; x2w2 = x2*w2
n = x1w1 + x2w2 + b
"""
