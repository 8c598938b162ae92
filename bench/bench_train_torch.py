"""Training: our micrograd-demo step against PyTorch's CPU step, in one run.

    .venv/bin/python -m bench.bench_train_torch [--rounds N]

PyTorch is the reference (issue 15, item 4): one thread, float64, the same data (moons, 100
samples), the same net (MLP(2, [16, 16, 1]), ReLU) with the same initial weights, the same
loss (SVM max-margin, mean, + 1e-4 L2), full batch, SGD with the demo's linear schedule; each
step reads its loss and accuracy out as Python numbers, as ours do. Against it, interleaved
so all see the same load:
  engine   ``Run(state).train(100)`` per step: unpack the state, 100 steps, no JSON;
  api      POST /api/train/step through TestClient with 100 steps a request, per step: the
           JSON body parsed and validated, the run, the JSON answer (the step-0 state, and
           the state after 100 steps, which carries a history of 100 metrics).
Target: api / torch <= 1. PyTorch is not a dependency of chainrule: without it installed
(``pip install torch`` into the .venv) the reference is skipped and only our times print.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
warnings.filterwarnings("ignore", category=DeprecationWarning)

import numpy as np  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from app.main import app  # noqa: E402
from engine.train import Run, dataset_of, learning_rate, preset_state, step  # noqa: E402

STEPS = 100  # steps per request, as the training page asks for

try:
    import torch
except ImportError:  # the reference is optional: CI does not install PyTorch
    torch = None


def torch_demo(state: dict[str, Any]) -> Callable[[int], tuple[float, float]]:
    """The demo's step k in PyTorch from ``state``'s weights: returns (loss, accuracy)."""
    assert torch is not None
    config = state["config"]
    X, y = dataset_of(config)
    Xt, yt = torch.tensor(np.array(X), dtype=torch.float64), torch.tensor(np.array(y), dtype=torch.float64)
    params = []
    for layer in state["weights"]["layers"]:
        W = torch.tensor([n["w"] for n in layer["neurons"]], dtype=torch.float64, requires_grad=True)
        b = torch.tensor([n["b"] for n in layer["neurons"]], dtype=torch.float64, requires_grad=True)
        params.append((W, b))
    flat = [t for pair in params for t in pair]
    l2 = float(config["l2"])

    def one_step(k: int) -> tuple[float, float]:
        h = Xt
        for i, (W, b) in enumerate(params):
            h = h @ W.T + b
            if i < len(params) - 1:
                h = torch.relu(h)
        scores = h[:, 0]
        data_loss = torch.relu(1 - yt * scores).mean()
        total = data_loss + l2 * sum((p * p).sum() for p in flat)
        accuracy = ((yt > 0) == (scores > 0)).double().mean()
        for p in flat:
            p.grad = None  # model.zero_grad()
        total.backward()
        lr = learning_rate(config["optimizer"], k)
        with torch.no_grad():
            for p in flat:
                p -= lr * p.grad
        return float(total.item()), float(accuracy.item())

    return one_step


def torch_steps(one_step: Callable[[int], tuple[float, float]]) -> None:
    for k in range(STEPS):
        one_step(k)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15, help="interleaved rounds of 100 steps each")
    args = parser.parse_args()

    start = preset_state("micrograd-demo")
    later, _ = step(start, STEPS)  # the page's second request: its state carries 100 metrics
    bodies = {name: json.dumps({"state": s, "steps": STEPS}) for name, s in (("0", start), ("100", later))}
    keys = ("torch", "engine", "api", "api, history 100")
    times: dict[str, list[float]] = {key: [] for key in keys}  # seconds per step on the clock
    cpu: dict[str, list[float]] = {key: [] for key in keys}  # and of this process's CPU time

    if torch is not None:
        torch.set_num_threads(1)
        ours = [m["loss"] for m in step(start, STEPS)[1]]
        one_step = torch_demo(start)
        theirs = [one_step(k)[0] for k in range(STEPS)]
        gap = max(abs(a - b) / abs(b) for a, b in zip(ours, theirs, strict=True))
        print(f"PyTorch {torch.__version__}, 1 thread: its 100 losses differ from ours by at most {gap:.1e}")
    else:
        print("PyTorch is not installed: the PyTorch reference is skipped (pip install torch to see it)")

    def per_step(fn: Callable[[], object], key: str) -> None:
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        times[key].append((time.perf_counter() - t0) / STEPS)
        cpu[key].append((time.process_time() - c0) / STEPS)

    with TestClient(app) as client:
        headers = {"content-type": "application/json"}

        def post(body: str) -> None:
            response = client.post("/api/train/step", content=body, headers=headers)
            assert response.status_code == 200, response.text
            response.json()

        for r in range(args.rounds + 1):  # round 0 warms up
            if torch is not None:
                torch_run = torch_demo(start)
                per_step(functools.partial(torch_steps, torch_run), "torch")
            per_step(lambda: Run(start).train(STEPS), "engine")
            per_step(lambda: post(bodies["0"]), "api")
            per_step(lambda: post(bodies["100"]), "api, history 100")
            if r == 0:
                for v in [*times.values(), *cpu.values()]:
                    v.clear()

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; {args.rounds} rounds")
    reference = statistics.median(times["torch"]) if times["torch"] else None
    cpu_reference = statistics.median(cpu["torch"]) if cpu["torch"] else None
    print(f"{'per step':54} {'median':>10} {'best':>10} {'CPU median':>10}  against PyTorch")
    labels = {
        "torch": "PyTorch CPU step (1 thread, float64)",
        "engine": "our engine step (Run(state).train(100) / 100)",
        "api": "POST /api/train/step, 100 steps, per step",
        "api, history 100": "the same from step 100 (history of 100 in the body)",
    }
    for key, label in labels.items():
        if not times[key]:
            continue
        median, best, on_cpu = statistics.median(times[key]), min(times[key]), statistics.median(cpu[key])
        ratio = ""
        if reference and cpu_reference:
            ratio = f"{median / reference:5.2f}x (CPU {on_cpu / cpu_reference:5.2f}x)"
        print(f"{label:54} {median * 1e6:7.1f} us  {best * 1e6:7.1f} us  {on_cpu * 1e6:7.1f} us  {ratio}")
    if reference and cpu_reference:
        api = statistics.median(times["api"]) / reference
        api_cpu = statistics.median(cpu["api"]) / cpu_reference
        verdict = "met" if max(api, api_cpu) <= 1 else "NOT met"
        print(f"target: API step / PyTorch step <= 1: {api:.2f} (CPU {api_cpu:.2f}): {verdict}")


if __name__ == "__main__":
    main()
