"""Lessons and live lessons in a real Chromium: build, save, open and present a lesson; a
follower's page mirrors the presenter, wanders off and snaps back; a hostile view is text."""

from __future__ import annotations

import json
from urllib.parse import quote

import httpx
import pytest

pytestmark = pytest.mark.browser

LECTURE = "a = 2.0\nb = -3.0\nc = 10.0\nf = -2.0\nL = (a*b + c)*f\n"
LECTURE_HASH = "#src=" + quote(LECTURE) + "&theme=light"
TRICKY_TITLE = "Slide with “quotes” & ünïcode <b>not bold</b>"
HOSTILE = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>'


def open_graph(page, hash_: str = LECTURE_HASH) -> None:
    page.goto("/" + hash_)
    page.wait_for_selector("#graph svg g.value")


def step_status(page) -> str:
    return page.locator("#step-status").inner_text()


def wait_step(page, text: str) -> None:
    page.wait_for_function("(t) => document.getElementById('step-status').textContent === t", arg=text)


QR_LOADED = "() => { const q = document.getElementById('live-qr'); return q.complete && q.naturalWidth > 0; }"
MESSAGE_HAS = "(t) => document.getElementById('lesson-message-text').textContent.includes(t)"


def open_panel(page) -> None:
    if page.locator("#lesson-panel").is_hidden():
        page.click("#lesson-toggle")
    page.wait_for_selector("#lesson-panel:not([hidden])")


def slide_names(page) -> list[str]:
    return page.locator("#lesson-slides .slide-name").all_inner_texts()


def current_slide(page) -> int | None:
    """The 1-based number of the slide marked current in the list."""
    items = page.locator("#lesson-slides li")
    for i in range(items.count()):
        if items.nth(i).get_attribute("aria-current"):
            return i + 1
    return None


def add_slide(page, title: str) -> None:
    n = len(slide_names(page))
    page.click("#lesson-add")
    page.fill("#slide-title", title)
    page.wait_for_function("(n) => document.querySelectorAll('#lesson-slides li').length === n", arg=n + 1)


def save_lesson(page, folder) -> tuple:
    """Save: the file's path (in `folder`) and its JSON."""
    with page.expect_download() as dl:
        page.click("#lesson-save")
    saved = folder / "lesson.json"
    dl.value.save_as(saved)
    return saved, json.loads(saved.read_text())


def build_lesson(page) -> None:
    """Three slides: the lecture's graph with every grad, at step 3 (with notes), then training."""
    open_graph(page)
    open_panel(page)
    add_slide(page, "The whole graph")
    page.locator("#viewport").focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    wait_step(page, "step 3 of 7")
    add_slide(page, "Three steps in")
    page.fill("#slide-notes", "Ask: why is c.grad -2?")
    page.goto("/train")
    page.wait_for_selector("body[data-ready=true]")
    open_panel(page)  # the panel stays open across pages, the lesson too
    assert slide_names(page) == ["The whole graph", "Three steps in"]
    add_slide(page, "Now train it")


def test_a_lesson_is_built_reordered_saved_opened_and_presented_with_pagedown(page, tmp_path) -> None:
    build_lesson(page)
    assert slide_names(page) == ["The whole graph", "Three steps in", "Now train it"]
    # reorder, delete, and it is kept in this browser
    page.click("[aria-label='Move slide 3 up']")
    assert slide_names(page) == ["The whole graph", "Now train it", "Three steps in"]
    page.click("[aria-label='Move slide 2 down']")
    add_slide(page, "A spare")
    page.click("[aria-label='Delete slide 4']")
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    assert slide_names(page) == ["The whole graph", "Three steps in", "Now train it"]

    saved, doc = save_lesson(page, tmp_path)
    assert doc["version"] == 2
    assert [(s["page"], s["title"]) for s in doc["slides"]] == [
        ("graph", "The whole graph"),
        ("graph", "Three steps in"),
        ("train", "Now train it"),
    ]
    assert doc["slides"][1]["notes"] == "Ask: why is c.grad -2?"
    assert "step=3" in doc["slides"][1]["hash"] and "step=" not in doc["slides"][0]["hash"]

    page.click("#lesson-new")
    assert slide_names(page) == []
    bad = {"version": 1, "slides": [doc["slides"][0], {"page": "slides", "hash": "#"}]}
    page.set_input_files(
        "#lesson-file",
        files=[{"name": "bad.json", "mimeType": "application/json", "buffer": json.dumps(bad).encode()}],
    )
    page.wait_for_function(
        MESSAGE_HAS, arg='bad.json is not a chainrule lesson: slides[1].page must be "graph" or "train"'
    )
    not_json = {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"{oops"}
    page.set_input_files("#lesson-file", files=[not_json])
    page.wait_for_function(MESSAGE_HAS, arg="notes.txt is not JSON")
    assert slide_names(page) == []
    page.set_input_files("#lesson-file", str(saved))
    page.wait_for_function("() => document.querySelectorAll('#lesson-slides li').length === 3")

    # presenting: PageDown / PageUp, across the two pages
    page.locator("body").press("PageDown")  # no slide current yet: the first one
    page.wait_for_url("**/#src=*")
    page.wait_for_selector("#graph svg g.value")
    wait_step(page, "all grads shown")
    assert current_slide(page) == 1
    page.keyboard.press("PageDown")
    wait_step(page, "step 3 of 7")
    assert page.locator("#slide-notes").input_value() == "Ask: why is c.grad -2?"
    page.keyboard.press("PageDown")
    page.wait_for_url("**/train#*")
    page.wait_for_selector("body[data-ready=true]")
    assert current_slide(page) == 3
    page.keyboard.press("PageUp")
    page.wait_for_url("**/#src=*")
    wait_step(page, "step 3 of 7")
    page.keyboard.press("PageUp")
    wait_step(page, "all grads shown")
    assert current_slide(page) == 1
    assert page.console_errors == []


