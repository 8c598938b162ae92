"""A program of the expression language, written out for other tools.

- ``literals(source)``: where each ``name = number`` statement keeps its number, so a page
  can rewrite that number (a slider) without a parser of its own.
- ``to_python(source, values, target)``: the program as Python that builds the same graph
  with micrograd from PyPI (``"micrograd"``) or with PyTorch (``"pytorch"``) and prints the
  same output and leaf grads.

Both read the parser's own result (``engine.expr``); neither evaluates the text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal, NamedTuple

from .engine import Value, trace
from .expr import INFIX, PREFIX, Statement, Token, _Parser, parse, tokenize

__all__ = ["LiteralSpan", "Target", "literals", "to_python"]

Target = Literal["micrograd", "pytorch"]


class LiteralSpan(NamedTuple):
    """A ``name = number`` statement: the number's place (1-based, on one line) and value."""

    name: str
    line: int
    column: int  # the first character after '=' that is not a space (a sign counts)
    end_column: int  # just past the last character of the number
    value: float


def literals(source: str) -> list[LiteralSpan]:
    """Every ``name = number`` statement of a program ``parse`` accepts, in source order.

    The number may carry signs and parentheses (``x = -(3)``); the span covers all of it.
    """
    found: list[LiteralSpan] = []
    statement: list[Token] = []
    for token in tokenize(source):
        if token.kind in ("NEWLINE", "END") or (token.kind == "OP" and token.text == ";"):
            literal = _literal(statement)
            if literal is not None:
                found.append(literal)
            statement = []
        else:
            statement.append(token)
    return found


def _literal(tokens: list[Token]) -> LiteralSpan | None:
    if len(tokens) < 3 or tokens[0].kind != "NAME" or tokens[1].text != "=":
        return None
    rest = tokens[2:]
    numbers = [t for t in rest if t.kind == "NUMBER"]
    # in a program parse accepts, one number with only signs and parentheses is one literal
    if len(numbers) != 1 or any(t.kind != "NUMBER" and t.text not in "+-()" for t in rest):
        return None
    sign = -1.0 if sum(t.text == "-" for t in rest) % 2 else 1.0
    end = rest[-1].column + len(rest[-1].text)
    return LiteralSpan(tokens[0].text, rest[0].line, rest[0].column, end, sign * float(numbers[0].text))


# ---------------------------------------------------------------------- code export


class _Code(NamedTuple):
    """A printed expression: its text, its operator's binding power (atoms: 100), whether it
    is a Value (or tensor) in Python rather than a plain number, and whether it starts with a sign."""

    text: str
    power: int
    makes_value: bool = False
    signed: bool = False


_ATOM = 100
_UNARY = PREFIX["-"]


def _number(x: float) -> str:
    """A leaf's number as Python writes it: full precision, always with a decimal point."""
    return repr(float(x) + 0.0)  # + 0.0: -0.0 becomes 0.0


def _constant(x: float, token: Token) -> _Code:
    """A number inside an expression, as the program wrote it where it can (``2*n``, not ``2.0*n``)."""
    if token.kind == "NUMBER":
        return _Code(token.text, _ATOM)
    # a signed literal or a constant exponent: only the value is left
    text = str(int(abs(x))) if float(x).is_integer() and abs(x) < 1e15 else repr(abs(x))
    return _Code(f"-{text}", _UNARY, signed=True) if math.copysign(1.0, x) < 0 else _Code(text, _ATOM)


_RESERVED = set(
    "False None True and as assert async await break class continue def del elif else except finally for "
    "from global if import in is lambda nonlocal not or pass raise return try while with yield "
    "print math torch Value name leaf float int out".split()
)


def _py_name(name: str) -> str:
    return f"{name}_" if name in _RESERVED or name.startswith("_") else name


def _paren(code: _Code, need: bool) -> str:
    return f"({code.text})" if need else code.text


class _Printer:
    """Prints the parser's postfix steps as Python, with a stack (no recursion: long chains are fine)."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.used: set[str] = set()  # functions, and 'pow' for a Value exponent in micrograd

    def leaf(self, number: str) -> str:
        if self.target == "micrograd":
            return f"Value({number})"
        return f"torch.tensor({number}, dtype=torch.float64, requires_grad=True)"

    def print(self, steps: list[Any]) -> _Code:
        stack: list[_Code] = []
        for kind, token, number in steps:
            if kind == "num":
                stack.append(_constant(number, token))
            elif kind == "name":
                stack.append(_Code(_py_name(token.text), _ATOM, makes_value=True))
            elif kind == "neg":
                inner = stack[-1]
                text = "-" + _paren(inner, inner.power < _UNARY or inner.signed)
                stack[-1] = _Code(text, _UNARY, inner.makes_value, signed=True)
            elif kind == "call":
                stack[-1] = self.call(token.text, stack[-1])
            elif kind == "powk":
                stack[-1] = self.binary("**", stack[-1], _constant(number, token))
            else:
                right = stack.pop()
                stack[-1] = self.binary(token.text, stack[-1], right)
        return stack[0]

    def call(self, function: str, arg: _Code) -> _Code:
        self.used.add(function)
        if not arg.makes_value:  # tanh(1): a leaf, so that backward() has a graph to run on
            base = self.leaf(arg.text)
        else:
            base = _paren(arg, arg.power < _ATOM or arg.signed)
        return _Code(f"{base}.{function}()", _ATOM, makes_value=True)

    def binary(self, op: str, left: _Code, right: _Code) -> _Code:
        power = INFIX[op][0]
        value = left.makes_value or right.makes_value
        if op == "**":
            if self.target == "micrograd" and right.makes_value:
                self.used.add("pow")  # micrograd's ** takes numbers only
                return _Code(f"_pow({left.text}, {right.text})", _ATOM, makes_value=True)
            text = f"{_paren(left, left.power <= power)}**{_paren(right, right.power < power)}"
            return _Code(text, power, value)
        space = " " if op in "+-" else ""
        right_text = _paren(right, right.power <= power or right.signed)
        return _Code(f"{_paren(left, left.power < power)}{space}{op}{space}{right_text}", power, value)


# PyPI micrograd 0.1.0's Value has +, *, **number, relu; the others are added the way the lecture does
_MICROGRAD_OPS = {
    "tanh": '_add_op("tanh", math.tanh, lambda x, t: 1 - t**2)',
    "exp": '_add_op("exp", math.exp, lambda x, e: e)',
    "log": '_add_op("log", math.log, lambda x, _: 1 / x)',
    "sigmoid": '_add_op("sigmoid", lambda x: 1 / (1 + math.exp(-x)), lambda x, s: s * (1 - s))',
}
_ADD_OP = """
# PyPI micrograd's Value has only relu; add the others the way the lecture does
def _add_op(name, f, df):  # df(x, out) = d out / d x
    def op(self):
        out = Value(f(self.data), (self,), name)

        def _backward():
            self.grad += df(self.data, out.data) * out.grad

        out._backward = _backward
        return out

    if not hasattr(Value, name):
        setattr(Value, name, op)

