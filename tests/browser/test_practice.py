"""Practice mode on the graph page: the grads (or the data) hidden and asked for, one at a time."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest

pytestmark = pytest.mark.browser

# level 1, exercise 0 is the lecture's first graph: e = a*b, d = e + c, L = d*f with
# a = 2, b = -3, c = 10, f = -2, and the lecture's hand-worked grads
LECTURE_GRADS = {"L": 1.0, "f": 4.0, "d": -2.0, "c": -2.0, "e": -2.0, "b": -4.0, "a": 6.0}
LECTURE_DATA = {"e": -6.0, "d": 4.0, "L": -8.0}

# every value node's [label, data text, grad text]
NODE_TEXTS = """() => [...document.querySelectorAll('#graph g.value')].map(
  (g) => [...g.querySelectorAll('text')].map((t) => t.textContent.trim()))"""


def nodes(page) -> dict[str, list[str]]:
    return {t[0]: t[1:] for t in page.evaluate(NODE_TEXTS)}


def all_grads_hidden(page) -> bool:
    texts = [t for node in page.evaluate(NODE_TEXTS) for t in node if t.startswith("grad")]
    return bool(texts) and all(t == "grad ?" for t in texts)


def asked(page) -> str:
    """The name the question asks about ("What is e.grad" / "What is e's data")."""
    q = page.locator("#practice-question").inner_text()
    m = re.match(r"What is (\w+)(\.grad|'s data)", q)
    assert m, f"not a question: {q!r}"
    return m.group(1)


def open_exercise(page, where: str) -> None:
    page.goto(f"/#practice={where}")
    page.wait_for_selector("#graph svg g.value")
    page.wait_for_function("() => /^What is/.test(document.getElementById('practice-question').textContent)")


def answer(page, text: str) -> None:
    page.fill("#practice-answer", text)
    page.press("#practice-answer", "Enter")


def test_a_right_grad_is_accepted_and_revealed_with_its_working(page) -> None:
    open_exercise(page, "1/0")
    assert page.locator("#practice").is_visible()
    assert all_grads_hidden(page), "every grad hidden"
    assert "within 1%" in page.locator("#practice-tolerance").inner_text()
    assert asked(page) == "L"
    answer(page, "1")
    assert page.locator("#practice-verdict").inner_text() == "✓ Right: L.grad = 1.0000."
    shown = nodes(page)
    assert shown["L"][1] == "grad 1.0000"
    assert all(shown[x][1] == "grad ?" for x in "abcdef")
    # the next one: its working is the chain rule, upstream grad times local derivative
    name = asked(page)
    assert name != "L"
    answer(page, str(LECTURE_GRADS[name]))
    assert page.locator("#practice-verdict").inner_text().startswith(f"✓ Right: {name}.grad")
    hint = page.locator("#practice-hint").inner_text()
    assert hint.startswith(f"Working: {name}.grad = L.grad × ∂L/∂{name}"), hint
    assert nodes(page)[name][1] == f"grad {LECTURE_GRADS[name]:.4f}"
    assert page.locator("#practice-score").inner_text().startswith("Score: 2 of 7 right first time")
    assert page.locator("#step-next").is_hidden(), "the step buttons would give answers away"
    assert page.locator(".inspector").is_hidden() and page.locator(".checks").is_hidden()


def test_a_wrong_grad_is_rejected_with_the_factor_to_check(page) -> None:
    open_exercise(page, "1/0")
    while asked(page) != "e":
        answer(page, str(LECTURE_GRADS[asked(page)]))
    # e.grad = d.grad (-2) x the local derivative of d = e + c (1): typing the 1 alone
    # forgets the upstream grad
    answer(page, "1")
    verdict = page.locator("#practice-verdict").inner_text()
    hint = page.locator("#practice-hint").inner_text()
    assert verdict == "✗ Not quite: e.grad is not 1.0000."
    assert hint.startswith("Hint: check the upstream grad.") and "d.grad" in hint
    assert "-2" not in hint, "the hint does not give the answer"
    assert nodes(page)["e"][1] == "grad ?"
    # the upstream times a wrong local derivative (2 instead of 1)
    answer(page, "-4")
    hint = page.locator("#practice-hint").inner_text()
    assert hint == (
        "Hint: check the local derivative ∂d/∂e, for d = e + c. The upstream grad is d.grad, on d's node."
    )
    assert "-2" not in hint
    answer(page, "-2.0")
    assert page.locator("#practice-verdict").inner_text().startswith("✓ Right: e.grad = -2.0000")
    assert "1 after a hint" in page.locator("#practice-score").inner_text()


def test_show_me_reveals_the_grad_and_its_working(page) -> None:
    open_exercise(page, "1/0")
    answer(page, "1")
    name = asked(page)
    page.click("#practice-show")
    grad = f"{LECTURE_GRADS[name]:.4f}"
    assert page.locator("#practice-verdict").inner_text() == f"Shown: {name}.grad = {grad}."
    hint = page.locator("#practice-hint").inner_text()
    assert hint.startswith(f"Working: {name}.grad = L.grad × ∂L/∂{name}") and f"= {grad}" in hint
    assert nodes(page)[name][1] == f"grad {LECTURE_GRADS[name]:.4f}"
    assert page.locator("#practice-score").inner_text() == "Score: 1 of 7 right first time (1 shown)."


def test_next_loads_the_next_exercise_and_the_url_names_it(page) -> None:
    open_exercise(page, "2/7")
    first = page.input_value("#source")
    page.click("#practice-next")
    page.wait_for_function("() => location.hash === '#practice=2/8'")
    page.wait_for_function("(s) => document.getElementById('source').value !== s", arg=first)
    page.wait_for_function(
        "() => document.getElementById('practice-exercise').textContent.startsWith('Exercise 8 · Level 2')"
    )
    page.wait_for_function("() => /^What is/.test(document.getElementById('practice-question').textContent)")
    assert all_grads_hidden(page)
    page.select_option("#practice-level", "4")
    page.wait_for_function("() => location.hash === '#practice=4/0'")


def test_a_link_restores_an_exercise(page) -> None:
    open_exercise(page, "3/42")
    exercise = page.request.get("/api/exercise?level=3&seed=42").json()
    page.wait_for_function("(s) => document.getElementById('source').value === s", arg=exercise["source"])
    assert page.input_value("#practice-level") == "3"
    assert exercise["title"].startswith("Level 3")
    assert page.locator("#practice-exercise").inner_text() == f"Exercise 42 · {exercise['title']}"
    assert all_grads_hidden(page)
    assert page.evaluate("() => location.hash") == "#practice=3/42"


def test_the_forward_variant_asks_each_data_in_order(page) -> None:
    open_exercise(page, "1/0&ask=data")
    assert page.input_value("#practice-ask") == "data"
    shown = nodes(page)
    assert shown["a"][0] == "data 2.0000" and shown["e"][0] == "data ?" and shown["L"][0] == "data ?"
    assert page.locator("#practice-question").inner_text() == "What is e's data? (e = a * b)"
    answer(page, "6")
    assert page.locator("#practice-hint").inner_text().startswith("Hint: check the operation. e = a * b")
    answer(page, "-6")
    assert page.locator("#practice-hint").inner_text() == "Working: e = a * b = 2.0000 * (-3.0000) = -6.0000"
    assert nodes(page)["e"][0] == "data -6.0000" and nodes(page)["d"][0] == "data ?"
    for name in ["d", "L"]:
        assert asked(page) == name
        answer(page, str(LECTURE_DATA[name]))
    assert page.locator("#practice-question").inner_text().startswith("Done: all 3 data worked out.")
    assert page.locator("#practice-answer").is_disabled()


def test_practice_works_keyboard_only_on_a_typed_program(page) -> None:
    page.goto("/")
    page.wait_for_selector("#graph svg g.value")
    page.fill("#source", "x = 3.0\ny = x*x\n")
    page.keyboard.press("Escape")  # out of the editor
    page.wait_for_function("() => document.getElementById('status').textContent === '2 values'")
    page.keyboard.press("q")
    assert page.evaluate("() => document.activeElement.id") == "practice-answer"
    assert page.locator("#practice-toggle").get_attribute("aria-pressed") == "true"
    assert asked(page) == "y"
    page.keyboard.type("1")
    page.keyboard.press("Enter")
    assert page.locator("#practice-verdict").inner_text().startswith("✓ Right")
    # out of the field, the step keys do not give the answer away
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("() => document.activeElement.id") == "fit"
    page.keyboard.press("ArrowRight")
    page.keyboard.press("End")
    assert nodes(page)["x"][1] == "grad ?"
    page.keyboard.press("Tab")
    # x is used twice: one term forgotten is a missing "+="
    page.keyboard.type("3")
    page.keyboard.press("Enter")
    assert "adds one term per use" in page.locator("#practice-hint").inner_text()
    page.keyboard.press("Tab")  # Check
    page.keyboard.press("Tab")  # Show me
    page.keyboard.press("Enter")
    assert page.locator("#practice-verdict").inner_text() == "Shown: x.grad = 6.0000."
    # the URL keeps the progress: the two values worked out, the score (1 right first time, 1 shown)
    page.wait_for_function("() => /&practice=grad&got=\\w+\\.\\w+&score=1\\.0\\.1$/.test(location.hash)")
    # Q leaves practice (from anywhere but a text field) and shows every grad again
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("q")
    assert page.locator("#practice").is_hidden()
    assert nodes(page)["x"][1] == "grad 6.0000"


@pytest.mark.parametrize(
    ("theme", "width", "height"),
    [("light", 1366, 768), ("projector", 1366, 768), ("projector", 1280, 720), ("dark", 1920, 1080)],
)
def test_practice_screens(page, screenshots, theme, width, height) -> None:
    page.set_viewport_size({"width": width, "height": height})
    open_exercise(page, "1/0")
    if theme != "light":
        page.select_option("#theme", theme)
        page.wait_for_function("(t) => document.documentElement.dataset.theme === t", arg=theme)
        page.wait_for_selector("#graph svg g.value")
        page.focus("#practice-answer")
    answer(page, "1")
    answer(page, "7")
    sizes = page.evaluate(
        """() => ['practice-question', 'practice-verdict', 'practice-hint', 'practice-answer'].map((id) => {
          const el = document.getElementById(id);
          const r = el.getBoundingClientRect();
          return [id, parseFloat(getComputedStyle(el).fontSize), r.top, r.bottom, r.left, r.right];
        })"""
    )
    for id_, size, top, bottom, left, right in sizes:
        assert size >= (28 if theme == "projector" else 14), (id_, size)
        assert 0 <= left and right <= width and top >= 0 and bottom <= height, (id_, top, bottom, left, right)
    # the camera uses the graph's panel: a graph wider (taller) than it fills it, with no empty band
    # past one end while the other is cut off; a smaller one sits inside it
    boxes = page.evaluate(
        """() => [document.querySelector('#viewport'), document.querySelector('#graph svg g.graph')]
          .map((el) => el.getBoundingClientRect())
          .map((r) => [r.left, r.right, r.top, r.bottom])"""
    )
    (vl, vr, vt, vb), (gl, gr, gt, gb) = boxes
    for low, high, view_low, view_high in [(gl, gr, vl, vr), (gt, gb, vt, vb)]:
        if high - low > view_high - view_low:
            assert low <= view_low + 21 and high >= view_high - 21, (theme, width, boxes)
        else:
            assert low >= view_low - 1 and high <= view_high + 1, (theme, width, boxes)
    page.screenshot(path=screenshots / f"practice-{theme}-{width}.png")


def test_show_me_walks_an_exercise_to_the_end_past_its_constants(page) -> None:
    """All shown, one by one. Level 3's exercise 1 (a sigmoid written with exp) has 23 values, 3 of them
    constants, whose grads are not asked for."""
    for level, seed, asked_for in [(2, 1, 10), (3, 1, 20)]:
        open_exercise(page, f"{level}/{seed}")  # a new hash on the same page: the hashchange loads it
        page.wait_for_function(
            "(t) => document.getElementById('practice-exercise').textContent.startsWith(t)",
            arg=f"Exercise {seed} · Level {level}",
        )
        page.wait_for_function(
            "() => /^Score: 0 /.test(document.getElementById('practice-score').textContent)"
        )
        total = int(re.search(r"of (\d+) right", page.locator("#practice-score").inner_text()).group(1))
        assert total == asked_for
        for _ in range(total):
            page.click("#practice-show")
        assert page.locator("#practice-question").inner_text().startswith(f"Done: all {total} grads")
        assert not any(t == "grad ?" for node in page.evaluate(NODE_TEXTS) for t in node)
        assert (
            page.locator("#practice-score").inner_text()
            == f"Score: 0 of {total} right first time ({total} shown)."
        )
    assert page.console_errors == []


def test_a_link_restores_practice_on_a_typed_program(page) -> None:
    page.goto(
        "/#" + urlencode({"src": "u = 1.5\nv = 2.0\nw = u*v - u\n", "theme": "light", "practice": "data"})
    )
    page.wait_for_function("() => /^What is/.test(document.getElementById('practice-question').textContent)")
    assert page.locator("#practice-question").inner_text() == "What is (u*v)'s data?"
    answer(page, "3")
    assert asked(page) == "w"
    assert (
        page.locator("#practice-exercise").inner_text()
        == "Your own program. Next loads a generated exercise."
    )
    page.wait_for_function("() => /&practice=data&got=\\w+&score=1\\.0\\.0$/.test(location.hash)")


# ---------------------------------------------------------------- folded graphs, one group at a time

GRAD_TEXTS = """() => Object.fromEntries([...document.querySelectorAll('#graph g.value')].map((g) => [
  g.querySelector('text').textContent.trim(),
  [...g.querySelectorAll('text')].map((t) => t.textContent.trim()).find((t) => t.startsWith('grad'))]))"""


def grads(page) -> dict[str, str]:
    """Every drawn value's (or folded box's) grad text, by its name."""
    return page.evaluate(GRAD_TEXTS)


def wait_question(page, start: str) -> None:
    page.wait_for_function(
        "(t) => document.getElementById('practice-question').textContent.startsWith(t)", arg=start
    )


def test_a_folded_graph_asks_the_boxes_on_screen_then_inside_the_box_opened(page) -> None:
    """The lecture's graph with its three statements folded: e = a*b, d = e + c, L = d*f."""
    open_exercise(page, "1/0&fold=0.1.2")
    assert sorted(grads(page)) == ["L", "d", "e"], "three boxes, nothing else drawn"
    assert set(grads(page).values()) == {"grad ?"}
    assert asked(page) == "L"
    assert page.locator("#practice-given").is_hidden(), "L.grad needs nothing from inside a box"
    answer(page, "1")
    # d.grad = L.grad x f: f is inside L's box, so the question gives it
    assert page.locator("#practice-question").inner_text() == "What is d.grad (∂L/∂d)?"
    assert page.locator("#practice-given").inner_text() == "In L's box: f = -2."
    answer(page, "1")
    assert page.locator("#practice-hint").inner_text().startswith("Hint: check the local derivative ∂L/∂d")
    assert "on L's box" in page.locator("#practice-hint").inner_text()
    answer(page, "-2")
    assert asked(page) == "e"
    answer(page, "-2")
    assert grads(page) == {"e": "grad -2.0000", "d": "grad -2.0000", "L": "grad 1.0000"}
    done = page.locator("#practice-question").inner_text()
    assert done.startswith("Done on screen. 4 grads left inside L, d, e: open a box"), done
    assert page.locator("#practice-answer").is_disabled()
    page.wait_for_function("() => location.hash === '#practice=1/0&got=n6.n4.n2&score=2.1.0&fold=0.1.2'")
    # Enter on e's box opens it: a and b are asked next, e's grad is known, theirs are not
    page.focus("#node-n2")
    page.keyboard.press("Enter")
    wait_question(page, "In e = a·b: What is b.grad (∂L/∂b)?")
    assert page.locator("#practice-verdict").inner_text() == "Opened e = a·b: its values are asked next."
    assert page.evaluate("() => document.activeElement.id") == "practice-answer"
    shown = grads(page)
    assert (shown["a"], shown["b"], shown["e"]) == ("grad ?", "grad ?", "grad -2.0000")
    page.keyboard.type("-4")
    page.keyboard.press("Enter")
    assert page.locator("#practice-verdict").inner_text() == "✓ Right: b.grad = -4.0000."
    assert page.locator("#practice-hint").inner_text().startswith("Working: b.grad = e.grad × ∂e/∂b")
    assert grads(page)["b"] == "grad -4.0000" and grads(page)["a"] == "grad ?"
    answer(page, "6")
    assert page.locator("#practice-verdict").inner_text() == "✓ Right: a.grad = 6.0000."
    left = page.locator("#practice-question").inner_text()
    assert left.startswith("Done on screen. 2 grads left inside L, d:"), left
    assert page.locator("#practice-score").inner_text() == "Score: 4 of 7 right first time (1 after a hint)."
    # G folds every statement, G again opens them all: f and c are asked, in backward order
    page.focus("#practice-toggle")
    page.keyboard.press("g")
    page.wait_for_function("() => document.querySelectorAll('#graph g.value.folded').length === 3")
    page.keyboard.press("g")
    wait_question(page, "What is f.grad")
    answer(page, "4")
    answer(page, "-2")
    assert page.locator("#practice-question").inner_text().startswith("Done: all 7 grads worked out.")
    assert all(v != "grad ?" for v in grads(page).values())
    assert page.console_errors == []


