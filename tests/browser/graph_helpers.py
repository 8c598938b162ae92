"""Helpers shared by the graph page's browser tests."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parents[2]


LECTURE = "a = 2.0\nb = -3.0\nc = 10.0\nf = -2.0\nL = (a*b + c)*f\n"


# the lecture's numbers for each preset: output label and data, then leaf grads
PRESET_NUMBERS = {
    "lecture": ("L", "-8.0000", {"a": "6.0000", "b": "-4.0000", "c": "-2.0000", "f": "4.0000"}),
    "neuron": ("o", "0.7071", {"x1": "-1.5000", "w1": "1.0000", "x2": "0.5000", "w2": "0.0000"}),
    "neuron-exp": ("o", "0.7071", {"x1": "-1.5000", "w1": "1.0000", "x2": "0.5000", "w2": "0.0000"}),
    "a-plus-a": ("b", "6.0000", {"a": "2.0000"}),
    "two-paths": ("f", "-6.0000", {"a": "-3.0000", "b": "-8.0000"}),
    "slope": ("y", "20.0000", {"x": "14.0000"}),
    "readme": ("g", "24.7041", {"a": "138.8338", "b": "645.5773"}),
}


# the texts of the value node whose first text is `label`: [label, "data ...", "grad ..."]
NODE_TEXTS = """(label) => {
  for (const g of document.querySelectorAll('#graph g.value')) {
    const texts = [...g.querySelectorAll('text')].map((t) => t.textContent.trim());
    if (texts[0] === label) return texts;
  }
  return null;
}"""


SVG_HAS = (
    "(t) => { const s = document.querySelector('#graph svg'); return !!s && s.textContent.includes(t); }"
)


WAIT_OUTPUT = """([label, data]) => {
  const g = document.querySelector('#graph g.role-output');
  if (!g) return false;
  const t = [...g.querySelectorAll('text')].map((x) => x.textContent.trim());
  return t[0] === label && t[1] === 'data ' + data;
}"""


def wait_for_output(page, label: str, data: str) -> None:
    """Wait until the graph's output node is `label` with this data (a new graph has landed)."""
    page.wait_for_function(WAIT_OUTPUT, arg=[label, data])


def open_page(page, hash_: str = "") -> None:
    page.goto("/" + hash_)
    page.wait_for_selector("#graph svg g.value")


def wait_for_svg_text(page, text: str) -> None:
    page.wait_for_function(SVG_HAS, arg=text)


def node(page, label: str) -> list[str]:
    texts = page.evaluate(NODE_TEXTS, label)
    assert texts is not None, f"no value node labeled {label!r} in the graph"
    return texts


def hash_for(**params: str) -> str:
    return "#" + urlencode(params, quote_via=quote)


def export_file(page, kind: str, path: Path) -> Path:
    """Export > Download ``kind`` ("svg" or "png"), saved to ``path``."""
    page.click("#export-menu summary")
    with page.expect_download() as download:
        page.click(f"#export-{kind}")
    download.value.save_as(path)
    return path
