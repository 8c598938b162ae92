"""Draw a graph with Graphviz: nodes -> DOT text -> `dot -Tsvg`, with limits on every step.

The picture follows Karpathy's ``draw_dot``: one record per value (``label | data | grad``),
a small node per operation, left to right. Every SVG group carries an id derived from the
API ids (``node-n3``, ``op-n3``, ``edge-n1-n3-0``, ``opedge-n3``) so the page can animate it.

A graph's layout is kept by its shape (app/layout.py): when only its numbers change, the
picture is drawn from the kept layout with the new numbers, without running `dot`.
"""

from __future__ import annotations

import logging
import math
import re
import subprocess
from collections.abc import Mapping, Sequence
from html import escape, unescape
from typing import NamedTuple

from .dot import DotFailed, DotPool
from .errors import ServiceError
from .fold import Fold, Group
from .layout import LayoutCache, Slot, Template, layout_key
from .schemas import Direction, GraphNode
from .slots import BlockingSlots, Busy
from .themes import THEMES, Theme

log = logging.getLogger(__name__)

MAX_LABEL_CHARS = 24  # longer names are cut short in the picture (the JSON keeps them whole)
LARGE_GRAPH = 150  # values; above this dot gets a bounded effort (dense graphs take seconds)
# characters every number's cell has room for (a sign and d.dddd, or dd.dddd): numbers this
# short take one width, so their changes (a sign flipping) keep the layout; text sits at the left
FIELD = 7


class RenderError(ServiceError, status=503):
    """The picture could not be drawn."""


class GraphTooLarge(RenderError, status=422):
    """Too many values to draw, or too tangled to lay out in time: refused before `dot` runs."""


class RenderTimeout(RenderError):
    """`dot` took longer than its timeout."""


class RenderUnavailable(RenderError):
    """`dot` is missing or failed, or every place to run it stayed busy."""


SANS = "DejaVu Sans"  # fonts Graphviz measures with; the SVG then gets browser fallbacks
MONO = "DejaVu Sans Mono"
FONT_FALLBACKS = {
    SANS: "DejaVu Sans,Verdana,sans-serif",
    MONO: "DejaVu Sans Mono,Menlo,Consolas,monospace",
}

# shown on the op nodes; the JSON keeps the engine's spelling
OP_SYMBOLS = {"*": "×", "/": "÷", "-": "−", "neg": "−x"}


def number(x: float) -> str:
    """4 decimals, or 4 significant digits with an exponent when that would hide the value."""
    if x == 0:
        return "0.0000"  # also -0.0
    if not math.isfinite(x):
        return str(x)
    if abs(x) >= 1e5 or abs(x) < 1e-4:
        return f"{x:.4g}"
    return f"{x:.4f}"


def grad_sign(grad: float) -> str:
    return "pos" if grad > 0 else "neg" if grad < 0 else "zero"


def _printable(s: str) -> str:
    return s if s.isprintable() else "".join(ch if ch.isprintable() else "?" for ch in s)


def _text(s: str) -> str:
    """Escape for a Graphviz HTML-like label (no control characters, no markup)."""
    return escape(_printable(s), quote=True)


def _attr(s: str) -> str:
    """Escape for a double-quoted DOT attribute value."""
    return _printable(s).replace("\\", "\\\\").replace('"', '\\"')


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL_CHARS else label[: MAX_LABEL_CHARS - 1] + "…"


# what a masked DOT (see to_dot) writes instead of a number's digits, a grad's sign and its colour
MASK_DIGIT = "0"
MASK_SIGN = "mask"
MASK_COLOUR = "#fe01fe"  # in no theme


def _masked(shown: str) -> str:
    """Zeros as wide as the number ``shown`` takes in its cell."""
    return MASK_DIGIT * max(len(shown), FIELD)


def _field_width(theme: Theme) -> int:
    """The least width of a data or grad cell in points: room for "data " and FIELD characters
    (and a point to spare), not for one more."""
    text = math.ceil((len("data ") + FIELD) * _mono_advance(theme.font_size))
    return text + 2 + 2 * (theme.padding + theme.line)


def _mono_advance(size: int) -> float:
    """The width dot gives a DejaVu Sans Mono character at ``size`` points: 1233/2048 em, which
    Pango rounds to whole pixels at 96 dpi (7.5 points at 12, 12 at 20)."""
    return round(1233 / 2048 * size * 96 / 72) * 72 / 96


