"""The learning-rate schedule: the notebook's decay, and never above the lr the person set."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.train import SCHEDULE_TEXT, SCHEDULES, learning_rate, preset_state, step


def test_lowering_the_lr_mid_run_under_linear_decay_never_raises_it():
    # the page's bug: lr 1 decaying to lr_end 0.1, then lr set to 0.05 at step 59 showed 0.0795
    state, _ = step(preset_state("micrograd-demo"), 59)
    state["config"]["optimizer"]["lr"] = 0.05
    state, metrics = step(state, 50)
    assert [m["lr"] for m in metrics] == [0.05] * 50
    assert state["step"] == 109


def test_each_metric_carries_the_lr_its_step_used():
    _, metrics = step(preset_state("micrograd-demo"), 5)
    assert [m["lr"] for m in metrics] == pytest.approx([1.0 - 0.9 * k / 100 for k in range(5)], rel=1e-12)


@given(
    lr=st.floats(1e-6, 100),
    lr_end=st.floats(0, 100),
    decay=st.integers(1, 10**6),
    k=st.integers(0, 10**7),
)
def test_linear_schedule_never_rises_and_never_exceeds_the_lr_set(lr, lr_end, decay, k):
    opt = {"lr": lr, "lr_end": lr_end, "decay_steps": decay, "schedule": "linear"}
    now, later = learning_rate(opt, k), learning_rate(opt, k + 1)
    assert later <= now <= lr * (1 + 1e-12)
    assert now >= min(lr, lr_end) - 1e-12 * lr


def test_every_schedule_says_what_it_does():
    assert set(SCHEDULE_TEXT) == set(SCHEDULES)
    assert "never rises" in SCHEDULE_TEXT["linear"]
