"""The training page at `/train` in a real Chromium: play, pause, step, export, import, links."""

from __future__ import annotations

import json
import re
import urllib.request
from urllib.parse import urlencode, urlsplit

import pytest

pytestmark = pytest.mark.browser

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


def test_train_page_plays_pauses_resumes_and_steps(page, base_url, screenshots):
    open_train(page)
    assert page.title().startswith("chainrule")
    assert page.input_value("#preset") == "micrograd-demo"
    assert step_of(page) == 0
    assert page.text_content("#stat-loss") == DEMO_STEP0_LOSS
    assert page.text_content("#stat-acc") == "50%"
    first = loss_of(page)

    page.keyboard.press("Space")
    wait_step_at_least(page, 12)
    assert page.text_content("#play") == "Pause"
    page.screenshot(path=str(screenshots / "train-default-mid-1366.png"))
    assert loss_of(page) < first / 2, "the loss falls while training"

    page.click("#play")  # pause
    paused = wait_idle(page)
    page.wait_for_timeout(500)
    assert step_of(page) == paused, "the step counter stops while paused"

    page.click("#play")  # resume
    wait_step_at_least(page, paused + 3)
    page.keyboard.press("Space")
    paused = wait_idle(page)

    page.keyboard.press("ArrowRight")  # one step
    wait_step(page, paused + 1)
    page.wait_for_timeout(300)
    assert step_of(page) == paused + 1

    page.keyboard.press("r")  # reset: step 0, the seed's weights, the notebook's first loss again
    page.wait_for_function("() => document.querySelector('#stat-step').textContent === '0'")
    assert page.text_content("#stat-loss") == DEMO_STEP0_LOSS

    # the picture: a decision boundary, a chart and the network with one line per weight
    assert page.is_visible("#boundary")
    assert page.locator("#network line").count() == 2 * 16 + 16 * 16 + 16
    strokes = page.eval_on_selector_all(
        "#network line", "ls => new Set(ls.map(l => l.getAttribute('stroke'))).size"
    )
    assert strokes == 2, "positive and negative weights have their own colours"
    assert not page.console_errors


def test_train_page_exports_the_run_as_json(page, tmp_path):
    open_train(page)
    for _ in range(3):
        page.click("#step")
    wait_step(page, 3)
    with page.expect_download() as info:
        page.click("#export")
    download = info.value
    assert download.suggested_filename == "chainrule-run-moons-step3.json"
    path = tmp_path / "run.json"
    download.save_as(path)
    run = json.loads(path.read_text())
    assert run["version"] == 1
    assert run["step"] == 3
    assert run["config"]["dataset"] == {"name": "moons", "n_samples": 100, "noise": 0.1, "seed": 1337}
    assert run["config"]["layers"] == [16, 16, 1]
    assert [len(layer["neurons"]) for layer in run["weights"]["layers"]] == [16, 16, 1]
    assert [h["step"] for h in run["history"]] == [0, 1, 2]
    assert f"{run['history'][0]['loss']:.4f}" == DEMO_STEP0_LOSS
    assert run["grads"] is not None


def test_train_page_imports_a_run_and_shows_its_step_and_loss(page, base_url, tmp_path):
    with urllib.request.urlopen(base_url + "/api/train/presets", timeout=30) as r:
        presets = json.loads(r.read())["presets"]
    circles = next(p for p in presets if p["name"] == "circles-minibatch")["state"]
    after = api_post(base_url, "/api/train/step", {"state": circles, "steps": 7})["state"]
    good = tmp_path / "circles.json"
    good.write_text(json.dumps(after))

    open_train(page)
    page.set_input_files("#import-file", str(good))
    page.wait_for_function("() => document.querySelector('#stat-step').textContent === '7'")
    assert page.text_content("#stat-loss") == f"{after['history'][-1]['loss']:.4f}"
    assert page.input_value("#dataset") == "circles"
    assert page.input_value("#layers") == "8, 8, 1"
    assert page.input_value("#batch") == "32"
    assert "Imported circles.json" in page.text_content("#message")
    # the imported weights are kept: one more step continues the run exactly as the API does
    page.click("#step")
    page.wait_for_function("() => document.querySelector('#stat-step').textContent === '8'")
    expected = api_post(base_url, "/api/train/step", {"state": after, "steps": 1})["state"]
    assert page.text_content("#stat-loss") == f"{expected['history'][-1]['loss']:.4f}"

    # a run whose weights do not fit its layers: the API's message, and the page keeps the old run
    bad_run = dict(after)
    bad_run["weights"] = {"layers": after["weights"]["layers"][:2]}
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(bad_run))
    page.set_input_files("#import-file", str(bad))
    wait_message(page, "Import bad.json")
    assert "weights" in page.text_content("#message")

    not_json = {"name": "notjson.json", "mimeType": "application/json", "buffer": b"{oops"}
    page.set_input_files("#import-file", not_json)
    wait_message(page, "not JSON")


