"""The training page in Chromium: screen updates per second while the micrograd demo plays.

    .venv/bin/python -m bench.bench_train_page              # 6 seconds of play per preset
    .venv/bin/python -m bench.bench_train_page --seconds 4

Starts the app (uvicorn, one worker) on a free port, opens /train in headless Chromium, plays a
preset and counts the steps; also reports each POST /api/train/step's round trip as the page
sees it and how long one frame takes to draw. Target: at least 10 updates a second.
On a shared machine the numbers follow the load: the script prints the load average too.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.live import Server

# Records each step request's round trip (headers in) as the page sees it.
TIMING = """
window.__steps = [];
const _fetch = window.fetch;
window.fetch = async (...a) => {
  const t0 = performance.now();
  const r = await _fetch(...a);
  if (String(a[0]).includes('/api/train/step')) window.__steps.push(performance.now() - t0);
  return r;
};
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=6.0)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    server = Server()
    server.start()
    url = server.url
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            runs = [
                ("micrograd-demo", "1"),
                ("micrograd-demo", "auto"),
                ("lecture", "1"),
                ("spiral-adam", "5"),
            ]
            for preset, speed in runs:
                page = browser.new_page(viewport={"width": 1366, "height": 768})
                page.add_init_script(TIMING)
                page.goto(f"{url}/train")
                page.wait_for_selector("body[data-ready=true]")
                page.select_option("#preset", preset)
                page.wait_for_function("(p) => location.hash.includes('preset=' + p)", arg=preset)
                page.select_option("#speed", speed)
                page.fill("#until", "")
                page.dispatch_event("#until", "change")
                page.evaluate("window.__steps = []")
                s0 = page.evaluate("window.chainruleTrain.step")
                t0 = time.perf_counter()
                page.click("#play")
                time.sleep(args.seconds)
                s1 = page.evaluate("window.chainruleTrain.step")
                t1 = time.perf_counter()
                page.click("#play")
                trips = page.evaluate("window.__steps")
                draws = page.evaluate("window.chainruleTrain.drawMs")
                updates = len(trips) / (t1 - t0)
                steps = (s1 - s0) / (t1 - t0)
                print(
                    f"{preset:15s} speed {speed:4s} {updates:5.1f} updates/s {steps:5.1f} steps/s  "
                    f"step round trip median {statistics.median(trips):5.1f} ms  "
                    f"frame draw median {statistics.median(draws):4.1f} ms"
                )
                page.close()
            browser.close()
    finally:
        server.stop()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; target >= 10 updates/s")


if __name__ == "__main__":
    main()
