"""How long ``parse`` takes on a large generated corpus, worst case first.

    .venv/bin/python -m bench.bench_parse [--random N] [--seed S]

The corpus: valid programs near every limit (5,000-node chains, nesting at the depth limit,
thousands of statements), random text (ASCII, any unicode, soups of language fragments, up
to the source limit), and pathological inputs (10,000 '(', signs, NULs, a bad character at
the very end of a long valid program, thousands of names without values, 9**9**9, ...).

Each input is parsed a few times and its best time kept (that is the cost of parsing it;
the rest is the machine's load). Prints the worst inputs, the median and the worst overall,
in CPU milliseconds and as a ratio to the engine alone building 5,000 nodes (a ratio moves
less with the machine than milliseconds do). Target (issue 3): worst under 50 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine import Value  # noqa: E402
from engine.expr import MAX_DEPTH, MAX_NAME_CHARS, MAX_NODES, MAX_SOURCE_CHARS, ExprError, parse  # noqa: E402

REPEATS = 3  # each input is parsed this many times, and the best time kept
CONFIRM = 12  # then the slowest inputs are timed again, round-robin...
CONFIRM_ROUNDS = 15  # ...this many more times each, still keeping the best
TARGET_MS = 50.0
VALUES = {"a": 0.5, "b": -1.5, "x": 0.9, "y": 2.0}


def near_the_limits() -> Iterator[tuple[str, str]]:
    n = MAX_SOURCE_CHARS // 2
    yield "chain a+a+... (5,000 terms)", "+".join(["a"] * n)
    yield "chain x*x*... (5,000 terms)", "*".join(["x"] * n)
    yield "chain 1+1+... (node limit)", "+".join(["1"] * (MAX_NODES // 2))
    yield "chain 1+1+... (over the node limit)", "+".join(["1"] * n)
    yield "sum of products a*b+a*b+...", "+".join(["a*b"] * (MAX_SOURCE_CHARS // 4))
    yield "2,000 statements", "a = 0.5\n" + "a = a*b + x\n" * ((MAX_SOURCE_CHARS - 8) // 12) + "a"
    yield "parens at the depth limit", "(" * (MAX_DEPTH - 1) + "a" + ")" * (MAX_DEPTH - 1)
    yield "tanh( at the depth limit", "tanh(" * (MAX_DEPTH - 1) + "a" + ")" * (MAX_DEPTH - 1)
    yield "a**a**... at the depth limit", "**".join(["a"] * MAX_DEPTH)
    yield "signs at the depth limit", "-" * (MAX_DEPTH - 1) + "a"
    yield "nested sums (a+(a+(...)))", "(a+" * 99 + "a" + ")" * 99
    yield "many distinct names", "+".join(f"v{i}" for i in range(MAX_SOURCE_CHARS // 6))
    program = "\n".join(f"name{i} = {i}" for i in range(700))
    yield "700 assignments then a typo (suggestions)", program + "\nnamme5 * 2"
    yield "lecture", "a = 2.0\nb = -3.0\nc = 10\nf = -2\ne = a*b\nd = e + c\nL = d * f"


def pathological() -> Iterator[tuple[str, str]]:
    yield "10,000 '('", "(" * MAX_SOURCE_CHARS
    yield "10,001 '('", "(" * (MAX_SOURCE_CHARS + 1)
    yield "10,000 '-' then a", "-" * (MAX_SOURCE_CHARS - 1) + "a"
    yield "1,000,000 characters", "a+" * 500_000
    yield "10,000 NULs", "\x00" * MAX_SOURCE_CHARS
    yield "valid 9,999 chars then '€'", "a+" * (MAX_SOURCE_CHARS // 2 - 1) + "€"
    yield "valid chain then a missing ')'", "(" + "a+" * (MAX_SOURCE_CHARS // 2 - 2) + "a"
    yield "5,000 names, none with a value", "+".join(["q"] * (MAX_SOURCE_CHARS // 2))
    yield "1,600 distinct missing names", "+".join(f"m{i}" for i in range(1600))
    yield "a a a ... (no operators)", " ".join(["a"] * (MAX_SOURCE_CHARS // 2))
    yield "9**9**9", "9**9**9"
    yield "1e999", "1e999"
    yield "exp overflow chain", "x = 2\n" + "x = exp(x)\n" * 20 + "x"
    yield "long literal", "1" * 5000
    yield "long name", "a" * 5000
    yield "5,000 newlines", "\n" * 5000 + "a"
    yield "5,000 comments", "# c\n" * 2400 + "a"
    yield "5,000 ';'", ";" * 9999 + "a"
    yield "unicode minus soup", "a−" * 5000
    yield "CRLF program", "a = 1\r\n" * 1400 + "a"
    # "did you mean": a missing name compared with every name that has one, all long and alike
    rng = random.Random(64)
    alike = ["".join(rng.choice("ab") for _ in range(MAX_NAME_CHARS)) for _ in range(147)]
    yield "146 long alike names, then a missing one", "".join(f"{n} = 1\n" for n in alike[:-1]) + alike[-1]


FRAGMENTS = [
    "a", "b", "x", "y", "q", "tanh(", "exp(", "log(", "relu(", "sigmoid(", "sin(", "(", ")", "+",
    "-", "*", "/", "**", "=", ";", "\n", " ", "2", ".5", "1e-3", "1e308", "9", "0", "e", ",",
    ".", "#c\n", "−", "а", "\x00", "lambda", "a = ", "__",
]  # fmt: skip


def random_text(rng: random.Random, count: int) -> Iterator[tuple[str, str]]:
    for i in range(count):
        size = rng.choice([10, 100, 1000, MAX_SOURCE_CHARS])
        kind = i % 4
        if kind == 0:
            yield "random ASCII", "".join(chr(rng.randrange(32, 127)) for _ in range(size))
        elif kind == 1:
            yield "random unicode", "".join(chr(rng.randrange(0, 0x30000)) for _ in range(size // 4))
        elif kind == 2:
            text = "".join(rng.choice(FRAGMENTS) for _ in range(size // 3))
            yield "fragment soup", text[:MAX_SOURCE_CHARS]
        else:
            yield "random valid program", random_program(rng, size)


def random_program(rng: random.Random, size: int) -> str:
    """Statements of random expressions over a, b, x, y and earlier names, about ``size`` chars."""
    lines: list[str] = []
    names = ["a", "b", "x", "y"]
    length = 0
    while length < size - 60:
        expr = rng.choice(names)
        for _ in range(rng.randrange(1, 12)):
            op = rng.choice(["+", "-", "*", "/", "**2", "tanh", "sigmoid", "relu", "exp"])
            if op in ("tanh", "sigmoid", "relu"):
                expr = f"{op}({expr})"
            elif op == "exp":
                expr = f"exp(tanh({expr}))"
            elif op == "**2":
                expr = f"({expr})**2"
            elif op == "/":
                expr = f"({expr}) / (1 + {rng.choice(names)}**2)"
            else:
                expr = f"{expr} {op} {rng.choice(names)}"
        name = f"t{len(lines)}"
        lines.append(f"{name} = {expr}")
        names.append(name)
        length += len(lines[-1]) + 1
    return "\n".join(lines) or "a"


def cpu_ms(source: str, repeats: int = REPEATS) -> tuple[float, str]:
    best = float("inf")
    outcome = ""
    for _ in range(repeats):
        start = time.process_time()
        try:
            parse(source, VALUES)
            outcome = "graph"
        except ExprError as error:
            outcome = "error: " + error.message[:50]
        best = min(best, time.process_time() - start)
    return best * 1000, outcome


def engine_ms(nodes: int = 5000) -> float:
    best = float("inf")
    for _ in range(CONFIRM_ROUNDS):
        start = time.process_time()
        a = Value(0.5)
        out = a
        for _ in range(nodes):
            out = out + a
        best = min(best, time.process_time() - start)
    return best * 1000


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--random", type=int, default=1200, help="random inputs (default 1200)")
    arguments.add_argument("--seed", type=int, default=3)
    options = arguments.parse_args()
    corpus = [
        *near_the_limits(),
        *pathological(),
        *random_text(random.Random(options.seed), options.random),
    ]
    baseline = engine_ms()
    best: list[float] = []
    outcomes: list[str] = []
    for _, source in corpus:
        ms, outcome = cpu_ms(source)
        best.append(ms)
        outcomes.append(outcome)
    # bursts of load from other processes inflate single timings: re-time the slowest inputs
    # round-robin, so that one burst can't spoil all of an input's tries, and keep the best
    slowest = sorted(range(len(corpus)), key=lambda i: best[i], reverse=True)[:CONFIRM]
    for _ in range(CONFIRM_ROUNDS):
        for i in slowest:
            best[i] = min(best[i], cpu_ms(corpus[i][1], repeats=1)[0])
    results = sorted(
        ((best[i], label, len(source), outcomes[i]) for i, (label, source) in enumerate(corpus)), reverse=True
    )
    times = [ms for ms, *_ in results]
    print(f"{len(results)} inputs; engine alone builds 5,000 nodes in {baseline:.1f} ms CPU\n")
    print(f"{'ms CPU':>8} {'x engine':>8} {'chars':>9}  input -> outcome")
    for ms, label, size, outcome in results[:15]:
        print(f"{ms:8.2f} {ms / baseline:8.2f} {size:9,}  {label} -> {outcome}")
    worst = times[0]
    median = statistics.median(times)
    print(f"\nmedian {median:.3f} ms, worst {worst:.1f} ms ({worst / baseline:.1f}x the engine alone)")
    print(f"target: worst under {TARGET_MS:.0f} ms: {'met' if worst < TARGET_MS else 'NOT met'}")


if __name__ == "__main__":
    main()