def test_train_page_restores_its_configuration_from_the_url(page, browser, base_url):
    params = {
        "dataset": "xor",
        "samples": "80",
        "noise": "0.05",
        "dseed": "3",
        "layers": "8,1",
        "activation": "tanh",
        "loss": "mse",
        "opt": "adam",
        "lr": "0.02",
        "schedule": "constant",
        "batch": "16",
        "seed": "42",
        "theme": "dark",
    }
    open_train(page, "#" + urlencode(params))
    assert page.input_value("#dataset") == "xor"
    assert page.input_value("#samples") == "80"
    assert page.input_value("#layers") == "8, 1"
    assert page.input_value("#activation") == "tanh"
    assert page.input_value("#optimizer") == "adam"
    assert page.input_value("#lr") == "0.02"
    assert page.input_value("#batch") == "16"
    assert page.input_value("#seed") == "42"
    assert page.get_attribute("html", "data-theme") == "dark"
    assert step_of(page) == 0

    # the loss shown is the API's for this config (weights re-initialised from the seed)
    config = {
        "dataset": {"name": "xor", "n_samples": 80, "noise": 0.05, "seed": 3},
        "layers": [8, 1],
        "activation": "tanh",
        "loss": "mse",
        "optimizer": {"name": "adam", "lr": 0.02, "schedule": "constant"},
        "batch_size": 16,
        "seed": 42,
    }
    expected = api_post(base_url, "/api/train/step", {"state": {"config": config}, "steps": 0})
    page.click("#step")
    page.wait_for_function("() => document.querySelector('#stat-step').textContent === '1'")
    first = api_post(base_url, "/api/train/step", {"state": expected["state"], "steps": 1})["metrics"][0]
    assert page.text_content("#stat-loss") == f"{first['loss']:.4f}"

    # a change goes into the link, and the link brings it back in a fresh tab
    page.fill("#l2", "0.001")
    page.dispatch_event("#l2", "change")
    page.wait_for_function("() => location.hash.includes('l2=0.001')")
    link = page.url
    other = browser.new_context(viewport={"width": 1366, "height": 768})
    try:
        tab = other.new_page()
        tab.goto(link)
        tab.wait_for_selector("body[data-ready=true]")
        assert tab.input_value("#l2") == "0.001"
        assert tab.input_value("#dataset") == "xor"
        assert tab.text_content("#stat-step") == "0"
    finally:
        other.close()


def test_lecture_preset_shows_predictions_and_one_samples_graph(page, screenshots):
    page.add_init_script(RECORD_CSP_VIOLATIONS)
    open_train(page)
    page.select_option("#preset", "lecture")
    page.wait_for_function("() => document.querySelectorAll('#predictions tbody tr').length === 4")
    assert page.is_hidden("#boundary-panel")
    assert column(page, 3) == LECTURE_TARGETS
    # one sample through the current weights: the graph API's SVG, with data and grad on each value
    page.wait_for_selector("#sample-graph svg g.value")
    assert page.locator("#sample-graph svg g.value").count() > 100
    assert page.locator("#sample-graph svg g.role-output").count() == 1
    assert "grad" in page.text_content("#sample-graph svg")
    # the program is the server's (POST /api/train/graph): sample 1's inputs, the net, its loss
    program = page.evaluate("window.chainruleTrain.sampleProgram")
    assert [program["values"][x] for x in ("x1", "x2", "x3", "y")] == [2.0, 3.0, -1.0, 1.0]
    source = program["source"]
    assert "h1_1 = tanh(b1_1 + w1_1_1*x1 + w1_1_2*x2 + w1_1_3*x3)" in source
    assert source.rstrip().endswith("loss = (score - y)**2")

    page.keyboard.press("Space")  # the preset stops at step 30
    page.wait_for_function("() => document.querySelector('#stat-step').textContent === '30'", timeout=60_000)
    wait_idle(page)
    assert "Reached step 30" in page.text_content("#message")
    scores = [float(x) for x in column(page, 4)]
    assert all(abs(s - float(t)) < 0.2 for s, t in zip(scores, LECTURE_TARGETS, strict=True)), scores
    # the graph follows the weights: sample 2's graph ends at its own loss
    page.select_option("#sample", "1")
    page.wait_for_function("() => document.querySelector('#sample-note').textContent.includes('Sample #2')")
    page.screenshot(path=str(screenshots / "train-lecture-1366.png"), full_page=True)
    assert page.evaluate("window.__violations") == [], "the graph's SVG runs under the strict CSP"
    assert not page.console_errors