def _value_label(node: GraphNode, theme: Theme, data: str, grad: str, grad_colour: str) -> str:
    fill = theme.fills.get(node.role, theme.fills["intermediate"])
    cells = []
    if node.label:
        cells.append(f'<TD><FONT FACE="{SANS}"><B>{_text(_short(node.label))}</B></FONT></TD>')
    field = f'<TD ALIGN="LEFT" WIDTH="{_field_width(theme)}">'
    cells.append(f"{field}data {_text(data)}</TD>")
    grad = f"grad {_text(grad)}"
    if theme.bold_grad:
        grad = f"<B>{grad}</B>"
    cells.append(f'{field}<FONT COLOR="{grad_colour}">{grad}</FONT></TD>')
    # a rule between cells, like a record's field separators
    # a rule between cells, like a record's field separators (stacked: one above the other)
    sides, join = ("T", "</TR><TR>") if theme.stacked else ("L", "")
    rule = f'<TD BORDER="{theme.line}" SIDES="{sides}" '
    row = join.join([cells[0]] + [c.replace("<TD ", rule, 1) for c in cells[1:]])
    border = theme.line + 1 if node.role == "output" else theme.line
    return (
        f'<<TABLE BORDER="{border}" CELLBORDER="0" CELLSPACING="0" CELLPADDING="{theme.padding}" '
        f'BGCOLOR="{fill}" COLOR="{theme.border}"><TR>{row}</TR></TABLE>>'
    )


class Look(NamedTuple):
    """How a graph is drawn, beside its nodes."""

    theme: str = "light"
    folds: Mapping[str, Fold] | None = None  # the values drawn as a folded statement (app/fold.py)
    clusters: Sequence[Group] = ()  # statements drawn framed
    direction: Direction = "LR"  # Graphviz's rankdir: inputs to output left to right, or top to bottom


PLAIN = Look()  # light, nothing folded or framed, left to right


def to_dot(nodes: Sequence[GraphNode], look: Look = PLAIN, masked: bool = False) -> str:
    """The DOT text of the graph; ``nodes`` in topological order, ids as in the API.
    ``masked``: each number written as zeros as wide as it (``_masked``) and each grad's sign
    and colour as MASK_SIGN and MASK_COLOUR; what stays is what the layout depends on."""
    theme, folds = THEMES[look.theme], look.folds
    size = theme.font_size
    # on big graphs, bound dot's crossing minimisation and x-positioning passes
    effort = ", mclimit=0.2, nslimit=0.2, nslimit1=0.2" if len(nodes) > LARGE_GRAPH else ""
    lines = [
        "digraph chainrule {",
        f'  graph [rankdir={look.direction}, bgcolor="{theme.background}", '
        f"pad=0.2, nodesep=0.25, ranksep=0.35{effort}];",
        f'  node [fontname="{MONO}", fontsize={size}, fontcolor="{theme.text}", '
        f'color="{theme.border}", penwidth={theme.pen}];',
        f'  edge [color="{theme.edge}", penwidth={theme.pen}, arrowsize={0.6 + theme.pen / 10:.2f}];',
    ]
    for node in nodes:
        nid = _attr(node.id)
        data, grad, sign = number(node.data), number(node.grad), grad_sign(node.grad)
        colour = theme.grad_colours[sign]
        if masked:
            data, grad, sign, colour = _masked(data), _masked(grad), MASK_SIGN, MASK_COLOUR
        label = _value_label(node, theme, data, grad, colour)
        if folds and node.id in folds:
            lines += _folded(node, folds[node.id], theme, label, sign)
            continue
        classes = f"value role-{_attr(node.role)} grad-{sign}"
        lines.append(f'  "{nid}" [id="node-{nid}", class="{classes}", shape=plain, label={label}];')
        if node.op:
            op = _text(OP_SYMBOLS.get(node.op, node.op))
            lines.append(
                f'  "op-{nid}" [id="op-{nid}", class="op", shape=ellipse, style=filled, '
                f'fillcolor="{theme.op_fill}", fontname="{SANS}", fontsize={size + 1}, '
                f'margin="0.06,0.02", width=0.3, height=0.3, label=<{op}>];'
            )
            for index, child in enumerate(node.inputs):
                cid = _attr(child)
                lines.append(f'  "{cid}" -> "op-{nid}" [id="edge-{cid}-{nid}-{index}"];')
            lines.append(f'  "op-{nid}" -> "{nid}" [id="opedge-{nid}"];')
    lines += _clusters(look.clusters, theme)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _folded(node: GraphNode, fold: Fold, theme: Theme, label: str, sign: str) -> list[str]:
    """A folded statement: one record (name | summary | data | grad) made from its output's
    ``label``, the edges into it keeping the ids of the edges they stand for."""
    nid = _attr(node.id)
    sides, join = ("T", "</TR><TR>") if theme.stacked else ("L", "")
    summary = f'<TD BORDER="{theme.line}" SIDES="{sides}"><FONT FACE="{SANS}">{_text(fold.summary)}'
    summary += "</FONT></TD>"
    label = label.replace("</B></FONT></TD>", "</B></FONT></TD>" + join + summary, 1)
    classes = f"value folded role-{_attr(node.role)} grad-{sign}"
    lines = [f'  "{nid}" [id="node-{nid}", class="{classes}", shape=plain, label={label}];']
    for cid, inner, k in fold.edges:
        lines.append(f'  "{_attr(cid)}" -> "{nid}" [id="edge-{_attr(cid)}-{_attr(inner)}-{k}"];')
    return lines


