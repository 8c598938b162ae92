"""The graph page's exports: SVG and PNG files, and micrograd and PyTorch code giving the same grads."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser.graph_helpers import (
    LECTURE,
    PRESET_NUMBERS,
    export_file,
    hash_for,
    open_page,
    wait_for_output,
    wait_for_svg_text,
)

pytestmark = pytest.mark.browser


ROOT = Path(__file__).resolve().parents[2]


TORCH_STANDIN = Path(__file__).resolve().parent / "torch_standin"


def analytic_grads(page) -> dict[str, float]:
    """The gradient check panel's backprop grads, by leaf label, at full precision."""
    return {
        row.locator("th").inner_text(): float(row.locator(".grad-cell").get_attribute("title"))
        for row in page.locator("#checks-body tr:has(th)").all()
    }


# programs that stress the code export: a Value exponent, a leaf name reused, the export's own
# names (print, math, Value, torch, out) as names, a bare expression as the output, names from
# the values map, a constant output
TRICKY_PROGRAMS = [
    ("x = 2.0\ny = 3.0\nz = x**y + y**2 - 2**x", {}),
    ("a = 2.0\na = a*3 + a\nb = sigmoid(a) + log(a) + exp(-a) - relu(-a) + -a**2", {}),
    ("print = 1.5\nmath = -2.0\nValue = 0.5\ntorch = 3.0\nout = print*math/(print - math) + Value*torch", {}),
    ("u = 0.5; v = -1.25\ntanh(u*v) + 2**u - (u - v)**-1", {}),
    ("L = x*y + tanh(x)", {"x": 0.75, "y": -2}),
    ("L = 2*3 + tanh(1)", {}),
    ("x = 0.3\ny = x**tanh(1) + 2**tanh(x) + tanh(tanh(0.5))", {}),
]


def exported_code(page, target: str) -> str:
    """The code the page's Export menu shows for `target` ("micrograd" or "pytorch")."""
    page.click("#export-menu summary")
    page.click(f"#export-{target}")
    page.wait_for_selector("#code-dialog[open]")
    code = page.locator("#code-text").input_value()
    page.keyboard.press("Escape")
    page.wait_for_selector("#code-dialog:not([open])", state="attached")
    return code


def test_export_svg_and_png_downloads(page, screenshots) -> None:
    open_page(page, hash_for(src=LECTURE))
    svg = export_file(page, "svg", screenshots / "export.svg").read_text()
    assert svg.startswith("<svg") and "grad 6.0000" in svg
    assert "http://" not in svg.replace("http://www.w3.org/", "")

    data = export_file(page, "png", screenshots / "export.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width > 500 and height > 100 and len(data) > 5000
    assert page.console_errors == []


def test_micrograd_export_runs_and_gives_the_same_grads(page, screenshots) -> None:
    open_page(page)
    for preset in PRESET_NUMBERS:
        page.select_option("#preset", preset)
        output, data, _ = PRESET_NUMBERS[preset]
        wait_for_output(page, output, data)
        analytic = analytic_grads(page)
        page.click("#export-menu summary")
        page.click("#export-micrograd")
        page.wait_for_selector("#code-dialog[open]")  # the code comes from POST /api/export
        code = page.locator("#code-text").input_value()
        assert "from micrograd.engine import Value" in code
        if preset == "lecture":
            assert "a = Value(2.0)" in code and "b = Value(-3.0)" in code
            assert page.evaluate("() => navigator.clipboard.readText()") == code
        page.keyboard.press("Escape")
        script = screenshots / f"export-micrograd-{preset}.py"
        script.write_text(code)
        run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, run.stderr
        printed = dict(re.findall(r"^(\w+)\.grad = (\S+)$", run.stdout, re.M))
        assert set(printed) == set(analytic), (preset, run.stdout)
        for label, grad in analytic.items():
            assert float(printed[label]) == pytest.approx(grad, rel=1e-9, abs=1e-12), (preset, label)
        value = re.search(rf"^{output} = (\S+)$", run.stdout, re.M)
        assert value and f"{float(value.group(1)):.4f}" == data


@pytest.mark.parametrize(("source", "values"), TRICKY_PROGRAMS)
def test_micrograd_and_pytorch_exports_of_tricky_programs_agree(page, screenshots, source, values) -> None:
    open_page(page, hash_for(src=source, values=json.dumps(values)))
    analytic = analytic_grads(page)
    code = exported_code(page, "micrograd")
    script = screenshots / f"export-micrograd-tricky-{TRICKY_PROGRAMS.index((source, values))}.py"
    script.write_text(code)
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr + code
    printed = dict(re.findall(r"^(\w+)\.grad = (\S+)$", run.stdout, re.M))
    assert set(printed) == set(analytic), run.stdout
    for label, grad in analytic.items():
        assert float(printed[label]) == pytest.approx(grad, rel=1e-9, abs=1e-12), (label, code)
    texts = page.evaluate(
        "() => [...document.querySelectorAll('#graph g.role-output text')].map((t) => t.textContent.trim())"
    )
    label, data = ("out", texts[0]) if texts[0].startswith("data ") else texts[:2]  # unlabeled: "out"
    value = re.search(r"^(\w+) = (\S+)$", run.stdout, re.M)
    assert value and value.group(1) == label and f"data {float(value.group(2)):.4f}" == data
    torch_code = exported_code(page, "pytorch")
    # PyTorch is too big to install here: the code runs against a stand-in with torch's autograd
    # rules (tests/browser/torch_standin/torch.py), and must print the same grads
    script = screenshots / f"export-torch-tricky-{TRICKY_PROGRAMS.index((source, values))}.py"
    script.write_text(torch_code)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TORCH_STANDIN), str(ROOT)])}
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60, env=env)
    assert run.returncode == 0, run.stderr + torch_code
    printed = dict(re.findall(r"^(\w+)\.grad = (\S+)$", run.stdout, re.M))
    assert set(printed) == set(analytic), run.stdout
    for label, grad in analytic.items():
        assert float(printed[label]) == pytest.approx(grad, rel=1e-9, abs=1e-12), (label, torch_code)


def test_pytorch_export_has_the_same_program(page) -> None:
    open_page(page)
    page.select_option("#preset", "neuron-exp")
    wait_for_svg_text(page, "data 0.7071")
    page.click("#export-menu summary")
    page.click("#export-pytorch")
    page.wait_for_selector("#code-dialog[open]")
    code = page.locator("#code-text").input_value()
    ast.parse(code)  # it is Python
    assert "import torch" in code
    assert "x1 = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)" in code
    assert "e = (2*n).exp()" in code
    assert "o = (e - 1)/(e + 1)" in code
    assert "o.backward()" in code
    for leaf in ("x1", "x2", "w1", "w2", "b"):
        assert f'print("{leaf}.grad =", {leaf}.grad.item())' in code
