"""How well the training work estimate (engine/train/request.py step_work) predicts the time a step
takes, across nets and batch sizes: the ratio ns per unit should be about the same everywhere,
small batches included (before: samples x parameters alone, which underrated small batches).

    .venv/bin/python bench/train_work.py

Prints a table: net, batch, measured ms per step, the old and the new estimate, and ns per unit
for each (the spread of the last column is what matters: a limit in units is a limit in time).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.routes.train import _limits  # noqa: E402  (the settings as the engine's Limits)
from app.train_schemas import TrainState  # noqa: E402
from engine.train import Run, step_work  # noqa: E402

NETS = [[4, 1], [16, 16, 1], [64, 64, 1]]
BATCHES = [1, 4, 16, 64, None]  # None: the whole dataset (1000 samples)


def ms_per_step(layers: list[int], batch: int | None) -> tuple[Run, float]:
    # a small learning rate: a run that diverges stops early, and its steps would look cheap
    config = {
        "dataset": {"name": "moons", "n_samples": 1000},
        "layers": layers,
        "batch_size": batch,
        "optimizer": {"lr": 0.001},
    }
    run = Run(TrainState(config=config).model_dump())
    run.train(2)
    steps = 40 if batch else 4
    best = float("inf")
    for _ in range(3):  # the best of three: the machine is shared
        started = time.perf_counter()
        done = len(run.train(steps))
        assert done == steps, run.stopped
        best = min(best, (time.perf_counter() - started) / steps)
    return run, best * 1e3


def main() -> None:
    print(
        f"{'net':<12} {'batch':>5} {'ms/step':>8} {'old units':>10} {'ns/unit':>8} "
        f"{'new units':>10} {'ns/unit':>8}"
    )
    old_ratios, new_ratios = [], []
    for layers in NETS:
        for batch in BATCHES:
            run, ms = ms_per_step(layers, batch)
            old = min(batch or len(run.X), len(run.X)) * len(run.params)
            new = step_work(run, _limits())
            old_ratios.append(ms * 1e6 / old)
            new_ratios.append(ms * 1e6 / new)
            print(
                f"{str(layers):<12} {batch or 1000:>5} {ms:>8.3f} {old:>10} {old_ratios[-1]:>8.1f} "
                f"{new:>10} {new_ratios[-1]:>8.1f}"
            )
    for name, ratios in (("old", old_ratios), ("new", new_ratios)):
        print(
            f"{name} estimate: ns per unit from {min(ratios):.1f} to {max(ratios):.1f} "
            f"(spread x{max(ratios) / min(ratios):.1f})"
        )


if __name__ == "__main__":
    main()
