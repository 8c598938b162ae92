"""The training page as a classroom sees it: panels that fill the window (and a projector's),
the class's own points, gradient health, and an import that cannot break the run."""

from __future__ import annotations

import json

import pytest

from tests.browser.train_helpers import open_train, step_of, wait_message, wait_step, wait_step_at_least

pytestmark = pytest.mark.browser

PANELS = ["#boundary-panel", "#chart-panel", "#network-panel"]

MEASURE = """(ids) => {
  const rects = ids.map((id) => { const r = document.querySelector(id).getBoundingClientRect();
                                  return [r.left, r.top, r.right, r.bottom]; });
  const buttons = [...document.querySelectorAll('.topbar button, .topbar select, .topbar input')]
    .filter((e) => e.offsetParent !== null).map((e) => e.getBoundingClientRect().top);
  return {rects, buttonTops: buttons, scrollW: document.documentElement.scrollWidth,
          scrollH: document.documentElement.scrollHeight};
}"""


def measure(page) -> dict:
    return page.evaluate(MEASURE, PANELS)


def assert_on_screen(m: dict, width: int, height: int) -> None:
    for left, top, right, bottom in m["rects"]:
        assert left >= 0 and top >= 0 and right <= width and bottom <= height, m["rects"]
        assert right - left > 150 and bottom - top > 150, m["rects"]
    assert m["scrollW"] <= width and m["scrollH"] <= height  # no scrolling to see them
    assert max(m["buttonTops"]) - min(m["buttonTops"]) < 12  # the header is one row


def share(m: dict, width: int, height: int) -> float:
    return sum((r - left) * (b - t) for left, t, r, b in m["rects"]) / (width * height)


@pytest.mark.parametrize(
    ("width", "height", "theme"),
    [(1920, 1080, "light"), (1366, 768, "light"), (1366, 768, "projector"), (1280, 720, "projector")],
)
def test_the_panels_fill_the_window_and_the_projector(page, screenshots, width, height, theme):
    page.set_viewport_size({"width": width, "height": height})
    open_train(page, f"#theme={theme}")
    page.click("#step")
    wait_step(page, 1)
    page.wait_for_timeout(300)
    m = measure(page)
    assert_on_screen(m, width, height)
    covered = share(m, width, height)
    print(f"{width}x{height} {theme}: panels cover {covered:.0%}")
    if theme == "light":
        assert covered >= 0.45
    else:
        assert covered >= 0.5  # the projector hides the settings: the run takes the screen
    page.screenshot(path=str(screenshots / f"train-screen-{width}x{height}-{theme}.png"))
    # E shows the settings (hidden on a projector, shown otherwise) and the panels stay on screen
    settings_shown = page.is_visible("#settings")
    page.keyboard.press("e")
    assert page.is_visible("#settings") != settings_shown
    page.wait_for_timeout(200)
    assert_on_screen(measure(page), width, height)
    page.screenshot(path=str(screenshots / f"train-screen-{width}x{height}-{theme}-e.png"))
    page.keyboard.press("e")
    assert page.is_visible("#settings") == settings_shown


