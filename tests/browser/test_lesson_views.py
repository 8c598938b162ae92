"""What a slide and a live view carry beyond the URL: a training slide carries the run (weights,
step, the class's own points), so the presenter and every follower show that exact network and
loss, not a fresh run; a graph slide and a live view carry the camera (the region in view)."""

from __future__ import annotations

import json

import pytest

from .test_lessons import MESSAGE_HAS, QR_LOADED, add_slide, open_graph, open_panel, save_lesson
from .train_helpers import open_train, wait_step

pytestmark = pytest.mark.browser

# what a person reads on the training page, and the run behind it
SHOWN = """() => {
  const t = (id) => document.getElementById(id).textContent;
  const run = window.chainruleTrain.run;
  return { step: t('stat-step'), loss: t('stat-loss'), accuracy: t('stat-acc'), weights: run.weights,
           points: run.config.dataset.points || null, history: window.chainruleTrain.history.length };
}"""
STORED = "() => JSON.parse(localStorage.getItem('chainrule.lesson'))"


def go_live(page) -> str:
    open_panel(page)
    page.click("#live-start")
    page.wait_for_selector("#live-box:not([hidden])")
    page.wait_for_function(QR_LOADED)
    return page.locator("#live-code").inner_text()


def wait_train_step(page, n: int) -> None:
    wait_step(page, n)
    page.wait_for_function("(n) => window.chainruleTrain.step === n && !window.chainruleTrain.playing", arg=n)


def test_a_training_slide_shows_the_teachers_run_to_the_presenter_and_a_follower(
    page, follower, screenshots, tmp_path
) -> None:
    open_train(page)
    # the class's own points: a click on the plane adds one (then the dataset is "custom")
    page.click("#boundary", position={"x": 60, "y": 60})
    page.wait_for_function("() => window.chainruleTrain.run.config.dataset.name === 'custom'")
    for n in range(1, 5):
        page.click("#step")
        wait_train_step(page, n)
    taught = page.evaluate(SHOWN)
    assert taught["step"] == "4" and len(taught["points"]) == 101

    code = go_live(page)
    add_slide(page, "Four steps on our points")
    slide = page.evaluate(STORED)["slides"][0]
    assert slide["page"] == "train" and slide["run"]["step"] == 4
    assert slide["run"]["weights"] == taught["weights"]

    page.click("#reset")  # a fresh run, on the class's points: weights from the seed
    wait_train_step(page, 0)
    assert page.evaluate(SHOWN)["weights"] != taught["weights"]
    follower.goto(f"/follow/{code}")
    follower.wait_for_url(f"**/train?follow={code}#*")
    follower.wait_for_selector("body[data-ready=true]")
    wait_train_step(follower, 0)  # the teacher's run as it is now

    page.click("[data-go='0']")  # present the slide
    wait_train_step(page, 4)
    wait_train_step(follower, 4)
    for shown in (page.evaluate(SHOWN), follower.evaluate(SHOWN)):
        assert {k: shown[k] for k in ("step", "loss", "accuracy")} == {
            k: taught[k] for k in ("step", "loss", "accuracy")
        }
        assert shown["weights"] == taught["weights"]
        assert shown["points"] == taught["points"]
        assert shown["history"] >= 4  # the loss chart came along
    page.screenshot(path=str(screenshots / "lesson-run-presenter-1366.png"))
    follower.screenshot(path=str(screenshots / "lesson-run-follower-1366.png"))

    # to the graph page and back by the lesson (PageUp on its only slide): the run comes back
    # on both pages (the slide is shown once the training page has loaded)
    page.click("nav.pages >> text=Graph")
    page.wait_for_selector("#graph svg g.value")
    follower.wait_for_url(f"**/?follow={code}#*")
    follower.wait_for_selector("#graph svg g.value")
    page.keyboard.press("PageUp")
    page.wait_for_url("**/train#*")
    page.wait_for_selector("body[data-ready=true]")
    wait_train_step(page, 4)
    follower.wait_for_url(f"**/train?follow={code}#*")
    follower.wait_for_selector("body[data-ready=true]")
    wait_train_step(follower, 4)
    for shown in (page.evaluate(SHOWN), follower.evaluate(SHOWN)):
        assert (shown["loss"], shown["weights"], shown["points"]) == (
            taught["loss"],
            taught["weights"],
            taught["points"],
        )

    page.locator("body").press("p")  # projector mode: the follower's page too, the same run
    follower.wait_for_function("() => document.documentElement.dataset.theme === 'projector'")
    follower.wait_for_timeout(500)
    assert follower.evaluate(SHOWN)["weights"] == taught["weights"]
    # a projector makes room for the run on both screens: the settings go, as on the presenter's
    for tab in (page, follower):
        assert tab.locator("#settings").is_hidden()
    page.screenshot(path=str(screenshots / "lesson-run-presenter-projector-1366.png"))
    follower.screenshot(path=str(screenshots / "lesson-run-follower-projector-1366.png"))

    _, doc = save_lesson(page, tmp_path)
    assert doc["version"] == 2
    assert doc["slides"][0]["run"]["weights"] == taught["weights"]
    assert doc["slides"][0]["run"]["config"]["dataset"]["points"] == taught["points"]
    assert page.console_errors == [] and follower.console_errors == []


