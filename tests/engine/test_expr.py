"""The expression language, as tables: source -> structure, and source -> error position and message."""

from __future__ import annotations

import pytest

from engine import Value, topological_order
from engine.expr import (
    Token,
    parse,
    tokenize,
)
from tests.lecture import LECTURE, NEURON_SUM

VALUES = {"a": 2.0, "b": 3.0, "c": 1.5, "f": -2.0, "x": 0.5, "y": 1.5}


def number(x: float) -> str:
    return f"{x:g}"


def sexpr(root: Value, labels: bool = False) -> str:
    """The graph behind ``root`` as an s-expression: leaves by label (or value), ops by _op.

    A constant exponent (micrograd's ``a**2``) is shown as ``(** a 2)``; with ``labels``,
    labeled inner nodes are shown as ``name:(...)``.
    """
    shown: dict[int, str] = {}
    for node in topological_order(root):
        if not node._prev:
            text = node.label or number(node.data)
        else:
            parts = [shown[id(child)] for child in node._prev]
            op = node._op
            if node._arg is not None:
                op, parts = "**", [*parts, number(node._arg)]
            text = f"({op} {' '.join(parts)})"
            if labels and node.label:
                text = f"{node.label}:{text}"
        shown[id(node)] = text
    return shown[id(root)]


def by_label(root: Value) -> dict[str, Value]:
    """The last node with each label (later statements win, as a name is rebound)."""
    return {node.label: node for node in topological_order(root) if node.label}


# --- structure ------------------------------------------------------------------------

STRUCTURE = [
    ("(a*b+c)*f", "(* (+ (* a b) c) f)"),
    ("a*b + c*f", "(+ (* a b) (* c f))"),
    ("a+b*c", "(+ a (* b c))"),
    ("a-b-c", "(- (- a b) c)"),
    ("a-b+c", "(+ (- a b) c)"),
    ("a/b/c", "(/ (/ a b) c)"),
    ("a/b*c", "(* (/ a b) c)"),
    ("a-(b-c)", "(- a (- b c))"),
    ("a**b**c", "(** a (** b c))"),
    ("(a**b)**c", "(** (** a b) c)"),
    ("-a**2", "(neg (** a 2))"),
    ("(-a)**2", "(** (neg a) 2)"),
    ("-a*b", "(* (neg a) b)"),
    ("a*-b", "(* a (neg b))"),
    ("a - -b", "(- a (neg b))"),
    ("a--b", "(- a (neg b))"),
    ("--a", "(neg (neg a))"),
    ("+a", "a"),
    ("+-a", "(neg a)"),
    ("a**-b", "(** a (neg b))"),
    ("a**-b**c", "(** a (neg (** b c)))"),
    ("2**-1", "(** 2 -1)"),
    ("2**3**2", "(** 2 (** 3 2))"),
    ("a**2", "(** a 2)"),
    ("a**(2)", "(** a 2)"),
    ("a**(1+1)", "(** a (+ 1 1))"),
    ("2**a", "(** 2 a)"),
    ("-3", "-3"),
    ("- 3", "-3"),
    ("-(3)", "-3"),
    ("--3", "3"),
    ("-2**2", "(neg (** 2 2))"),
    ("a*-3", "(* a -3)"),
    ("2*a", "(* 2 a)"),
    (".5*a", "(* 0.5 a)"),
    ("2.*a", "(* 2 a)"),
    ("1e-3 + a", "(+ 0.001 a)"),
    ("2.5E+2 - a", "(- 250 a)"),
    ("tanh(a*b)", "(tanh (* a b))"),
    ("exp(2*a)", "(exp (* 2 a))"),
    ("log(c) + relu(b) - sigmoid(a)", "(- (+ (log c) (relu b)) (sigmoid a))"),
    ("tanh(tanh(a))", "(tanh (tanh a))"),
    ("-tanh(a)**2", "(neg (** (tanh a) 2))"),
    ("((a))", "a"),
    ("a  *\tb   # a comment", "(* a b)"),
    ("a*b; c", "c"),
    ("a*b\n\n;;\nc*a\n", "(* c a)"),
    ("y = a*b\ny + 1", "(+ (* a b) 1)"),
    ("e = a*b; d = e + c; L = d*f", "(* (+ (* a b) c) f)"),
    ("z = a; z = z*z; z = z + 1", "(+ (* a a) 1)"),
]


