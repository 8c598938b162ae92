"""Training: the presets reproduce their sources, steps are pure and deterministic, optimisers and toggles."""

import copy
import json
import random

import numpy as np
import pytest

from engine import MLP, Value, topological_order
from engine.train import (
    DEFAULT_CONFIG,
    PRESETS,
    Run,
    TrainError,
    from_weights,
    learning_rate,
    new_state,
    parameter_count,
    per_sample_loss,
    preset_state,
    sample_program,
    step,
    to_weights,
    weight_loc,
)
from tests.micrograd_demo import demo_loss, demo_moons

# micrograd 0.1.0 running demo.ipynb (recorded once; bench/bench_train.py reruns all 100 steps)
MICROGRAD_DEMO = {
    0: (0.8958441028683222, 0.5),
    1: (1.7235905336972022, 0.81),
    2: (0.7429006313851133, 0.77),
    3: (0.7705641260584202, 0.82),
    4: (0.3692793385976538, 0.84),
    9: (0.27048625516379227, 0.91),
    19: (0.18453748746883916, 0.93),
    29: (0.08778783707420927, 0.96),
    39: (0.052256599219758504, 0.98),
    49: (0.04829139382390294, 0.99),
    59: (0.02079656521341891, 1.0),
    69: (0.033891199461601726, 0.99),
    79: (0.011698962425818015, 1.0),
    89: (0.010985332742365274, 1.0),
    99: (0.010978370135492717, 1.0),
}


def test_micrograd_demo_matches_micrograd_itself_step_by_step():
    """demo.ipynb's code run on micrograd from PyPI, two steps, against ours."""
    mg_engine = pytest.importorskip("micrograd.engine")
    mg_nn = pytest.importorskip("micrograd.nn")
    datasets = pytest.importorskip("sklearn.datasets")
    X, y, model = demo_moons(datasets.make_moons, mg_nn.MLP)
    state = preset_state("micrograd-demo")
    assert np.array_equal(
        from_weights(state["weights"], 2, [16, 16, 1]), [p.data for p in model.parameters()]
    )
    for k in range(2):
        total_loss, acc = demo_loss(model, X, y, mg_engine.Value)
        model.zero_grad()
        total_loss.backward()
        for p in model.parameters():
            p.data -= (1.0 - 0.9 * k / 100) * p.grad
        state, [metric] = step(state, 1)
        assert metric["step"] == k
        assert metric["loss"] == pytest.approx(total_loss.data, rel=1e-12)
        assert metric["accuracy"] == acc
        ours = from_weights(state["weights"], 2, [16, 16, 1])
        np.testing.assert_allclose(ours, [p.data for p in model.parameters()], rtol=0, atol=1e-12)


def test_micrograd_demo_prints_the_notebooks_trajectory():
    state, metrics = step(preset_state("micrograd-demo"), 100)
    assert [m["step"] for m in metrics] == list(range(100))
    for k, (loss, accuracy) in MICROGRAD_DEMO.items():
        assert metrics[k]["loss"] == pytest.approx(loss, rel=1e-12), k
        assert metrics[k]["accuracy"] == accuracy
    assert f"{metrics[0]['loss']:.4f}" == "0.8958"
    assert state["step"] == 100 and state["history"] == metrics


def test_lecture_preset_drives_predictions_to_the_targets():
    state, metrics = step(preset_state("lecture"), PRESETS["lecture"].steps)
    run = Run(state)
    scores = run.scores(run.X)
    assert metrics[0]["loss"] > 1 and metrics[-1]["loss"] < 0.01
    np.testing.assert_allclose(scores, [1, -1, -1, 1], atol=0.1)


def test_lecture_loss_is_the_summed_squared_error_of_the_lecture():
    state = preset_state("lecture")
    model = MLP(3, [4, 4, 1], activation="tanh", seed=1337)
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    ypred = [model(x) for x in xs]
    loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred, strict=True))
    _, [metric] = step(state, 1)
    assert metric["loss"] == pytest.approx(loss.data, rel=1e-12)


