"""The training API: presets, stateless steps, and a live stream of steps (server-sent events).

The server keeps nothing: every request carries the whole run (a ``TrainState``) and gets the
next one back, so any worker can serve any step. The reference is docs/api.md.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from functools import cache
from typing import Annotated, Any, NamedTuple, TypeVar

import anyio
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

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
    neurons,
    open_run,
    predictions,
    preset_state,
    sample_program,
    step_work,
)

from ..middleware import OffLoopJSONRoute
from ..schemas import BODY_TOO_LARGE, Responses
from ..settings import get_settings
from ..slots import Busy, Slots, Turn
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

T = TypeVar("T")

router = APIRouter(prefix="/api/train", tags=["train"], route_class=OffLoopJSONRoute)

ERRORS: Responses = {
    413: BODY_TOO_LARGE,
    422: {"description": "A field is invalid; `loc` names it (also for weights that do not fit the layers)."},
    503: {
        "description": "Every training slot stayed busy for the whole wait, or too many requests "
        "wait already (at once), or too many streams are open; try again (Retry-After)."
    },
}


@cache
def _training_slots() -> Slots:
    settings = get_settings()
    return Slots(settings.train_max_concurrent, settings.train_wait_seconds, settings.train_max_waiting)


def _busy() -> Busy:
    limit = get_settings().train_max_concurrent
    return Busy(f"the server is busy training other runs ({limit} at a time); try again in a moment")


def _client(request: Request) -> str:
    """Whose request it is, for sharing the training places fairly: the client's address."""
    return request.client.host if request.client else ""


def _invalid(loc: tuple[Any, ...], message: str) -> RequestValidationError:
    return RequestValidationError([{"type": "value_error", "loc": loc, "msg": message}])


def _limits() -> Limits:
    """The engine's limits from the settings: each is the setting ``train_<its name>``, but the
    sample graph's size, which is the graph API's cap on what it draws."""
    settings = get_settings()
    own = {name: getattr(settings, f"train_{name}") for name in Limits._fields if name != "max_graph_nodes"}
    return Limits(**own, max_graph_nodes=settings.max_render_nodes)


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


