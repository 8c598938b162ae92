"""The training page in Chromium: screen updates per second while the micrograd demo plays.

    .venv/bin/python -m bench.bench_train_page              # 6 seconds of play per preset
    .venv/bin/python -m bench.bench_train_page --seconds 4

Starts the app (uvicorn, one worker) on a free port, opens /train in headless Chromium, plays a
preset and counts the steps and the step events of POST /api/train/stream the page reads (one
update each); also reports the median gap between events as the page sees them and how long one
frame takes to draw. Target: at least 10 updates a second.
On a shared machine the numbers follow the load: the script prints the load average too.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from bench.page import app_in_chromium

# Records when each "event: step" of the training streams arrives, from a copy of the body.
TIMING = """
window.__events = [];
const _fetch = window.fetch;
window.fetch = async (...a) => {
  const r = await _fetch(...a);
  if (!String(a[0]).includes('/api/train/stream') || !r.ok) return r;
  const [mine, page] = r.body.tee();
  (async () => {
    const reader = mine.getReader();
    const decoder = new TextDecoder();
    let text = "";
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ done: true }));
      if (done) return;
      text += decoder.decode(value, { stream: true });
      const blocks = text.split("\\n\\n");
      text = blocks.pop();
      for (const b of blocks) if (b.startsWith("event: step")) window.__events.push(performance.now());
    }
  })();
  return new Response(page, { status: r.status, statusText: r.statusText, headers: r.headers });
};
// and the frames that show a new step (several events in one frame show as one)
window.__shown = [];
let __last = null;
(function frame() {
  const step = window.chainruleTrain ? window.chainruleTrain.step : null;
  if (step !== __last) window.__shown.push(performance.now());
  __last = step;
  requestAnimationFrame(frame);
})();
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=6.0)
    args = parser.parse_args()
    with app_in_chromium() as (browser, url):
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
            s0 = page.evaluate("window.__events = []; window.__shown = []; window.chainruleTrain.step")
            t0 = time.perf_counter()
            page.click("#play")
            time.sleep(args.seconds)
            s1, events, shown = page.evaluate(
                "[window.chainruleTrain.step, window.__events.slice(), window.__shown.slice()]"
            )
            t1 = time.perf_counter()
            page.click("#play")
            draws = page.evaluate("window.chainruleTrain.drawMs")
            gaps = [b - a for a, b in zip(events, events[1:], strict=False)] or [0.0]
            seconds = t1 - t0
            print(
                f"{preset:15s} speed {speed:4s} {len(events) / seconds:5.1f} updates/s "
                f"({len(shown) / seconds:5.1f} frames with a new step) "
                f"{(s1 - s0) / seconds:5.1f} steps/s  "
                f"gap between events median {statistics.median(gaps):5.1f} ms  "
                f"frame draw median {statistics.median(draws):4.1f} ms"
            )
            page.close()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; target >= 10 updates/s")


if __name__ == "__main__":
    main()