@pytest.mark.parametrize(("source", "expected"), STRUCTURE)
def test_parse_builds_the_expected_graph(source: str, expected: str) -> None:
    assert sexpr(parse(source, VALUES)) == expected


LABELED = [
    ("e = a*b; d = e + c; L = d*f", "L:(* d:(+ e:(* a b) c) f)"),
    ("a = 2; b = -3; c = 10; f = -2; L = (a*b + c)*f", "L:(* (+ (* a b) c) f)"),
    ("n = a*b; o = tanh(n)", "o:(tanh n:(* a b))"),
    ("s = a; s", "a"),  # a bare name: another name for the same node, which keeps its label
    ("t = (a); t*t", "(* a a)"),
    ("t = +a; t", "a"),
    ("k = -2", "k"),
    ("k = 3; k = k*k", "k:(* k k)"),
]


@pytest.mark.parametrize(("source", "expected"), LABELED)
def test_assignment_labels_the_node_it_produces(source: str, expected: str) -> None:
    assert sexpr(parse(source, VALUES), labels=True) == expected


def test_signed_literal_assignment_makes_a_labeled_leaf() -> None:
    for source, data in [("b = -3.0", -3.0), ("c = +10", 10.0), ("h = .5", 0.5), ("m = - 1e-3", -0.001)]:
        node = parse(source)
        assert (node.label, node.data, node._prev, node._op) == (source[0], data, (), "")


def test_assigning_a_bare_name_aliases_the_node() -> None:
    root = parse("a = 2\nd = a\nd * a")
    left, right = root._prev
    assert left is right
    assert left.label == "a"
    assert parse("a = 2; d = a").label == "a"


def test_constant_exponent_is_micrograd_style() -> None:
    node = parse("a**2", VALUES)
    assert (node._op, node._arg, len(node._prev)) == ("**2", 2.0, 1)
    node = parse("a**-0.5", {"a": 4.0})
    assert (node._op, node._arg, node.data) == ("**-0.5", -0.5, 0.5)
    node = parse("a**b", {"a": 2.0, "b": 3.0})
    assert (node._op, node._arg, node.data) == ("**", None, 8.0)


def test_numbers_are_floats() -> None:
    for source in ["2", "2.0", ".5", "1e-3", "007", "2**3**2"]:
        assert type(parse(source).data) is float
    assert parse("2**3**2").data == 512.0
    assert parse("2**-1").data == 0.5
    assert parse("-2**2").data == -4.0
    assert parse("10/4").data == 2.5


def test_values_fill_in_names_never_assigned() -> None:
    root = parse("(a*b + c)*f", {"a": 2, "b": -3, "c": 10, "f": -2, "unused": 1})
    assert root.data == -8.0
    leaves = by_label(root)
    assert {name: leaves[name].data for name in "abcf"} == {"a": 2.0, "b": -3.0, "c": 10.0, "f": -2.0}
    assert all(type(leaves[name].data) is float for name in "abcf")


def test_a_name_used_twice_is_one_leaf() -> None:
    root = parse("a*a + a", {"a": 3})
    assert root.data == 12.0
    assert len([node for node in topological_order(root) if node.label == "a"]) == 1


def test_values_serve_until_a_name_is_assigned() -> None:
    root = parse("b = a*2; a = 3; a + b", {"a": 1})
    assert root.data == 5.0


def test_assignment_wins_over_values() -> None:
    assert parse("a = 5; a*2", {"a": 1}).data == 10.0


def test_statements_can_end_with_semicolons_and_blank_lines() -> None:
    assert parse("a = 1;\n\n b = 2 ; \n a + b ;\n\n").data == 3.0


def test_line_endings_crlf_and_cr() -> None:
    assert parse("a = 1\r\nb = 2\r\na + b").data == 3.0
    assert parse("a = 1\rb = 2\ra * b").data == 2.0


def test_tokenize_reports_lines_and_columns() -> None:
    assert list(tokenize("a = 2.5\n  tanh(a)")) == [
        Token("NAME", "a", 1, 1),
        Token("OP", "=", 1, 3),
        Token("NUMBER", "2.5", 1, 5),
        Token("NEWLINE", "\n", 1, 8),
        Token("NAME", "tanh", 2, 3),
        Token("OP", "(", 2, 7),
        Token("NAME", "a", 2, 8),
        Token("OP", ")", 2, 9),
        Token("END", "", 2, 10),
    ]


