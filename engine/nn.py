"""Neuron, Layer and MLP on top of Value, written to run micrograd's ``nn.py`` code unchanged.

Initialisation draws ``uniform(-1, 1)`` once per weight, in micrograd's order, from Python's
``random`` (or from ``random.Random(seed)`` when a seed is given), and biases start at 0, so
``random.seed(1337); MLP(2, [16, 16, 1])`` gives micrograd's own weights.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from numbers import Real
from typing import Any

from .engine import Value

ACTIVATIONS = ("relu", "tanh", "sigmoid")

Inputs = Sequence[Value | float] | Value | float  # or a NumPy array: anything list() takes


def inputs(x: Any, n: int) -> list[Value | float]:
    """``x`` as ``n`` inputs: a Value or a number is one; a list, tuple or NumPy row is as
    many as it holds. NumPy numbers become floats. Any other length is a ValueError."""
    xs = [x] if isinstance(x, Value | Real) else list(x)
    if len(xs) != n:
        raise ValueError(f"expected {n} input{'s' if n != 1 else ''}, got {len(xs)}")
    return [xi if isinstance(xi, Value) else float(xi) for xi in xs]


class Module:
    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = 0

    def parameters(self) -> list[Value]:
        return []


class Neuron(Module):
    def __init__(
        self,
        nin: int,
        nonlin: bool = True,
        activation: str = "relu",
        rng: random.Random | None = None,
    ) -> None:
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, not {activation!r}")
        uniform = (rng or random).uniform
        self.w = [Value(uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0)
        self.nonlin = nonlin
        self.activation = activation

    def __call__(self, x: Inputs) -> Value:
        return self.activate(inputs(x, len(self.w)))

    def activate(self, xs: list[Value | float]) -> Value:
        """The neuron on inputs already checked (a Layer checks them once for all its neurons)."""
        act = sum((wi * xi for wi, xi in zip(self.w, xs, strict=True)), self.b)
        return getattr(act, self.activation)() if self.nonlin else act

    def parameters(self) -> list[Value]:
        return self.w + [self.b]

    def __repr__(self) -> str:
        kind = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid"}[self.activation]
        return f"{kind if self.nonlin else 'Linear'}Neuron({len(self.w)})"


class Layer(Module):
    def __init__(self, nin: int, nout: int, **kwargs: Any) -> None:
        self.nin = nin
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def __call__(self, x: Inputs) -> Value | list[Value]:
        xs = inputs(x, self.nin)
        out = [n.activate(xs) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """Layers of ``nouts`` neurons on ``nin`` inputs; every layer but the last is nonlinear."""

    def __init__(self, nin: int, nouts: Sequence[int], activation: str = "relu", seed: int | None = None):
        rng = random.Random(seed) if seed is not None else None
        sz = [nin, *nouts]
        self.layers = [
            Layer(sz[i], sz[i + 1], nonlin=i != len(nouts) - 1, activation=activation, rng=rng)
            for i in range(len(nouts))
        ]

    def __call__(self, x: Inputs) -> Value | list[Value]:
        out: Value | list[Value] | Inputs = x
        for layer in self.layers:
            out = layer(out)  # a one-neuron layer returns a Value; Neuron takes that as [value]
        return out  # type: ignore[return-value]

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