def _clusters(clusters: Sequence[Group], theme: Theme) -> list[str]:
    """Each statement with two or more operations framed, its name on the frame (a page folds it)."""
    lines = []
    for g in clusters:
        members = " ".join(f'"{_attr(m)}";' for m in g.members)
        ops = " ".join(f'"op-{_attr(m)}";' for m in g.members[-g.computed :])
        lines.append(
            f'  subgraph "cluster_s{g.statement}" {{ id="group-{g.statement}"; class="group"; '
            f'label=<{_text(_short(g.name))}>; labeljust="l"; style="dashed,rounded"; '
            f'color="{theme.edge}"; fontcolor="{theme.text}"; fontname="{SANS}"; '
            f"fontsize={theme.font_size}; penwidth={theme.pen}; {members} {ops} }}"
        )
    return lines


def layout_size(nodes: Sequence[GraphNode]) -> int:
    """About the size of the problem dot solves to place nodes (its time grows faster than this):
    the DOT nodes plus twice the ranks all edges span. A value used far from where it is made
    (``x`` in ``x + x*2 + x*3 + ...``) spans many ranks, so it costs far more than it looks.
    dot picks ranks that keep spans short; the better of two simple rankings estimates it."""
    size = sum(2 if node.inputs else 1 for node in nodes)
    return size + 2 * min(_span_early(nodes), _span_late(nodes))


def _span_early(nodes: Sequence[GraphNode]) -> int:
    """Ranks spanned with each op as early as it can be (leaves just before their first use)."""
    rank: dict[str, int] = {}  # of each computed value; its op is one rank before
    first_use: dict[str, int] = {}
    for node in nodes:
        if node.inputs:
            op = max((rank[i] for i in node.inputs if i in rank), default=0) + 1
            rank[node.id] = op + 1
            for i in node.inputs:
                first_use[i] = min(first_use.get(i, op), op)
    span = 0
    for node in nodes:
        if node.inputs:
            op = rank[node.id] - 1
            span += 1 + sum(op - rank.get(i, first_use[i] - 1) for i in node.inputs)
    return span


def _span_late(nodes: Sequence[GraphNode]) -> int:
    """Ranks spanned with each value as late as it can be (just before its first consumer)."""
    if not nodes:
        return 0
    before_output = {nodes[-1].id: 0}  # ranks between a value and the output
    span = 0
    for node in reversed(nodes):  # every consumer of a node comes before it here
        if node.inputs:
            op = before_output[node.id] + 1
            for i in node.inputs:
                before_output[i] = max(before_output.get(i, 0), op + 1)
    for node in nodes:
        if node.inputs:
            op = before_output[node.id] + 1
            span += 1 + sum(before_output[i] - op for i in node.inputs)
    return span


class Picture(NamedTuple):
    """A graph to draw: its nodes and look, its masked DOT text (``to_dot``) and layout key."""

    nodes: Sequence[GraphNode]
    look: Look
    masked: str
    key: bytes