@pytest.mark.parametrize(("width", "height"), [(683, 768), (390, 844)], ids=["half-a-laptop", "phone"])
def test_a_narrow_window_scrolls_one_column_with_every_control_in_reach(page, screenshots, width, height):
    """Half a 1366 screen, or a phone: nothing is cut off at the side; the run comes first, each
    panel full width and large, the settings under it; every control can be reached by scrolling."""
    page.set_viewport_size({"width": width, "height": height})
    open_train(page, "#theme=light")
    page.click("#step")
    wait_step(page, 1)
    page.wait_for_timeout(300)
    m = measure(page)
    assert m["scrollW"] <= width  # no sideways scroll
    (bl, bt, br, bb), (cl, ct, cr, cb), (nl, nt, nr, nb) = m["rects"]
    assert bb <= ct and cb <= nt  # one column: the boundary, the charts, the network
    for left, top, right, bottom in m["rects"]:
        assert left >= 0 and right <= width and right - left >= 0.9 * width - 40, m["rects"]
        assert bottom - top >= 200, m["rects"]
    board = page.locator("#boundary").bounding_box()
    assert board["width"] >= 0.8 * width - 60 and abs(board["width"] - board["height"]) < 2, board
    settings_top = page.locator("#settings").bounding_box()["y"]
    assert settings_top >= nb  # the settings under the run
    for control in ("#play", "#step", "#reset", "#help-open", "#lesson-toggle", "#dataset", "#lr"):
        box = page.locator(control).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, (control, box)
    page.screenshot(path=str(screenshots / f"train-narrow-{width}x{height}.png"), full_page=True)
    # the lecture's predictions chart in the boundary's place has a height of its own too
    page.select_option("#preset", "lecture")
    page.wait_for_selector("#predictions-panel:not([hidden])")
    chart = page.locator("#predictions-chart").bounding_box()
    assert chart["height"] >= 150 and chart["width"] >= 0.8 * width - 60, chart


def points_of(page) -> list:
    return page.evaluate("() => (window.chainruleTrain.run.config.dataset.points || [])")


def wait_points(page, n: int) -> None:
    page.wait_for_function(
        "(n) => (window.chainruleTrain.run.config.dataset.points || []).length === n"
        " && !document.querySelector('#play').disabled",
        arg=n,
    )


WHERE_IS = """async (k) => {
  const { boundaryFrame } = await import('/static/js/heatmap.js');
  const c = document.querySelector('#boundary');
  const f = boundaryFrame(window.chainruleTrain.boundary, c.clientWidth, c.clientHeight);
  const [x, y] = window.chainruleTrain.run.config.dataset.points.at(k);
  return {x: f.sx(x), y: f.sy(y)};
}"""


def test_clicking_the_boundary_adds_and_removes_points_and_keeps_the_weights(page, screenshots):
    open_train(page)
    page.click("#step")
    wait_step(page, 1)
    box = page.locator("#boundary").bounding_box()
    spot = {"x": box["width"] * 0.5, "y": box["height"] * 0.08}  # the empty top margin of the view
    page.click("#boundary", position=spot)
    wait_points(page, 101)  # the moons, now the class's own, and the new point
    assert page.input_value("#dataset") == "custom"
    assert points_of(page)[-1][2] == 1
    assert step_of(page) == 1  # editing the points goes on from the current weights
    # on the point (where it is now: the view has grown to hold it): it goes
    page.click("#boundary", position=page.evaluate(WHERE_IS, -1))
    wait_points(page, 100)
    page.click("#boundary", position=spot, modifiers=["Shift"])  # Shift: the other class
    wait_points(page, 101)
    assert points_of(page)[-1][2] == -1
    page.click("#point-class")
    page.click("#boundary", position={"x": box["width"] * 0.3, "y": box["height"] * 0.08})
    wait_points(page, 102)
    assert points_of(page)[-1][2] == -1
    page.screenshot(path=str(screenshots / "train-points-clicked.png"))
    page.click("#points-clear")
    page.wait_for_function("() => document.querySelector('#play').disabled")
    page.click("#boundary", position=spot)
    page.wait_for_function("() => (window.chainruleTrain.run.config.dataset.points || []).length === 1")
    assert step_of(page) == 1
    page.click("#step")
    wait_step(page, 2)


CSV = "x,y,label\n-1,-1,1\n1,1,1\n-1,1,-1\n1,-1,-1\n"


