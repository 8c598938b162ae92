"""Properties of the expression language, over generated text and generated programs.

- Any text at all: ``parse`` returns a Value or raises ExprError at a real position.
- Generated valid programs, printed with as few parentheses as the precedence rules allow:
  ``parse`` builds the same graph as the same expression written with the engine's Python
  operators (the way micrograd programs are written), and its gradients match central
  differences wherever the function is smooth enough for central differences to be exact.
- Small mutations of valid programs: still a Value or an ExprError.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from hypothesis import event, given, note, settings
from hypothesis import strategies as st

from engine import MathError, Value, gradcheck, topological_order
from engine.expr import ExprError, parse

from .test_expr import sexpr

PROPERTY = settings(max_examples=200, deadline=None)  # moderate: the suite must stay fast


def assert_value_or_positioned_error(source: str, values: dict[str, float] | None = None) -> Value | None:
    try:
        return parse(source, values)
    except ExprError as error:
        lines = re.split(r"\r\n|\r|\n", source)
        assert 1 <= error.line <= len(lines), (error.line, len(lines))
        assert 1 <= error.column <= len(lines[error.line - 1]) + 1, (error.column, lines[error.line - 1])
        assert error.message and error.message in str(error)
        return None


# --- any text -------------------------------------------------------------------------

FRAGMENTS = [
    "a",
    "b",
    "x1",
    "tanh(",
    "exp(",
    "log(",
    "relu(",
    "sigmoid(",
    "sin(",
    "(",
    ")",
    "+",
    "-",
    "*",
    "/",
    "**",
    "=",
    "==",
    ";",
    "\n",
    "\r\n",
    " ",
    "\t",
    "2",
    ".5",
    "1e-3",
    "1e308",
    "9",
    "0",
    "e",
    "_",
    "__",
    ",",
    ".",
    "#c\n",
    "−",
    "×",
    "а",
    "²",
    "\x00",
    "'",
    "lambda",
    "a =",
]
ASCII_SOUP = st.text(alphabet="ab x12.5e+-*/()=;#\n\r\t,_^[]{}'\"", max_size=80)
FRAGMENT_SOUP = st.lists(st.sampled_from(FRAGMENTS), max_size=60).map("".join)


@PROPERTY
@given(st.one_of(st.text(max_size=120), ASCII_SOUP, FRAGMENT_SOUP))
def test_any_text_gives_a_value_or_a_positioned_error(source: str) -> None:
    assert_value_or_positioned_error(source, {"a": 0.5, "b": -1.5, "x1": 2.0})


# --- generated programs ---------------------------------------------------------------

NAMES = ["x0", "x1", "x2", "x3"]
LITERALS = {"2": 2.0, "2.0": 2.0, ".5": 0.5, "3": 3.0, "1.5": 1.5, "1e-1": 0.1, "0.25": 0.25}
# each function of the language is the Value method of its name
FUNCTIONS: dict[str, Callable[[Value], Value]] = {
    name: getattr(Value, name) for name in ("tanh", "exp", "log", "relu", "sigmoid")
}
BINARY: dict[str, Callable[[Value, Value | float], Value]] = {
    "+": Value.__add__,
    "-": Value.__sub__,
    "*": Value.__mul__,
    "/": Value.__truediv__,
    "**": Value.__pow__,
}
PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "neg": 3, "**": 4}
ATOM = 5


@dataclass
class Tree:
    kind: str  # 'name', 'num', 'neg', 'call', 'bin'
    text: str = ""  # the name, literal, function or operator
    children: tuple[Tree, ...] = ()


@functools.cache
def trees(names: tuple[str, ...]) -> st.SearchStrategy[Tree]:
    leaves = st.one_of(
        st.sampled_from(names).map(lambda n: Tree("name", n)),
        st.sampled_from(list(LITERALS)).map(lambda t: Tree("num", t)),
    )

    def extend(inner: st.SearchStrategy[Tree]) -> st.SearchStrategy[Tree]:
        return st.one_of(
            st.tuples(st.sampled_from(list(BINARY)), inner, inner).map(lambda t: Tree("bin", t[0], t[1:])),
            inner.map(lambda t: Tree("neg", "-", (t,))),
            st.tuples(st.sampled_from(list(FUNCTIONS)), inner).map(lambda t: Tree("call", t[0], (t[1],))),
        )

    return st.recursive(leaves, extend, max_leaves=8)


def render(tree: Tree, draw: Callable[[st.SearchStrategy[bool]], bool]) -> tuple[str, int]:
    """Source text with only the parentheses precedence needs (plus a few drawn extra ones)."""
    if tree.kind in ("name", "num"):
        text, precedence = tree.text, ATOM
    elif tree.kind == "call":
        text, precedence = f"{tree.text}({render(tree.children[0], draw)[0]})", ATOM
    elif tree.kind == "neg":
        operand, inner = render(tree.children[0], draw)
        text, precedence = (
            "-" + (operand if inner >= PRECEDENCE["neg"] else f"({operand})"),
            PRECEDENCE["neg"],
        )
    else:
        (left, lp), (right, rp) = render(tree.children[0], draw), render(tree.children[1], draw)
        precedence = PRECEDENCE[tree.text]
        if tree.text == "**":  # right-associative; its base must be an atom; -b may follow it
            left = left if lp > precedence else f"({left})"
            right = right if rp >= PRECEDENCE["neg"] else f"({right})"
        else:
            left = left if lp >= precedence else f"({left})"
            right = right if rp > precedence else f"({right})"
        space = " " if draw(st.booleans()) else ""
        text = f"{left}{space}{tree.text}{space}{right}"
    if draw(st.integers(0, 9)) == 0:
        text, precedence = f"({text})", ATOM
    return text, precedence


def build(tree: Tree, env: dict[str, Value]) -> Value | float:
    """The same expression written with Python operators on Values, as in micrograd.

    As in Python, a literal is a plain number (so ``-2`` is a number and ``x**2`` has a
    constant exponent); a literal the expression starts from becomes a leaf Value.
    """
    if tree.kind == "name":
        return env[tree.text]
    if tree.kind == "num":
        return LITERALS[tree.text]
    if tree.kind == "neg":
        operand = build(tree.children[0], env)
        return -operand
    if tree.kind == "call":
        return FUNCTIONS[tree.text](lift(build(tree.children[0], env)))
    left, right = (build(child, env) for child in tree.children)
    return BINARY[tree.text](
        lift(left), right if tree.text == "**" and not isinstance(right, Value) else lift(right)
    )


def lift(x: Value | float) -> Value:
    return x if isinstance(x, Value) else Value(x)


@dataclass
class Program:
    source: str
    values: dict[str, float]  # passed to parse
    assigned: dict[str, float]  # leaves the program assigns itself
    statements: list[tuple[str, Tree]]


@st.composite
def programs(draw: st.DrawFn) -> Program:
    values = {name: draw(st.floats(-3, 3, allow_nan=False).map(lambda v: round(v, 3))) for name in NAMES}
    assigned = {}
    statements: list[tuple[str, Tree]] = []
    lines = []
    for name in NAMES:
        if draw(st.booleans()):  # assign it in the program instead of passing a value
            assigned[name] = values.pop(name)
            lines.append(f"{name} = {assigned[name]!r}")
    names = list(NAMES)
    for i in range(draw(st.integers(1, 3))):
        target = f"t{i}"
        tree = draw(trees(tuple(names)))
        statements.append((target, tree))
        lines.append(f"{target} = {render(tree, draw)[0]}")
        names.append(target)
    separator = draw(st.sampled_from(["\n", "; ", "\r\n", " ;\n# note\n"]))
    return Program(separator.join(lines), values, assigned, statements)


def reference(program: Program) -> Value:
    leaves = {**program.values, **program.assigned}
    env = {name: Value(v, label=name) for name, v in leaves.items()}
    result = Value(0.0)
    for target, tree in program.statements:
        result = env[target] = lift(build(tree, env))
        for node in topological_order(result):  # the engine makes a node whose slope isn't finite
            if node._own_backward is not None:  # and fails in backward; parse refuses it at once
                node._own_backward()  # its MathError
        if tree.kind != "name":  # the statement labels the node it makes; a bare name is an alias
            result.label = target
    return result


def smooth(root: Value) -> bool:
    """Whether central differences with h = 1e-5 can be trusted on this graph."""
    for node in topological_order(root):
        if abs(node.data) > 1e3:
            return False
        inputs = [child.data for child in node._prev]
        if node._op == "/" and abs(inputs[1]) < 0.1:
            return False
        if node._op in ("log", "**") and inputs[0] < 0.1:
            return False
        if node._op == "relu" and abs(inputs[0]) < 0.05:  # the kink
            return False
        if node._arg is not None and not float(node._arg).is_integer() and inputs[0] < 0.1:
            return False
        if node._arg is not None and node._arg < 0 and abs(inputs[0]) < 0.1:
            return False
    return True


@PROPERTY
@given(programs())
def test_generated_programs_parse_like_python_and_their_gradients_check(program: Program) -> None:
    source, values, statements = program.source, program.values, program.statements
    note(source)
    try:
        expected: Value | None = reference(program)
    except MathError:
        expected = None
    if expected is None:
        event("arithmetic error")
        try:
            parse(source, values)
        except ExprError as error:
            assert error.line >= 1 and error.column >= 1
            return
        raise AssertionError("parse built a graph the engine can't compute")
    root = parse(source, values)
    assert sexpr(root) == sexpr(expected)
    assert root.data == expected.data
    assert root.label == "t" + str(len(statements) - 1) or statements[-1][1].kind == "name"
    if not smooth(root):
        event("not smooth: gradients not checked")
        return
    event("gradients checked")
    root.backward()
    for check in gradcheck(root):
        assert check.ok, (check.leaf.label or check.leaf.data, check.analytic, check.numeric)


# --- mutations of valid programs ------------------------------------------------------


@PROPERTY
@given(programs(), st.data())
def test_mutated_programs_give_a_value_or_a_positioned_error(program: Program, data: st.DataObject) -> None:
    source, values = program.source, program.values
    index = data.draw(st.integers(0, len(source)))
    how = data.draw(st.sampled_from(["delete", "insert", "duplicate"]))
    if how == "delete":
        mutated = source[:index] + source[index + 1 :]
    elif how == "insert":
        mutated = source[:index] + data.draw(st.sampled_from("()+-*/=;.,e_ 2a\n\t−")) + source[index:]
    else:
        mutated = source[:index] + source[index : index + 1] * 2 + source[index + 1 :]
    note(repr(mutated))
    assert_value_or_positioned_error(mutated, values)


def test_deep_generated_chains_stay_finite_or_raise() -> None:
    # a long product of sigmoids: deep graphs, many nodes, still one clean answer
    source = "x = 0.5\n" + "x = sigmoid(x*1.5 - 0.2)\n" * 300 + "x"
    root = parse(source)
    assert 0 < root.data < 1
    root.backward()
    assert math.isfinite(float(root.grad))
