"""Request and response models of the training API (documented in docs/api.md).

Field-level checks (types, ranges, named limits from ``Settings``) live here, in the JSON
schema; everything else about a request (weights against layer sizes, batch size against the
dataset, the parameter, weight and work limits) is checked in one place, the engine's
``engine.train.request.open_run``, and comes back as a 422 with the same ``loc`` shape.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from engine.datasets import INPUTS
from engine.nn import ACTIVATIONS
from engine.train import DEFAULT_CONFIG, LOSSES, OPTIMIZERS, REDUCTIONS, SCHEDULE_TEXT, SCHEDULES

from .schemas import Number  # a JSON number (not a string, not a bool), finite
from .settings import get_settings

LIMITS = get_settings()
OPT = DEFAULT_CONFIG["optimizer"]
DATA = DEFAULT_CONFIG["dataset"]

Count = Annotated[int, Strict()]
# the engine's lists of names, as types
DatasetName = Literal[tuple(INPUTS)]  # type: ignore[valid-type]
Activation = Literal[ACTIVATIONS]  # type: ignore[valid-type]
Loss = Literal[LOSSES]  # type: ignore[valid-type]
Reduction = Literal[REDUCTIONS]  # type: ignore[valid-type]
OptimizerName = Literal[OPTIMIZERS]  # type: ignore[valid-type]
Schedule = Literal[SCHEDULES]  # type: ignore[valid-type]
MAX_SEED = 2**32 - 1  # numpy's RandomState takes seeds below 2**32
MAX_STEP = 10**9  # a state's step count; a request may not step past it
# one of the class's own points: [x, y, label], each coordinate finite and within the bound
Coordinate = Annotated[Number, Field(ge=-LIMITS.train_max_coordinate, le=LIMITS.train_max_coordinate)]
Label = Annotated[
    Count, AfterValidator(lambda v: _label(v)), WithJsonSchema({"type": "integer", "enum": [1, -1]})
]
Point = tuple[Coordinate, Coordinate, Label]


def _label(value: int) -> int:
    if value not in (1, -1):
        raise ValueError(f"a point's label is 1 or -1, got {value}")
    return value


MAX_UNKNOWN_FIELDS = 20  # more unknown keys in one object are reported as one error


class Model(BaseModel):
    # unknown fields are errors: a typo such as "lr_ned" is reported, not silently ignored
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _few_unknown_fields(cls, data: Any) -> Any:
        # thousands of unknown keys are one error, not thousands (each costs work on the event loop)
        fields = cls.model_fields
        if isinstance(data, dict) and len(data) > len(fields) + MAX_UNKNOWN_FIELDS:
            unknown = [key for key in data if key not in fields]
            shown = ", ".join(repr(str(key)[:40]) for key in unknown[:3])
            raise ValueError(f"{len(unknown)} unknown fields ({shown}, ...)")
        return data


class DatasetConfig(Model):
    name: DatasetName = Field(default=DATA["name"], description="'lecture' has 3 inputs, the others 2.")
    n_samples: Count = Field(
        default=DATA["n_samples"], ge=2, le=LIMITS.train_max_samples, description="Ignored by 'lecture' (4)."
    )
    noise: Number = Field(
        default=DATA["noise"], ge=0, le=LIMITS.train_max_noise, description="Std of the gaussian noise."
    )
    seed: Count = Field(default=DATA["seed"], ge=0, le=MAX_SEED)
    points: list[Point] | None = Field(
        default=None,
        # only "custom" has points: the other datasets' states stay as they were
        exclude_if=lambda points: points is None,
        min_length=1,
        max_length=LIMITS.train_max_points,
        description="The points of dataset 'custom', each [x, y, label] with label 1 or -1 and "
        f"|x|, |y| <= {LIMITS.train_max_coordinate:g} (train_max_coordinate). Other datasets ignore it.",
    )


class OptimizerConfig(Model):
    name: OptimizerName = OPT["name"]
    lr: Number = Field(
        default=OPT["lr"], gt=0, le=LIMITS.train_max_lr, description="Learning rate at step 0."
    )
    schedule: Schedule = Field(
        default=OPT["schedule"],
        description=" ".join(f"{name}: {text}" for name, text in SCHEDULE_TEXT.items()),
    )
    lr_end: Number = Field(default=OPT["lr_end"], ge=0, le=LIMITS.train_max_lr)
    decay_steps: Count = Field(default=OPT["decay_steps"], ge=1, le=10**9)
    beta1: Number = Field(default=OPT["beta1"], ge=0, lt=1)
    beta2: Number = Field(default=OPT["beta2"], ge=0, lt=1)
    eps: Number = Field(default=OPT["eps"], gt=0, le=1)


class TrainConfig(Model):
    dataset: DatasetConfig = Field(default_factory=DatasetConfig)
    layers: list[Annotated[Count, Field(ge=1, le=LIMITS.train_max_width)]] = Field(
        default=DEFAULT_CONFIG["layers"],
        min_length=1,
        max_length=LIMITS.train_max_layers,
        description="Neurons per layer as micrograd's MLP(nin, nouts); the last must be 1 (the score).",
    )
    activation: Activation = DEFAULT_CONFIG["activation"]
    loss: Loss = DEFAULT_CONFIG["loss"]
    reduction: Reduction = DEFAULT_CONFIG["reduction"]
    l2: Number = Field(default=DEFAULT_CONFIG["l2"], ge=0, le=LIMITS.train_max_l2)
    optimizer: OptimizerConfig = Field(default_factory=OptimizerConfig)
    batch_size: Count | None = Field(
        default=None, ge=1, le=LIMITS.train_max_samples, description="null: full batch."
    )
    seed: Count = Field(
        default=DEFAULT_CONFIG["seed"], ge=0, le=MAX_SEED, description="Init and minibatches."
    )
    forget_zero_grad: bool = Field(default=False, description="Teaching toggle: grads pile up across steps.")


class NeuronWeights(Model):
    w: list[Number] = Field(max_length=LIMITS.train_max_width, fail_fast=True)
    b: Number


class LayerWeights(Model):
    neurons: list[NeuronWeights] = Field(max_length=LIMITS.train_max_width, fail_fast=True)


class Weights(Model):
    layers: list[LayerWeights] = Field(max_length=LIMITS.train_max_layers, fail_fast=True)


class AdamState(Model):
    m: Weights
    v: Weights


class Metric(Model):
    step: Count = Field(ge=0, description="The step's index k (0 for the first step).")
    loss: Number = Field(description="Total loss (data + L2) on the step's batch, before its update.")
    accuracy: Number = Field(ge=0, le=1, description="Fraction of the batch on the right side of 0.")
    # optional so that runs exported before these fields still import
    lr: Number | None = Field(default=None, ge=0, description="The learning rate the step used.")
    grad_norms: list[Number] | None = Field(
        default=None,
        max_length=LIMITS.train_max_layers,
        description="The L2 norm of each layer's gradient (its weights and biases), input side first.",
    )


class Stopped(Model):
    step: Count = Field(ge=0, description="The step that was not applied.")
    reason: str


class TrainState(Model):
    version: Literal[1] = 1
    config: TrainConfig = Field(default_factory=TrainConfig)
    step: Count = Field(default=0, ge=0, le=MAX_STEP, description="Steps done so far.")
    weights: Weights | None = Field(default=None, description="null: initialise from config.seed.")
    grads: Weights | None = Field(default=None, description="The grads the last step used.")
    optimizer_state: AdamState | None = None
    history: list[Metric] = Field(default_factory=list, max_length=LIMITS.train_max_history, fail_fast=True)
    stopped: Stopped | None = Field(default=None, description="Why the last request stopped early.")


class Boundary(BaseModel):
    size: int
    x_min: float
    x_max: float
    y_min: float
    y_max: float
    scores: list[list[float]] = Field(
        description="scores[i][j]: the score at x = x_min + j*(x_max-x_min)/(size-1), y = y_min + i*(...)."
    )


class Predictions(BaseModel):
    x: list[list[float]]
    target: list[float]
    score: list[float]
    loss: float | None = Field(
        default=None, description="The whole dataset's total loss (data + L2) under these weights."
    )
    accuracy: float | None = Field(
        default=None, description="Fraction of the dataset on the right side of 0."
    )


Grid = Annotated[Count, Field(ge=2, le=LIMITS.train_max_grid)]


class StepRequest(Model):
    state: TrainState
    steps: Count = Field(
        default=1, ge=0, le=LIMITS.train_max_steps_per_request, description="0: evaluate only."
    )
    grid: Grid | None = Field(default=None, description="Add the decision boundary on a grid x grid raster.")
    predictions: bool = Field(default=False, description="Add every sample with its score.")
    neuron_grid: Grid | None = Field(
        default=None,
        description="Add each hidden neuron's output on a neuron_grid x neuron_grid raster of the "
        "boundary's plane (2-input datasets; hidden neurons x neuron_grid² <= train_max_neuron_values).",
    )

    @field_validator("steps")
    @classmethod
    def _room_for_steps(cls, steps: int, info: ValidationInfo) -> int:
        # else the answer's state would be over the step limit (and fail its own schema)
        state = info.data.get("state")
        if state is not None and state.step + steps > MAX_STEP:
            raise ValueError(f"the state is at step {state.step}; steps may take it to {MAX_STEP} at most")
        return steps


class NeuronMap(BaseModel):
    layer: int = Field(description="The hidden layer, 1-based.")
    index: int = Field(description="The neuron in its layer, 1-based.")
    size: int
    scores: list[list[float]] = Field(
        description="The neuron's output (its activation) at the points of a boundary of this size."
    )


class StepResponse(BaseModel):
    state: TrainState = Field(description="The state after the steps.")
    metrics: list[Metric]
    stopped: Stopped | None = None
    boundary: Boundary | None = None
    predictions: Predictions | None = None
    neurons: list[NeuronMap] | None = Field(
        default=None, description="Each hidden neuron's output over the plane (neuron_grid)."
    )
    lr: float | None = Field(default=None, description="The learning rate the next step will use.")
    sample_nodes: int | None = Field(
        default=None, description="How many values one sample's graph has (POST /api/train/graph)."
    )


class InitRequest(Model):
    config: TrainConfig = Field(default_factory=TrainConfig)


class InitResponse(BaseModel):
    state: TrainState


class PresetOut(BaseModel):
    name: str
    title: str
    description: str
    steps: int = Field(description="How many steps the preset is meant to run.")
    state: TrainState


class PresetsResponse(BaseModel):
    presets: list[PresetOut]
    schedules: dict[str, str] = Field(
        description="What each learning-rate schedule does, in words to show next to the field."
    )
    max_history: int = Field(
        description="The most metric entries a state's history may hold (train_max_history): "
        "a client keeping more sends only the last ones."
    )


class StreamRequest(StepRequest):
    steps: Count = Field(default=100, ge=1, le=LIMITS.train_max_stream_steps, description="Steps in total.")
    every: Count = Field(
        default=1, ge=1, le=LIMITS.train_max_steps_per_request, description="Steps per event."
    )
    interval_ms: Count = Field(
        default=0, ge=0, le=LIMITS.train_max_interval_ms, description="Pause between events."
    )


class SampleGraphRequest(Model):
    state: TrainState
    sample: Count = Field(default=0, ge=0, description="Which sample of the dataset (0-based).")
    loss: bool = Field(default=True, description="End the graph at the sample's loss (else at its score).")


class SampleGraphResponse(BaseModel):
    source: str = Field(description="A program of the expression language: POST it to /api/graph.")
    values: dict[str, float] = Field(
        description="The leaves: inputs x1.., target y, weights w<layer>_<neuron>_<input>, biases."
    )
    nodes: int = Field(description="Values in the graph (leaves included).")