def test_a_value_feeding_folded_boxes_is_asked_through_them(page) -> None:
    """Level 4, exercise 1: two relu neurons h1, h2 on inputs i1, i2, and their loss, all folded.
    i2 feeds both boxes: its grad adds a term through each, upstream the box's grad."""
    open_exercise(page, "4/1&fold=0.1.2")
    ex = page.request.get("/api/exercise?level=4&seed=1").json()
    body = page.request.post("/api/graph", data={"source": ex["source"], "values": ex["values"]}).json()
    by_label = {n["label"]: n for n in body["nodes"] if n["label"]}
    for _ in range(3):  # loss, h2, h1
        page.click("#practice-show")
    question = page.locator("#practice-question").inner_text()
    assert question.startswith("What is i2.grad (∂loss/∂i2)? i2 is used 2 times."), question
    assert page.locator("#practice-given").inner_text() == (
        "In h1's box: k1_1 = -0.4, k1_2 = 0.8, bias1 = 1. In h2's box: k2_1 = -0.2, k2_2 = -0.5, bias2 = 0.7."
    )
    # the term through h1 alone: a forgotten "+=" (h2's term is 0 here: relu is off), so try the local
    # derivative alone, without h1's upstream grad
    answer(page, "0.8")
    hint = page.locator("#practice-hint").inner_text()
    assert hint.startswith("Hint: check the upstream grad. Multiply ∂h1/∂i2 through h1's box by h1.grad"), (
        hint
    )
    answer(page, f"{by_label['i2']['grad']:.4f}")
    assert page.locator("#practice-verdict").inner_text().startswith("✓ Right: i2.grad")
    working = page.locator("#practice-hint").inner_text()
    assert working.startswith(
        "Working: i2.grad = h1.grad × ∂h1/∂i2 (through h1's box) + h2.grad × ∂h2/∂i2 (through h2's box)"
    ), working
    assert working.endswith(f"= {by_label['i2']['grad']:.4f}")


