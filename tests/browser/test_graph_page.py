"""The graph page at `/` in a real Chromium: what a learner and a teacher see and do."""

from __future__ import annotations

import json

import pytest

from engine import Value, parse, topological_order
from tests.browser.graph_helpers import (
    LECTURE,
    PRESET_NUMBERS,
    hash_for,
    node,
    open_page,
    wait_for_output,
    wait_for_svg_text,
)
from tests.micrograd_readme import readme_example

pytestmark = pytest.mark.browser


def type_program(page, source: str) -> None:
    box = page.locator("#source")
    box.fill("")
    box.press_sequentially(source, delay=0)


def shape(root: Value) -> list[tuple[str, list[int]]]:
    """Each node's op and where its inputs sit, in topological order."""
    nodes = topological_order(root)
    where = {id(n): i for i, n in enumerate(nodes)}
    return [(n._op, [where[id(c)] for c in n._prev]) for n in nodes]


CONTRAST_JS = """() => {
  const rgb = (c) => {
    const ctx = document.createElement('canvas').getContext('2d');
    ctx.fillStyle = '#000'; ctx.fillStyle = c;
    const h = ctx.fillStyle;
    if (h.startsWith('#')) return [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));
    return h.match(/[\\d.]+/g).slice(0, 3).map(Number);
  };
  const lum = (c) => {
    const [r, g, b] = rgb(c).map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => {
    const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  const out = [];
  for (const g of document.querySelectorAll('#graph g.value')) {
    const cell = g.querySelector('polygon').getAttribute('fill');
    for (const t of g.querySelectorAll('text')) {
      out.push([g.id + ' ' + t.textContent, ratio(getComputedStyle(t).fill, cell)]);
    }
  }
  const bgOf = (e) => {
    for (let n = e; n; n = n.parentElement) {
      const b = getComputedStyle(n).backgroundColor;
      if (b && b !== 'rgba(0, 0, 0, 0)' && b !== 'transparent') return b;
    }
    return '#ffffff';
  };
  const texts = 'h1, h2, button, label, .narration *, .hint, .status, #inspector *, #checks-body *, '
    + '.step-status, option, select';
  for (const e of document.querySelectorAll(texts)) {
    if (e.offsetParent === null || e.disabled) continue;
    out.push([e.tagName + '#' + e.id, ratio(getComputedStyle(e).color, bgOf(e))]);
  }
  return out;
}"""


def test_page_loads_with_the_lecture_graph(page, screenshots) -> None:
    open_page(page)
    assert page.title().startswith("chainrule")
    assert node(page, "L")[1:] == ["data -8.0000", "grad 1.0000"]
    assert node(page, "a")[1:] == ["data 2.0000", "grad 6.0000"]
    rows = page.locator("#checks-body tr")
    assert rows.count() == 4
    assert page.locator("#checks-body .verdict").all_inner_texts() == ["✓"] * 4
    # a slider and a number field per input leaf
    assert page.locator("#leaves input[type=range]").count() == 4
    assert page.console_errors == []
    page.screenshot(path=screenshots / "graph-default-1366.png")


def test_typing_a_program_draws_its_graph_with_the_right_numbers(page) -> None:
    open_page(page)
    type_program(page, "p = 3.0; q = -4.0\nr = p*q + 1")
    wait_for_svg_text(page, "data -11.0000")
    assert node(page, "p")[1:] == ["data 3.0000", "grad -4.0000"]
    assert node(page, "q")[1:] == ["data -4.0000", "grad 3.0000"]
    # Ctrl+Enter renders at once
    page.locator("#source").fill(LECTURE)
    page.locator("#source").press("Control+Enter")
    wait_for_svg_text(page, "data -8.0000")
    assert node(page, "a")[2] == "grad 6.0000"
    assert page.locator("#preset").input_value() == ""


