"""The one place a training request is checked beyond its JSON types: ``open_run``.

The web layer checks each field's type and range (``app/train_schemas.py``, from the JSON
schema) and then calls ``open_run`` once; everything that relates fields to each other or to
a limit is here. Each problem is a ``TrainError`` whose ``loc`` is relative to the request:
``("state", "config", "layers")`` for a field of the state, ``("steps",)`` for one of the
request itself. The web layer only prefixes it (``body`` or ``query``) and answers 422.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ..datasets import INPUTS
from .run import Run
from .state import TrainError, config_of, parameter_count, weight_loc


class Limits(NamedTuple):
    """The limits a request must keep (the web layer's settings; these defaults are theirs)."""

    max_parameters: int = 2000  # weights and biases a model may have
    max_abs_weight: float = 1e6  # |weight| a state may carry
    max_work: int = 50_000_000  # steps x samples per step x parameters in one request
    max_graph_nodes: int = 400  # values in one sample's graph (the graph API draws no more)
    # a step's own cost in work units on top of samples x parameters: per step, per neuron, and
    # per parameter as if the batch had this many samples more (measured: bench/train_work.py)
    step_work: int = 3000
    neuron_work: int = 250
    parameter_work: int = 8
    max_neuron_values: int = 100_000  # hidden neurons x neuron_grid² in one answer's neuron maps


def open_run(
    state: dict[str, Any],
    limits: Limits,
    *,
    steps: int = 0,
    steps_field: str = "steps",
    grid: int | None = None,
    neuron_grid: int | None = None,
    sample: int | None = None,
    loss: bool = True,
) -> Run:
    """The state unpacked for stepping, once every check has passed; else ``TrainError``.

    ``steps`` (named ``steps_field`` in the request) is checked against ``max_work``; ``grid``
    and ``neuron_grid`` need 2-D data (and the neuron maps must fit ``max_neuron_values``);
    ``sample`` asks for one sample's graph (its index and its size).
    """
    config = config_of(state)
    name = config["dataset"]["name"]
    if name in INPUTS and isinstance(config["layers"], list):
        count = parameter_count(INPUTS[name], config["layers"])
        if count > limits.max_parameters:
            message = f"the model would have {count} parameters; the limit is {limits.max_parameters}"
            raise TrainError(("state", "config", "layers"), message)
    try:
        run = Run(state)
    except TrainError as error:
        raise TrainError(("state", *error.loc), error.message) from None
    biggest = int(np.argmax(np.abs(run.params)))
    if abs(run.params[biggest]) > limits.max_abs_weight:
        where = weight_loc(run.nin, run.layers, biggest)
        message = f"weights must lie within ±{limits.max_abs_weight:g}, got {run.params[biggest]:g}"
        raise TrainError(("state", *where), message)
    if grid is not None and run.nin != 2:
        message = f"the decision boundary needs a dataset with 2 inputs; {name!r} has {run.nin}"
        raise TrainError(("grid",), message)
    if neuron_grid is not None:
        if run.nin != 2:
            message = f"neuron maps need a dataset with 2 inputs; {name!r} has {run.nin}"
            raise TrainError(("neuron_grid",), message)
        values = sum(run.layers[:-1]) * neuron_grid**2
        if values > limits.max_neuron_values:
            message = (
                f"{sum(run.layers[:-1])} hidden neurons x {neuron_grid}² points is {values} values, "
                f"over the limit of {limits.max_neuron_values}; ask for a smaller neuron_grid"
            )
            raise TrainError(("neuron_grid",), message)
    check_work(run, steps, limits, steps_field)
    if sample is not None:
        nodes = graph_nodes(run, loss)
        if nodes > limits.max_graph_nodes:
            limit = limits.max_graph_nodes
            message = f"one sample's graph has {nodes} values, more than the {limit} the graph API draws"
            raise TrainError(("state", "config", "layers"), f"{message}; use a smaller net")
        if not 0 <= sample < len(run.X):
            raise TrainError(("sample",), f"expected a sample index from 0 to {len(run.X) - 1}, got {sample}")
    return run


def step_work(run: Run, limits: Limits) -> int:
    """The work of one training step, in the units of ``max_work``: samples x parameters, plus a
    fixed cost per step, per neuron and per parameter (which dominate small batches)."""
    batch = min(run.config["batch_size"] or len(run.X), len(run.X))
    overhead = limits.step_work + limits.neuron_work * sum(run.layers)
    return (batch + limits.parameter_work) * len(run.params) + overhead


def check_work(
    run: Run, steps: int, limits: Limits, field: str, advice: str = "take fewer steps per request"
) -> None:
    """``TrainError`` at ``field`` if ``steps`` steps of this run are over ``max_work``."""
    batch = run.config["batch_size"] or len(run.X)
    work = steps * step_work(run, limits)
    if work > limits.max_work:
        message = (
            f"{steps} steps x {batch} samples x {len(run.params)} parameters (plus each step's own "
            f"cost) is {work} units of work, over the limit of {limits.max_work}"
        )
        raise TrainError((field,), f"{message}; {advice}")


def graph_nodes(run: Run, loss: bool = True) -> int:
    """Values in one sample's graph (leaves included), ending at its loss or at its score."""
    return run.replay.size if loss else len(run.replay.output_ops) + len(run.params) + run.nin
