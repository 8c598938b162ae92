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