def test_a_mistake_shows_a_caret_at_its_column_and_keeps_the_last_graph(page) -> None:
    open_page(page)
    page.locator("#source").fill("a = 2.0\nL = a * $b")
    page.wait_for_selector("#error-box:not([hidden])")
    assert page.locator("#error-where").inner_text() == "Line 2, column 9"
    assert page.locator("#error-line").inner_text() == "L = a * $b"
    caret = page.locator("#error-caret").text_content()
    assert caret == " " * 8 + "^"
    assert "$" in page.locator("#error-message").inner_text()
    assert page.locator("#source").get_attribute("aria-invalid") == "true"
    assert page.locator("#gutter .bad").inner_text() == "2"
    # the last good graph stays on screen
    assert node(page, "L")[1] == "data -8.0000"
    # fixing it clears the error and draws the new graph
    page.locator("#source").fill("a = 2.0\nL = a * 7")
    wait_for_svg_text(page, "data 14.0000")
    assert page.locator("#error-box").is_hidden()


@pytest.mark.parametrize("preset", list(PRESET_NUMBERS))
def test_each_preset_gives_the_lecture_numbers(page, preset: str) -> None:
    open_page(page)
    output, data, grads = PRESET_NUMBERS[preset]
    if preset != "lecture":
        page.select_option("#preset", preset)
    wait_for_output(page, output, data)
    for label, grad in grads.items():
        assert node(page, label)[2] == f"grad {grad}", label
    assert "✗" not in page.locator("#checks-body").inner_text()


def test_the_readme_preset_draws_the_graph_micrograds_own_code_builds(page) -> None:
    open_page(page)
    page.select_option("#preset", "readme")
    wait_for_output(page, *PRESET_NUMBERS["readme"][:2])
    micrograds_own = shape(readme_example(Value)[0])  # its README's code (with +=) on our engine
    assert shape(parse(page.locator("#source").input_value())) == micrograds_own


def test_stepping_through_backward_to_the_end_and_back(page, base_url, screenshots) -> None:
    open_page(page, hash_for(src=LECTURE))
    page.locator("#viewport").focus()
    page.keyboard.press("Home")
    grads = page.locator("#graph text.grad-text")
    assert set(grads.all_text_contents()) == {"grad ?"}
    assert page.locator("#step-status").inner_text() == "step 0 of 7"
    assert page.locator("#checks-body .grad-cell").all_inner_texts() == ["?"] * 4

    page.keyboard.press("ArrowRight")  # the output's grad is set to 1
    assert node(page, "L")[2] == "grad 1.0000"
    assert node(page, "a")[2] == "grad ?"
    assert "L.grad = 1" in page.locator("#narration").inner_text()

    for _ in range(5):
        page.keyboard.press("ArrowRight")
    # step 6 of 7 reveals b (backward order: L f + c * b a): its grad came through a*b
    assert page.locator("#step-status").inner_text() == "step 6 of 7"
    story = page.locator("#narration").inner_text()
    assert "b.grad" in story and "∂(a*b)/∂b" in story and "-4.0000" in story
    b_id = page.evaluate("() => document.querySelector('#graph g.is-current').id")
    carrying = page.locator("#graph g.edge.carry")
    assert carrying.count() == 2  # b -> op(*) and op(*) -> a*b
    assert any(i.startswith(f"edge-{b_id[5:]}-") for i in carrying.evaluate_all("els => els.map(e => e.id)"))
    assert node(page, "a")[2] == "grad ?"
    page.wait_for_timeout(400)  # let the camera settle
    page.screenshot(path=screenshots / "graph-mid-step-1366.png")

    page.get_by_role("button", name="Step ▶").click()
    page.keyboard.press("ArrowRight")  # past the end: stays at the end
    assert page.locator("#step-status").inner_text() == "step 7 of 7"
    assert "grad ?" not in grads.all_text_contents()
    page.wait_for_function("() => location.hash.includes('step=7')")

    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    assert page.locator("#step-status").inner_text() == "step 5 of 7"
    assert node(page, "a")[2] == "grad ?" and node(page, "b")[2] == "grad ?"
    assert node(page, "c")[2] == "grad -2.0000"
    page.wait_for_function("() => location.hash.includes('step=5')")

    page.keyboard.press("End")  # every grad again, no step in the URL
    assert page.locator("#step-status").inner_text() == "all grads shown"
    page.wait_for_function("() => !location.hash.includes('step=')")