def test_pasted_csv_becomes_the_data_and_a_bad_line_is_named(page):
    open_train(page)
    page.click("#points-paste")
    page.fill("#csv-text", "0,0,1\n1,2\n")
    page.click("#csv-use")
    assert "line 2" in page.text_content("#csv-error")
    assert page.is_visible("#csv-dialog")
    page.fill("#csv-text", CSV)
    page.click("#csv-use")
    wait_points(page, 4)
    assert points_of(page) == [[-1, -1, 1], [1, 1, 1], [-1, 1, -1], [1, -1, -1]]
    assert page.text_content("#points-count").startswith("4 points")
    page.click("#play")
    wait_step_at_least(page, 3)
    page.click("#play")
    # the link carries the points: a new page trains on the same four
    page.wait_for_function("() => location.hash.includes('pts=')")
    url = page.url
    page.goto("about:blank")
    page.goto(url)
    page.wait_for_selector("body[data-ready=true]")
    assert points_of(page) == [[-1, -1, 1], [1, 1, 1], [-1, 1, -1], [1, -1, -1]]
    # 300 points are too many for an address: the link leaves them out (the exported file has them)
    many = "\n".join(f"{i / 100 - 1.5:.3f},{i * 37 % 300 / 100},{1 if i % 2 else -1}" for i in range(300))
    page.click("#points-paste")
    page.fill("#csv-text", many)
    page.click("#csv-use")
    wait_points(page, 300)
    page.wait_for_function("() => /dataset=custom/.test(location.hash) && !/pts=/.test(location.hash)")


