"""Every setting and limit of the web layer, read from the environment (prefix CHAINRULE_)."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path

APP_ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = APP_ROOT / "templates"
STATIC_DIR = APP_ROOT / "static"


@dataclass(frozen=True)
class Settings:
    # largest request body accepted, in bytes; larger bodies get 413 before they are read in full
    max_body_bytes: int = 64 * 1024
    # the same for /api/train: a run travels whole in each request (weights, grads, Adam's two
    # moments and the history: about 180 KB at train_max_parameters)
    max_train_body_bytes: int = 512 * 1024
    # graph API (app/graph_service.py, app/render.py):
    # the Graphviz program that lays out the pictures
    dot_command: str = "dot"
    # a `dot` run taking longer is killed and the request gets 503
    render_timeout_seconds: float = 5.0
    # graphs with more values than this get 422 before layout (dot's time grows fast with size)
    max_render_nodes: int = 400
    # ...and 422 when dot's placement problem would be bigger than this (see app/render.py
    # layout_size: a value used by operations far apart costs far more than its count). Measured
    # on 2 idle cores: dot took at most 1.4 s up to 9,100, and 2.8-6.8 s at 14,000; 8,000 keeps
    # two dots at once on a busy machine well inside render_timeout_seconds
    max_layout_size: int = 8000
    # at most this many `dot` processes run at once; others wait up to the timeout, then get 503
    max_dot_processes: int = 2
    # each `dot` process is kept running for this many graphs (app/dot.py: starting one costs
    # ~20 ms, laying out a small graph ~3 ms), then replaced; 1 starts a new one for every graph
    dot_graphs_per_process: int = 200
    # total bytes of graph answers (JSON + SVG) kept for identical requests (a class loading the
    # same preset); 0 turns the cache off
    graph_cache_bytes: int = 32 * 1024 * 1024
    # total bytes of picture layouts kept by graph shape (app/layout.py: an SVG with slots for the
    # numbers, about the picture's size): a request that changes only numbers (a slider drag, the
    # training page's sample graph) is drawn from one without running `dot`; 0 keeps none
    layout_cache_bytes: int = 16 * 1024 * 1024
    # graph requests whose Python work (parse, backward, checks, filling a kept layout) runs at
    # once; more wait their turn, fairly per client, up to render_timeout_seconds, then get 503.
    # Cached answers never wait, and only a new shape then waits for one of max_dot_processes:
    # a numbers-only change never waits behind a layout
    max_graph_builds: int = 2
    # labeled leaves given a central-difference check (each costs three forward passes)...
    max_checked_leaves: int = 64
    # ...and fewer on big graphs: the checks evaluate at most this many nodes in all
    max_check_evaluations: int = 20_000
    # training API (app/routes/train.py, app/train_schemas.py):
    # samples a dataset may have (every step runs the whole batch through the model)
    train_max_samples: int = 1000
    # layers an MLP may have, the output layer included
    train_max_layers: int = 6
    # neurons a layer may have
    train_max_width: int = 64
    # weights and biases a model may have (a state carries up to four copies: weights, grads, Adam's m, v)
    train_max_parameters: int = 2000
    # steps one POST /api/train/step may run
    train_max_steps_per_request: int = 1000
    # steps one stream may run (from its start or its resume point)
    train_max_stream_steps: int = 10000
    # a stream ends (event "done", reason "time limit") after this long; the page resumes it
    train_max_stream_seconds: float = 120.0
    # the longest pause a stream may be asked to make between events (interval_ms)
    train_max_interval_ms: int = 1000
    # decision-boundary grids are at most this many points per side
    train_max_grid: int = 100
    # neuron maps (neuron_grid): hidden neurons x neuron_grid² values in one answer at most
    train_max_neuron_values: int = 100_000
    # metric entries a state keeps (the oldest are dropped; the page charts from the metrics it receives)
    train_max_history: int = 200
    # a step that would push a weight beyond ±this is not applied: the run stops as diverged
    train_max_abs_weight: float = 1e6
    # largest learning rate accepted
    train_max_lr: float = 100.0
    # largest L2 coefficient accepted
    train_max_l2: float = 10.0
    # largest dataset noise (standard deviation) accepted
    train_max_noise: float = 2.0
    # training requests (or stream events) computed at once; more wait their turn (each holds a
    # few MB of numpy arrays while it runs, so this bounds memory when a class hammers the server)
    train_max_concurrent: int = 2
    # ...for at most this long, then get 503 with Retry-After (a stream ends with reason "busy")
    train_wait_seconds: float = 10.0
    # work one request (or one stream event, or a whole GET stream, which a reconnection may
    # redo) may ask for: steps x samples per step x parameters; the demo's 100 steps are 3.4e6,
    # about 0.2 s of CPU
    train_max_work: int = 50_000_000
    # points the "custom" dataset (the class's own, config.dataset.points) may have
    train_max_points: int = 1000
    # each custom point's coordinates lie within ±this (the boundary's view fits the points)
    train_max_coordinate: float = 100.0
    # live lessons (app/live/, app/routes/live.py; docs/api.md "Live lessons"):
    # a Redis server the replicas share (redis://host:6379/0); empty: this process keeps the
    # lessons itself, which serves one worker (`./chainrule serve` needs no Redis)
    redis_url: str = ""
    # the address students reach the app at (https://chainrule.example.org), for the QR code of
    # the follow address; empty: the presenter's page says it (?base=), or the QR holds the path
    public_base_url: str = ""
    # largest view a presenter may send, in bytes of JSON; larger gets 413
    live_max_view_bytes: int = 64 * 1024
    # a lesson ends this long after its presenter last sent a view (or went live); then 404
    live_idle_seconds: float = 2 * 3600.0
    # lessons live at once (with Redis in all, else in this process); more get 503 + Retry-After
    live_max_lessons: int = 200
    # followers of one lesson at once (with Redis across all replicas, else in this process);
    # more get 503 + Retry-After
    live_max_followers: int = 200
    # look-ups of unknown codes one client address may make per window; past it, every look-up
    # of a code from that address gets 429 until the window ends (codes cannot be guessed)
    live_max_misses: int = 30
    # ...the window, in seconds
    live_miss_window_seconds: float = 300.0
    # an event stream ends after this long and the browser reconnects (it gets the latest view):
    # lets a server shut down without waiting for its followers
    live_max_stream_seconds: float = 600.0
    # a follower's stream checks this often that its lesson still exists (ends it if not)
    live_check_seconds: float = 20.0
    # with Redis, a follower's place in its lesson's count lapses this long after its replica last
    # renewed it (every third of it): the places of a replica that died free themselves
    live_follower_ttl_seconds: float = 60.0
    # availability (one client must not make the server wait for everyone; bench/availability.py):
    # callers that may wait for a training place at once; more get 503 with Retry-After at once
    train_max_waiting: int = 64
    # ...and for a graph build (a `dot` place); the wait is at most render_timeout_seconds
    graph_max_waiting: int = 64
    # training work done in one hold of a place (same units as train_max_work, about 60 ns each
    # on one core: 1.5e6 is ~0.1 s); a request or stream event with more gives the place back
    # between pieces of this size, so a step or a stream never waits behind a long request
    train_slot_work: int = 1_500_000
    # per step, on top of batch x parameters: the work the estimate adds for the step's fixed cost
    # and for each neuron (measured: bench/train_work.py; small batches cost far more than
    # batch x parameters says)
    train_step_work: int = 3000
    train_neuron_work: int = 250
    # ...and per parameter (as if each step had this many samples more: Adam's update and the
    # gradient's bookkeeping cost per parameter whatever the batch)
    train_parameter_work: int = 8
    # streams (POST or GET /api/train/stream) open at once, in all and from one client address;
    # more get 503 with Retry-After (a class behind one NAT address shares the second: the page
    # opens one stream at a time)
    train_max_streams: int = 64
    train_max_streams_per_client: int = 16
    # a stream whose client has not taken an event for this long is ended (a client that stops
    # reading holds no more than the event being written)
    stream_write_timeout_seconds: float = 10.0
    # validation errors listed in a 422 (the rest are counted, not listed); an input longer than
    # max_echoed_input characters is not echoed back
    max_validation_errors: int = 20
    max_echoed_input: int = 100
    # JSON bodies over 16 KB parsed at once (app/middleware.py; a 500 KB body holds the
    # interpreter for ~20 ms, during which no other request moves); more wait their turn, fairly
    # per client address, for at most big_body_wait_seconds, then get 503 with Retry-After: a
    # crowd sending big bodies cannot take every turn from everyone else
    max_big_body_parses: int = 1
    big_body_wait_seconds: float = 5.0

    @classmethod
    def from_env(cls) -> Settings:
        """Each field may be overridden by CHAINRULE_<FIELD NAME IN CAPITALS>."""
        values = {}
        for f in fields(cls):
            name = f"CHAINRULE_{f.name.upper()}"
            raw = os.environ.get(name)
            if raw is not None:
                kind = type(f.default)
                try:
                    values[f.name] = kind(raw)
                except ValueError:
                    raise ValueError(
                        f"CHAINRULE_{f.name.upper()}={raw!r} is not a valid {kind.__name__}"
                    ) from None
        return cls(**values)


@lru_cache
def get_settings() -> Settings:
    return Settings.from_env()