def test_pause_stops_play_mid_way_and_play_goes_on_from_there(page) -> None:
    open_page(page, hash_for(src=LECTURE))
    status = page.locator("#step-status")
    page.click("#play")
    page.wait_for_function("() => document.querySelector('#step-status').textContent === 'step 2 of 7'")
    page.click("#play")  # Pause
    assert page.locator("#play").get_attribute("aria-pressed") == "false"
    paused_at = status.inner_text()
    page.wait_for_timeout(2500)  # several play intervals: nothing moves
    assert status.inner_text() == paused_at and paused_at in ("step 2 of 7", "step 3 of 7")
    page.click("#play")
    page.wait_for_function("() => document.querySelector('#step-status').textContent === 'step 7 of 7'")
    assert node(page, "a")[2] == "grad 6.0000"


def test_play_runs_the_steps_and_pauses(page) -> None:
    open_page(page, hash_for(src="a = 3.0\nb = a + a\n"))
    page.click("#play")
    assert page.locator("#play").get_attribute("aria-pressed") == "true"
    page.wait_for_function("() => document.querySelector('#step-status').textContent === 'step 2 of 2'")
    page.wait_for_function("() => document.querySelector('#play').getAttribute('aria-pressed') === 'false'")
    assert node(page, "a")[2] == "grad 2.0000"
    assert "2 paths add up" in page.locator("#narration").inner_text()


