"""The colour themes of the graph picture: one Theme per name the pages offer."""

from __future__ import annotations

from typing import NamedTuple


class Theme(NamedTuple):
    background: str
    text: str
    border: str
    edge: str
    fills: dict[str, str]  # per role
    grad_colours: dict[str, str]  # per sign: pos, neg, zero
    op_fill: str
    font_size: int
    pen: float  # line width
    padding: int = 5  # inside each cell of a value's record
    line: int = 1  # border width of a value's record (the output's is one thicker)
    bold_grad: bool = False
    stacked: bool = True  # a value's cells one above the other (narrow boxes: more fit across a screen)


# Okabe-Ito hues (safe for colour-blind viewers): blue / sky blue for a positive grad, vermillion /
# orange for a negative one, darkened on light backgrounds until the text contrast is readable.
THEMES: dict[str, Theme] = {
    "light": Theme(
        background="#ffffff",
        text="#1a1a1a",
        border="#555555",
        edge="#777777",
        fills={"input": "#d9efe6", "constant": "#ececec", "intermediate": "#ffffff", "output": "#fbf3c4"},
        grad_colours={"pos": "#005a8c", "neg": "#9e4200", "zero": "#595959"},  # >= 5.8:1 on every fill
        op_fill="#f4f4f4",
        font_size=12,
        pen=1.0,
    ),
    "dark": Theme(
        background="#1b1d22",
        text="#e8e8e8",
        border="#9a9a9a",
        edge="#8a8a8a",
        fills={"input": "#173a30", "constant": "#33363d", "intermediate": "#24272e", "output": "#3a3413"},
        grad_colours={"pos": "#56B4E9", "neg": "#E69F00", "zero": "#b0b0b0"},  # >= 5.2:1 on every fill
        op_fill="#2f3239",
        font_size=12,
        pen=1.0,
    ),
    "projector": Theme(
        background="#ffffff",
        text="#000000",
        border="#000000",
        edge="#000000",
        fills={"input": "#dcf1e8", "constant": "#e4e4e4", "intermediate": "#ffffff", "output": "#fbf0a0"},
        grad_colours={"pos": "#004170", "neg": "#702a00", "zero": "#000000"},  # AAA: >= 8.1:1 on every fill
        op_fill="#ffffff",
        font_size=20,
        pen=2.2,
        padding=8,
        line=2,
        bold_grad=True,
    ),
}
