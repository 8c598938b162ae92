"""micrograd's README example, exactly as its README writes it, for any Value class."""

from __future__ import annotations

from typing import Any


def readme_example(value_class: type) -> tuple[Any, Any, Any]:
    """(g, a, b): the output and the two inputs; backward not run. micrograd's README prints
    g.data 24.7041, a.grad 138.8338 and b.grad 645.5773 after ``g.backward()``."""
    a = value_class(-4.0)
    b = value_class(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    return g, a, b