def test_a_share_link_opens_the_lesson_in_another_browser(page, browser, base_url) -> None:
    open_graph(page)
    open_panel(page)
    add_slide(page, TRICKY_TITLE)
    page.click("#lesson-link")
    page.wait_for_selector("#lesson-link-text:not([hidden])")
    link = page.locator("#lesson-link-text").input_value()
    assert link.startswith(base_url + "/?lesson=")
    other = browser.new_context(viewport={"width": 1366, "height": 768})
    try:
        tab = other.new_page()
        tab.goto(link)
        tab.wait_for_selector("#lesson-panel:not([hidden])")
        assert slide_names(tab) == [TRICKY_TITLE]
        assert tab.locator("#lesson-slides b").count() == 0  # a title is text
        assert "lesson=" not in tab.url  # the link's lesson is now kept in this browser
        tab.goto(base_url + "/?lesson=not-a-lesson")
        tab.wait_for_function(MESSAGE_HAS, arg="The lesson link is damaged")
        assert slide_names(tab) == [TRICKY_TITLE]
    finally:
        other.close()


def test_a_follower_mirrors_the_presenter_wanders_off_and_snaps_back(page, follower, screenshots) -> None:
    open_graph(page)
    open_panel(page)
    page.click("#live-start")
    page.wait_for_selector("#live-box:not([hidden])")
    code = page.locator("#live-code").inner_text()
    assert len(code) == 6
    assert page.locator("#live-follow").inner_text().endswith(f"/follow/{code}")
    page.wait_for_function(QR_LOADED)

    follower.goto(f"/follow/{code}")
    follower.wait_for_url(f"**/?follow={code}#src=*")  # the real graph page, following
    follower.wait_for_selector("#graph svg g.value")
    wait_step(follower, "all grads shown")
    assert follower.locator("#follow-bar").is_visible()
    assert follower.locator("#lesson-toggle").is_hidden()

    # the presenter steps through backward: the follower's page does the same
    page.locator("#viewport").focus()
    page.keyboard.press("Home")
    wait_step(follower, "step 0 of 7")
    for k in (1, 2):
        page.keyboard.press("ArrowRight")
        wait_step(follower, f"step {k} of 7")
    # the open panel is beside the graph, not over it: the explained value is in view
    panel_left = page.locator("#lesson-panel").bounding_box()["x"]
    for shown in ("#viewport", '#graph svg [aria-current="step"]'):
        box = page.locator(shown).bounding_box()
        assert box["x"] + box["width"] <= panel_left + 0.5, (shown, box, panel_left)
    page.screenshot(path=str(screenshots / "lessons-presenter-1366.png"))
    follower.screenshot(path=str(screenshots / "lessons-follower-1366.png"))

    # the student wanders off: their own steps; the teacher's next ones wait
    follower.locator("#viewport").focus()
    follower.keyboard.press("End")
    wait_step(follower, "all grads shown")
    follower.wait_for_function("() => document.getElementById('follow-bar').classList.contains('wandered')")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    wait_step(page, "step 4 of 7")
    follower.wait_for_timeout(800)  # the view has reached the follower by now (it is sent within ~0.4 s)
    assert step_status(follower) == "all grads shown"
    assert "the teacher has moved on" in follower.locator("#follow-state").inner_text()
    follower.screenshot(path=str(screenshots / "lessons-follower-wandered-1366.png"))
    follower.click("#follow-back")
    wait_step(follower, "step 4 of 7")
    assert not follower.locator("#follow-bar").evaluate("b => b.classList.contains('wandered')")
    page.keyboard.press("ArrowLeft")
    wait_step(follower, "step 3 of 7")  # following again

    # the presenter goes to the training page, then back by the lesson: the follower goes along
    add_slide(page, "Step 3 again")
    page.click("nav.pages >> text=Training")
    page.wait_for_selector("body[data-ready=true]")
    follower.wait_for_url(f"**/train?follow={code}#*")
    follower.wait_for_selector("body[data-ready=true]")
    page.screenshot(path=str(screenshots / "lessons-presenter-train-1366.png"))
    follower.screenshot(path=str(screenshots / "lessons-follower-train-1366.png"))
    bar_top = follower.locator("#follow-bar").bounding_box()["y"]
    run_bottom = follower.evaluate(
        "() => document.querySelector('.train-layout').getBoundingClientRect().bottom"
    )
    assert run_bottom <= bar_top + 0.5  # the bar covers none of the run: it has a row of its own
    page.keyboard.press("PageUp")
    follower.wait_for_url(f"**/?follow={code}#src=*")
    wait_step(follower, "step 3 of 7")
    assert follower.locator("#follow-title").inner_text() == "Step 3 again"
    assert page.console_errors == [] and follower.console_errors == []