def test_a_run_too_big_for_a_slide_is_left_out_with_a_message_not_silently(page) -> None:
    open_train(page)
    page.wait_for_function("() => location.hash.includes('layers=')")  # written just after load
    demo = page.evaluate("() => location.hash")  # the demo's settings, with a wider network and Adam
    wide = demo.replace("opt=sgd", "opt=adam").replace("layers=16%2C16%2C1", "layers=40%2C40%2C1")
    assert wide != demo
    open_train(page, wide)  # about 1,800 weights, with Adam's two moments
    page.wait_for_function("() => window.chainruleTrain.run.config.layers.join() === '40,40,1'")
    page.click("#step")  # grads and moments filled in
    wait_train_step(page, 1)
    open_panel(page)
    page.click("#lesson-add")
    page.wait_for_function(MESSAGE_HAS, arg="over the 64 KiB a slide or a live view can be")
    text = page.locator("#lesson-message-text").inner_text()
    assert "starts a fresh run" in text or "start a fresh run" in text
    slide = page.evaluate(STORED)["slides"][0]
    assert "run" not in slide and "layers=40%2C40%2C1" in slide["hash"]


def open_file(page, name: str, doc: dict) -> None:
    file = {"name": name, "mimeType": "application/json", "buffer": json.dumps(doc).encode()}
    page.set_input_files("#lesson-file", files=[file])


def test_lesson_files_of_version_1_open_with_a_note_and_newer_ones_are_refused(page) -> None:
    open_graph(page)
    open_panel(page)
    old = {"version": 1, "slides": [{"page": "train", "hash": "#layers=4,1", "title": "Old"}]}
    page.set_input_files(
        "#lesson-file",
        files=[{"name": "old.json", "mimeType": "application/json", "buffer": json.dumps(old).encode()}],
    )
    page.wait_for_function(MESSAGE_HAS, arg="It is a version 1 lesson")
    assert page.locator("#lesson-slides .slide-name").all_inner_texts() == ["Old"]
    newer = {"version": 3, "slides": []}
    page.set_input_files(
        "#lesson-file",
        files=[{"name": "new.json", "mimeType": "application/json", "buffer": json.dumps(newer).encode()}],
    )
    page.wait_for_function(MESSAGE_HAS, arg="made by a newer chainrule; this one opens versions 1 and 2")
    misplaced = {"version": 2, "slides": [{"page": "graph", "hash": "#", "run": {"config": {}}}]}
    page.set_input_files(
        "#lesson-file",
        files=[
            {"name": "odd.json", "mimeType": "application/json", "buffer": json.dumps(misplaced).encode()}
        ],
    )
    page.wait_for_function(MESSAGE_HAS, arg="slides[0].run belongs on a training slide only")


