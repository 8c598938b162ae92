"""Helpers shared by the training page's browser tests."""

from __future__ import annotations

import json
import re
import urllib.request

DEMO_STEP0_LOSS = "0.8958"  # micrograd's demo.ipynb prints "step 0 loss 0.8958..., accuracy 50.0%"


LECTURE_TARGETS = ["1.0", "-1.0", "-1.0", "1.0"]


RECORD_CSP_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(e.violatedDirective));
"""


def open_train(page, hash_: str = "") -> None:
    page.goto("/train" + hash_)
    page.wait_for_selector("body[data-ready=true]")


def step_of(page) -> int:
    return int(page.text_content("#stat-step"))


def loss_of(page) -> float:
    return float(page.text_content("#stat-loss"))


def wait_step_at_least(page, n: int) -> None:
    page.wait_for_function("(n) => Number(document.querySelector('#stat-step').textContent) >= n", arg=n)


def wait_step(page, n: int) -> None:
    page.wait_for_function("(n) => Number(document.querySelector('#stat-step').textContent) === n", arg=n)


def column(page, k: int) -> list[str]:
    """The texts of column k (1-based) of the predictions table."""
    return page.eval_on_selector_all(
        f"#predictions tbody tr td:nth-child({k})", "cs => cs.map(c => c.textContent)"
    )


def wait_idle(page) -> int:
    """Wait until the step counter has stopped moving (no request in flight); return it."""
    page.wait_for_function("() => !window.chainruleTrain.playing")
    last = step_of(page)
    while True:
        page.wait_for_timeout(400)
        now = step_of(page)
        if now == last:
            return now
        last = now


def api_post(base_url: str, path: str, body: dict) -> dict:
    req = urllib.request.Request(
        base_url + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        assert r.status == 200
        return json.loads(r.read())


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast of two CSS colours given as #rrggbb or rgb(r, g, b)."""

    def luminance(colour: str) -> float:
        if colour.startswith("#"):
            channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        else:
            channels = [float(x) / 255 for x in re.findall(r"[\d.]+", colour)[:3]]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def preset_state(base_url: str, name: str) -> dict:
    with urllib.request.urlopen(base_url + "/api/train/presets", timeout=30) as r:
        presets = json.loads(r.read())["presets"]
    return next(p for p in presets if p["name"] == name)["state"]


def set_until(page, until: str) -> None:
    page.fill("#until", until)
    page.dispatch_event("#until", "change")


def wait_message(page, text: str) -> None:
    page.wait_for_function("(t) => document.querySelector('#message').textContent.includes(t)", arg=text)


def rewrite_first_stream(page, rewrite) -> list:
    """The page's first POST /api/train/stream gets the real answer's step events passed through
    ``rewrite(events) -> events``; later ones go through untouched. Returns every request body."""
    bodies: list = []

    def handle(route):
        bodies.append(route.request.post_data_json)
        if len(bodies) > 1:
            route.continue_()
            return
        response = route.fetch()
        events = [e for e in response.text().split("\n\n") if e.startswith("event: step")]
        route.fulfill(response=response, body="\n\n".join(rewrite(events)) + "\n\n")

    page.route("**/api/train/stream", handle)
    return bodies


def play_to(page, until: int) -> None:
    """Plays the open run up to step ``until`` and waits until the page says it got there."""
    set_until(page, str(until))
    page.click("#play")
    wait_message(page, f"Reached step {until}")


def play_to_and_export(page, tmp_path, until: int) -> dict:
    """Opens the demo, plays it fast up to step ``until``, and returns the exported run."""
    open_train(page)
    page.select_option("#speed", "25")
    play_to(page, until)
    with page.expect_download() as info:
        page.click("#export")
    path = tmp_path / "run.json"
    info.value.save_as(path)
    return json.loads(path.read_text())