def test_a_state_stepped_twice_gives_the_same_result():
    state = new_state({"batch_size": 10, "optimizer": {"name": "adam", "lr": 0.01}})
    assert step(state, 5) == step(copy.deepcopy(state), 5)


def test_steps_split_across_requests_equal_one_run_through_json():
    state = new_state(
        {"dataset": {"name": "spiral", "n_samples": 60}, "batch_size": 16, "activation": "tanh"}
    )
    once, metrics = step(state, 6)
    half, first = step(state, 3)
    half = json.loads(json.dumps(half))  # what the page sends back
    twice, second = step(half, 3)
    assert first + second == metrics
    assert twice == once


def test_minibatches_depend_on_seed_and_step_only():
    run = Run(new_state({"batch_size": 10}))
    a, b = run.batch(0), run.batch(1)
    assert len(a) == 10 and len(set(a.tolist())) == 10
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(a, Run(new_state({"batch_size": 10})).batch(0))
    assert not np.array_equal(a, Run(new_state({"batch_size": 10, "seed": 2})).batch(0))
    assert Run(new_state()).batch(0) is None


def test_linear_schedule_is_the_notebooks_formula():
    opt = DEFAULT_CONFIG["optimizer"]
    assert [learning_rate(opt, k) for k in range(100)] == [1.0 - 0.9 * k / 100 for k in range(100)]
    assert learning_rate(opt, 250) == pytest.approx(0.1)
    assert learning_rate({**opt, "schedule": "constant", "lr": 0.3}, 50) == 0.3


def test_sgd_step_subtracts_lr_times_grad():
    state = new_state({"l2": 0.0, "optimizer": {"schedule": "constant", "lr": 0.5}})
    after, _ = step(state, 1)
    before = from_weights(state["weights"], 2, [16, 16, 1])
    grads = from_weights(after["grads"], 2, [16, 16, 1])
    assert np.abs(grads).max() > 0
    np.testing.assert_array_equal(from_weights(after["weights"], 2, [16, 16, 1]), before - 0.5 * grads)


def test_adam_follows_its_formula_with_bias_correction():
    config = {"optimizer": {"name": "adam", "lr": 0.01, "schedule": "constant"}, "layers": [4, 1]}
    state = new_state(config)
    s1, _ = step(state, 1)
    s2, _ = step(s1, 1)
    shape = (2, [4, 1])
    g1, g2 = from_weights(s1["grads"], *shape), from_weights(s2["grads"], *shape)
    m = 0.1 * g1 * 0.9 + 0.1 * g2
    v = 0.001 * g1 * g1 * 0.999 + 0.001 * g2 * g2
    np.testing.assert_allclose(from_weights(s2["optimizer_state"]["m"], *shape), m, rtol=1e-12)
    np.testing.assert_allclose(from_weights(s2["optimizer_state"]["v"], *shape), v, rtol=1e-12)
    expected = from_weights(s1["weights"], *shape) - 0.01 * (m / (1 - 0.9**2)) / (
        np.sqrt(v / (1 - 0.999**2)) + 1e-8
    )
    np.testing.assert_allclose(from_weights(s2["weights"], *shape), expected, rtol=1e-12)


def test_forget_zero_grad_adds_each_steps_grads_to_the_old_ones():
    state = new_state({"forget_zero_grad": True, "layers": [4, 1]})
    s1, _ = step(state, 1)
    s2, _ = step(s1, 1)
    fresh, _ = step({**s1, "config": {**s1["config"], "forget_zero_grad": False}, "grads": None}, 1)
    shape = (2, [4, 1])
    total = from_weights(s1["grads"], *shape) + from_weights(fresh["grads"], *shape)
    np.testing.assert_array_equal(from_weights(s2["grads"], *shape), total)