@pytest.mark.parametrize("theme", ["light", "projector"])
def test_folded_practice_screens(page, screenshots, theme) -> None:
    page.set_viewport_size({"width": 1366, "height": 768})
    open_exercise(page, "1/0&fold=0.1.2")
    if theme != "light":
        page.select_option("#theme", theme)
        page.wait_for_function("(t) => document.documentElement.dataset.theme === t", arg=theme)
        page.wait_for_selector("#graph svg g.value")
    for x in ["1", "-2", "-2"]:
        answer(page, x)
    page.focus("#node-n2")
    page.keyboard.press("Enter")
    wait_question(page, "In e = a·b:")
    answer(page, "4")  # wrong: the hint shows
    page.screenshot(path=screenshots / f"practice-folded-{theme}-1366.png")
    ids = ["practice-question", "practice-verdict", "practice-hint", "practice-answer", "practice-score"]
    for id_ in ids:
        box = page.evaluate(
            """(id) => { const el = document.getElementById(id); const r = el.getBoundingClientRect();
              return [parseFloat(getComputedStyle(el).fontSize), r.top, r.bottom, r.left, r.right]; }""",
            id_,
        )
        size, top, bottom, left, right = box
        assert size >= (28 if theme == "projector" else 14) or id_ == "practice-score", (id_, size)
        assert 0 <= left and right <= 1366 and 0 <= top and bottom <= 768, (id_, box)


