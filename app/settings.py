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
    # graph API (app/graph.py, app/render.py):
    # the Graphviz program that lays out the pictures
    dot_command: str = "dot"
    # a `dot` run taking longer is killed and the request gets 503
    render_timeout_seconds: float = 5.0
    # graphs with more values than this get 422 before layout (dot's time grows fast with size)
    max_render_nodes: int = 400
    # at most this many `dot` processes run at once; others wait up to the timeout, then get 503
    max_dot_processes: int = 2
    # rendered graph responses kept for identical requests (a class loading the same preset); 0 = off
    svg_cache_size: int = 256
    # labeled leaves given a central-difference check (each costs three forward passes)
    max_checked_leaves: int = 64

    @classmethod
    def from_env(cls) -> Settings:
        """Each field may be overridden by CHAINRULE_<FIELD NAME IN CAPITALS>."""
        values = {}
        for f in fields(cls):
            raw = os.environ.get(f"CHAINRULE_{f.name.upper()}")
            if raw is not None:
                values[f.name] = type(f.default)(raw)
        return cls(**values)


@lru_cache
def get_settings() -> Settings:
    return Settings.from_env()
