"""The graph page on a classroom screen, measured as a person sees it (getBoundingClientRect):
projector mode as a presentation, graphs fitted and legible, the camera following the steps,
statements folded into boxes. The figures the tests measure are printed (pytest -s shows them)."""

from __future__ import annotations

import pytest

from tests.browser.graph_helpers import export_file, hash_for, open_page

pytestmark = pytest.mark.browser

SIZES = [(1280, 720), (1366, 768), (1920, 1080)]
PROJECTOR_PX = 20 - 0.01  # text boxes measure 19.99994 px for type drawn 20 px tall

# what a person sees: the graph's share of the window, the smallest value text's on-screen height,
# whether every value is inside #viewport, the explained value's place, sideways scroll, the values
# the zoom bar covers
MEASURE = """() => {
  const vp = document.querySelector('#viewport').getBoundingClientRect();
  const inside = (r) => r.left >= vp.left - 1 && r.right <= vp.right + 1
                     && r.top >= vp.top - 1 && r.bottom <= vp.bottom + 1;
  const texts = [...document.querySelectorAll('#graph svg g.value text')]
    .map((t) => t.getBoundingClientRect());
  const values = [...document.querySelectorAll('#graph svg g.value')].map((g) => g.getBoundingClientRect());
  const current = document.querySelectorAll('#graph svg [aria-current="step"]');
  const bar = document.querySelector('.zoombar').getBoundingClientRect();
  const covered = (r) => r.left < bar.right && r.right > bar.left && r.top < bar.bottom && r.bottom > bar.top;
  return {
    share: (vp.width * vp.height) / (innerWidth * innerHeight),
    text: Math.min(...texts.map((r) => r.height)),
    all_in: values.length > 0 && values.every(inside),
    values: values.length,
    current: current.length === 1 ? inside(current[0].getBoundingClientRect()) : current.length,
    sideways: document.documentElement.scrollWidth > document.documentElement.clientWidth,
    caption: parseFloat(getComputedStyle(document.querySelector('#narration')).fontSize),
    under_controls: values.filter(covered).length,
  };
}"""

TEN_INPUTS = (
    "".join(f"x{i} = {i / 10:.1f}\nw{i} = {(-1) ** i * 0.3:.1f}\n" for i in range(1, 11))
    + "b = 0.5\no = tanh("
    + " + ".join(f"w{i}*x{i}" for i in range(1, 11))
    + " + b)\n"
)


def mlp_by_hand() -> str:
    """MLP(3, [4, 4, 1]) written out one neuron a statement, with its loss: about 120 values."""
    lines = ["x1 = 2.0", "x2 = 3.0", "x3 = -1.0"]
    inputs = ["x1", "x2", "x3"]
    for layer, width in enumerate([4, 4, 1], start=1):
        outs = []
        for j in range(1, width + 1):
            terms = []
            for i, x in enumerate(inputs, start=1):
                lines.append(f"w{layer}_{j}_{i} = {((layer * 7 + j * 3 + i) % 9 - 4) / 10:.1f}")
                terms.append(f"w{layer}_{j}_{i}*{x}")
            lines.append(f"b{layer}_{j} = 0.1")
            name = f"h{layer}_{j}" if width > 1 else "ypred"
            lines.append(f"{name} = tanh({' + '.join(terms)} + b{layer}_{j})")
            outs.append(name)
        inputs = outs
    lines += ["y = 1.0", "loss = (ypred - y)**2"]
    return "\n".join(lines) + "\n"


def values_in_program(page) -> int:
    """The values the program makes, as the graph's status line says ("604 values")."""
    return int(page.locator("#status").inner_text().split()[0])


def measure(page) -> dict:
    return page.evaluate(MEASURE)


def settle(page) -> None:
    """Wait for the picture and two frames (the camera moves on the next frame)."""
    page.wait_for_selector("#graph svg g.value")
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")


def show(page, hash_: str) -> None:
    """Open a program in projector mode, as a teacher does: light first, then P."""
    open_page(page, hash_)
    page.locator("#viewport").focus()
    page.keyboard.press("p")
    page.wait_for_function("() => document.querySelector('#graph svg text[font-size=\"20.00\"]')")
    settle(page)


def step_through(page, report: str) -> int:
    """Home, then → to the end: the explained value is inside #viewport after every step."""
    page.keyboard.press("Home")
    total = int(page.locator("#step-status").inner_text().split()[-1])
    for k in range(1, total + 1):
        page.keyboard.press("ArrowRight")
        settle(page)
        m = measure(page)
        assert m["current"] is True, (report, k, m)
    for k in range(total - 1, 0, -1):  # and back
        page.keyboard.press("ArrowLeft")
        settle(page)
        assert measure(page)["current"] is True, (report, "back", k)
    return total