class LayoutMismatch(ValueError):
    """dot's SVG of a masked graph is not as expected (another Graphviz version?)."""


DATA, SIGN, COLOUR, GRAD = range(4)  # the slots of a value's record in a template
_VALUE_GROUP = re.compile(rf'<g id="node-([^"]*)" class="[^"]*\bgrad-({MASK_SIGN})"')


def _template(svg: str, nodes: Sequence[GraphNode]) -> Template:
    """The SVG of a masked graph, cut where each value's numbers, grad sign and colour go."""
    index = {node.id: k for k, node in enumerate(nodes)}
    spots: list[tuple[int, int, Slot]] = []
    for group in _VALUE_GROUP.finditer(svg):
        k = index.pop(unescape(group[1]), None)
        start, end = group.end(), svg.find("</g>", group.end())
        if k is None or end < 0:
            raise LayoutMismatch(f"unexpected value group {group[0]!r}")
        data, grad = _masked(number(nodes[k].data)), _masked(number(nodes[k].grad))
        # searched from the end: the value's own label (any text) comes first in the record
        grad_at = svg.rfind(f">grad {grad}</text>", start, end)
        data_at = svg.rfind(f">data {data}</text>", start, max(grad_at, start))
        colour_at = svg.find(
            f'fill="{MASK_COLOUR}"', svg.rfind("<text ", start, max(grad_at, start)), grad_at
        )
        if min(grad_at, data_at, colour_at) < 0:
            raise LayoutMismatch(f"no data, grad or colour in {group[0]!r}")
        grad_at, data_at, colour_at = (
            grad_at + len(">grad "),
            data_at + len(">data "),
            colour_at + len('fill="'),
        )
        spots += [
            (data_at, data_at + len(data), (k, DATA)),
            (group.start(2), group.end(2), (k, SIGN)),
            (colour_at, colour_at + len(MASK_COLOUR), (k, COLOUR)),
            (grad_at, grad_at + len(grad), (k, GRAD)),
        ]
    if index:
        raise LayoutMismatch(f"no group for {len(index)} values")
    return Template.cut(svg, spots)


def _fields(slots: Sequence[Slot], nodes: Sequence[GraphNode], theme: Theme) -> list[str]:
    """What goes in each slot of a template for these nodes. Nothing needs escaping: number()
    writes digits, ".", "-", "+", "e", "inf" and "nan" only."""
    out = []
    for k, field in slots:
        node = nodes[k]
        if field == DATA:
            out.append(number(node.data))
        elif field == GRAD:
            out.append(number(node.grad))
        elif field == SIGN:
            out.append(grad_sign(node.grad))
        else:
            out.append(theme.grad_colours[grad_sign(node.grad)].lower())  # dot writes lower case
    return out


_PROLOGUE = re.compile(r"\A.*?(?=<svg\b)", re.S)
_COMMENT = re.compile(r"<!--.*?-->\n?", re.S)
_FONT = re.compile(r'font-family="([^"]*)"')


def clean_svg(svg: str) -> str:
    """Graphviz's SVG made inline-ready: no XML prologue, doctype or comments, plain hyphens."""
    svg = _PROLOGUE.sub("", svg, count=1)
    svg = _COMMENT.sub("", svg)
    svg = svg.replace("&#45;", "-")  # Graphviz writes every '-' as a character reference
    return _FONT.sub(lambda m: f'font-family="{FONT_FALLBACKS.get(m.group(1), m.group(1))}"', svg)


