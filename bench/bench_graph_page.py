"""The graph page in Chromium: what the page adds on top of the API when a program is redrawn.

    .venv/bin/python -m bench.bench_graph_page            # 15 redraws per preset
    .venv/bin/python -m bench.bench_graph_page --runs 30

Starts the app (uvicorn, one worker) on a free port and opens / in headless Chromium. For each
of the page's presets it times, inside the page, (a) a bare POST /api/graph with the program and
(b) a full redraw: Ctrl+Enter in the editor until the new SVG is in the page with its ids
indexed, the steps, leaves, checks and inspector updated and laid out. Each run changes a comment
so the server's SVG cache does not answer. Reports medians, the ratio (b)/(a) and the page's own
cost (b) - (a). Target: the page adds at most 25 ms to the request (1366x768, 2 shared cores).
"""

from __future__ import annotations

import argparse
import os
import statistics

from bench.page import app_in_chromium

BARE = """async (src) => {
  const t0 = performance.now();
  const body = JSON.stringify({source: src, values: {}, h: 1e-5, theme: 'light'});
  const r = await fetch('/api/graph', {method: 'POST', headers: {'Content-Type': 'application/json'}, body});
  await r.json();
  return performance.now() - t0;
}"""

REDRAW = """async (src) => {
  const ta = document.querySelector('#source');
  const graph = document.querySelector('#graph');
  const old = graph.querySelector('svg');
  const done = new Promise((resolve) => {
    new MutationObserver((_, obs) => {
      const svg = graph.querySelector('svg');
      if (!svg || svg === old) return;
      obs.disconnect();
      queueMicrotask(() => {
        document.body.getBoundingClientRect(); // and laid out
        resolve();
      });
    }).observe(graph, {childList: true});
  });
  const t0 = performance.now();
  ta.value = src;
  ta.dispatchEvent(new Event('input', {bubbles: true}));
  ta.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', ctrlKey: true, bubbles: true}));
  await done;
  return performance.now() - t0;
}"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with app_in_chromium() as (browser, url):
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(url + "/")
        page.wait_for_selector("#graph svg g.value")
        presets = page.evaluate("() => window.chainrule.presets")
        print(f"load average {os.getloadavg()[0]:.2f}; {args.runs} runs per preset, medians in ms")
        print(f"{'preset':<12} {'values':>6} {'bare POST':>10} {'redraw':>8} {'ratio':>6} {'added':>6}")
        ratios, added = [], []
        for preset in presets:
            bare, redraw = [], []
            for i in range(args.runs):
                bare.append(page.evaluate(BARE, f"{preset['source']}\n# bare {i}"))
                redraw.append(page.evaluate(REDRAW, f"{preset['source']}\n# redraw {i}"))
            values = page.locator("#graph g.value").count()
            b, r = statistics.median(bare), statistics.median(redraw)
            ratios.append(r / b)
            added.append(r - b)
            print(f"{preset['id']:<12} {values:>6} {b:>10.1f} {r:>8.1f} {r / b:>6.2f} {r - b:>6.1f}")
        print(f"worst ratio {max(ratios):.2f}; the page adds at most {max(added):.1f} ms (target <= 25)")


if __name__ == "__main__":
    main()