def test_a_hostile_view_renders_as_text(follower, base_url, screenshots) -> None:
    live = httpx.post(f"{base_url}/api/live").json()
    view = {"page": "graph", "title": HOSTILE, "hash": "#src=" + quote(f"x = 2\ny = x*x # {HOSTILE}\n")}
    bearer = {"Authorization": f"Bearer {live['key']}"}
    r = httpx.put(f"{base_url}/api/live/{live['code']}", json=view, headers=bearer)
    assert r.status_code == 204
    follower.goto(f"/?follow={live['code']}")
    follower.wait_for_function(
        "(t) => document.getElementById('follow-title').textContent === t", arg=HOSTILE
    )
    assert follower.locator("#follow-bar img, #follow-bar script").count() == 0
    follower.wait_for_timeout(300)
    assert follower.evaluate("() => window.pwned") is None
    assert HOSTILE in follower.locator("#source").input_value()  # the program is the editor's text
    assert follower.locator("#preset").input_value() == ""  # not one of the examples
    follower.screenshot(path=str(screenshots / "lessons-follower-hostile-1366.png"))
    assert follower.console_errors == []


PANEL_BOX = """() => {
  const r = (id) => document.getElementById(id).getBoundingClientRect().toJSON();
  const panel = document.getElementById('lesson-panel');
  return { panel: r('lesson-panel'), top: document.querySelector('.topbar').getBoundingClientRect().bottom,
           toggle: r('lesson-toggle'), qr: r('live-qr'), overflow: panel.scrollWidth - panel.clientWidth,
           font: parseFloat(getComputedStyle(document.getElementById('slide-title')).fontSize),
           topbar: Math.max(...[...document.querySelectorAll('.topbar :is(button, select, summary)')]
             .map((el) => el.getBoundingClientRect().right)) };
}"""


