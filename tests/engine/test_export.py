"""engine/export.py: the literals a page may rewrite, and the program as micrograd and PyTorch code.

The exported code is run (micrograd from PyPI; PyTorch through the stand-in with torch's autograd
rules in tests/browser/torch_standin) and must print the engine's own value and grads."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from engine import ExprError, parse, trace
from engine.export import LiteralSpan, literals, to_python

ROOT = Path(__file__).resolve().parents[2]
TORCH_STANDIN = ROOT / "tests" / "browser" / "torch_standin"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("a = 2.0", [LiteralSpan("a", 1, 5, 8, 2.0)]),
        ("b = -3.0", [LiteralSpan("b", 1, 5, 9, -3.0)]),
        ("x = -(3)  # a comment", [LiteralSpan("x", 1, 5, 9, -3.0)]),
        ("y = (2.5e1); z = +4", [LiteralSpan("y", 1, 5, 12, 25.0), LiteralSpan("z", 1, 18, 20, 4.0)]),
        ("# first\n\nk = - -1.5\nL = k*2", [LiteralSpan("k", 3, 5, 11, 1.5)]),
        ("a = 2.0\nb = a*3\nc = 4", [LiteralSpan("a", 1, 5, 8, 2.0), LiteralSpan("c", 3, 5, 6, 4.0)]),
        ("L = x*2", []),  # an expression, not a literal
        ("d = 2*3", []),
    ],
)
def test_literals_are_the_name_equals_number_statements(source: str, expected: list[LiteralSpan]) -> None:
    assert literals(source) == expected


def test_a_literal_span_rewrites_the_number_alone() -> None:
    source = "a = 2.0\nb = -3.0  # b\nL = a*b"
    (_, b, *_) = literals(source)
    lines = source.split("\n")
    line = lines[b.line - 1]
    lines[b.line - 1] = line[: b.column - 1] + "0.5" + line[b.end_column - 1 :]
    assert lines[1] == "b = 0.5  # b"
    assert parse("\n".join(lines)).data == 1.0


LECTURE = "a = 2.0\nb = -3.0\nc = 10.0\nf = -2.0\ne = a*b\nd = e + c\nL = d*f\n"

# the lecture's programs, and programs that stress the export: a Value exponent, a name assigned
# twice, Python's and the export's own names, a bare expression as the output, names from values,
# a constant output, functions of constants
PROGRAMS = [
    (LECTURE, {}),
    (
        "x1 = 2.0\nx2 = 0.0\nw1 = -3.0\nw2 = 1.0\nb = 6.8813735870195432\nn = x1*w1 + x2*w2 + b\no = tanh(n)",
        {},
    ),
    ("x = 2.0\ny = 3.0\nz = x**y + y**2 - 2**x", {}),
    ("a = 2.0\na = a*3 + a\nb = sigmoid(a) + log(a) + exp(-a) - relu(-a) + -a**2", {}),
    ("print = 1.5\nmath = -2.0\nValue = 0.5\ntorch = 3.0\nout = print*math/(print - math) + Value*torch", {}),
    ("u = 0.5; v = -1.25\ntanh(u*v) + 2**u - (u - v)**-1", {}),
    ("L = x*y + tanh(x)", {"x": 0.75, "y": -2.0}),
    ("L = 2*3 + tanh(1)", {}),
    ("x = 0.3\ny = x**tanh(1) + 2**tanh(x) + tanh(tanh(0.5))", {}),
    (
        "a = -4.0\nb = 2.0\nc = a + b\nd = a*b + b**3\nc = c + (c + 1)\n"
        "d = d + (d*2 + relu(b + a))\ng = (d - c)**2/2.0",
        {},
    ),
]


def _run(code: str, tmp_path: Path, env: dict[str, str] | None = None) -> tuple[float, dict[str, float]]:
    """The printed output value (the first line) and grads."""
    script = tmp_path / "export.py"
    script.write_text(code)
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60, env=env)
    assert run.returncode == 0, run.stderr + code
    value = re.match(r"\w+ = (\S+)$", run.stdout.splitlines()[0])
    assert value, run.stdout
    grads = {f"{name}.grad": float(x) for name, x in re.findall(r"^(\w+)\.grad = (\S+)$", run.stdout, re.M)}
    return float(value.group(1)), grads


def _engine_answer(source: str, values: dict[str, float]) -> tuple[float, dict[str, float]]:
    root = parse(source, values)
    root.backward()
    nodes, _ = trace(root)
    return root.data, {f"{n.label}.grad": n.grad for n in nodes if not n._prev and n.label}


@pytest.mark.parametrize("target", ["micrograd", "pytorch"])
@pytest.mark.parametrize(("source", "values"), PROGRAMS)
def test_exported_code_prints_the_engines_value_and_grads(
    tmp_path: Path, target: str, source: str, values: dict[str, float]
) -> None:
    code = to_python(source, values, target)  # type: ignore[arg-type]
    ast.parse(code)
    env = None
    if target == "pytorch":
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TORCH_STANDIN), str(ROOT)])}
    printed_value, printed = _run(code, tmp_path, env)
    value, grads = _engine_answer(source, values)
    assert set(printed) == set(grads)
    for name, grad in grads.items():
        assert printed[name] == pytest.approx(grad, rel=1e-9, abs=1e-12), (name, code)
    assert printed_value == pytest.approx(value, rel=1e-12)


def test_micrograd_export_reads_like_the_lecture() -> None:
    code = to_python(LECTURE)
    assert "from micrograd.engine import Value" in code
    assert "a = Value(2.0)\nb = Value(-3.0)" in code
    assert "e = a*b\nd = e + c\nL = d*f\n\nL.backward()" in code
    assert 'print("a.grad =", a.grad)' in code
    assert "import math" not in code  # no helpers needed for + and *


def test_pytorch_export_keeps_the_programs_numbers_and_parentheses() -> None:
    code = to_python("n = 0.5\ne = exp(2*n)\no = (e - 1)/(e + 1)", {}, "pytorch")
    assert "n = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)" in code
    assert "e = (2*n).exp()" in code
    assert "o = (e - 1)/(e + 1)" in code
    assert 'print("n.grad =", n.grad.item())' in code


def test_a_name_assigned_twice_keeps_its_first_leaf_for_the_grad() -> None:
    code = to_python("a = 2.0\na = a*3 + a", {})
    assert "a_leaf1 = a  # a is reassigned below" in code
    assert 'print("a.grad =", a_leaf1.grad)' in code


def test_export_refuses_a_program_the_parser_refuses() -> None:
    with pytest.raises(ExprError) as caught:
        to_python("a = 2.0\nL = a*(b")
    assert caught.value.line == 2
