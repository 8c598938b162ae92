"""Statements as groups: each ``name = expr`` statement's values can be drawn as one box.

A group is what one statement made (``parse(..., statements=...)`` says which), plus the leaves
only it uses (``w1 = -3.0`` feeding only ``o = tanh(w1*x1 + b)``): folded, they are drawn as one
box with the statement's name, a short summary of its expression (``tanh(Σ w·x + b)``), and its
output's data and grad. The edges into a folded box keep the ids of the edges they stand for
(``edge-<input>-<consumer inside>-<k>``), so the page can still light them up while stepping.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from typing import NamedTuple

from .schemas import GraphNode

SUMMARY_CHARS = 28  # a folded box's summary is cut short past this
SIGMA_TERMS = 4  # a sum of this many terms or more is summarised as Σ of its kinds of term
_SYMBOL = {"*": "·", "/": "/", "+": "+", "-": "−"}


class Group(NamedTuple):
    statement: int
    name: str  # the statement's name (its output's label)
    output: str  # id of the value the statement assigns
    members: list[str]  # ids drawn inside the group, the output last
    computed: int  # how many of the members are operations (clusters are drawn from 2)
    summary: str


class Fold(NamedTuple):
    """How a folded group is drawn: its summary and the edges into it (input, consumer inside, k)."""

    summary: str
    edges: list[tuple[str, str, int]]


def groups(nodes: Sequence[GraphNode]) -> list[Group]:
    """The statements that fold into something smaller: at least two values drawn inside."""
    by_id = {n.id: n for n in nodes}
    consumers: dict[str, set[str]] = {n.id: set() for n in nodes}
    for n in nodes:
        for i in n.inputs:
            consumers[i].add(n.id)
    made: dict[int, list[str]] = {}
    for n in nodes:
        if n.inputs and n.statement is not None:
            made.setdefault(n.statement, []).append(n.id)
    out = []
    for k, computed in made.items():
        inside = set(computed)
        output = computed[-1]  # topological order: the statement's result comes after its parts
        if any(consumers[c] - inside for c in computed[:-1]):
            continue  # a part is used elsewhere (cannot happen from the parser; be safe)
        leaves = [
            n.id
            for n in nodes
            if not n.inputs and n.role != "output" and consumers[n.id] and consumers[n.id] <= inside
        ]
        members = leaves + computed
        if len(members) < 2:
            continue
        name = by_id[output].label or "(result)"
        out.append(Group(k, name, output, members, len(computed), summary(by_id, output, set(members))))
    return out


def fold(
    nodes: Sequence[GraphNode], all_groups: Sequence[Group], folded: Collection[int]
) -> tuple[list[GraphNode], dict[str, Fold]]:
    """The values to draw with these statements folded, and how each folded box is drawn."""
    hidden: set[str] = set()
    folds: dict[str, Fold] = {}
    for g in all_groups:
        if g.statement not in folded:
            continue
        inside = set(g.members)
        hidden |= inside - {g.output}
        edges: list[tuple[str, str, int]] = []
        for n in nodes:
            if n.id in inside:
                edges += [(i, n.id, k) for k, i in enumerate(n.inputs) if i not in inside]
        folds[g.output] = Fold(g.summary, edges)
    # a folded box's inputs are what flows into it (the layout-size estimate walks them)
    drawn = [
        n.model_copy(update={"inputs": [i for i, _, _ in folds[n.id].edges]}) if n.id in folds else n
        for n in nodes
        if n.id not in hidden
    ]
    return drawn, folds


def _stem(text: str) -> str:
    """A term's kind: its names without their numbers (w1*x1 -> w·x)."""
    return re.sub(r"([A-Za-z]+)[A-Za-z0-9_]*", r"\1", text)


def summary(by_id: dict[str, GraphNode], output: str, members: set[str]) -> str:
    """A short formula for what the group computes from what flows into it."""

    def name(n: GraphNode) -> str:
        return n.label or f"{n.data:g}"

    def text(nid: str, parent: str = "") -> str:
        n = by_id[nid]
        if nid not in members or not n.inputs:
            return name(n)
        if n.op == "+":
            terms = _terms(by_id, nid, members)
            if len(terms) >= SIGMA_TERMS:
                kinds: dict[str, int] = {}
                for t in terms:
                    stem = _stem(text(t, "+"))
                    kinds[stem] = kinds.get(stem, 0) + 1
                s = " + ".join(f"Σ {k}" if c > 1 else k for k, c in kinds.items())
            else:
                s = " + ".join(text(t, "+") for t in terms)
            return f"({s})" if parent in ("*", "/", "**") else s
        ins = [text(i, "**" if n.op.startswith("**") else n.op) for i in n.inputs]
        if n.op in _SYMBOL and len(ins) == 2:
            s = f"{ins[0]} {_SYMBOL[n.op]} {ins[1]}" if n.op in "+-" else f"{ins[0]}{_SYMBOL[n.op]}{ins[1]}"
            return f"({s})" if parent in ("*", "/", "**") and n.op in "+-" else s
        if n.op.startswith("**"):
            return f"{ins[0]}{n.op}"
        if n.op == "neg":
            return f"−{ins[0]}"
        return f"{n.op}({', '.join(ins)})"

    s = text(output)
    return s if len(s) <= SUMMARY_CHARS else s[: SUMMARY_CHARS - 1] + "…"


def _terms(by_id: dict[str, GraphNode], nid: str, members: set[str]) -> list[str]:
    """The terms of a chain of + inside the group, in order."""
    n = by_id[nid]
    if nid in members and n.op == "+":
        return [t for i in n.inputs for t in _terms(by_id, i, members)]
    return [nid]


def plan(
    nodes: Sequence[GraphNode], folded: Collection[int] | None, max_nodes: int
) -> tuple[list[GraphNode], dict[str, Fold], list[Group], list[Group]]:
    """What a picture draws: the values drawn, the folded boxes and the framed statements, with
    ``folded`` statements folded (None: all of them when there are more than ``max_nodes``
    values, else none); and every statement's group."""
    found = groups(nodes)
    if folded is None:
        folded = [g.statement for g in found] if len(nodes) > max_nodes else []
    shut = set(folded)
    drawn, folds = fold(nodes, found, shut)
    clusters = [g for g in found if g.statement not in shut and g.computed > 1]
    return drawn, folds, clusters, found