class Renderer:
    """Runs ``dot`` with a timeout, a node cap before layout and a cap on concurrent processes."""

    def __init__(
        self,
        dot_command: str = "dot",
        timeout: float = 5.0,
        max_nodes: int = 400,
        max_layout: int = 8000,
        max_processes: int = 2,
        layout_cache_bytes: int = 16 * 2**20,
        graphs_per_process: int = 1,
    ) -> None:
        self.dot_command = dot_command
        self.timeout = timeout
        self.max_nodes = max_nodes
        self.max_layout = max_layout
        self.max_processes = max_processes
        self._slots = BlockingSlots(max_processes, timeout)
        self.layouts = LayoutCache(layout_cache_bytes)
        # 1: a new `dot` per graph; more: `dot` kept running for that many graphs (app/dot.py)
        self.kept_dot = DotPool(dot_command, graphs_per_process) if graphs_per_process > 1 else None

    def check_size(self, count: int, folded: bool = False) -> None:
        """The cheap check, on the number of values alone (``folded``: of boxes, some of them a
        statement's values folded into one, so the count is not the program's values)."""
        if count <= self.max_nodes:
            return
        if folded:
            raise GraphTooLarge(
                f"folded to a box per statement, the graph still has {count} boxes; pictures are "
                f"limited to {self.max_nodes} (try a smaller expression)"
            )
        raise GraphTooLarge(
            f"the graph has {count} values; pictures are limited to {self.max_nodes} values "
            "(try a smaller expression)"
        )

    def check(self, nodes: Sequence[GraphNode], folded: bool = False) -> None:
        """Refuse, before layout, a graph dot would take too long to lay out."""
        self.check_size(len(nodes), folded)
        size = layout_size(nodes)
        if size > self.max_layout:
            raise GraphTooLarge(
                f"the graph is too tangled to lay out in time (layout size {size}, limit "
                f"{self.max_layout}): values used by operations far from where they are made draw "
                "long edges; try a smaller expression"
            )

    def svg(self, nodes: Sequence[GraphNode], look: Look = PLAIN) -> str:
        """The picture, from the layout kept for this shape; `dot` runs only for a new one
        (the direction is in the masked DOT text, so each direction keeps its own layout)."""
        picture = self.prepare(nodes, look)
        return self.draw(picture, self.layout(picture))

    # the steps of ``svg``, for a caller that runs `dot` apart (app/graph_service.py: a kept
    # layout is filled at once, a new shape waits for a place to run `dot`)

    def prepare(self, nodes: Sequence[GraphNode], look: Look = PLAIN) -> Picture:
        """Refuse a graph too big or tangled to lay out; else what its picture needs."""
        self.check(nodes, folded=bool(look.folds))
        masked = to_dot(nodes, look, masked=True)
        return Picture(nodes, look, masked, layout_key(masked))

    def kept(self, picture: Picture) -> Template | None:
        """The layout kept for the picture's shape, if any (no `dot`)."""
        return self.layouts.get(picture.key)

    def layout(self, picture: Picture) -> Template | None:
        """The kept layout, or a new one from `dot`; None if dot's SVG has no slots for the numbers."""
        try:
            return self.layouts.get_or_build(
                picture.key, lambda: _template(self.run_dot(picture.masked), picture.nodes)
            )
        except LayoutMismatch:
            log.warning("dot's SVG has no slots where the numbers go; drawing without layout reuse")
            return None

    def draw(self, picture: Picture, template: Template | None) -> str:
        """The picture: its numbers filled into ``template``, or (None) a plain `dot` run."""
        if template is None:
            return self.run_dot(to_dot(picture.nodes, picture.look))
        return template.fill(_fields(template.slots, picture.nodes, THEMES[picture.look.theme]))

    def run_dot(self, dot: str) -> str:
        data = dot.encode(errors="replace")
        try:
            with self._slots:
                if self.kept_dot is not None:
                    try:
                        return clean_svg(self.kept_dot.draw(data, self.timeout).decode(errors="replace"))
                    except DotFailed:
                        pass  # a run of its own says what went wrong
                done = subprocess.run(
                    [self.dot_command, "-Tsvg"],
                    input=data,
                    capture_output=True,
                    timeout=self.timeout,
                    check=False,
                )
        except Busy:
            raise RenderUnavailable(
                f"the server is busy drawing other graphs ({self.max_processes} at a time); try again"
            ) from None
        except subprocess.TimeoutExpired:
            raise RenderTimeout(
                f"laying out the graph took longer than {self.timeout:g} s; try a smaller expression "
                "or try again later"
            ) from None
        except OSError as error:
            log.error("cannot run Graphviz %r: %s", self.dot_command, error)
            raise RenderUnavailable("Graphviz (dot) is not available on the server") from None
        if done.returncode != 0:
            log.error("dot exited with %d: %s", done.returncode, done.stderr.decode(errors="replace")[:500])
            raise RenderUnavailable(f"Graphviz (dot) failed to draw the graph (exit {done.returncode})")
        return clean_svg(done.stdout.decode(errors="replace"))
