"""The app and headless Chromium for the page benches (bench_graph_page, bench_train_page)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.live import Server


@contextmanager
def app_in_chromium() -> Iterator[tuple[Any, str]]:
    """(browser, url): the app (uvicorn, one worker) on a free port and a headless Chromium;
    both are stopped on the way out."""
    from playwright.sync_api import sync_playwright

    server = Server()
    server.start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                yield browser, server.url
            finally:
                browser.close()
    finally:
        server.stop()