async def _train(
    run: Run, steps: int, client: str, request: Request | None = None, stream: bool = False
) -> list[dict[str, Any]]:
    """``run.train(steps)`` in pieces of at most train_slot_work, each in a training place and a
    worker thread; the place goes back between pieces (to whoever waits, fairly), and the
    pieces stop when the client has gone (``request``, when given, is asked between them).
    ``stream``: a stream's pieces, which wait behind requests' (app/slots.py)."""
    settings = get_settings()
    piece = max(1, settings.train_slot_work // step_work(run, _limits()))
    metrics: list[dict[str, Any]] = []
    remaining = steps
    while True:
        count = min(piece, remaining)
        try:
            async with _training_slots().hold(client, Turn.STREAM if stream else Turn.LONG):
                if request is not None and await request.is_disconnected():
                    return metrics  # nobody will read it: a queue of hang-ups passes quickly
                done = await run_in_threadpool(run.train, count, settings.train_max_abs_weight)
        except Busy:
            raise _busy() from None
        metrics += done
        remaining -= count
        if remaining <= 0 or run.stopped is not None:
            return metrics


class Shown(NamedTuple):
    """What an answer shows besides the state and the metrics."""

    grid: int | None = None  # the decision boundary on a grid x grid raster
    predictions: bool = False  # every sample's score
    neuron_grid: int | None = None  # each hidden neuron's map


def _answer_json(run: Run, metrics: list[dict[str, Any]], shown: Shown) -> str:
    """The /step response as JSON text (built in a worker thread: a big grid is real work)."""
    answer = {
        "state": run.to_state(get_settings().train_max_history),
        "metrics": metrics,
        "stopped": run.stopped,
        "boundary": boundary(run, shown.grid) if shown.grid is not None else None,
        "predictions": predictions(run) if shown.predictions else None,
        "neurons": neurons(run, shown.neuron_grid) if shown.neuron_grid is not None else None,
        "lr": learning_rate(run.config["optimizer"], run.step),
        "sample_nodes": run.replay.size,
    }
    return StepResponse.model_validate(answer).model_dump_json()


async def _in_place(client: str, work: Callable[[], T], turn: Turn = Turn.QUICK) -> T:
    """``work()`` in a training place and a worker thread: unpacking a run from a request (~0.1 s
    for a big net), training, an answer's boundary. A crowd cannot starve everyone else."""
    try:
        async with _training_slots().hold(client, turn):
            return await run_in_threadpool(work)
    except Busy:
        raise _busy() from None


def _fits(run: Run, steps: int) -> bool:
    """Whether ``steps`` of ``run`` are one piece of work (train_slot_work)."""
    return steps * step_work(run, _limits()) <= get_settings().train_slot_work


def _trained_json(run: Run, steps: int, shown: Shown) -> tuple[list[dict[str, Any]], str]:
    metrics = run.train(steps, get_settings().train_max_abs_weight)
    return metrics, _answer_json(run, metrics, shown)


async def _train_and_answer(
    run: Run, steps: int, shown: Shown, client: str, stream: bool = False
) -> tuple[list[dict[str, Any]], str]:
    """Train ``steps`` and answer: in one turn when they fit in one piece, so a small request is
    not sent to the back of the queue between its phases; else in pieces, then the answer."""
    if _fits(run, steps):
        turn = Turn.STREAM if stream else Turn.QUICK
        return await _in_place(client, lambda: _trained_json(run, steps, shown), turn)
    metrics = await _train(run, steps, client, stream=stream)
    turn = Turn.STREAM if stream else Turn.LONG
    return metrics, await _in_place(client, lambda: _answer_json(run, metrics, shown), turn)


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
@router.head("/presets", include_in_schema=False)
def get_presets() -> PresetsResponse:
    """Runs that reproduce the sources (micrograd's demo, the lecture) and show what goes wrong."""
    return _presets()


@router.post("/init", response_model=InitResponse, responses=ERRORS)
async def post_init(request: InitRequest, http: Request) -> dict[str, Any]:
    """A run at step 0 for a config: micrograd's initial weights under ``config.seed``."""

    def init() -> dict[str, Any]:
        run = _run(TrainState(config=request.config), state_at=("body",))
        return {"state": run.to_state(get_settings().train_max_history)}

    return await _in_place(_client(http), init)


def _small_step(request: StepRequest, shown: Shown) -> tuple[Run, str | None]:
    """The run, and the whole answer when its steps fit in one piece: one turn in a place."""
    run = _run(request.state, steps=request.steps, grid=request.grid, neuron_grid=request.neuron_grid)
    if not _fits(run, request.steps):
        return run, None
    _, body = _trained_json(run, request.steps, shown)
    return run, body


@router.post("/step", response_model=StepResponse, responses=ERRORS)
async def post_step(request: StepRequest, http: Request) -> Response:
    """Run ``steps`` training steps on the state and return the next state, one metric per step
    (measured on the step's forward pass, before its update), and optionally the decision
    boundary and every sample's score under the new weights."""
    client = _client(http)
    shown = Shown(request.grid, request.predictions, request.neuron_grid)
    run, body = await _in_place(client, lambda: _small_step(request, shown))
    if body is None:  # a big request: trained in pieces, giving the place back between them
        _, body = await _train_and_answer(run, request.steps, shown, client)
    return Response(body, media_type="application/json")


@router.post("/graph", response_model=SampleGraphResponse, responses=ERRORS)
async def post_sample_graph(request: SampleGraphRequest, http: Request) -> dict[str, Any]:
    """One sample through the current weights as a program for the graph API: POST ``source``
    and ``values`` to /api/graph to draw it with every data and grad (small nets only)."""

    def program() -> dict[str, Any]:
        run = _run(request.state, sample=request.sample, loss=request.loss)
        source, values = sample_program(run, request.sample, request.loss)
        return {"source": source, "values": values, "nodes": graph_nodes(run, request.loss)}

    return await _in_place(_client(http), program)


async def _events(
    run: Run,
    steps: int,
    every: int,
    shown: Shown,
    interval_ms: int,
    client: str,
) -> AsyncIterator[ServerSentEvent]:
    """Train ``steps`` steps, an event every ``every`` steps, then a "done" event saying why it
    ended. It waits on the event loop (for a place, between events): no worker thread is held
    while the stream is idle, and the client's hanging up cancels it at the next wait."""
    settings = get_settings()
    deadline = time.monotonic() + settings.train_max_stream_seconds
    remaining, reason, first = steps, "finished", True
    while remaining > 0:
        try:
            metrics, data = await _train_and_answer(run, min(every, remaining), shown, client, True)
        except Busy:
            reason = "busy"  # the client resumes from the last state it received
            break
        remaining -= len(metrics)
        yield ServerSentEvent(raw_data=data, event="step", id=str(run.step), retry=1000 if first else None)
        first = False
        if run.stopped is not None:
            reason = "diverged"
            break
        if remaining > 0 and time.monotonic() > deadline:
            reason = "time limit"
            break
        if remaining > 0 and interval_ms:
            await anyio.sleep(interval_ms / 1000)
    yield ServerSentEvent(data={"step": run.step, "reason": reason, "stopped": run.stopped}, event="done")


async def _stream_run(request: StreamRequest, http: Request) -> tuple[StreamRequest, Run]:
    # a dependency, so that a bad state is a 422 before the stream starts
    every = min(request.every, request.steps)

    def opened() -> Run:
        grid, neuron_grid = request.grid, request.neuron_grid
        return _run(request.state, steps=every, steps_field="every", grid=grid, neuron_grid=neuron_grid)

    run = await _in_place(_client(http), opened, Turn.STREAM)
    return request, run


STREAM_DOC = {
    200: {"description": "`event: step` per `every` steps (data: a /step response), then `event: done`."}
}


@router.post("/stream", response_class=EventSourceResponse, responses={**STREAM_DOC, **ERRORS})
async def post_stream(
    prepared: Annotated[tuple[StreamRequest, Run], Depends(_stream_run)], http: Request
) -> AsyncIterator[ServerSentEvent]:
    """Train live: the same steps as /step, streamed. To resume after a dropped connection,
    POST again with the last state received."""
    request, run = prepared
    shown = Shown(request.grid, request.predictions, request.neuron_grid)
    async for event in _events(run, request.steps, request.every, shown, request.interval_ms, _client(http)):
        yield event


async def _get_stream_run(
    http: Request,
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
) -> tuple[Run, int, int, dict[str, Any]]:
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

    def opened() -> Run:
        run = _run(state, at=("query",), state_at=("query",), steps=every, steps_field="every", grid=grid)
        # a reconnection near the end redoes nearly all of it: refuse now what could not be resumed
        advice = (
            "a reconnection may redo them all; ask for fewer, or POST the stream, which resumes from a state"
        )
        try:
            check_work(run, until, _limits(), "until", advice)
        except TrainError as error:
            raise _from_train_error(error, ("query",)) from None
        return run

    run = await _in_place(_client(http), opened, Turn.STREAM)
    options = {"every": every, "shown": Shown(grid, with_predictions), "interval_ms": interval_ms}
    return run, start, until, options


async def _replayed(
    prepared: Annotated[tuple[Run, int, int, dict[str, Any]], Depends(_get_stream_run)], http: Request
) -> tuple[Run, int, dict[str, Any]]:
    """Runs are deterministic: redo the steps the client already has, as training work like
    any other (in places, in pieces, fairly; 503 when busy), stopping if the client hangs up."""
    run, start, until, options = prepared
    if start > 0:
        await _train(run, start, _client(http), http, stream=True)
    return run, until - run.step, options


@router.get("/stream", response_class=EventSourceResponse, responses={**STREAM_DOC, **ERRORS})
async def get_stream(
    prepared: Annotated[tuple[Run, int, dict[str, Any]], Depends(_replayed)], http: Request
) -> AsyncIterator[ServerSentEvent]:
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
    async for event in _events(run, steps, **options, client=_client(http)):
        yield event
