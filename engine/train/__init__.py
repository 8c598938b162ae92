"""Training an MLP, one JSON document at a time.

A run is a plain JSON-able dict (see ``DEFAULT_CONFIG`` and ``new_state``): the config, the
step count, the weights as ``{"layers": [{"neurons": [{"w": [...], "b": ...}]}]}``, the last
grads, the optimiser's state and the metric history. ``step(state, n)`` returns the next state
and one metric per step, and nothing else changes anywhere: the same state stepped twice gives
the same result, because minibatches are drawn from ``seed`` and the step number.

Where things are:

- ``state.py``: the state document, its defaults and the checks that relate its fields;
- ``run.py``: ``Run`` (unpack, forward, backward, the optimiser, pack), ``step``;
- ``dense.py``: the forward and backward passes a layer at a time (``engine.replay``'s numbers);
- ``request.py``: ``open_run``, the one place a training request is checked;
- ``views.py``: the decision boundary, the predictions, one sample as a program;
- ``presets.py``: the named runs.
"""

from .presets import PRESETS, Preset, preset_state
from .request import Limits, check_work, graph_nodes, open_run, step_work
from .run import Run, learning_rate, model_replay, new_state, normalise, per_sample_loss, step
from .state import (
    DEFAULT_CONFIG,
    LOSSES,
    OPTIMIZERS,
    REDUCTIONS,
    SCHEDULE_TEXT,
    SCHEDULES,
    VERSION,
    TrainError,
    check_config,
    config_of,
    dataset_of,
    from_weights,
    parameter_count,
    to_weights,
    weight_loc,
)
from .views import boundary, neurons, predictions, sample_program

__all__ = [
    "DEFAULT_CONFIG",
    "LOSSES",
    "OPTIMIZERS",
    "PRESETS",
    "REDUCTIONS",
    "SCHEDULES",
    "SCHEDULE_TEXT",
    "VERSION",
    "Limits",
    "Preset",
    "Run",
    "TrainError",
    "boundary",
    "check_config",
    "check_work",
    "config_of",
    "dataset_of",
    "from_weights",
    "graph_nodes",
    "learning_rate",
    "model_replay",
    "neurons",
    "new_state",
    "normalise",
    "open_run",
    "parameter_count",
    "per_sample_loss",
    "predictions",
    "preset_state",
    "sample_program",
    "step_work",
    "step",
    "to_weights",
    "weight_loc",
]
