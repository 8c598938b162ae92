"""The training page's event stream: one stream per play, pauses, drops, refusals and resumes."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from tests.browser.train_helpers import (
    api_post,
    open_train,
    play_to,
    play_to_and_export,
    preset_state,
    rewrite_first_stream,
    set_until,
    step_of,
    wait_idle,
    wait_step_at_least,
)

pytestmark = pytest.mark.browser


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


def test_a_dropped_stream_resumes_from_the_last_state_it_brought(page, base_url):
    demo = preset_state(base_url, "micrograd-demo")
    expected = api_post(base_url, "/api/train/step", {"state": demo, "steps": 8})

    def cut_short(events):
        assert len(events) == 8
        return events[:3]  # and no "done"

    bodies = rewrite_first_stream(page, cut_short)
    open_train(page)
    play_to(page, 8)
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
    play_to(page, 6)
    assert [(b["state"]["step"], b["steps"]) for b in bodies] == [(0, 6), (2, 4)]
    assert page.is_hidden("#err-general")
    history = page.evaluate("window.chainruleTrain.history")
    assert [h["step"] for h in history] == list(range(6))
