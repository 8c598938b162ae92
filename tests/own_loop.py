"""Run an async test in an event loop of its own, on its own thread.

Playwright's sync API (the browser tests' session-wide browser) keeps an event loop running on
the main thread, so neither asyncio.run nor anyio's pytest plugin can start one there while it
lives. A thread of its own has no running loop, whatever ran before.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any


def in_own_loop(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, test(*args, **kwargs)).result()

    return run
