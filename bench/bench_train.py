"""Training: our micrograd-demo step against micrograd's own, in one process.

    .venv/bin/python -m bench.bench_train            # all 100 micrograd steps (a few minutes)
    .venv/bin/python -m bench.bench_train --steps 5  # a quick look

Runs demo.ipynb's loop on micrograd 0.1.0 from PyPI, timing every step and checking that our
trajectory (losses, accuracies, final weights) equals it; then times our step on the same run
three ways (the engine alone, the stateless step on a JSON state, POST /api/train/step) and
one step plus a 50x50 decision-boundary grid.
Targets: our demo step at least 150x faster than micrograd's; one step plus a 50x50 grid
under 10 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from fastapi.testclient import TestClient
from micrograd.engine import Value as MgValue
from micrograd.nn import MLP as MgMLP
from sklearn.datasets import make_moons

from app.main import app
from engine.train import Run, boundary, from_weights, preset_state, step
from tests.micrograd_demo import demo_loss, demo_moons


class Timing(NamedTuple):
    wall: float  # median seconds on the clock
    best: float  # fewest seconds on the clock
    cpu: float  # median seconds of this process's CPU time: what the work costs, whatever the load


def measure(samples: list[tuple[float, float]]) -> Timing:
    walls, cpus = [w for w, _ in samples], [c for _, c in samples]
    return Timing(statistics.median(walls), min(walls), statistics.median(cpus))


def micrograd_demo(steps: int) -> tuple[list[tuple[float, float]], Timing, list[float]]:
    """demo.ipynb on micrograd: per step (loss, accuracy), the step's timing, final weights."""
    X, y, model = demo_moons(make_moons, MgMLP)
    trajectory, samples = [], []
    for k in range(steps):
        start, start_cpu = time.perf_counter(), time.process_time()
        total_loss, acc = demo_loss(model, X, y, MgValue)
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        samples.append((time.perf_counter() - start, time.process_time() - start_cpu))
        trajectory.append((float(total_loss.data), float(acc)))
        print(
            f"  micrograd step {k} loss {total_loss.data:.10f} accuracy {acc:.2f} ({samples[-1][0]:.2f} s)",
            flush=True,
        )
    return trajectory, measure(samples), [float(p.data) for p in model.parameters()]


def timed(f: Callable[[], object], repeats: int) -> Timing:
    f()
    samples = []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        f()
        samples.append((time.perf_counter() - start, time.process_time() - start_cpu))
    return measure(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=100, help="micrograd steps to run and compare")
    parser.add_argument("--repeats", type=int, default=200, help="timed repeats of our step")
    args = parser.parse_args()

    print(f"micrograd 0.1.0, demo.ipynb, {args.steps} steps:")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    reference, mg, mg_weights = micrograd_demo(args.steps)

    state, metrics = step(preset_state("micrograd-demo"), args.steps)
    worst = max(abs(m["loss"] - loss) / loss for m, (loss, _) in zip(metrics, reference, strict=True))
    same_accuracy = all(m["accuracy"] == acc for m, (_, acc) in zip(metrics, reference, strict=True))
    weights_gap = float(np.abs(from_weights(state["weights"], 2, [16, 16, 1]) - mg_weights).max())
    print(f"trajectory: worst relative loss difference {worst:.1e}, accuracies equal: {same_accuracy}, ")
    print(f"  final weights differ by at most {weights_gap:.1e}; last step loss {metrics[-1]['loss']:.6f}, ")
    print(f"  accuracy {metrics[-1]['accuracy']:.0%} (notebook: step 0 loss 0.8958, 50%; ends at 100%)")

    start_state = preset_state("micrograd-demo")
    run = Run(start_state)
    engine_step = timed(
        lambda: Run(start_state).train(1), args.repeats
    )  # unpack + forward + backward + update
    stateless_step = timed(lambda: json.dumps(step(json.loads(json.dumps(start_state)), 1)), args.repeats)
    grid = timed(lambda: boundary(run, 50), args.repeats)

    def step_and_grid() -> None:
        r = Run(start_state)
        r.train(1)
        boundary(r, 50)

    both = timed(step_and_grid, args.repeats)

    with TestClient(app) as client:
        body = {"state": start_state, "steps": 1}
        http_step = timed(lambda: client.post("/api/train/step", json=body), args.repeats // 4)
        http_both = timed(
            lambda: client.post("/api/train/step", json={**body, "grid": 50}), args.repeats // 4
        )

    print(f"\nload average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; ratios: micrograd / ours")
    header = "wall median   wall best    CPU median   ratio (wall)  ratio (CPU)"
    print(f"{'':64} {header}")
    rows = [
        ("micrograd 0.1.0: one demo step", mg),
        ("our step (engine: state -> arrays, forward, backward, update)", engine_step),
        ("our stateless step (JSON state in, JSON state out)", stateless_step),
        ("POST /api/train/step, 1 step (TestClient, validation included)", http_step),
        ("50x50 decision boundary alone", grid),
        ("one step + 50x50 grid (engine)", both),
        ("POST /api/train/step, 1 step + grid 50", http_both),
    ]
    for name, t in rows:
        times = f"{t.wall * 1000:9.2f} ms {t.best * 1000:9.2f} ms {t.cpu * 1000:9.2f} ms"
        print(f"{name:64} {times}  {mg.wall / t.wall:8.0f}x {mg.cpu / t.cpu:12.0f}x")
    print(
        f"\ntarget 1, demo step >= 150x faster than micrograd's: engine {mg.wall / engine_step.wall:.0f}x"
        f" (CPU {mg.cpu / engine_step.cpu:.0f}x), stateless {mg.wall / stateless_step.wall:.0f}x"
        f" (CPU {mg.cpu / stateless_step.cpu:.0f}x)"
    )
    print(
        f"target 2, step + 50x50 grid < 10 ms: median {both.wall * 1000:.2f} ms,"
        f" best {both.best * 1000:.2f} ms, CPU {both.cpu * 1000:.2f} ms"
    )


if __name__ == "__main__":
    main()
