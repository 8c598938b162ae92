"""Live lessons: a presenter sends views, followers see each one live (issue 17, docs/api.md).

``get_broker()`` is this process's broker: Redis when CHAINRULE_REDIS_URL is set, else one in
this process (which serves a single worker: ``check_setup`` says so at start-up).
"""

from __future__ import annotations

import logging
import os
import sys
from functools import cache

from ..settings import Settings, get_settings
from .broker import MemoryBroker
from .redis_broker import RedisBroker

log = logging.getLogger(__name__)

Broker = MemoryBroker | RedisBroker


@cache
def get_broker() -> Broker:
    s = get_settings()
    limits = (s.live_max_lessons, s.live_idle_seconds, s.live_max_followers)
    misses = (s.live_max_misses, s.live_miss_window_seconds)
    if s.redis_url:
        return RedisBroker(s.redis_url, *limits, *misses, follower_ttl=s.live_follower_ttl_seconds)
    return MemoryBroker(*limits, *misses)


def worker_count(argv: list[str], environ: dict[str, str] | os._Environ[str]) -> int:
    """Worker processes uvicorn (or gunicorn) was asked for: --workers/-w, else WEB_CONCURRENCY."""
    for flag in ("--workers", "-w"):
        if flag in argv[:-1]:
            value = argv[argv.index(flag) + 1]
            return int(value) if value.isdigit() else 1
        for arg in argv:
            if arg.startswith(flag + "="):
                value = arg.split("=", 1)[1]
                return int(value) if value.isdigit() else 1
    value = environ.get("WEB_CONCURRENCY", "1")
    return int(value) if value.isdigit() else 1


def check_setup(
    settings: Settings, argv: list[str] | None = None, environ: dict[str, str] | None = None
) -> str | None:
    """A warning (also logged) when live lessons cannot work as served: several workers and no Redis."""
    workers = worker_count(sys.argv if argv is None else argv, os.environ if environ is None else environ)
    if workers > 1 and not settings.redis_url:
        warning = (
            f"live lessons need Redis when serving with {workers} workers: each worker would keep its "
            "own lessons and followers would miss them; set CHAINRULE_REDIS_URL "
            "(e.g. redis://localhost:6379/0)"
        )
        log.warning(warning)
        return warning
    return None