PARSE = """async (text) => (await import('/static/js/train-points.js')).parseCsv(text)"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x,y,label\r\n1,2,1\n\n# a comment\n-3.5, 4 ,-1\n", {"points": [[1, 2, 1], [-3.5, 4, -1]]}),
        ("1,2,1\nx,y,label", {"error": 'line 2: x is not a number ("x")'}),
        ("1,2,0", {"error": 'line 1: the label is 1 or -1, got "0"'}),
        ("1,,1", {"error": 'line 1: y is not a number ("")'}),
        ("1;2;1", {"error": 'line 1: expected 3 values x,y,label separated by commas, got 1 ("1;2;1")'}),
        ("1,2,1,4", {"error": 'line 1: expected 3 values x,y,label separated by commas, got 4 ("1,2,1,4")'}),
        ("x,y,label\n", {"error": "no points: write one a line as x,y,label (label 1 or -1)"}),
    ],
)
def test_the_csv_reader_is_strict_and_names_the_line(page, text, expected):
    open_train(page)
    assert page.evaluate(PARSE, text) == expected


def test_a_bad_import_says_which_field_and_the_run_stays_playable(page, tmp_path):
    open_train(page)
    page.click("#step")
    wait_step(page, 1)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"config": {"layers": "many", "dataset": {"name": "moons"}}}))
    page.set_input_files("#import-file", str(bad))
    wait_message(page, "Import bad.json")
    text = page.text_content("#message")
    assert "config.layers" in text and "valid list" in text and "unchanged" in text
    assert step_of(page) == 1
    assert not page.is_disabled("#play") and not page.is_disabled("#step")
    page.click("#step")
    wait_step(page, 2)
    page.evaluate("() => document.activeElement.blur()")  # Space is the page's, not a button's
    page.keyboard.press("Space")
    wait_step_at_least(page, 4)
    page.keyboard.press("Space")


def test_gradient_norms_are_charted_per_layer_with_the_presets_description(page, screenshots):
    open_train(page)
    assert "never rises" in page.text_content("#schedule-note") or page.text_content("#schedule-note")
    page.select_option("#preset", "vanishing-gradients")
    page.wait_for_function("() => document.querySelector('#preset-note').textContent.length > 20")
    page.click("#step")
    page.click("#step")
    wait_step(page, 2)
    page.wait_for_timeout(200)
    layers = len(page.evaluate("() => window.chainruleTrain.run.config.layers"))
    assert layers == 6  # five sigmoid layers of 4, and the score
    assert page.get_attribute("#gradnorms", "data-series") == str(layers)
    assert page.locator("#gradnorm-legend .series").count() == layers
    assert page.text_content("#gradnorm-legend .series[data-layer='1']").strip().startswith("layer 1")
    norms = page.evaluate("() => window.chainruleTrain.history.at(-1).grad_norms")
    assert norms[0] * 100 < norms[-1]  # vanishing: the first layer's gradient far below the last's
    # hovering a weight shows its value and grad
    page.hover("#network line >> nth=0", force=True)
    assert "grad =" in page.text_content("#network-info")
    page.screenshot(path=str(screenshots / "train-gradnorms-vanishing.png"))


MAP_PIXELS = """async () => {
  // each neuron map on the network: its layer and index, its size on screen and its colours
  const images = [...document.querySelectorAll('#network image.neuron-map')];
  return Promise.all(images.map(async (im) => {
    const source = new Image();
    source.src = im.getAttribute('href') || '';
    await source.decode().catch(() => null);
    const c = document.createElement('canvas');
    c.width = source.naturalWidth || 1;
    c.height = source.naturalHeight || 1;
    const ctx = c.getContext('2d');
    ctx.drawImage(source, 0, 0);
    const data = ctx.getImageData(0, 0, c.width, c.height).data;
    const colours = new Set();
    for (let k = 0; k < data.length; k += 4) colours.add(`${data[k]},${data[k + 1]},${data[k + 2]}`);
    const r = im.getBoundingClientRect();
    return {layer: Number(im.dataset.layer), index: Number(im.dataset.index), w: r.width, h: r.height,
            pixels: c.width * c.height, colours: colours.size};
  }));
}"""


def test_each_hidden_neuron_shows_its_own_map_on_the_network(page, screenshots):
    page.set_viewport_size({"width": 1366, "height": 768})
    open_train(page)  # the micrograd demo: 16 + 16 hidden neurons
    page.click("#step")
    wait_step(page, 1)
    page.wait_for_function("() => document.querySelectorAll('#network image.neuron-map').length === 32")
    maps = page.evaluate(MAP_PIXELS)
    assert [(m["layer"], m["index"]) for m in maps] == [(li, k) for li in (1, 2) for k in range(1, 17)]
    for m in maps:
        assert m["pixels"] == 20 * 20 and m["w"] >= 6 and m["h"] >= 6  # a heatmap, seen on screen
    page.screenshot(path=str(screenshots / "train-neuron-maps-1366x768.png"))
    print([m["colours"] for m in maps])
    # non-blank: most maps vary over the plane (a relu neuron may be off over the whole view)
    assert sum(m["colours"] > 1 for m in maps[:16]) >= 12 and sum(m["colours"] > 1 for m in maps) >= 24
    assert len(page.evaluate("() => window.chainruleTrain.neurons")) == 32
    # pointing at a map shows it enlarged beside its node
    page.hover("#network image.neuron-map[data-layer='1'][data-index='3']", force=True)
    zoom = page.wait_for_selector("#network image.neuron-zoom")
    assert zoom.bounding_box()["width"] > 5 * maps[2]["w"]
    page.screenshot(path=str(screenshots / "train-neuron-map-zoom-1366x768.png"))
    page.mouse.move(5, 5)
    page.wait_for_selector("#network image.neuron-zoom", state="detached")
    # off: none asked for, none drawn; on again: back
    page.uncheck("#neuron-maps")
    page.wait_for_function("() => document.querySelectorAll('#network image.neuron-map').length === 0")
    page.click("#step")
    wait_step(page, 2)
    assert page.evaluate("() => window.chainruleTrain.neurons") is None
    page.check("#neuron-maps")
    page.wait_for_function("() => document.querySelectorAll('#network image.neuron-map').length === 32")
    assert step_of(page) == 2  # the maps of the weights on show, no step taken
    # playing redraws them with every update, at a cost a frame can carry
    page.evaluate("() => document.activeElement.blur()")
    page.keyboard.press("Space")
    wait_step_at_least(page, 12)
    page.keyboard.press("Space")
    draw_ms = sorted(page.evaluate("() => window.chainruleTrain.drawMs"))
    print(f"draw ms with neuron maps, median {draw_ms[len(draw_ms) // 2]:.1f}, max {draw_ms[-1]:.1f}")
    assert not page.console_errors
