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
    # the last exercise's question also starts "What is": wait until the new one has landed
    shown = "(t) => document.getElementById('practice-exercise').textContent.startsWith(t)"
    page.wait_for_function(shown, arg="Exercise 8 · Level 2")
    assert page.locator("#practice-question").inner_text().startswith("What is")
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
    page.wait_for_function("() => location.hash.endsWith('&practice=grad')")
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
    assert page.evaluate("() => location.hash").endswith("&practice=data")
