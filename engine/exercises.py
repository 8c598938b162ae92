"""Practice exercises: a level and a seed in, a program of the expression language out.

    level 1  the lecture's first graph's shape: + and * over 4 to 7 values
    level 2  a value used twice, with - and /
    level 3  one neuron with tanh, exp, log or **, and its loss
    level 4  a layer of two neurons and their loss
    level 5  one sample through a small MLP with its loss (``engine.train.sample_program``)

Seed 0 of levels 1 and 3 is the lecture's own graph. The same level and seed always give the
same exercise: everything is drawn from ``random.Random`` seeded with both. Each draw is built
with the engine and run backward; a draw with a math error, a grad its central difference
disagrees with, a neuron too saturated to teach anything, or (levels 1-2) a number a person
can't work out on paper is drawn again from the same generator, so redraws repeat too. Should
``MAX_ATTEMPTS`` draws all fail, the seed picks one of the level's known-good ``FALLBACK``
exercises instead: ``exercise()`` never raises for a level and seed in range.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable
from typing import Any, NamedTuple

from .engine import Value, trace
from .expr import ExprError, parse
from .gradcheck import gradcheck
from .nn import ACTIVATIONS
from .train import sample_program

__all__ = ["FALLBACK", "LEVELS", "MAX_SEED", "NICE_MAX", "Exercise", "exercise", "fallback", "is_nice"]

LEVELS = range(1, 6)
MAX_SEED = 2**31 - 1
MAX_ATTEMPTS = 1000  # draws per exercise before giving up; level 2, the pickiest, needs 3 on average
NICE_MAX = 100  # levels 1-2: every data, grad and local derivative is a multiple of 0.1 within ±100
LIVELY = 0.01  # levels 3-5: at least half the named leaves have a grad at least this big

# levels 1-2: leaf values, and the divisors of '/' (1/b and -a/b² stay one-decimal numbers)
SMALL = (-5, -4, -3, -2, -1, 1, 2, 3, 4, 5)
HALVES = (-2.5, -1.5, -0.5, 0.5, 1.5, 2.5)
DIVISORS = (-2, -1, -0.5, 0.5, 2)
LETTERS = "abcdefghijkmnpqrstuvwxz"  # no l or o (they read as 1 and 0), no y (an output's name)
NAME = r"[A-Za-z_]\w*"
INDEXED = [("x", "t"), ("a", "h"), ("p", "q"), ("u", "v")]  # leaves x1 x2 ..., results t1 t2 ...

# levels 3-4: names of a neuron's inputs, weights and bias
NEURON_NAMES = [("x", "w", "b"), ("x", "v", "c"), ("a", "w", "b"), ("i", "k", "bias")]
# level 3: the lines that take the neuron's sum n to its output o
NEURONS = {
    ("tanh", ""): ["o = tanh(n)"],
    ("tanh", " written with exp"): ["e = exp(2*n)", "o = (e - 1)/(e + 1)"],  # the lecture's
    ("sigmoid", ""): ["o = sigmoid(n)"],
    ("sigmoid", " written with exp"): ["o = 1/(1 + exp(-n))"],
}
# level 5: (inputs, layers) of the MLPs, and the losses as the training page names them
MLPS = [(2, [3, 1]), (2, [2, 2, 1]), (2, [3, 2, 1]), (3, [3, 1]), (3, [2, 2, 1])]
DATASETS_2D = ["moons", "circles", "xor", "blobs", "spiral"]
LOSSES = {"mse": "squared error", "svm": "hinge loss", "bce": "log loss"}


class Exercise(NamedTuple):
    level: int
    seed: int
    source: str
    values: dict[str, float]  # a number for each name the program uses without assigning it
    title: str


Draw = tuple[str, dict[str, float], str]  # source, values, title

# seed 0 of a level: the lecture's graph, exactly as the lecture builds it
LECTURE: dict[int, Draw] = {
    1: (
        "e = a*b\nd = e + c\nL = d*f",
        {"a": 2.0, "b": -3.0, "c": 10.0, "f": -2.0},
        "Level 1 · the lecture's first graph",
    ),
    3: (
        "x1w1 = x1*w1\nx2w2 = x2*w2\nn = x1w1 + x2w2 + b\no = tanh(n)",
        {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432},
        "Level 3 · the lecture's tanh neuron",
    ),
}


def exercise(level: int, seed: int) -> Exercise:
    """Exercise ``seed`` (0 to 2**31 - 1) of ``level`` (1 to 5)."""
    if level not in LEVELS:
        raise ValueError(f"level must be from 1 to 5, got {level}")
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"seed must be from 0 to {MAX_SEED}, got {seed}")
    if seed == 0 and level in LECTURE:
        return Exercise(level, seed, *LECTURE[level])
    rng = random.Random(level << 32 | seed)
    draw, good = LEVEL_DRAWS[level]
    for _ in range(MAX_ATTEMPTS):
        source, values, title = draw(rng)
        nodes = checked(source, values)
        if nodes is not None and good(nodes):
            return Exercise(level, seed, source, values, title)
    return fallback(level, seed)


def fallback(level: int, seed: int) -> Exercise:
    """The exercise when no draw passed: one of the level's ``FALLBACK`` exercises, picked by the
    seed (tests/engine/test_exercises.py checks each passes the level's own checks)."""
    choices = FALLBACK[level]
    return Exercise(level, seed, *choices[seed % len(choices)])


def checked(source: str, values: dict[str, float]) -> list[Value] | None:
    """The graph's nodes after backward, or None on a math error, a grad that is not finite, or a
    leaf's grad its central difference disagrees with."""
    try:
        root = parse(source, values)
    except ExprError:
        return None
    nodes, _ = trace(root)
    root.backward()
    if not all(math.isfinite(node.grad) for node in nodes):
        return None
    if not all(check.ok for check in gradcheck(root)):
        return None
    return nodes


def is_nice(x: float) -> bool:
    """Whether a person can work ``x`` out on paper: a multiple of 0.1 within ±NICE_MAX."""
    tenths = x * 10
    return abs(x) <= NICE_MAX and abs(tenths - round(tenths)) < 1e-6


def on_paper(nodes: list[Value]) -> bool:
    """Every data, grad and local derivative is nice."""
    return all(is_nice(n.data) and is_nice(n.grad) and all(map(is_nice, n._local)) for n in nodes)


def _lively(nodes: list[Value]) -> bool:
    """At least half the named leaves have a grad worth asking for (no saturated neuron)."""
    leaves = [n for n in nodes if not n._prev and n.label]
    return 2 * sum(abs(n.grad) >= LIVELY for n in leaves) >= len(leaves)


def _has_ops(*ops: str) -> Callable[[list[Value]], bool]:
    return lambda nodes: all(any(n._op == op for n in nodes) for op in ops)


def _reused(nodes: list[Value]) -> bool:
    """Some value feeds two operations (or one operation twice)."""
    uses = [id(child) for node in nodes for child in node._prev]
    return len(uses) > len(set(uses))


# ---------------------------------------------------------------------------------------
# Levels 1 and 2: leaves combined two at a time, every result named.


def _names(rng: random.Random, leaves: int, results: int) -> tuple[list[str], list[str]]:
    """Names in one of three styles: a b c ... in order, letters at random, or x1 x2 ... t1 t2 ..."""
    style = rng.randrange(3)
    count = leaves + results
    if style == 0:
        start = rng.randrange(len(LETTERS) - count + 1)
        names = list(LETTERS[start : start + count])
    elif style == 1:
        names = rng.sample(LETTERS, count)
    else:
        leaf, result = rng.choice(INDEXED)
        return [f"{leaf}{k}" for k in range(1, leaves + 1)], [f"{result}{k}" for k in range(1, results + 1)]
    return names[:leaves], names[leaves:]


def _combine(rng: random.Random, count: int, ops: str, reuses: int) -> tuple[str, dict[str, float]]:
    """``count`` leaves combined two at a time until one value is left; ``reuses`` of the steps
    take a value that was already used, so it is used twice. '/' divides by a leaf."""
    steps = count - 1 + reuses
    leaves, results = _names(rng, count, steps - 1)
    output = rng.choice(["L", "L", "out", "y"])
    unused, used = list(leaves), list[str]()
    reuse_at = set(rng.sample(range(1, steps), reuses))
    lines, divisors = [], set()
    for k in range(steps):
        a = unused.pop(rng.randrange(len(unused)))
        b = rng.choice(used) if k in reuse_at else unused.pop(rng.randrange(len(unused)))
        op = rng.choice(ops)
        if op == "/" and b not in leaves:
            a, b = b, a
        if op == "/" and b not in leaves:
            op = rng.choice(ops.replace("/", ""))
        if op != "/" and rng.random() < 0.5:
            a, b = b, a
        if op == "/":
            divisors.add(b)
        target = output if k == steps - 1 else results[k]
        lines.append(f"{target} = {a} {op} {b}" if op in "+-" else f"{target} = {a}{op}{b}")
        used += [a, b]
        unused.append(target)
    # the leaves renamed in order of first use: x1 comes before x2, a before b
    first_use = [name for name in dict.fromkeys(re.findall(NAME, "\n".join(lines))) if name in leaves]
    rename = dict(zip(first_use, leaves, strict=True))
    source = re.sub(NAME, lambda m: rename.get(m.group(), m.group()), "\n".join(lines))
    values = {}
    for name in first_use:
        if name in divisors:
            values[rename[name]] = float(rng.choice(DIVISORS))
        else:
            values[rename[name]] = float(rng.choice(HALVES if rng.random() < 0.15 else SMALL))
    return source, values


def _level1(rng: random.Random) -> Draw:
    count = rng.randint(4, 7)
    source, values = _combine(rng, count, "+*", reuses=0)
    return source, values, f"Level 1 · + and * over {count} values"


def _level2(rng: random.Random) -> Draw:
    source, values = _combine(rng, rng.randint(5, 7), "+-*/", reuses=rng.randint(1, 2))
    return source, values, "Level 2 · a value used twice, - and /"


# ---------------------------------------------------------------------------------------
# Levels 3 and 4: neurons written out as in the lecture.


def _one_decimal(rng: random.Random, limit: float) -> float:
    return rng.randint(-round(limit * 10), round(limit * 10)) / 10


def _weighted_sum(
    rng: random.Random, xs: list[str], ws: list[str], bias: str, lines: list[str], may_name: bool = True
) -> str:
    """A neuron's sum: the lecture's ``x1*w1 + x2*w2 + b`` or micrograd's ``b + w1*x1 + w2*x2``,
    its products named first (``x1w1 = x1*w1``, appended to ``lines``) if ``may_name``, or not."""
    x_first, bias_first, named = (rng.random() < 0.5 for _ in range(3))
    named = named and may_name
    terms = []
    for x, w in zip(xs, ws, strict=True):
        a, b = (x, w) if x_first else (w, x)
        if named:
            lines.append(f"{a}{b} = {a}*{b}")
            terms.append(f"{a}{b}")
        else:
            terms.append(f"{a}*{b}")
    return " + ".join([bias, *terms] if bias_first else [*terms, bias])


def _level3(rng: random.Random) -> Draw:
    x, w, b = rng.choice(NEURON_NAMES)
    count = rng.randint(2, 3)
    xs, ws = [f"{x}{i}" for i in range(1, count + 1)], [f"{w}{i}" for i in range(1, count + 1)]
    lines: list[str] = []  # the products come first if they are named
    total = _weighted_sum(rng, xs, ws, b, lines)
    lines.append(f"n = {total}")
    activation, written = rng.choice(list(NEURONS))
    lines += NEURONS[activation, written]
    neuron = f"Level 3 · a {activation} neuron{written}"
    values = {**{name: _one_decimal(rng, 3) for name in xs}, **{name: _one_decimal(rng, 2) for name in ws}}
    values[b] = _one_decimal(rng, 2)
    if activation == "sigmoid" and rng.random() < 0.5:  # cross-entropy: -log p(the right class)
        lines.append(rng.choice(["loss = -log(o)", "loss = -log(1 - o)"]))
        return "\n".join(lines), values, f"{neuron}, log loss"
    lines.append("loss = (o - y)**2")
    values["y"] = float(rng.choice([0, 1] if activation == "sigmoid" else [-1, 1]))
    return "\n".join(lines), values, f"{neuron}, squared error"


def _level4(rng: random.Random) -> Draw:
    x, w, b = rng.choice(NEURON_NAMES)
    count = rng.randint(2, 3)
    activation = rng.choice(ACTIVATIONS)
    xs = [f"{x}{i}" for i in range(1, count + 1)]
    values = {name: _one_decimal(rng, 3) for name in xs}
    lines: list[str] = []
    for j in (1, 2):
        ws = [f"{w}{j}_{i}" for i in range(1, count + 1)]
        values |= {name: _one_decimal(rng, 1.5) for name in ws}
        values[f"{b}{j}"] = _one_decimal(rng, 1.5)
        total = _weighted_sum(rng, xs, ws, f"{b}{j}", lines, may_name=False)
        lines.append(f"h{j} = {activation}({total})")
    targets = [-1, 1] if activation == "tanh" else [0, 1]
    values |= {"y1": float(rng.choice(targets)), "y2": float(rng.choice(targets))}
    squares = "(h1 - y1)**2 + (h2 - y2)**2"
    lines.append(rng.choice([f"loss = {squares}", f"loss = ({squares})/2"]))
    return "\n".join(lines), values, f"Level 4 · a layer of two {activation} neurons"


# ---------------------------------------------------------------------------------------
# Level 5: the training page's own program for one sample (engine.train.sample_program).


def _level5(rng: random.Random) -> Draw:
    inputs, layers = rng.choice(MLPS)
    dataset = "lecture" if inputs == 3 else rng.choice(DATASETS_2D)
    activation, loss = rng.choice(ACTIVATIONS), rng.choice(list(LOSSES))
    sizes = [inputs, *layers]
    weights = {
        "layers": [
            {
                "neurons": [
                    {"w": [_one_decimal(rng, 1) for _ in range(fan_in)], "b": _one_decimal(rng, 1)}
                    for _ in range(width)
                ]
            }
            for fan_in, width in zip(sizes, layers, strict=False)  # each layer's inputs, neurons
        ]
    }
    config: dict[str, Any] = {
        "dataset": {"name": dataset, "n_samples": 20, "seed": rng.randrange(2**32)},
        "layers": layers,
        "activation": activation,
        "loss": loss,
    }
    source, values = sample_program(
        {"config": config, "weights": weights}, rng.randrange(4 if inputs == 3 else 20)
    )
    shape = "-".join(map(str, sizes))
    return (
        source,
        {name: round(v, 2) for name, v in values.items()},
        f"Level 5 · a {shape} {activation} MLP, {LOSSES[loss]}",
    )


LEVEL_DRAWS: dict[int, tuple[Callable[[random.Random], Draw], Callable[[list[Value]], bool]]] = {
    1: (_level1, lambda nodes: on_paper(nodes) and _has_ops("+", "*")(nodes)),
    2: (_level2, lambda nodes: on_paper(nodes) and _has_ops("-", "/")(nodes) and _reused(nodes)),
    3: (_level3, _lively),
    4: (_level4, _lively),
    5: (_level5, _lively),
}


# Known-good exercises of each level (the lecture's, and draws of seeds 1 to 3 frozen): what
# ``exercise()`` gives if every draw for a seed failed. Each passes its level's checks.
FALLBACK: dict[int, list[Draw]] = {
    1: [
        LECTURE[1],
        (
            "v1 = u1 + u2\nv2 = v1 + u3\nv3 = u4*v2\nL = u5*v3",
            {"u1": -2.5, "u2": -5.0, "u3": 0.5, "u4": 1.0, "u5": -4.0},
            "Level 1 · + and * over 5 values",
        ),
    ],
    2: [
        (
            "a = v/r\nx = w - u\ni = x + u\ns = a + c\nL = s*i",
            {"v": 2.0, "r": 0.5, "w": 5.0, "u": -3.0, "c": -4.0},
            "Level 2 · a value used twice, - and /",
        ),
        (
            "n = h - i\np = j/k\nq = n + m\nr = p/m\nL = q + r",
            {"h": 5.0, "i": 5.0, "j": 4.0, "k": -0.5, "m": -0.5},
            "Level 2 · a value used twice, - and /",
        ),
    ],
    3: [
        LECTURE[3],
        (
            "n = bias + i1*k1 + i2*k2 + i3*k3\no = 1/(1 + exp(-n))\nloss = -log(1 - o)",
            {"i1": 0.0, "i2": -1.9, "i3": -0.3, "k1": 1.0, "k2": 1.6, "k3": -1.1, "bias": 0.4},
            "Level 3 · a sigmoid neuron written with exp, log loss",
        ),
    ],
    4: [
        (
            "h1 = relu(w1_1*a1 + w1_2*a2 + b1)\nh2 = relu(a1*w2_1 + a2*w2_2 + b2)\n"
            "loss = (h1 - y1)**2 + (h2 - y2)**2",
            {"a1": 2.9, "a2": 2.3, "w1_1": 1.2, "w1_2": 1.0, "b1": 1.2}
            | {"w2_1": -1.2, "w2_2": -0.5, "b2": -1.3, "y1": 0.0, "y2": 0.0},
            "Level 4 · a layer of two relu neurons",
        ),
    ],
    5: [
        (
            "h1_1 = tanh(b1_1 + w1_1_1*x1 + w1_1_2*x2)\nh1_2 = tanh(b1_2 + w1_2_1*x1 + w1_2_2*x2)\n"
            "h1_3 = tanh(b1_3 + w1_3_1*x1 + w1_3_2*x2)\n"
            "score = b2_1 + w2_1_1*h1_1 + w2_1_2*h1_2 + w2_1_3*h1_3\nloss = -log(sigmoid(y*score))",
            {"x1": -0.81, "x2": -0.75, "b1_1": -0.3, "w1_1_1": -0.2, "w1_1_2": 0.8, "b1_2": -0.9}
            | {"w1_2_1": 0.6, "w1_2_2": 0.3, "b1_3": 0.9, "w1_3_1": -0.2, "w1_3_2": 0.7, "b2_1": 0.8}
            | {"w2_1_1": 0.6, "w2_1_2": -0.2, "w2_1_3": -0.5, "y": -1.0},
            "Level 5 · a 2-3-1 tanh MLP, log loss",
        ),
    ],
}
