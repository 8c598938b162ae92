"""The replay's arithmetic for an MLP, a layer at a time: the training step's fast path.

``engine.replay`` runs one sample's traced graph over the batch, one numpy call per group of
same-kind ops: for micrograd's demo net that is about 85 calls per step on a table of ~1,000
rows, most of them a parameter copied across the batch. Here the same ops run on whole
layers: ``W[:, :, None] * h`` makes every product of a layer at once, and a loop of
whole-layer additions adds them up in micrograd's order, ``b + w1*x1 + w2*x2 + ...``, left to
right. Each number is computed by the same operation on the same operands as in the replay
(``FORWARD`` and ``BACKWARD`` are its tables), and each grad is added up in the same order,
so the losses, grads and weights are the replay's to the last bit
(tests/engine/test_train_dense.py holds them equal on every preset and many configs).
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np

from ..replay import BACKWARD, FORWARD

# (score - y) ** SQUARE: the constant exponent of the "mse" loss (run.per_sample_loss)
SQUARE = 2


class Pass(NamedTuple):
    """One forward pass over a batch: what backward reads."""

    inputs: list[np.ndarray]  # each layer's input, (width, batch); the first is the batch's columns
    pre: list[np.ndarray]  # each layer's sums b + w1*x1 + ..., (neurons, batch)
    post: list[np.ndarray]  # each layer's output (its activation of pre; pre itself for the last)
    y: np.ndarray  # the batch's targets
    loss_values: tuple[np.ndarray, ...]  # the loss's inner values (see Dense.loss_forward)
    losses: np.ndarray  # each sample's loss
    scores: np.ndarray  # each sample's score


class Dense:
    """``MLP(nin, layers, activation)`` and one sample's ``loss``, stepped a layer at a time."""

    def __init__(self, nin: int, layers: list[int], activation: str, loss: str) -> None:
        self.nin, self.layers, self.activation, self.loss = nin, list(layers), activation, loss
        sizes = [nin, *layers]
        self.blocks = []  # each layer's (start, end) in the flat parameters, and its input width
        at = 0
        for width, nout in zip(sizes, layers, strict=False):
            self.blocks.append((at, at + nout * (width + 1), width, nout))
            at += nout * (width + 1)
        self.size = at

    def forward(self, X: np.ndarray, params: np.ndarray, y: np.ndarray) -> Pass:
        with np.errstate(all="ignore"):
            h = np.ascontiguousarray(np.asarray(X, dtype=float).T)  # each input's batch, as the replay
            inputs, pre, post = [], [], []
            last = len(self.blocks) - 1
            for li, (start, end, width, nout) in enumerate(self.blocks):
                block = params[start:end].reshape(nout, width + 1)
                # sums[0] = b, sums[i] = w_i * x_i, then added left to right: b + w1*x1 + w2*x2 + ...
                sums = np.empty((width + 1, nout, h.shape[1]))
                sums[0] = block[:, width, None]
                np.multiply(block[:, :width].T[:, :, None], h[:, None, :], out=sums[1:])
                a = sums[0] + sums[1]
                for i in range(2, width + 1):  # not np.add.reduce: with one row it adds pairwise
                    np.add(a, sums[i], out=a)
                inputs.append(h)
                pre.append(a)
                h = a if li == last else FORWARD[self.activation](a, None)
                post.append(h)
            scores = h[0]
            values = self.loss_forward(scores, y)
        return Pass(inputs, pre, post, y, values, values[-1], scores)

    def loss_forward(self, score: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
        """``run.per_sample_loss``'s ops in its order; the last value is the loss."""
        if self.loss == "svm":  # (1 + -y * score).relu()
            neg_y = FORWARD["neg"](y, None)
            t = FORWARD["*"](neg_y, score, None)
            u = FORWARD["+"](1.0, t, None)
            return neg_y, t, u, FORWARD["relu"](u, None)
        if self.loss == "mse":  # (score - y) ** 2
            d = FORWARD["-"](score, y, None)
            return d, FORWARD["**k"](d, SQUARE)
        t = FORWARD["*"](y, score, None)  # bce: -((y * score).sigmoid().log())
        s = FORWARD["sigmoid"](t, None)
        lg = FORWARD["log"](s, None)
        return t, s, lg, FORWARD["neg"](lg, None)

    def loss_backward(self, p: Pass, seed: np.ndarray) -> np.ndarray:
        """The score's grad for each sample (each grad starts at 0, as the replay's do)."""
        v, score = p.loss_values, p.scores
        if self.loss == "svm":
            neg_y, t, u, out = v
            g_u = 0.0 + BACKWARD["relu"][0](u, out, seed, None)
            return 0.0 + BACKWARD["*"][1](neg_y, score, t, g_u, None)  # "+" passes g_u on to t
        if self.loss == "mse":
            d, out = v
            g_d = 0.0 + BACKWARD["**k"][0](d, out, seed, SQUARE)
            return 0.0 + BACKWARD["-"][0](score, p.y, d, g_d, None)
        t, s, lg, out = v
        g_lg = 0.0 + BACKWARD["neg"][0](lg, out, seed, None)
        g_s = 0.0 + BACKWARD["log"][0](s, lg, g_lg, None)
        g_t = 0.0 + BACKWARD["sigmoid"][0](t, s, g_s, None)
        return 0.0 + BACKWARD["*"][1](p.y, score, t, g_t, None)

    def backward(self, p: Pass, seed: np.ndarray, params: np.ndarray) -> np.ndarray:
        """d(sum over the batch of seed * loss) / d param, for each param: ``Replay.backward``'s."""
        with np.errstate(all="ignore"):
            grads = np.empty(self.size)
            g = self.loss_backward(p, seed)[None, :]  # the last layer's grad, (1, batch)
            for li in reversed(range(len(self.blocks))):
                start, end, width, nout = self.blocks[li]
                if li < len(self.blocks) - 1:  # through the activation
                    g = 0.0 + BACKWARD[self.activation][0](p.pre[li], p.post[li], g, None)
                # each product w_i * x_i and the bias get this grad (the "+" chain passes it on),
                # so w_i's grad is x_i * g and the bias's is g; each summed over the batch alone
                per_sample = p.inputs[li][None, :, :] * g[:, None, :]
                per_sample += 0.0  # a grad starts at 0: 0 + -0.0 is 0.0
                out = grads[start:end].reshape(nout, width + 1)
                out[:, :width] = per_sample.reshape(nout * width, -1).sum(axis=1).reshape(nout, width)
                out[:, width] = g.sum(axis=1)
                if li > 0:  # x_i's grad: w_i * g summed over the neurons, as the replay sums them
                    block = params[start:end].reshape(nout, width + 1)
                    parts = block[:, :width].T[:, :, None] * g[None, :, :]  # (width, nout, batch)
                    starts = np.arange(0, width * nout, nout)
                    g = 0.0 + np.add.reduceat(parts.reshape(width * nout, -1), starts, axis=0)
            return grads


@lru_cache(maxsize=32)
def dense(nin: int, layers: tuple[int, ...], activation: str, loss: str) -> Dense:
    return Dense(nin, list(layers), activation, loss)