@pytest.fixture
def screen(browser, base_url):
    """A page without motion (the camera jumps instead of gliding), at a size a test sets."""
    size = {"width": 1366, "height": 768}
    context = browser.new_context(base_url=base_url, reduced_motion="reduce", viewport=size)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    context.close()
    assert not errors, errors


@pytest.mark.parametrize(("width", "height"), SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_projector_mode_gives_the_graph_the_screen(screen, screenshots, width, height) -> None:
    page = screen
    page.set_viewport_size({"width": width, "height": height})
    open_page(page)  # the lecture, in light
    settle(page)
    light = measure(page)
    assert not light["sideways"], light
    assert light["all_in"] and light["text"] >= 12, light  # opens fitted and legible
    page.locator("#viewport").focus()
    page.keyboard.press("p")
    page.wait_for_function("() => document.querySelector('#graph svg text[font-size=\"20.00\"]')")
    settle(page)
    m = measure(page)
    print(f"\nlecture {width}x{height} light {light} projector {m}")
    assert m["share"] >= 0.55 and not m["sideways"], m
    assert m["all_in"] and m["text"] >= PROJECTOR_PX, m
    assert m["caption"] >= 28, m
    assert page.locator("#editor-pane").is_hidden()
    step_through(page, f"lecture {width}x{height}")
    page.screenshot(path=screenshots / f"screen-lecture-projector-{width}.png")
    # E brings the editor back; the graph is fitted again for its new room
    page.keyboard.press("e")
    settle(page)
    assert page.locator("#editor-pane").is_visible()
    assert not measure(page)["sideways"]
    page.keyboard.press("e")
    # the details are a panel over the graph; the ? dialog fits the window
    page.locator("#toggle-details").click()
    box = page.locator("#details").bounding_box()
    assert box and box["x"] + box["width"] <= width and box["y"] + box["height"] <= height, box
    page.keyboard.press("?")
    dialog = page.locator("#help").bounding_box()
    assert dialog["y"] >= 0 and dialog["y"] + dialog["height"] <= height, dialog
    assert dialog["x"] >= 0 and dialog["x"] + dialog["width"] <= width, dialog
    page.keyboard.press("Escape")


def test_each_example_in_projector_mode_at_1366(screen, screenshots) -> None:
    """Every Example-menu graph: fitted with text >= 20 px, or legible with an overview, and the
    camera keeps up with every step. Screenshots: tests/output/screen-example-*.png."""
    page = screen
    show(page, "")
    presets = page.eval_on_selector_all("#preset option", "os => os.map((o) => o.value).filter(Boolean)")
    for preset in presets:
        page.select_option("#preset", preset)
        page.wait_for_function(
            "(id) => document.querySelector('#graph svg') && location.hash.includes('theme=projector')"
            " && document.querySelector('#preset').value === id",
            arg=preset,
        )
        page.wait_for_timeout(300)  # the new graph lands
        settle(page)
        m = measure(page)
        print(f"\n{preset} 1366x768 projector {m}")
        assert m["text"] >= PROJECTOR_PX, (preset, m)
        assert not m["sideways"], (preset, m)
        overview = page.locator("#overview")
        assert m["all_in"] or overview.is_visible(), (preset, m)
        if preset in ("lecture", "neuron", "slope"):
            assert m["all_in"], (preset, m)
        assert m["under_controls"] == 0, (preset, m)  # the camera keeps the graph clear of the zoom bar
        page.screenshot(path=screenshots / f"screen-example-{preset}-1366.png")
        page.locator("#viewport").focus()
        step_through(page, preset)
        page.keyboard.press("End")


def test_g_folds_a_ten_input_neuron_and_a_click_unfolds_it(screen, screenshots) -> None:
    page = screen
    show(page, hash_for(src=TEN_INPUTS))
    unfolded = measure(page)
    assert unfolded["values"] == 42  # 10 x, 10 w, b, 10 products, 10 sums, tanh: one box each
    assert page.locator("#graph g.cluster.group").count() == 1  # the statement framed
    page.keyboard.press("g")
    page.wait_for_selector("#graph g.value.folded")
    settle(page)
    folded = measure(page)
    print(f"\nten-input neuron 1366x768 projector: unfolded {unfolded} folded {folded}")
    assert folded["all_in"] and folded["text"] >= 14, folded
    assert "tanh(Σ w·x + b)" in page.locator("#graph g.value.folded").text_content()
    page.screenshot(path=screenshots / "screen-ten-inputs-folded-1366.png")
    # folded, backward is one step: the box's grad and everything inside it
    page.keyboard.press("Home")
    assert page.locator("#step-status").inner_text() == "step 0 of 1"
    assert page.locator("#checks-body td").first.inner_text() == "?"
    page.keyboard.press("ArrowRight")
    assert page.locator("#checks-body td").first.inner_text() != "?"
    page.keyboard.press("End")
    # a click on the box unfolds it; a click on the statement's frame folds it again
    page.locator("#graph g.value.folded").click()
    page.wait_for_selector("#graph g.cluster.group")
    assert page.locator("#graph g.value.folded").count() == 0
    page.keyboard.press("f")  # the unfolded statement is too big to fit legibly: fit it to see its frame
    page.locator("#graph g.cluster.group > text").click()
    page.wait_for_selector("#graph g.value.folded")
    # and by keyboard: Enter on the box unfolds it
    page.locator("#graph g.value.folded").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#graph g.cluster.group")


def test_mlp_written_by_hand_reads_folded_and_fitted(screen, screenshots) -> None:
    page = screen
    show(page, hash_for(src=mlp_by_hand()))
    unfolded = measure(page)
    page.keyboard.press("g")
    page.wait_for_selector("#graph g.value.folded")
    settle(page)
    opened = measure(page)  # legible (>= 20 px) on the output, with the overview
    assert opened["text"] >= PROJECTOR_PX and page.locator("#overview").is_visible(), opened
    page.keyboard.press("f")  # fitted: all of it in view
    settle(page)
    folded = measure(page)
    count = values_in_program(page)
    print(f"\nMLP(3,[4,4,1]) + loss, {count} values, 1366x768 projector: unfolded {unfolded}")
    print(f"folded {opened}, fitted {folded}")
    assert count >= 110
    assert folded["all_in"] and folded["text"] >= 10, folded
    page.screenshot(path=screenshots / "screen-mlp-folded-1366.png")
    page.locator("#viewport").focus()
    steps = step_through(page, "mlp folded")
    assert steps == folded["values"]  # one step per box on the picture


def test_past_the_cap_a_program_of_statements_draws_folded(screen) -> None:
    """600 values in 40 statements: more than the server draws one by one, so it draws them folded."""
    rows = [f"x{i} = {i}.0" for i in range(1, 6)]
    rows += [f"y{k} = " + " + ".join(f"0.{k % 9 + 1}*x{i}" for i in range(1, 6)) for k in range(1, 41)]
    rows.append("L = " + " + ".join(f"y{k}" for k in range(1, 41)))
    page = screen
    open_page(page, hash_for(src="\n".join(rows) + "\n"))
    assert values_in_program(page) > 400  # the server's cap
    assert page.locator("#graph g.value.folded").count() == 41
    assert page.locator("#error-box").is_hidden()


def test_export_draws_the_step_on_screen(screen, screenshots) -> None:
    """SVG export mid-step: the grads not yet known read "grad ?", the explained value is marked in
    the picture's own styles (no page CSS in a slide), and a folded view exports folded."""
    page = screen
    open_page(page)  # the lecture: 7 values, one statement each
    page.locator("#viewport").focus()
    page.keyboard.press("Home")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    svg = export_file(page, "svg", screenshots / "export-step-3.svg").read_text()
    assert svg.count(">grad ?<") == 4  # 3 of 7 grads known
    assert 'aria-current="step"' in svg and "stroke-dasharray" in svg  # the step and its edges
    assert 'viewBox="0' in svg  # the whole picture, not the part on screen
    page.keyboard.press("g")
    page.wait_for_selector("#graph g.value.folded")
    folded = export_file(page, "svg", screenshots / "export-step-3.svg").read_text()
    assert 'class="node value folded' in folded


def test_give_the_value_shows_only_when_it_can_act(screen) -> None:
    page = screen
    open_page(page)
    box = page.locator("#source")
    box.fill("L = x*2 +")  # a syntax error: nothing to give
    page.wait_for_selector("#error-box:not([hidden])")
    assert page.locator("#error-fix").is_hidden()
    box.fill("L = x*2 + 1")  # one name without a value
    page.wait_for_function("() => !document.querySelector('#error-fix').hidden")
    assert page.locator("#error-fix").inner_text() == "Give x the value 1.0"
    page.locator("#error-fix").click()
    page.wait_for_selector("#error-box[hidden]", state="attached")
    assert page.locator("#status").inner_text().startswith("5 values")  # x, 2, x*2, 1, L
    # a long one-line program: the caret under the error's column is scrolled into view
    box.fill("L = " + " + ".join(f"v{i}*{i}.0" for i in range(1, 12)).replace("v11", "v11 $"))
    page.wait_for_selector("#error-box:not([hidden])")
    caret = page.locator("#error-caret").evaluate(
        """(c) => { const pre = c.parentElement, r = pre.getBoundingClientRect();
                   const range = document.createRange();
                   range.setStart(c.firstChild, c.textContent.length - 1);
                   range.setEnd(c.firstChild, c.textContent.length); const x = range.getBoundingClientRect();
                   const mid = (x.left + x.right) / 2;
                   return [mid >= r.left && mid <= r.right, x.left, r.left, r.right]; }"""
    )
    assert caret[0], caret


def test_past_every_cap_the_values_are_a_table(screen, screenshots) -> None:
    """One value per statement, more than the server draws: the error, and the values as a table
    beside it, sorted by |grad| and then by label, searchable."""
    page = screen
    open_page(page)
    # pasted (Playwright's fill of a 400-line text never reports done here)
    page.locator("#source").evaluate(
        "(el, text) => { el.value = text; el.dispatchEvent(new Event('input', { bubbles: true })); }",
        "x = 1.0\ny = x + x\n" + "y = y + x\n" * 400 + "z = 3*y\n",
    )
    page.wait_for_selector("#values-table:not([hidden])")
    assert page.locator("#error-box").is_visible() and page.locator("#viewport").is_hidden()
    # the last good graph's inputs and details are not shown beside another program's values
    for hidden in (".leaves", "#details", ".stepbar", "#narration"):
        assert page.locator(hidden).is_hidden(), hidden
    table = page.locator("#values-table").bounding_box()
    assert table["y"] + table["height"] >= 768 - 20  # the table has the details' room too
    assert page.locator("#values-count").inner_text().startswith("404 of 404 values")
    first = page.locator("#values-body tr").first.locator("th, td").all_inner_texts()
    assert first == ["x", "leaf", "1.0000", "1206.0000"]  # the biggest grad first: 3 * 402
    page.locator("#values-head button", has_text="label").click()
    assert page.locator("#values-head th").first.get_attribute("aria-sort") == "ascending"
    page.locator("#values-search").fill("tanh")
    assert page.locator("#values-count").inner_text().startswith("0 of 404")
    page.locator("#values-search").fill("z")
    assert page.locator("#values-body tr").all_inner_texts() == ["z\t*\t1206.0000\t1.0000"]
    page.screenshot(path=screenshots / "screen-values-table-1366.png")
    page.locator("#source").fill("a = 2.0\nL = a*a\n")  # a program it draws: the picture is back
    page.wait_for_selector("#values-table", state="hidden")
    assert page.locator("#viewport").is_visible()
    for shown in (".leaves", "#details", ".stepbar", "#narration"):
        assert page.locator(shown).is_visible(), shown


CHAIN = "x = 1.5\n" + "".join(f"x{k} = {'x' if k == 0 else f'x{k - 1}'} * 2 + 1\n" for k in range(8))


def drawn(page, direction: str) -> None:
    page.wait_for_function("(d) => document.querySelector('#direction').dataset.drawn === d", arg=direction)
    settle(page)


def test_a_long_chain_in_a_tall_window_runs_top_to_bottom_and_the_choice_is_yours(
    screen, screenshots
) -> None:
    page = screen
    page.set_viewport_size({"width": 900, "height": 1300})
    open_page(page, hash_for(src=CHAIN))
    drawn(page, "TB")  # on auto, the other way round fits with clearly larger text
    assert page.locator("#direction").input_value() == "auto"
    page.keyboard.press("f")  # all of it in view, to compare the two ways' fitted text
    settle(page)
    tall = measure(page)
    x, x7 = (page.locator(f"#graph svg g.value:has(text:text-is('{n}'))").bounding_box() for n in ("x", "x7"))
    assert x7["y"] > x["y"] + 5 * x["height"]  # the input above, the output far below
    page.screenshot(path=screenshots / "screen-chain-tb-900x1300.png")
    page.keyboard.press("r")  # by hand: the other way
    drawn(page, "LR")
    page.keyboard.press("f")
    settle(page)
    wide = measure(page)
    assert "dir=LR" in page.evaluate("() => location.hash") or page.wait_for_function(
        "() => location.hash.includes('dir=LR')"
    )
    page.screenshot(path=screenshots / "screen-chain-lr-900x1300.png")
    print(f"\nchain at 900x1300: TB {tall} LR {wide}")
    assert tall["all_in"] and wide["all_in"] and wide["values"] == tall["values"]
    # larger text top to bottom (CLEARLY_LARGER = 1.25 on the fitted scale; small text rounds to whole px)
    assert tall["text"] >= 1.2 * wide["text"], (tall, wide)
    # the hash keeps the choice; the menu goes back to auto, which draws TB again
    page.reload()
    drawn(page, "LR")
    assert page.locator("#direction").input_value() == "LR"
    page.locator("#direction").select_option("auto")
    drawn(page, "TB")
    # a wide window keeps a short graph left to right on auto
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto("about:blank")
    open_page(page, hash_for(src="a = 2.0\nb = -3.0\nL = a*b"))
    drawn(page, "LR")