def test_forget_zero_grad_preset_goes_wrong_where_the_demo_learns():
    _, good = step(preset_state("micrograd-demo"), 60)
    _, bad = step(preset_state("forget-zero-grad"), 60)
    assert good[-1]["loss"] < 0.05 and good[-1]["accuracy"] == 1.0
    assert bad[-1]["loss"] > 10 * bad[0]["loss"]


def test_l2_adds_alpha_times_sum_of_squares():
    plain, l2 = new_state({"l2": 0.0}), new_state({"l2": 0.5})
    _, [a] = step(plain, 1)
    _, [b] = step(l2, 1)
    params = from_weights(plain["weights"], 2, [16, 16, 1])
    assert b["loss"] - a["loss"] == pytest.approx(0.5 * float(params @ params), rel=1e-12)


@pytest.mark.parametrize(
    ("loss", "expected"),
    [
        ("svm", lambda s, y: max(0.0, 1 - y * s)),
        ("mse", lambda s, y: (s - y) ** 2),
        ("bce", lambda s, y: -np.log(1 / (1 + np.exp(-y * s)))),
    ],
)
def test_per_sample_losses(loss, expected):
    for s, y in [(0.3, 1.0), (-2.0, 1.0), (1.5, -1.0), (0.0, -1.0)]:
        assert per_sample_loss(loss, Value(s), Value(y)).data == pytest.approx(expected(s, y), rel=1e-12)


def test_a_step_that_blows_up_is_not_applied_and_says_why():
    state = new_state({"optimizer": {"lr": 100.0, "schedule": "constant"}})
    after, metrics = step(state, 50, max_abs_weight=50.0)
    stopped = after["stopped"]
    assert stopped is not None and "weight" in stopped["reason"]
    assert after["step"] == stopped["step"] == len(metrics)
    weights = from_weights(after["weights"], 2, [16, 16, 1])
    assert np.isfinite(weights).all() and np.abs(weights).max() <= 50.0
    json.dumps(after, allow_nan=False)


def test_missing_weights_are_initialised_like_micrograd():
    state = new_state({"layers": [3, 1], "seed": 5})
    random.seed(5)
    expected = [random.uniform(-1, 1) for _ in range(2 * 3)]
    neurons = state["weights"]["layers"][0]["neurons"]
    assert [w for n in neurons for w in n["w"]] == expected
    assert all(n["b"] == 0.0 for n in neurons)


@pytest.mark.parametrize(
    ("change", "loc", "message"),
    [
        (
            lambda s: s["weights"]["layers"][1]["neurons"].pop(),
            ("weights", "layers", 1, "neurons"),
            "expected 16",
        ),
        (
            lambda s: s["weights"]["layers"][1]["neurons"][2]["w"].pop(),
            ("weights", "layers", 1, "neurons", 2, "w"),
            "expected 16 weights",
        ),
        (
            lambda s: s["weights"]["layers"][0]["neurons"][0].update(b=float("nan")),
            ("weights", "layers", 0, "neurons", 0, "b"),
            "finite",
        ),
        (
            lambda s: s["weights"]["layers"][2]["neurons"][0]["w"].__setitem__(5, 10**400),
            ("weights", "layers", 2, "neurons", 0, "w", 5),
            "finite",
        ),
        (
            lambda s: s["weights"]["layers"][2]["neurons"][0]["w"].__setitem__(1, True),
            ("weights", "layers", 2, "neurons", 0, "w", 1),
            "finite",
        ),
        (lambda s: s["weights"]["layers"].pop(), ("weights", "layers"), "expected 3 layers"),
        (lambda s: s["config"].update(layers=[16, 2]), ("config", "layers", 1), "last layer"),
        (lambda s: s["config"].update(batch_size=500), ("config", "batch_size"), "1 to 100"),
        (lambda s: s["config"]["optimizer"].update(lr=0), ("config", "optimizer", "lr"), "greater than 0"),
        (lambda s: s.update(step=-1), ("step",), "whole number"),
    ],
)
def test_bad_states_raise_train_error_naming_the_field(change, loc, message):
    state = new_state()
    change(state)
    with pytest.raises(TrainError, match=message) as error:
        step(state, 1)
    assert error.value.loc == loc


