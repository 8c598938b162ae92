"""The training page at `/train` in a real Chromium: play, pause, step, export, import, links."""

from __future__ import annotations

import json
import urllib.request
from urllib.parse import urlencode, urlsplit

import pytest

from tests.browser.train_helpers import (
    DEMO_STEP0_LOSS,
    LECTURE_TARGETS,
    RECORD_CSP_VIOLATIONS,
    api_post,
    column,
    contrast,
    loss_of,
    open_train,
    step_of,
    wait_idle,
    wait_message,
    wait_step,
    wait_step_at_least,
)

pytestmark = pytest.mark.browser


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