@pytest.mark.parametrize("size", [(1280, 720), (1366, 768), (1920, 1080)])
def test_the_panel_and_the_follow_bar_fit_the_screen_in_projector_mode(page, follower, screenshots, size):
    width, height = size
    page.set_viewport_size({"width": width, "height": height})
    follower.set_viewport_size({"width": width, "height": height})
    hash_ = LECTURE_HASH.replace("theme=light", "theme=projector")
    slide = {
        "page": "graph",
        "hash": hash_,
        "title": "The lecture's graph, every grad",
        "notes": "Start here.",
    }
    lesson = {"version": 1, "slides": [slide]}
    page.goto("/")
    page.evaluate("(l) => localStorage.setItem('chainrule.lesson', JSON.stringify(l))", lesson)
    open_graph(page, hash_)
    page.reload()  # the page reads the kept lesson as it loads
    page.wait_for_selector("#graph svg g.value")
    open_panel(page)
    page.locator("#viewport").focus()
    page.keyboard.press("PageDown")
    assert current_slide(page) == 1
    page.click("#live-start")
    page.wait_for_function(QR_LOADED)
    box = page.evaluate(PANEL_BOX)
    assert box["panel"]["top"] >= box["top"] - 1
    assert box["panel"]["right"] <= width and box["panel"]["bottom"] <= height
    assert box["overflow"] <= 0  # nothing wider than the panel
    assert box["toggle"]["right"] <= width and box["toggle"]["bottom"] <= box["top"]
    assert box["topbar"] <= width, box  # live, the Lesson button is wider: the top bar still fits
    assert box["font"] >= 20  # projector type in the panel too
    assert box["qr"]["width"] >= 150
    page.screenshot(path=str(screenshots / f"lessons-presenter-projector-{width}.png"))

    follower.goto(f"/follow/{page.locator('#live-code').inner_text()}")
    follower.wait_for_selector("#graph svg g.value")
    follower.wait_for_function("() => document.getElementById('follow-title').textContent.length > 0")
    bar = follower.locator("#follow-bar").bounding_box()
    assert bar["x"] >= 0 and bar["x"] + bar["width"] <= width and bar["y"] + bar["height"] <= height
    assert bar["height"] <= 0.2 * height
    # it covers nothing: the page (graph, caption, details) ends above it
    page_bottom = follower.evaluate("() => document.getElementById('layout').getBoundingClientRect().bottom")
    caption = follower.locator("#narration").bounding_box()
    assert page_bottom <= bar["y"] + 0.5, (page_bottom, bar)
    assert caption["y"] + caption["height"] <= bar["y"] + 0.5, (caption, bar)
    follower.screenshot(path=str(screenshots / f"lessons-follower-projector-{width}.png"))


TOP_BAR_RIGHT = """() => Math.max(...[...document.querySelectorAll('.topbar :is(button, select, input)')]
  .map((el) => el.getBoundingClientRect().right))"""


def test_live_the_training_pages_top_bar_stays_on_a_1280_projector(page, screenshots) -> None:
    """The Lesson button gains a LIVE badge: on the training page's full top bar at 1280 px in
    projector type, the button becomes its badge and the help button stays on screen."""
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto("/train")
    page.wait_for_selector("body[data-ready=true]")
    page.locator("body").press("p")
    page.wait_for_function("() => document.documentElement.dataset.theme === 'projector'")
    open_panel(page)
    page.click("#live-start")
    page.wait_for_function(QR_LOADED)
    assert page.evaluate(TOP_BAR_RIGHT) <= 1280
    assert page.locator("#live-badge").is_visible() and page.locator("#help-open").is_visible()
    assert page.locator("#lesson-toggle").get_attribute("title").startswith("Lesson")  # still named
    page.screenshot(path=str(screenshots / "lessons-presenter-train-projector-1280.png"))


ON_SCREEN = """() => { const r = document.getElementById('follow-bar').getBoundingClientRect();
  return [r.top, r.bottom]; }"""
AT_THE_END = "() => scrollY > 0 && scrollY + innerHeight >= document.documentElement.scrollHeight - 1"


@pytest.mark.parametrize(
    ("name", "where", "ready"),
    [("graph", "/", "#graph svg g.value"), ("train", "/train", "body[data-ready=true]")],
)
def test_on_a_phone_the_follow_bar_stays_on_screen_and_ends_the_page(
    follower, base_url, name, where, ready
) -> None:
    """A phone scrolls each page (a column below 1000 px): the bar is on screen from the start,
    and at the page's end it sits below everything instead of over it."""
    live = httpx.post(f"{base_url}/api/live").json()
    view = {"page": name, "title": "On a phone", "hash": LECTURE_HASH if name == "graph" else "#theme=light"}
    bearer = {"Authorization": f"Bearer {live['key']}"}
    assert httpx.put(f"{base_url}/api/live/{live['code']}", json=view, headers=bearer).status_code == 204
    follower.set_viewport_size({"width": 390, "height": 844})
    follower.goto(f"{where}?follow={live['code']}")
    follower.wait_for_function("() => document.getElementById('follow-title').textContent === 'On a phone'")
    follower.wait_for_selector(ready)
    top, bottom = follower.evaluate(ON_SCREEN)
    assert 0 <= top and bottom <= 844, (top, bottom)
    follower.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
    follower.wait_for_function(AT_THE_END)
    top, bottom = follower.evaluate(ON_SCREEN)
    page_end = follower.evaluate("() => document.querySelector('main').getBoundingClientRect().bottom")
    assert bottom <= 844 and page_end <= top + 0.5, (page_end, top, bottom)  # at the end, it covers nothing
