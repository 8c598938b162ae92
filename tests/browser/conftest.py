"""Real-browser fixtures: one app server (uvicorn) and one Chromium per test session."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live import running

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "tests" / "output"
CHROMIUM = os.environ.get("CHAINRULE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def base_url() -> Iterator[str]:
    """The real app, served by uvicorn in a subprocess on a free local port."""
    with running(log=OUTPUT / "browser-server.log") as server:
        yield server.url


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    executable = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if not executable:
        pytest.skip(f"no Chromium at {CHROMIUM} or on PATH (install it with: apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser, base_url: str) -> Iterator[object]:
    """A fresh page on a 1366x768 laptop screen, with clipboard access to the app's origin.

    Every request the page makes is recorded in ``page.requests`` (the test of
    "nothing leaves the machine" reads it)."""
    context = browser.new_context(
        viewport={"width": 1366, "height": 768},
        accept_downloads=True,
        permissions=["clipboard-read", "clipboard-write"],
        base_url=base_url,
    )
    pg = context.new_page()
    pg.requests = []
    pg.on("request", lambda r: pg.requests.append(r.url))
    pg.console_errors = []
    pg.on("console", lambda m: pg.console_errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.console_errors.append(str(e)))
    try:
        yield pg
    finally:
        context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Where screenshots go (gitignored); look at them after a run."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    return OUTPUT


@pytest.fixture
def follower(browser, base_url: str) -> Iterator[object]:
    """A student's browser, following a live lesson: a page of its own, 1366x768."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, base_url=base_url)
    tab = context.new_page()
    tab.console_errors = []
    tab.on("pageerror", lambda e: tab.console_errors.append(str(e)))
    try:
        yield tab
    finally:
        context.close()
