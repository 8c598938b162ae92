"""The training API: presets, stateless steps, and a live stream of steps (server-sent events).

The server keeps nothing: every request carries the whole run (a ``TrainState``) and gets the
next one back, so any worker can serve any step. The reference is docs/api.md.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query
from fastapi.exceptions import RequestValidationError
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import ValidationError

from engine.train import (
    PRESETS,
    SCHEDULE_TEXT,
    Limits,
    Run,
    TrainError,
    boundary,
    check_work,
    graph_nodes,
    learning_rate,
    open_run,
    predictions,
    preset_state,
    sample_program,
)

from ..settings import get_settings
from ..slots import Busy, Slots
from ..train_schemas import (
    InitRequest,
    InitResponse,
    PresetOut,
    PresetsResponse,
    SampleGraphRequest,
    SampleGraphResponse,
    StepRequest,
    StepResponse,
    StreamRequest,
    TrainConfig,
    TrainState,
)

router = APIRouter(prefix="/api/train", tags=["train"])

ERRORS: dict[int | str, dict[str, Any]] = {
    413: {"description": "The request body is over the size limit."},
    422: {"description": "A field is invalid; `loc` names it (also for weights that do not fit the layers)."},
    503: {"description": "Every training slot stayed busy for the whole wait; try again (Retry-After)."},
}


@cache
def _training_slots() -> Slots:
    settings = get_settings()
    return Slots(settings.train_max_concurrent, settings.train_wait_seconds)


def _busy() -> HTTPException:
    limit = get_settings().train_max_concurrent
    message = f"the server is busy training other runs ({limit} at a time); try again in a moment"
    return HTTPException(503, detail={"message": message}, headers={"Retry-After": "1"})


def _invalid(loc: tuple[Any, ...], message: str) -> RequestValidationError:
    return RequestValidationError([{"type": "value_error", "loc": loc, "msg": message}])


def _limits() -> Limits:
    settings = get_settings()
    return Limits(
        max_parameters=settings.train_max_parameters,
        max_abs_weight=settings.train_max_abs_weight,
        max_work=settings.train_max_work,
        max_graph_nodes=settings.max_render_nodes,
    )


def _run(
    state: TrainState,
    at: tuple[Any, ...] = ("body",),
    state_at: tuple[Any, ...] | None = None,
    **request: Any,
) -> Run:
    """``open_run`` on the request (engine/train/request.py checks it all), or a 422 naming the field:
    a request field under ``at``, a state field under ``state_at`` (default: ``at`` + "state")."""
    try:
        return open_run(state.model_dump(), _limits(), **request)
    except TrainError as error:
        raise _from_train_error(error, at, state_at) from None


def _from_train_error(
    error: TrainError, at: tuple[Any, ...], state_at: tuple[Any, ...] | None = None
) -> RequestValidationError:
    if error.loc[:1] == ("state",):
        return _invalid(
            (*(state_at if state_at is not None else (*at, "state")), *error.loc[1:]), error.message
        )
    return _invalid((*at, *error.loc), error.message)


def _answer(
    run: Run, metrics: list[dict[str, Any]], grid: int | None, with_predictions: bool
) -> dict[str, Any]:
    return {
        "state": run.to_state(get_settings().train_max_history),
        "metrics": metrics,
        "stopped": run.stopped,
        "boundary": boundary(run, grid) if grid is not None else None,
        "predictions": predictions(run) if with_predictions else None,
        "lr": learning_rate(run.config["optimizer"], run.step),
        "sample_nodes": run.replay.size,
    }


@cache
def _presets() -> PresetsResponse:
    return PresetsResponse(
        presets=[
            PresetOut(
                name=name, title=p.title, description=p.description, steps=p.steps, state=preset_state(name)
            )
            for name, p in PRESETS.items()
        ],
        max_history=get_settings().train_max_history,
        schedules=SCHEDULE_TEXT,
    )


@router.get("/presets", response_model=PresetsResponse)
def get_presets() -> PresetsResponse:
    """Runs that reproduce the sources (micrograd's demo, the lecture) and show what goes wrong."""
    return _presets()


@router.post("/init", response_model=InitResponse, responses=ERRORS)
def post_init(request: InitRequest) -> dict[str, Any]:
    """A run at step 0 for a config: micrograd's initial weights under ``config.seed``."""
    run = _run(TrainState(config=request.config), state_at=("body",))
    return {"state": run.to_state(get_settings().train_max_history)}


@router.post("/step", response_model=StepResponse, responses=ERRORS)
def post_step(request: StepRequest) -> dict[str, Any]:
    """Run ``steps`` training steps on the state and return the next state, one metric per step
    (measured on the step's forward pass, before its update), and optionally the decision
    boundary and every sample's score under the new weights."""
    try:
        with _training_slots():
            run = _run(request.state, steps=request.steps, grid=request.grid)
            metrics = run.train(request.steps, get_settings().train_max_abs_weight)
            return _answer(run, metrics, request.grid, request.predictions)
    except Busy:
        raise _busy() from None


@router.post("/graph", response_model=SampleGraphResponse, responses=ERRORS)
def post_sample_graph(request: SampleGraphRequest) -> dict[str, Any]:
    """One sample through the current weights as a program for the graph API: POST ``source``
    and ``values`` to /api/graph to draw it with every data and grad (small nets only)."""
    run = _run(request.state, sample=request.sample, loss=request.loss)
    source, values = sample_program(run, request.sample, request.loss)
    return {"source": source, "values": values, "nodes": graph_nodes(run, request.loss)}


def _events(
    run: Run, steps: int, every: int, grid: int | None, with_predictions: bool, interval_ms: int
) -> Iterator[ServerSentEvent]:
    """Train ``steps`` steps, an event every ``every`` steps, then a "done" event saying why it ended."""
    settings = get_settings()
    deadline = time.monotonic() + settings.train_max_stream_seconds
    remaining, reason, first = steps, "finished", True
    while remaining > 0:
        try:
            with _training_slots():
                metrics = run.train(min(every, remaining), settings.train_max_abs_weight)
                payload = _answer(run, metrics, grid, with_predictions)
        except Busy:
            reason = "busy"  # the client resumes from the last state it received
            break
        remaining -= len(metrics)
        yield ServerSentEvent(data=payload, event="step", id=str(run.step), retry=1000 if first else None)
        first = False
        if run.stopped is not None:
            reason = "diverged"
            break
        if remaining > 0 and time.monotonic() > deadline:
            reason = "time limit"
            break
        if remaining > 0 and interval_ms:
            time.sleep(interval_ms / 1000)
    yield ServerSentEvent(data={"step": run.step, "reason": reason, "stopped": run.stopped}, event="done")


def _stream_run(request: StreamRequest) -> tuple[StreamRequest, Run]:
    # a dependency, so that a bad state is a 422 before the stream starts
    run = _run(request.state, steps=min(request.every, request.steps), steps_field="every", grid=request.grid)
    return request, run


STREAM_DOC = {
    200: {"description": "`event: step` per `every` steps (data: a /step response), then `event: done`."}
}


@router.post("/stream", response_class=EventSourceResponse, responses={**STREAM_DOC, **ERRORS})
def post_stream(
    prepared: Annotated[tuple[StreamRequest, Run], Depends(_stream_run)],
) -> Iterator[ServerSentEvent]:
    """Train live: the same steps as /step, streamed. To resume after a dropped connection,
    POST again with the last state received."""
    request, run = prepared
    yield from _events(
        run, request.steps, request.every, request.grid, request.predictions, request.interval_ms
    )


def _get_stream_run(
    preset: Annotated[str | None, Query(description="A preset's name (or give config).")] = None,
    config: Annotated[str | None, Query(description="A config as JSON (see /init).")] = None,
    until: Annotated[
        int, Query(ge=1, le=get_settings().train_max_stream_steps, description="Last step.")
    ] = 100,
    every: Annotated[int, Query(ge=1, le=get_settings().train_max_steps_per_request)] = 1,
    grid: Annotated[int | None, Query(ge=2, le=get_settings().train_max_grid)] = None,
    with_predictions: Annotated[bool, Query(alias="predictions")] = False,
    interval_ms: Annotated[int, Query(ge=0, le=get_settings().train_max_interval_ms)] = 0,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> tuple[Run, int, dict[str, Any]]:
    if (preset is None) == (config is None):
        raise _invalid(("query", "preset"), "give exactly one of preset and config")
    if preset is not None:
        if preset not in PRESETS:
            raise _invalid(("query", "preset"), f"unknown preset {preset!r}; one of {', '.join(PRESETS)}")
        state = TrainState.model_validate(preset_state(preset))
    else:
        try:
            state = TrainState(config=TrainConfig.model_validate_json(config or ""))
        except ValidationError as error:
            errors = error.errors(include_url=False, include_context=False)
            raise RequestValidationError(
                [{**e, "loc": ("query", "config", *e["loc"])} for e in errors]
            ) from None
    start = 0
    if last_event_id is not None:
        # ASCII digits, and no more of them than `until` has (int() of thousands of digits raises)
        digits = last_event_id.isascii() and last_event_id.isdigit()
        if not digits or len(last_event_id) > len(str(until)) or int(last_event_id) > until:
            raise _invalid(("header", "Last-Event-ID"), f"expected a step number from 0 to {until}")
        start = int(last_event_id)
    run = _run(state, at=("query",), state_at=("query",), steps=every, steps_field="every", grid=grid)
    # a reconnection near the end redoes nearly all of it: refuse now what could not be resumed then
    advice = "a reconnection may redo them all; ask for fewer, or POST the stream, which resumes from a state"
    try:
        check_work(run, until, _limits(), "until", advice)
    except TrainError as error:
        raise _from_train_error(error, ("query",)) from None
    # runs are deterministic: redo the steps the client already has, in a training slot like
    # any other training work (a crowd of reconnections must not outrun train_max_concurrent)
    try:
        with _training_slots():
            run.train(start, get_settings().train_max_abs_weight)
    except Busy:
        raise _busy() from None
    options = {"every": every, "grid": grid, "with_predictions": with_predictions, "interval_ms": interval_ms}
    return run, until - run.step, options


@router.get("/stream", response_class=EventSourceResponse, responses={**STREAM_DOC, **ERRORS})
def get_stream(
    prepared: Annotated[tuple[Run, int, dict[str, Any]], Depends(_get_stream_run)],
) -> Iterator[ServerSentEvent]:
    """Train a preset or a config live from step 0 up to step ``until``, for EventSource. On a
    reconnection the browser sends ``Last-Event-ID`` (the last step it got) and the stream
    continues from there: the server recomputes the run up to that step, as every run is
    deterministic. Close the EventSource on the "done" event, or it reconnects."""
    run, steps, options = prepared
    if steps <= 0:
        yield ServerSentEvent(
            data={"step": run.step, "reason": "finished", "stopped": run.stopped}, event="done"
        )
        return
    yield from _events(run, steps, **options)