VIEWBOX = """() => {
  const { x, y, width: w, height: h } = document.querySelector('#graph svg').viewBox.baseVal;
  return { x, y, w, h, cx: x + w / 2, cy: y + h / 2 };
}"""
WIDTH_OFF = "(w) => Math.abs(document.querySelector('#graph svg').viewBox.baseVal.width - w) > 1"
WIDTH_AT_LEAST = "(w) => document.querySelector('#graph svg').viewBox.baseVal.width >= w - 1"
CENTRED_AT = """(cx) => {
  const b = document.querySelector('#graph svg').viewBox.baseVal;
  return Math.abs(b.x + b.width / 2 - cx) < 0.5;
}"""
MOVED_ON = "() => document.getElementById('follow-state').textContent.includes('moved on')"


def same_region(seen: dict, region: dict) -> None:
    """`seen` (a viewBox) shows all of `region`, centred, as large as it can (one side fits exactly)."""
    assert seen["cx"] == pytest.approx(region["x"] + region["w"] / 2, abs=0.5)
    assert seen["cy"] == pytest.approx(region["y"] + region["h"] / 2, abs=0.5)
    assert seen["w"] >= region["w"] - 0.5 and seen["h"] >= region["h"] - 0.5
    assert min(seen["w"] - region["w"], seen["h"] - region["h"]) < 0.5


def test_the_camera_goes_with_a_graph_slide_and_the_live_view(page, follower, screenshots) -> None:
    open_graph(page)
    code = go_live(page)
    follower.goto(f"/follow/{code}")
    follower.wait_for_url(f"**/?follow={code}#src=*")
    follower.wait_for_selector("#graph svg g.value")
    fitted = follower.evaluate(VIEWBOX)

    # the teacher zooms in on part of the graph: the follower sees that region
    page.locator("#viewport").focus()  # (the lesson panel covers the zoom buttons: the keys)
    for key in ("=", "=", "=", "a"):
        page.keyboard.press(key)
    teacher = page.evaluate(VIEWBOX)
    follower.wait_for_function(WIDTH_OFF, arg=fitted["w"])
    follower.wait_for_function(CENTRED_AT, arg=teacher["cx"])
    same_region(follower.evaluate(VIEWBOX), teacher)
    page.screenshot(path=str(screenshots / "lesson-camera-presenter-1366.png"))
    follower.screenshot(path=str(screenshots / "lesson-camera-follower-1366.png"))

    # a slide keeps that region: after a fit, presenting it shows the region again
    add_slide(page, "Zoomed in")
    camera = page.evaluate(STORED)["slides"][0]["camera"]
    same_region(teacher, camera)
    page.locator("#viewport").press("f")

    # the student pans away (wanders off); the teacher's slide waits; Back to the teacher shows it
    follower.locator("#viewport").focus()
    follower.keyboard.press("d")
    follower.wait_for_function("() => document.getElementById('follow-bar').classList.contains('wandered')")
    wandered = follower.evaluate(VIEWBOX)
    page.click("[data-go='0']")
    same_region(page.evaluate(VIEWBOX), camera)
    follower.wait_for_function(MOVED_ON)
    assert follower.evaluate(VIEWBOX) == wandered
    follower.click("#follow-back")
    same_region(follower.evaluate(VIEWBOX), camera)
    assert not follower.locator("#follow-bar").evaluate("b => b.classList.contains('wandered')")

    # the teacher fits the graph: the follower fits it too (on its own screen)
    page.locator("#viewport").press("f")
    follower.wait_for_function(WIDTH_AT_LEAST, arg=fitted["w"])
    page.locator("body").press("p")  # projector mode
    follower.wait_for_function("() => document.documentElement.dataset.theme === 'projector'")
    page.locator("#viewport").press("=")
    page.wait_for_timeout(300)
    teacher = page.evaluate(VIEWBOX)
    follower.wait_for_function(CENTRED_AT, arg=teacher["cx"])
    same_region(follower.evaluate(VIEWBOX), teacher)
    page.screenshot(path=str(screenshots / "lesson-camera-presenter-projector-1366.png"))
    follower.screenshot(path=str(screenshots / "lesson-camera-follower-projector-1366.png"))
    assert page.console_errors == [] and follower.console_errors == []
