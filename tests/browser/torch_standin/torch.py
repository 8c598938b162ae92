"""A stand-in for the few parts of PyTorch that chainrule's "PyTorch code" export uses.

PyTorch itself is far too large to install for the tests, so the exported code runs against
this module instead (the test puts its folder first on PYTHONPATH). It keeps the rules of
torch's autograd that an export can get wrong, built on chainrule's own engine:
- ``tensor(x, dtype=..., requires_grad=False)`` makes a leaf; a result requires grad when any
  input does;
- ``backward()`` on a result that does not require grad raises, with torch's message;
- after ``backward()``, ``.grad`` is set on leaves that require grad and is None elsewhere.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any

from engine import Value

float64 = "float64"


def _binary_method(f: Callable[[Value, Value], Value]) -> Callable[[Tensor, Any], Tensor]:
    return lambda self, other: self._op(other, f)


def _unary_method(f: Callable[[Value], Value]) -> Callable[[Tensor], Tensor]:
    return lambda self: self._unary(f)


class Tensor:
    def __init__(self, value: Value, requires_grad: bool, leaf: bool) -> None:
        self._value = value
        self.requires_grad = requires_grad
        self.is_leaf = leaf
        self._grad_set = False

    @property
    def grad(self) -> Tensor | None:
        if not (self.is_leaf and self.requires_grad and self._grad_set):
            return None
        return tensor(self._value.grad)

    def item(self) -> float:
        return float(self._value.data)

    def backward(self) -> None:
        if not self.requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
        self._value.backward()
        for leaf in _LEAVES:
            leaf._grad_set = True

    def _op(self, other: object, f: Callable[[Value, Value], Value]) -> Tensor:
        other = other if isinstance(other, Tensor) else tensor(other)  # type: ignore[arg-type]
        return Tensor(f(self._value, other._value), self.requires_grad or other.requires_grad, False)

    def _unary(self, f: Callable[[Value], Value]) -> Tensor:
        return Tensor(f(self._value), self.requires_grad, False)

    __add__ = _binary_method(operator.add)
    __radd__ = _binary_method(lambda a, b: b + a)
    __sub__ = _binary_method(operator.sub)
    __rsub__ = _binary_method(lambda a, b: b - a)
    __mul__ = _binary_method(operator.mul)
    __rmul__ = _binary_method(lambda a, b: b * a)
    __truediv__ = _binary_method(operator.truediv)
    __rtruediv__ = _binary_method(lambda a, b: b / a)
    __pow__ = _binary_method(operator.pow)
    __rpow__ = _binary_method(lambda a, b: b**a)
    __neg__ = _unary_method(operator.neg)
    tanh = _unary_method(Value.tanh)
    exp = _unary_method(Value.exp)
    log = _unary_method(Value.log)
    relu = _unary_method(Value.relu)
    sigmoid = _unary_method(Value.sigmoid)


_LEAVES: list[Tensor] = []


def tensor(x: float, dtype: str | None = None, requires_grad: bool = False) -> Tensor:
    if not isinstance(x, int | float) or not math.isfinite(x):
        raise TypeError(f"tensor() of {x!r}")
    leaf = Tensor(Value(float(x)), requires_grad, True)
    _LEAVES.append(leaf)
    return leaf