# ---------------------------------------------------------------- progress survives a reload


def test_a_typed_programs_progress_survives_a_reload(page) -> None:
    page.goto("/")
    page.wait_for_selector("#graph svg g.value")
    page.fill("#source", "p = 2.0\nq = -3.0\nr = p*q + p\n")
    page.keyboard.press("Escape")
    page.wait_for_function("() => document.getElementById('status').textContent === '4 values'")
    page.keyboard.press("q")
    answer(page, "1")  # r
    answer(page, "5")  # r = (p*q) + p: (p*q).grad is 1, so a wrong answer
    answer(page, "1")
    name = asked(page)
    page.click("#practice-show")
    score = "Score: 1 of 4 right first time (1 after a hint, 1 shown)."
    assert page.locator("#practice-score").inner_text() == score
    before = grads(page)
    question = page.locator("#practice-question").inner_text()
    # leaving practice and coming back (Q twice, by mistake) keeps the work too
    page.click("#practice-stop")
    assert all(t != "grad ?" for t in grads(page).values())
    page.keyboard.press("q")
    assert page.locator("#practice-verdict").inner_text() == "Welcome back: the 3 worked out so far are kept."
    assert grads(page) == before and page.locator("#practice-score").inner_text() == score
    page.wait_for_function("() => /&got=(\\w+\\.){2}\\w+&score=1\\.1\\.1$/.test(location.hash)")
    page.reload()
    page.wait_for_function("(s) => document.getElementById('practice-score').textContent === s", arg=score)
    assert page.locator("#practice").is_visible()
    assert page.input_value("#source") == "p = 2.0\nq = -3.0\nr = p*q + p\n"
    assert page.locator("#practice-question").inner_text() == question
    assert grads(page) == before and grads(page)[name] != "grad ?"
    assert list(grads(page).values()).count("grad ?") == 1
    # the last one, p (used twice), is asked and answered as if nothing had happened
    answer(page, "-2")
    assert page.locator("#practice-question").inner_text().startswith("Done: all 4 grads worked out.")
    # a program being typed (here, not yet one: the last good graph stays) is not the one the
    # progress was made on, so its link carries none
    page.fill("#source", "p = 2.0\nq = -3.0\nr = p*q +\n")
    page.wait_for_function("() => document.getElementById('status').textContent.startsWith('error')")
    page.wait_for_function("() => location.hash.includes('practice=grad') && location.hash.includes('q+%2B')")
    assert "got=" not in page.evaluate("() => location.hash")