def test_bad_settings_show_the_apis_message_next_to_the_field(page):
    open_train(page)
    page.fill("#lr", "0")
    page.dispatch_event("#lr", "change")
    page.wait_for_selector("#err-lr")
    assert "greater than 0" in page.text_content("#err-lr")
    assert page.get_attribute("#lr", "aria-invalid") == "true"
    page.wait_for_selector("#play:disabled")  # the button follows on the next frame

    page.fill("#lr", "0.5")
    page.dispatch_event("#lr", "change")
    page.wait_for_function("() => !document.querySelector('#err-lr')")
    page.wait_for_selector("#play:enabled")

    page.fill("#layers", "16, 2")
    page.dispatch_event("#layers", "change")
    page.wait_for_selector("#err-layers")
    assert "last layer must have 1" in page.text_content("#err-layers")
    page.wait_for_selector("#play:disabled")  # the button follows on the next frame

    page.fill("#layers", "16, 16, 1")
    page.dispatch_event("#layers", "change")
    page.wait_for_function("() => !document.querySelector('#err-layers')")
    page.wait_for_selector("#play:enabled")


def test_a_diverging_run_pauses_with_a_clear_message(page):
    open_train(page)
    page.fill("#lr", "40")
    page.dispatch_event("#lr", "change")
    page.select_option("#schedule", "constant")
    page.wait_for_function("() => /lr=40&.*schedule=constant/.test(location.hash)")
    page.click("#play")
    page.wait_for_selector("#message:not([hidden])")
    assert "diverged at step" in page.text_content("#message")
    wait_idle(page)
    assert page.text_content("#play") == "Play"


def test_teaching_toggles_change_the_config(page):
    open_train(page)
    page.check("#too-high")
    assert page.input_value("#lr") == "10"
    assert page.input_value("#schedule") == "constant"
    page.uncheck("#too-high")
    assert page.input_value("#lr") == "1"
    assert page.input_value("#schedule") == "linear"
    page.check("#fzg")
    page.wait_for_function("() => location.hash.includes('fzg=1')")
    for _ in range(3):
        page.click("#step")
    wait_step(page, 3)
    # grads pile up: the third step's loss is not the demo's (1.7236 at step 1, 0.7429 at step 2)
    history = page.evaluate("window.chainruleTrain.history")
    assert [round(h["loss"], 4) for h in history[:2]] == [0.8958, 1.7236]
    assert round(history[2]["loss"], 4) != 0.7429

    # lr, schedule, batch... apply from the next step: the run keeps its step and weights
    page.check("#too-high")
    page.wait_for_function("() => location.hash.includes('lr=10&')")
    assert step_of(page) == 3
    page.fill("#batch", "0")
    page.dispatch_event("#batch", "change")
    page.wait_for_selector("#err-batch")
    assert "greater than or equal to 1" in page.text_content("#err-batch")
    page.wait_for_selector("#play:disabled")  # the buttons follow on the next frame
    assert page.is_disabled("#step")
    page.fill("#batch", "")
    page.dispatch_event("#batch", "change")
    page.wait_for_function("() => !document.querySelector('#err-batch')")
    page.wait_for_selector("#play:enabled")
    page.click("#step")
    wait_step(page, 4)


def test_projector_mode_is_large_and_nothing_leaves_the_machine(page, base_url, screenshots):
    open_train(page)
    page.keyboard.press("Space")
    wait_step_at_least(page, 8)
    page.keyboard.press("p")
    assert page.get_attribute("html", "data-theme") == "projector"
    page.wait_for_timeout(400)
    page.screenshot(path=str(screenshots / "train-projector-mid-1366.png"))
    page.keyboard.press("Space")
    wait_idle(page)
    smallest = page.evaluate(
        """() => Math.min(...[...document.querySelectorAll('body *')]
             .filter((e) => e.offsetParent !== null && e.childNodes.length
                     && [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim()))
             .map((e) => parseFloat(getComputedStyle(e).fontSize)))"""
    )
    assert smallest >= 24
    # the canvases' text (axes, labels) is drawn in --text and --muted at the root's font size,
    # on the panels' --surface: at least 24 px and AAA contrast there too
    canvas = page.evaluate(
        """() => { const s = getComputedStyle(document.documentElement);
                   const panel = getComputedStyle(document.querySelector('.panel canvas').closest('.panel'));
                   return [parseFloat(s.fontSize), s.getPropertyValue('--text').trim(),
                           s.getPropertyValue('--muted').trim(), panel.backgroundColor]; }"""
    )
    font_px, text, muted, background = canvas
    assert font_px >= 24
    assert min(contrast(text, background), contrast(muted, background)) >= 7, canvas
    page.keyboard.press("?")
    assert page.is_visible("#help")
    page.keyboard.press("Escape")

    page.goto("/train#" + urlencode({"theme": "light"}))
    page.click("a[href='/']")
    page.wait_for_url(base_url + "/")
    host = urlsplit(base_url).netloc
    web = [urlsplit(u) for u in page.requests if urlsplit(u).scheme in ("http", "https")]
    assert [u.geturl() for u in web if u.netloc != host] == []
    assert not [u for u in page.requests if urlsplit(u).scheme not in ("http", "https", "blob", "data")]


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