def test_parse_does_not_run_backward() -> None:
    root = parse("a*b", VALUES)
    assert all(node.grad == 0 for node in topological_order(root))


# --- the lecture's programs -----------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        LECTURE,
        "a = 2; b = -3; c = 10; f = -2; L = (a*b + c)*f",
        "a = 2.0\nb = -3.0\nc = 10\nf = -2\nL = (a*b + c)*f",
    ],
)
def test_lecture_example_reproduces_its_numbers(source: str) -> None:
    L = parse(source)
    assert L.label == "L"
    assert L.data == -8.0
    L.backward()
    grads = {name: node.grad for name, node in by_label(L).items()}
    assert grads["a"] == 6.0 and grads["b"] == -4.0 and grads["c"] == -2.0 and grads["f"] == 4.0
    assert grads["L"] == 1


def test_lecture_example_with_values_given_separately() -> None:
    L = parse("(a*b+c)*f", {"a": 2.0, "b": -3.0, "c": 10.0, "f": -2.0})
    L.backward()
    grads = {name: node.grad for name, node in by_label(L).items()}
    assert (L.data, grads) == (-8.0, {"a": 6.0, "b": -4.0, "c": -2.0, "f": 4.0})


@pytest.mark.parametrize(
    "output",
    [
        "o = tanh(n)",
        "e = exp(2*n)\no = (e - 1)/(e + 1)",  # tanh written out, as in the lecture
    ],
)
def test_lecture_neuron_reproduces_its_numbers(output: str) -> None:
    o = parse(NEURON_SUM + output)
    assert o.label == "o"
    assert o.data == pytest.approx(0.7071, abs=1e-4)
    o.backward()
    nodes = by_label(o)
    grads = {name: nodes[name].grad for name in ["x1", "x2", "w1", "w2", "b", "n"]}
    expected = {"x1": -1.5, "x2": 0.5, "w1": 1.0, "w2": 0.0, "b": 0.5, "n": 0.5}
    assert grads == pytest.approx(expected, abs=1e-6)


def test_lecture_a_used_twice_accumulates_its_grad() -> None:
    b = parse("a = 3.0\nb = a + a")
    b.backward()
    assert by_label(b)["a"].grad == 2.0
    f = parse("a = -2.0\nb = 3.0\nd = a*b\ne = a + b\nf = d*e")
    f.backward()
    assert (by_label(f)["a"].grad, by_label(f)["b"].grad) == (-3.0, -8.0)


# --- errors ---------------------------------------------------------------------------


def test_a_five_thousand_term_chain_builds_without_recursion() -> None:
    root = parse("+".join(["a"] * 5000), {"a": 1.0})
    assert root.data == 5000.0
    root.backward()
    assert by_label(root)["a"].grad == 5000.0


def test_the_parser_never_evaluates_python() -> None:
    # read our own module's code (not user text): no eval, exec, compile or __import__
    # call, and no import of ast or codeop
    import ast
    from pathlib import Path

    import engine.diagnostics
    import engine.expr

    tree = ast.parse(Path(engine.expr.__file__).read_text() + Path(engine.diagnostics.__file__).read_text())
    calls = [node.func for node in ast.walk(tree) if isinstance(node, ast.Call)]
    called = {func.id for func in calls if isinstance(func, ast.Name)}
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert not called & {"eval", "exec", "compile", "__import__", "getattr", "globals", "locals"}
    assert not imported & {"ast", "codeop", "code", "builtins", "importlib"}
    assert "parse" in called or "_Parser" in called  # the walk saw real calls


def test_positions_say_where_each_node_was_made() -> None:
    positions: dict[int, tuple[int, int]] = {}
    out = parse("a = 2\nb = -3\nL = tanh(a*b) + 1", positions=positions)
    nodes = topological_order(out)
    where = {(n.label or n._op or n.data): positions[id(n)] for n in nodes}
    assert where == {"a": (1, 5), "b": (2, 5), "*": (3, 11), "tanh": (3, 5), 1.0: (3, 17), "L": (3, 15)}


def test_the_diagnostics_know_every_operator_of_the_binding_power_tables() -> None:
    from engine.diagnostics import BINARY_OPERATORS, OPERATORS
    from engine.expr import INFIX, PREFIX

    assert BINARY_OPERATORS == set(INFIX) | set(PREFIX) == set(OPERATORS.split())