"""
_POW_HELPER = """

def _pow(a, b):  # a ** b with a Value exponent (micrograd's ** takes numbers only)
    a = a if isinstance(a, Value) else Value(a)
    b = b if isinstance(b, Value) else Value(b)
    out = Value(a.data**b.data, (a, b), '**')

    def _backward():
        a.grad += b.data * a.data ** (b.data - 1) * out.grad
        b.grad += (math.log(a.data) * out.data if a.data > 0 else 0.0) * out.grad

    out._backward = _backward
    return out"""


def _statements(source: str, values: Mapping[str, float]) -> tuple[list[Statement], Value]:
    """The parser's statements of a program ``parse`` accepts (``ExprError`` otherwise), and its graph."""
    root = parse(source, values)
    return _Parser(source, values).program(), root


def to_python(source: str, values: Mapping[str, float] | None = None, target: Target = "micrograd") -> str:
    """The program as a Python script that builds the same graph, runs backward and prints the
    output's value and the grad of each labeled leaf of the graph (``ExprError`` for a bad program)."""
    values = {} if values is None else values
    statements, root = _statements(source, values)
    nodes, _ = trace(root)
    graph_leaves = {node.label for node in nodes if not node._prev and node.label}
    printer = _Printer(target)
    remaining: dict[str, int] = {}  # assignments of each name still to come
    for statement in statements:
        if statement.target is not None:
            remaining[statement.target] = remaining.get(statement.target, 0) + 1
    assigned: set[str] = set()
    free: list[str] = []  # names used before any assignment: from ``values``
    leaves: list[tuple[str, str]] = []  # (label, Python name holding that leaf)
    seen: dict[str, int] = {}
    body: list[str] = []
    output = label = "out"
    for k, statement in enumerate(statements):
        code = printer.print(statement.steps)
        for kind, token, _ in statement.steps:
            if kind == "name" and token.text not in assigned and token.text not in free:
                free.append(token.text)
        last = k == len(statements) - 1
        # a constant output would be a plain Python number: make it a leaf so backward() works
        text = code.text if code.makes_value or not last else printer.leaf(code.text)
        name = statement.target
        if name is None:
            body.append(f"out = {text}")
            output = label = "out"
            continue
        assigned.add(name)
        remaining[name] -= 1
        if len(statement.steps) == 1 and statement.steps[0][0] == "num":
            body.append(f"{_py_name(name)} = {printer.leaf(_number(statement.steps[0][2]))}")
            seen[name] = seen.get(name, 0) + 1
            if remaining[name] > 0:
                alias = f"{_py_name(name)}_leaf{seen[name]}"
                body.append(
                    f"{alias} = {_py_name(name)}  # {name} is reassigned below; keep this leaf for its grad"
                )
                leaves.append((name, alias))
            else:
                leaves.append((name, _py_name(name)))
        else:
            body.append(f"{_py_name(name)} = {text}")
        if last:
            output, label = _py_name(name), name
    head = [
        f"{_py_name(n)} = {printer.leaf(_number(values.get(n, 0.0)))}  # from the values panel" for n in free
    ]
    leaves = [(n, _py_name(n)) for n in free] + leaves
    shown = [(name, py) for name, py in leaves if name in graph_leaves]
    if target == "micrograd":
        lines = ["# chainrule export: runs with micrograd from PyPI (pip install micrograd)"]
        extra = [f for f in ("tanh", "exp", "log", "sigmoid") if f in printer.used]
        helpers = bool(extra) or "pow" in printer.used
        if helpers:
            lines += ["import math", ""]
        lines += ["from micrograd.engine import Value", ""]
        if extra:
            lines += ["", *_ADD_OP.strip("\n").split("\n"), "", "", *(_MICROGRAD_OPS[f] for f in extra)]
        if "pow" in printer.used:
            lines += _POW_HELPER.split("\n")
        if helpers:
            lines += ["", ""]
        lines += [*head, *body, "", f"{output}.backward()", f'print("{label} =", {output}.data)']
        lines += [f'print("{name}.grad =", {py}.grad)' for name, py in shown]
    else:
        lines = [
            "# chainrule export: the same graph in PyTorch (float64, like Python floats)",
            "import torch",
            "",
        ]
        lines += [*head, *body, "", f"{output}.backward()", f'print("{label} =", {output}.item())']
        lines += [f'print("{name}.grad =", {py}.grad.item())' for name, py in shown]
    return "\n".join(lines) + "\n"