def test_playing_reads_one_stream_and_a_new_speed_goes_on_without_losing_a_step(page, screenshots):
    calls = []
    page.on("request", lambda r: calls.append((r.method, urlsplit(r.url).path, r.post_data)))
    open_train(page)
    page.keyboard.press("Space")  # the demo preset: "auto" speed, stop at step 100
    wait_step_at_least(page, 5)
    page.screenshot(path=str(screenshots / "train-stream-auto-1366.png"))
    page.select_option("#speed", "5")
    wait_step_at_least(page, 40)
    page.screenshot(path=str(screenshots / "train-stream-speed5-1366.png"))
    # pause, unless the run already stopped at step 100 (Space would then play it again)
    page.evaluate("() => window.chainruleTrain.playing && document.querySelector('#play').click()")
    wait_idle(page)

    api = [(method, path, body) for method, path, body in calls if path.startswith("/api/train/")]
    first = next(i for i, (_, path, _) in enumerate(api) if path == "/api/train/stream")
    assert [path for _, path, _ in api[first:] if path != "/api/train/stream"] == []
    assert {method for method, _, _ in api[first:]} == {"POST"}
    streams = [json.loads(body) for _, _, body in api[first:]]
    assert len(streams) == 2, "one stream, then one more for the new speed"
    assert (streams[0]["every"], streams[0]["steps"], streams[0]["state"]["step"]) == (1, 100, 0)
    assert streams[1]["every"] == 5
    assert streams[1]["state"]["step"] + streams[1]["steps"] == 100, "the new stream ends at Stop at"
    assert streams[1]["state"]["history"] == [] and streams[1]["state"]["grads"] is None, "kept small"
    history = page.evaluate("window.chainruleTrain.history")
    assert [h["step"] for h in history] == list(range(step_of(page))), "every step once, in order"
    assert not page.console_errors


def test_pause_ends_the_stream_and_nothing_after_it_changes_the_run(page):
    opened, ended = [], []
    is_stream = lambda r: urlsplit(r.url).path == "/api/train/stream"  # noqa: E731
    page.on("request", lambda r: opened.append(r) if is_stream(r) else None)
    page.on("requestfinished", lambda r: ended.append(r) if is_stream(r) else None)
    page.on("requestfailed", lambda r: ended.append(r) if is_stream(r) else None)
    open_train(page)
    set_until(page, "")  # no "Stop at": the stream would go on
    page.click("#play")
    wait_step_at_least(page, 5)
    paused_at = page.evaluate("() => (document.querySelector('#play').click(), window.chainruleTrain.step)")
    page.wait_for_timeout(1000)
    assert page.evaluate("window.chainruleTrain.step") == paused_at
    assert step_of(page) == paused_at
    assert page.text_content("#play") == "Play"
    assert len(opened) == 1
    assert ended == opened, "the stream request has ended"


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


def test_a_dropped_stream_resumes_from_the_last_state_it_brought(page, base_url):
    demo = preset_state(base_url, "micrograd-demo")
    expected = api_post(base_url, "/api/train/step", {"state": demo, "steps": 8})

    def cut_short(events):
        assert len(events) == 8
        return events[:3]  # and no "done"

    bodies = rewrite_first_stream(page, cut_short)
    open_train(page)
    set_until(page, "8")
    page.click("#play")
    wait_message(page, "Reached step 8")
    assert [(b["state"]["step"], b["steps"]) for b in bodies] == [(0, 8), (3, 5)]
    assert page.is_hidden("#err-general")
    run = page.evaluate("window.chainruleTrain.run")
    assert run["step"] == 8
    assert run["weights"] == expected["state"]["weights"], "the same run as the API's 8 steps"
    history = page.evaluate("window.chainruleTrain.history")
    assert history == expected["state"]["history"]