def test_projector_mode_has_large_type_and_aaa_contrast(page, screenshots) -> None:
    open_page(page, hash_for(src=LECTURE))
    page.locator("#viewport").focus()
    page.keyboard.press("p")
    page.wait_for_function("() => document.querySelector('#graph svg text[font-size=\"20.00\"]')")
    assert page.evaluate("() => document.documentElement.dataset.theme") == "projector"
    assert page.locator("#toggle-projector").get_attribute("aria-pressed") == "true"
    # every piece of text on the page is at least 24px
    sizes = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
             .filter((e) => e.offsetParent !== null && !e.closest('svg, dialog, .visually-hidden')
                     && [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim()))
             .map((e) => [e.tagName + '#' + e.id + '.' + e.className,
                          parseFloat(getComputedStyle(e).fontSize)])"""
    )
    small = [s for s in sizes if s[1] < 24]
    assert sizes and not small, small
    # and the graph's own type, as drawn on the screen at the view the page opens with
    graph_px = page.evaluate(
        """() => Math.min(...[...document.querySelectorAll('#graph svg text')].map(
             (t) => parseFloat(t.getAttribute('font-size')) * t.getScreenCTM().a))"""
    )
    assert graph_px >= 20 - 0.01, graph_px  # the projector's smallest type (the theme draws 20, fitted)
    # WCAG AAA: 7:1 for the page's text and for every text in the graph against its cell
    ratios = page.evaluate(CONTRAST_JS)
    low = [r for r in ratios if r[1] < 7]
    assert len(ratios) > 20 and not low, low
    page.screenshot(path=screenshots / "graph-projector-1366.png")
    assert page.locator("#editor-pane").is_hidden()  # P makes a clean slide: the editor folds away
    page.keyboard.press("e")  # E brings it back, and hides it again
    assert page.locator("#editor-pane").is_visible()
    page.keyboard.press("e")
    assert page.locator("#editor-pane").is_hidden()
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.keyboard.press("Home")
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    page.wait_for_timeout(400)
    page.screenshot(path=screenshots / "graph-projector-1920.png")
    page.keyboard.press("p")  # back to the theme before
    assert page.evaluate("() => document.documentElement.dataset.theme") == "light"


def test_a_link_restores_program_values_theme_step_and_hidden_editor(page, screenshots) -> None:
    src = "# x and y come from the values map\nL = x*y + x\n"
    open_page(
        page,
        hash_for(
            src=src, values=json.dumps({"x": 2, "y": 5}), theme="dark", step="3", editor="hidden", h="0.001"
        ),
    )
    assert page.locator("#source").input_value() == src
    assert page.evaluate("() => document.documentElement.dataset.theme") == "dark"
    assert page.locator("#theme").input_value() == "dark"
    assert page.locator("#editor-pane").is_hidden()
    assert page.locator("#toggle-editor").inner_text() == "Show editor"
    assert node(page, "L")[1:] == ["data 12.0000", "grad 1.0000"]
    assert page.locator("#step-status").inner_text().startswith("step 3 of ")
    assert page.locator("#h").input_value() == "0.001"
    # x and y are leaves that are not in the program: their fields edit the values map
    page.keyboard.press("e")
    page.locator("#leaf-y").fill("7")
    wait_for_svg_text(page, "data 16.0000")
    page.wait_for_function("() => decodeURIComponent(location.hash).includes('\"y\":7')")
    page.screenshot(path=screenshots / "graph-dark-restored-1366.png")
    # "Copy link" puts this exact view on the clipboard
    page.click("#export-menu summary")
    page.click("#copy-link")
    page.wait_for_function("async (u) => (await navigator.clipboard.readText()) === u", arg=page.url)
    # the same link opened fresh shows the same thing
    url = page.url
    page.goto("about:blank")
    page.goto(url)
    page.wait_for_selector("#graph svg g.value")
    assert node(page, "L")[1] == "data 16.0000"
    assert page.evaluate("() => document.documentElement.dataset.theme") == "dark"
    # a new link pasted into the same tab takes over
    page.evaluate("(h) => { location.hash = h; }", hash_for(src="a = 4.0\nb = a*a", theme="light"))
    wait_for_output(page, "b", "16.0000")
    assert node(page, "a")[2] == "grad 8.0000"
    assert page.evaluate("() => document.documentElement.dataset.theme") == "light"
    assert page.locator("#editor-pane").is_visible()


def test_names_without_a_value_can_be_given_one(page) -> None:
    open_page(page)
    page.locator("#source").fill("L = x*y + x")
    page.wait_for_selector("#error-fix:not([hidden])")
    assert page.locator("#error-fix").inner_text() == "Give x, y the value 1.0"
    page.click("#error-fix")
    wait_for_output(page, "L", "2.0000")
    assert page.locator("#error-box").is_hidden()
    page.locator("#leaf-x").fill("3")
    wait_for_output(page, "L", "6.0000")
    assert page.locator("#source").input_value() == "L = x*y + x"
    page.wait_for_function('() => decodeURIComponent(location.hash).includes(\'{"x":3,"y":1}\')')


def test_editing_a_leaf_rewrites_its_line_and_updates_the_graph(page) -> None:
    open_page(page, hash_for(src=LECTURE))
    page.locator("#leaf-a").fill("3")
    wait_for_output(page, "L", "-2.0000")  # (3*-3 + 10)*-2
    assert "a = 3.0\n" in page.locator("#source").input_value()
    # the slider: keyboard moves it, the line and the graph follow
    slider = page.locator("#leaves input[aria-label='f slider']")
    slider.focus()
    slider.press("Home")  # the slider's own Home: its minimum
    page.wait_for_function("() => /\\nf = -6\\.0\\n/.test(document.querySelector('#source').value)")
    wait_for_output(page, "L", "-6.0000")  # (3*-3 + 10)*-6
    assert page.locator("#leaf-f").input_value() == "-6"
    # with the editor hidden, the inspector edits an input leaf in place
    page.locator("#viewport").focus()
    page.keyboard.press("e")
    b_id = page.evaluate(
        "() => [...document.querySelectorAll('#graph g.value')]"
        ".find((g) => g.querySelector('text').textContent === 'b').id"
    )
    page.click(f"#{b_id}")
    page.locator("#inspect-b").fill("1")
    wait_for_output(page, "L", "-78.0000")  # (3*1 + 10)*-6
    assert "b = 1.0\n" in page.locator("#source").input_value()


def test_gradient_check_uses_the_chosen_h(page) -> None:
    open_page(page, hash_for(src="x = 0.5\ny = tanh(x)**3\n"))
    first = page.locator("#checks-body td").nth(1).inner_text()
    posted = []
    page.on("request", lambda r: posted.append(r.post_data_json) if r.url.endswith("/api/graph") else None)
    page.locator("#h").fill("0.1")
    page.locator("#h").press("Enter")
    page.wait_for_function(
        "(v) => document.querySelectorAll('#checks-body td')[1].textContent !== v", arg=first
    )
    assert posted[-1]["h"] == 0.1
    page.click("#h-smaller")
    page.wait_for_function("() => document.querySelector('#h').value === '0.01'")
    page.wait_for_function("() => location.hash.includes('h=0.01')")


def test_pan_zoom_and_fit(page) -> None:
    open_page(page, hash_for(src=LECTURE))
    box = lambda: [float(v) for v in page.locator("#graph svg").get_attribute("viewBox").split()]  # noqa: E731
    page.locator("#viewport").focus()
    page.keyboard.press("0")
    fitted = box()
    page.keyboard.press("+")
    assert box()[2] < fitted[2]
    page.keyboard.press("d")  # pan right
    panned = box()
    page.keyboard.press("0")
    assert box() == pytest.approx(fitted)
    vp = page.locator("#viewport").bounding_box()
    page.mouse.move(vp["x"] + vp["width"] / 2, vp["y"] + vp["height"] / 2)
    page.mouse.wheel(0, -300)
    page.wait_for_function(
        "(w) => parseFloat(document.querySelector('#graph svg').getAttribute('viewBox').split(' ')[2]) < w",
        arg=fitted[2],
    )
    before = box()
    page.mouse.down()
    page.mouse.move(vp["x"] + vp["width"] / 2 - 120, vp["y"] + vp["height"] / 2, steps=5)
    page.mouse.up()
    assert box()[0] > before[0]  # dragged left: the view moves right
    page.click("#fit")
    assert box() == pytest.approx(fitted)
    assert panned != fitted


def test_keyboard_alone_reaches_a_node_and_the_shortcuts(page) -> None:
    open_page(page, hash_for(src=LECTURE))
    page.locator("#viewport").focus()
    page.keyboard.press("Tab")  # into the graph: the frame of its one statement (Enter folds it)
    assert page.evaluate("() => document.activeElement.dataset.group") == "4"
    page.keyboard.press("Tab")  # then its first value
    focused = page.evaluate("() => document.activeElement.dataset.node")
    assert focused
    page.keyboard.press("Enter")
    inspector = page.locator("#inspector").inner_text()
    assert "data" in inspector and "grad" in inspector
    # the multiplication node shows its local derivatives and the chain-rule products
    e_id = page.evaluate(
        "() => [...document.querySelectorAll('#graph g.value')]"
        ".find((g) => g.textContent.includes('data -6.0000')).id"
    )
    page.locator(f"#{e_id}").focus()
    page.keyboard.press("Enter")
    text = page.locator("#inspector").inner_text()
    assert "∂(a*b)/∂a = b = -3.0000" in text
    assert "(a*b).grad × -3.0000 = -2.0000 × -3.0000 = 6.0000" in text
    page.keyboard.press("?")
    assert page.locator("#help").is_visible()
    assert "projector" in page.locator("#help").inner_text()
    page.keyboard.press("Escape")
    assert page.locator("#help").is_hidden()
    page.keyboard.press("e")
    assert page.locator("#editor-pane").is_hidden()
    page.keyboard.press("e")
    assert page.locator("#editor-pane").is_visible()
    # every control is a real button or field with a name
    unnamed = page.evaluate(
        """() => [...document.querySelectorAll('button, select, input, textarea, [role=button]')]
             .filter((e) => !e.closest('[hidden]'))
             .filter((e) => !(e.getAttribute('aria-label') || e.getAttribute('aria-labelledby')
                              || e.textContent.trim() || e.labels?.length))
             .map((e) => e.outerHTML.slice(0, 80))"""
    )
    assert unnamed == []


def test_no_request_leaves_the_machine(page, base_url) -> None:
    open_page(page)
    page.select_option("#preset", "readme")
    wait_for_svg_text(page, "data 24.7041")
    page.locator("#viewport").focus()
    for key in ("p", "Home", "ArrowRight", "t", "?", "Escape"):
        page.keyboard.press(key)
    page.click("#export-menu summary")
    with page.expect_download():
        page.click("#export-png")
    page.wait_for_timeout(300)
    outside = [u for u in page.requests if not u.startswith((base_url + "/", "blob:", "data:"))]
    assert page.requests and outside == []
    assert any(u.endswith("/api/graph") for u in page.requests)
