"""Neuron, Layer and MLP: micrograd's own weights, repr and training numbers, and its fixes."""

import random

import pytest
from micrograd import engine as mg_engine
from micrograd import nn as mg_nn

from engine import MLP, Layer, Neuron, Value
from tests.micrograd_readme import readme_example


def weights(model):
    return [p.data for p in model.parameters()]


def test_lecture_mlp_has_41_parameters():
    assert len(MLP(3, [4, 4, 1]).parameters()) == 41


def test_initialisation_consumes_random_exactly_like_micrograd():
    random.seed(1337)
    ours = MLP(2, [16, 16, 1])
    after_ours = random.random()
    random.seed(1337)
    theirs = mg_nn.MLP(2, [16, 16, 1])
    after_theirs = random.random()
    assert weights(ours) == weights(theirs)
    assert after_ours == after_theirs


def test_seed_gives_the_same_weights_as_seeding_random():
    random.seed(7)
    expected = weights(mg_nn.MLP(3, [4, 4, 1]))
    assert weights(MLP(3, [4, 4, 1], seed=7)) == expected
    assert weights(MLP(3, [4, 4, 1], seed=7)) == weights(MLP(3, [4, 4, 1], seed=7))


def test_repr_matches_micrograd():
    random.seed(0)
    theirs = repr(mg_nn.MLP(2, [3, 1]))
    assert repr(MLP(2, [3, 1])) == theirs
    assert repr(MLP(2, [3, 1], activation="tanh")).startswith("MLP of [Layer of [TanhNeuron(2)")


def test_one_neuron_hidden_layer_works():
    model = MLP(2, [16, 1, 1], seed=3)
    out = model([1.0, -2.0])
    assert isinstance(out, Value)
    out.backward()
    assert any(p.grad != 0 for p in model.parameters())


def test_micrograd_training_loop_runs_unchanged_and_matches_micrograd():
    """The lecture's loop, written for micrograd, gives micrograd's losses.

    Not to the last bit: micrograd's topological order follows a set of objects, so the order
    in which it adds up a shared node's grad (and so its last bit) changes from run to run.
    """
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]

    def train(mlp_class):
        random.seed(42)
        n = mlp_class(3, [4, 4, 1])
        losses = []
        for _ in range(5):
            ypred = [n(x) for x in xs]
            loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred, strict=True))
            n.zero_grad()
            loss.backward()
            for p in n.parameters():
                p.data += -0.05 * p.grad
            losses.append(loss.data)
        return losses

    assert train(MLP) == pytest.approx(train(mg_nn.MLP), rel=1e-12, abs=0)


def test_layer_and_neuron_accept_micrograd_style_inputs():
    neuron = Neuron(3, nonlin=False, rng=random.Random(1))
    out = neuron([1.0, 2.0, 3.0])
    assert out.data == pytest.approx(sum(w.data * x for w, x in zip(neuron.w, [1, 2, 3], strict=True)))
    layer = Layer(3, 2, rng=random.Random(1))
    assert len(layer([Value(1.0), 2.0, 3.0])) == 2


def test_unknown_activation_is_refused():
    with pytest.raises(ValueError, match="activation must be one of relu, tanh, sigmoid"):
        MLP(2, [2, 1], activation="swish")


def test_micrograd_readme_example_gives_its_numbers_and_agrees_with_micrograd():
    def readme(value_class):
        g, a, b = readme_example(value_class)
        g.backward()
        return g.data, a.grad, b.grad

    ours, theirs = readme(Value), readme(mg_engine.Value)
    assert [f"{x:.4f}" for x in ours] == ["24.7041", "138.8338", "645.5773"]  # as its README prints
    assert ours == pytest.approx(theirs, rel=1e-12)