def test_a_stream_that_cannot_be_reached_pauses_after_a_few_tries(page):
    tries = []
    page.route("**/api/train/stream", lambda route: (tries.append(1), route.abort())[1])
    open_train(page)
    page.keyboard.press("Space")
    page.wait_for_selector("#err-general:not([hidden])")
    assert "Play: could not reach the server" in page.text_content("#err-general")
    assert len(tries) == 4, "the first try and three resumptions"
    assert page.text_content("#play") == "Play"
    assert step_of(page) == 0


def test_a_refused_stream_shows_the_apis_message_next_to_the_field(page):
    loc = ["body", "state", "config", "optimizer", "lr"]
    body = json.dumps({"detail": [{"type": "value_error", "loc": loc, "msg": "too fast"}]})
    page.route(
        "**/api/train/stream",
        lambda route: route.fulfill(status=422, content_type="application/json", body=body),
    )
    open_train(page)
    page.keyboard.press("Space")
    page.wait_for_selector("#err-lr")
    assert page.text_content("#err-lr") == "too fast"
    page.wait_for_function("() => !window.chainruleTrain.playing")
    assert step_of(page) == 0


def play_to_and_export(page, tmp_path, until: int) -> dict:
    """Opens the demo, plays it fast up to step ``until``, and returns the exported run."""
    open_train(page)
    page.select_option("#speed", "25")
    set_until(page, str(until))
    page.click("#play")
    wait_message(page, f"Reached step {until}")
    with page.expect_download() as info:
        page.click("#export")
    path = tmp_path / "run.json"
    info.value.save_as(path)
    return json.loads(path.read_text())


def test_a_run_exported_after_more_steps_than_the_api_keeps_is_accepted_back(page, base_url, tmp_path):
    run = play_to_and_export(page, tmp_path, 250)
    assert run["step"] == 250
    assert [h["step"] for h in run["history"]] == list(range(50, 250)), "the last 200: train_max_history"
    after = api_post(base_url, "/api/train/step", {"state": run, "steps": 1})
    assert after["state"]["step"] == 251


def test_the_export_keeps_as_much_history_as_the_server_says_it_accepts(page, tmp_path):
    # a server configured with a smaller train_max_history: the presets answer says so
    def fewer(route):
        body = route.fetch().json()
        route.fulfill(json={**body, "max_history": 30})

    page.route("**/api/train/presets", fewer)
    run = play_to_and_export(page, tmp_path, 75)
    assert [h["step"] for h in run["history"]] == list(range(45, 75))


def test_a_setting_changed_while_playing_goes_on_from_the_current_step(page):
    streams = []
    page.on(
        "request",
        lambda r: streams.append(r.post_data_json) if urlsplit(r.url).path == "/api/train/stream" else None,
    )
    open_train(page)
    set_until(page, "")
    page.click("#play")
    wait_step_at_least(page, 5)
    page.fill("#lr", "0.5")
    page.dispatch_event("#lr", "change")
    page.wait_for_function("() => location.hash.includes('lr=0.5&')")
    changed_at = page.evaluate("window.chainruleTrain.step")
    wait_step_at_least(page, changed_at + 5)
    assert page.text_content("#play") == "Pause", "still playing"
    page.click("#play")
    wait_idle(page)
    assert len(streams) == 2
    assert streams[0]["state"]["config"]["optimizer"]["lr"] == 1
    assert streams[1]["state"]["config"]["optimizer"]["lr"] == 0.5
    assert streams[1]["state"]["step"] >= 5, "the same run, from where it was"
    history = page.evaluate("window.chainruleTrain.history")
    assert [h["step"] for h in history] == list(range(step_of(page)))


@pytest.mark.parametrize("reason", ["busy", "time limit"])
def test_a_stream_that_ends_early_is_opened_again_from_its_last_state(page, reason):
    done = f"event: done\ndata: {json.dumps({'step': 2, 'reason': reason, 'stopped': None})}"
    bodies = rewrite_first_stream(page, lambda events: [*events[:2], done])
    open_train(page)
    set_until(page, "6")
    page.click("#play")
    wait_message(page, "Reached step 6")
    assert [(b["state"]["step"], b["steps"]) for b in bodies] == [(0, 6), (2, 4)]
    assert page.is_hidden("#err-general")
    history = page.evaluate("window.chainruleTrain.history")
    assert [h["step"] for h in history] == list(range(6))
