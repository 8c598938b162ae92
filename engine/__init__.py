"""chainrule's engine: scalar autograd, neural nets on top, and the expression language."""

from .engine import RULES, Edge, MathError, Rule, Value, forward, rule_of, topological_order, trace
from .expr import ExprError, parse
from .gradcheck import Check, central_difference, gradcheck
from .nn import MLP, Layer, Module, Neuron

__all__ = [
    "MLP",
    "RULES",
    "Check",
    "Edge",
    "ExprError",
    "Layer",
    "MathError",
    "Module",
    "Neuron",
    "Rule",
    "Value",
    "central_difference",
    "forward",
    "gradcheck",
    "parse",
    "rule_of",
    "topological_order",
    "trace",
]
