"""chainrule's engine: scalar autograd, neural nets on top, and the expression language."""

from .engine import (
    CUSTOM_OP,
    RULES,
    CustomOpError,
    Edge,
    MathError,
    Rule,
    Value,
    derivative_formulas,
    forward,
    rule_of,
    topological_order,
    trace,
)
from .expr import ExprError, parse
from .gradcheck import Check, central_difference, gradcheck
from .nn import MLP, Layer, Module, Neuron

__all__ = [
    "CUSTOM_OP",
    "MLP",
    "RULES",
    "Check",
    "CustomOpError",
    "Edge",
    "ExprError",
    "Layer",
    "MathError",
    "Module",
    "Neuron",
    "Rule",
    "Value",
    "central_difference",
    "derivative_formulas",
    "forward",
    "gradcheck",
    "parse",
    "rule_of",
    "topological_order",
    "trace",
]