@pytest.mark.parametrize(
    "config",
    [
        {"dataset": {"name": "lecture"}, "layers": [4, 4, 1], "activation": "tanh", "loss": "mse"},
        {"layers": [3, 2, 1], "loss": "svm"},
        {"dataset": {"name": "spiral"}, "layers": [2, 1], "activation": "sigmoid", "loss": "bce"},
    ],
)
def test_sample_program_builds_the_models_graph_for_one_sample(config):
    from engine.expr import parse

    state, _ = step(new_state(config), 2)
    run = Run(state)
    source, values = sample_program(state, 3)
    root = parse(source, values)
    root.backward()
    labeled = {n.label: n for n in topological_order(root) if n.label}
    table = run.replay.forward(run.X[3:4], run.params, run.y[3:4])
    grads = run.replay.backward(table, np.ones(1))
    names = [
        f"{kind}{li}_{ni}" + (f"_{wi}" if kind == "w" else "")
        for li, layer in enumerate(state["weights"]["layers"], start=1)
        for ni, neuron in enumerate(layer["neurons"], start=1)
        for kind, wi in [*(("w", wi) for wi in range(1, len(neuron["w"]) + 1)), ("b", 0)]
    ]
    assert root.data == pytest.approx(table[run.replay.root][0], rel=1e-12)
    np.testing.assert_allclose([labeled[n].grad for n in names], grads, rtol=0, atol=1e-12)
    assert len(topological_order(root)) == run.replay.size


def test_weight_loc_finds_each_parameter_in_the_json_shape():
    layers = [3, 2, 1]
    flat = np.arange(float(parameter_count(2, layers)))
    weights = {"weights": to_weights(flat, 2, layers)}
    for i in range(len(flat)):
        node = weights
        for key in weight_loc(2, layers, i):
            node = node[key]
        assert node == i


def test_lr_too_high_preset_blows_the_loss_up_and_learns_nothing():
    _, metrics = step(preset_state("lr-too-high"), PRESETS["lr-too-high"].steps)
    assert max(m["loss"] for m in metrics) > 1e6 * metrics[0]["loss"]
    assert all(m["accuracy"] == 0.5 for m in metrics[4:])  # every score on one side


@pytest.mark.parametrize("name", ["spiral-adam", "circles-minibatch", "xor", "blobs-one-neuron"])
def test_two_d_presets_learn_their_dataset(name):
    state, metrics = step(preset_state(name), PRESETS[name].steps)
    run = Run(state)
    accuracy = float(np.mean((run.scores(run.X) > 0) == (run.y > 0)))
    assert accuracy >= 0.9, accuracy
    assert state["stopped"] is None


def test_adam_whose_running_average_overflows_stops_instead_of_returning_infinity():
    """Found by hypothesis: a piled-up grad of 1e157 is finite, but Adam's v = grad² is not."""
    config = {"optimizer": {"name": "adam", "lr": 0.01, "schedule": "constant"}, "layers": [4, 1]}
    s1, _ = step(new_state({**config, "forget_zero_grad": True}), 1)
    grads = from_weights(s1["grads"], 2, [4, 1])
    huge = {**s1, "grads": to_weights(np.full_like(grads, 1e157), 2, [4, 1])}
    after, metrics = step(huge, 1)
    assert metrics == []
    assert after["stopped"] == {"step": 1, "reason": "Adam's running averages overflowed"}
    assert after["weights"] == s1["weights"]  # the step was not applied
    assert json.dumps(after, allow_nan=False)  # nothing infinite goes back to the client