def test_an_exercises_progress_survives_a_reload_and_next_starts_fresh(page) -> None:
    open_exercise(page, "1/0")
    for name in ["L", "f", "d"]:
        assert asked(page) == name
        answer(page, str(LECTURE_GRADS[name]))
    page.wait_for_function("() => location.hash === '#practice=1/0&got=n6.n5.n4&score=3.0.0'")
    page.reload()
    wait_question(page, "What is c.grad")
    assert page.locator("#practice-score").inner_text() == "Score: 3 of 7 right first time."
    assert nodes(page)["d"][1] == "grad -2.0000" and nodes(page)["c"][1] == "grad ?"
    page.click("#practice-next")
    page.wait_for_function("() => location.hash === '#practice=1/1'")
    page.wait_for_function("() => /^Score: 0 of/.test(document.getElementById('practice-score').textContent)")
    assert all_grads_hidden(page)


def test_the_forward_variant_on_a_folded_graph_gives_what_a_box_hides(page) -> None:
    open_exercise(page, "1/0&ask=data&fold=0.1.2")
    question = page.locator("#practice-question").inner_text()
    assert question == "What is e's data? (e = a·b, folded)"
    assert page.locator("#practice-given").inner_text() == "In e's box: a = 2, b = -3."
    assert nodes(page)["e"][1] == "data ?"  # a box's texts: name, summary, data, grad
    answer(page, "-1")
    assert page.locator("#practice-hint").inner_text().startswith("Hint: work through the box. e = a·b")
    answer(page, "-6")
    working = page.locator("#practice-hint").inner_text()
    assert working == "Working: e = a·b = -6.0000 (open the box for each step)"
    assert nodes(page)["e"][1] == "data -6.0000"
    assert page.locator("#practice-question").inner_text().startswith("What is d's data? (d = e + c, folded)")


def test_a_tampered_progress_link_counts_what_it_can_as_shown(page) -> None:
    """Ids the graph does not have are dropped; a score that does not add up to the values got
    counts them shown (nobody gets a score by editing a link)."""
    open_exercise(page, "1/0&got=n6.zzz.n5.<b>&score=9.9.9&fold=x")
    assert asked(page) == "d"
    assert page.locator("#practice-score").inner_text() == "Score: 0 of 7 right first time (2 shown)."
    assert nodes(page)["f"][1] == "grad 4.0000" and nodes(page)["d"][1] == "grad ?"
    assert page.console_errors == []
