"""Reference layers against direct loop-based formulas from their definitions."""

import math

import numpy as np
import pytest

from constructions.attention import (
    Head,
    feed_forward,
    linformer_attention,
    performer_attention,
    random_features,
    softmax_attention,
)
from polyapprox import PolyapproxError, ShapeError


def _heads(rng, D, d_k, d_v, count):
    return [Head(*(rng.normal(size=s) for s in [(D, d_k), (D, d_k), (D, d_v), (d_v, D)])) for _ in range(count)]


def _loop_attention(Z, heads, keys=None, values=None):
    b, n, _D = Z.shape
    out = Z.copy()
    for bb in range(b):
        for h in heads:
            K_all = [Z[bb, j] @ h.W_K for j in range(n)] if keys is None else keys(Z[bb], h)
            V_all = [Z[bb, j] @ h.W_V for j in range(n)] if values is None else values(Z[bb], h)
            for i in range(n):
                q = Z[bb, i] @ h.W_Q
                logits = [float(q @ k) / math.sqrt(h.W_Q.shape[1]) for k in K_all]
                top = max(logits)
                w = [math.exp(v - top) for v in logits]
                total = sum(w)
                out[bb, i] += sum(wj / total * v for wj, v in zip(w, V_all)) @ h.W_O
    return out


def test_softmax_attention_matches_loops(rng):
    Z = rng.normal(size=(2, 5, 7))
    heads = _heads(rng, 7, 3, 4, 2)
    np.testing.assert_allclose(softmax_attention(Z, heads), _loop_attention(Z, heads), rtol=1e-12, atol=1e-12)


def test_linformer_matches_loops(rng):
    Z = rng.normal(size=(2, 5, 7))
    heads = _heads(rng, 7, 3, 4, 1)
    E, F = rng.normal(size=(3, 5)), rng.normal(size=(3, 5))
    keys = lambda z, h: [sum(E[r, j] * (z[j] @ h.W_K) for j in range(5)) for r in range(3)]
    values = lambda z, h: [sum(F[r, j] * (z[j] @ h.W_V) for j in range(5)) for r in range(3)]
    np.testing.assert_allclose(
        linformer_attention(Z, heads, E, F), _loop_attention(Z, heads, keys, values), rtol=1e-12, atol=1e-12
    )


def test_feed_forward_matches_loops(rng):
    Z = rng.normal(size=(2, 3, 5))
    W1, b1, W2, b2 = rng.normal(size=(5, 11)), rng.normal(size=11), rng.normal(size=(11, 5)), rng.normal(size=5)
    expected = Z.copy()
    for bb in range(2):
        for i in range(3):
            hidden = [max(0.0, float(Z[bb, i] @ W1[:, u] + b1[u])) for u in range(11)]
            expected[bb, i] += sum(hidden[u] * W2[u] for u in range(11)) + b2
    np.testing.assert_allclose(feed_forward(Z, W1, b1, W2, b2), expected, rtol=1e-12)


def test_performer_matches_loop_definition(rng):
    Z = rng.normal(size=(1, 4, 6)) * 0.3
    (head,) = _heads(rng, 6, 2, 3, 1)
    omega = rng.normal(size=(5, 2))
    for kind in ("positive", "trig"):
        out = performer_attention(Z, [head], omega, kind)
        scale = 2**-0.25
        phi = lambda u, scale=scale, kind=kind: random_features(u[None] * scale, omega, kind)[0]
        expected = Z.copy()
        for i in range(4):
            q = phi(Z[0, i] @ head.W_Q)
            kernel = [float(q @ phi(Z[0, j] @ head.W_K)) for j in range(4)]
            expected[0, i] += sum(k * (Z[0, j] @ head.W_V) for j, k in enumerate(kernel)) / sum(kernel) @ head.W_O
        np.testing.assert_allclose(out, expected, rtol=1e-10)


def test_performer_approximates_softmax_with_many_features(rng):
    Z = rng.normal(size=(1, 6, 4)) * 0.3
    (head,) = _heads(rng, 4, 2, 3, 1)
    omega = np.random.default_rng(5).normal(size=(20000, 2))
    np.testing.assert_allclose(performer_attention(Z, [head], omega), softmax_attention(Z, [head]), atol=0.05)


def test_bad_shapes(rng):
    Z = rng.normal(size=(1, 4, 6))
    heads = _heads(rng, 6, 2, 3, 1)
    with pytest.raises(ShapeError, match="Z must have shape"):
        softmax_attention(Z[0], heads)
    with pytest.raises(ShapeError, match="W_Q must have shape"):
        softmax_attention(rng.normal(size=(1, 4, 5)), heads)
    with pytest.raises(ShapeError, match="E must have shape"):
        linformer_attention(Z, heads, np.ones((2, 3)), np.ones((2, 4)))
    with pytest.raises(ShapeError, match="same number of rows"):
        linformer_attention(Z, heads, np.ones((2, 4)), np.ones((3, 4)))
    with pytest.raises(ShapeError, match="omega must have shape"):
        performer_attention(Z, heads, np.ones((3, 5)))
    with pytest.raises(PolyapproxError, match="unknown feature kind"):
        performer_attention(Z, heads, np.ones((3, 2)), "cosine")
    with pytest.raises(PolyapproxError, match="at least one head"):
        softmax_attention(Z, [])
    with pytest.raises(ShapeError, match="feed-forward weights"):
        feed_forward(Z, np.ones((5, 2)), np.ones(2), np.ones((2, 6)), np.ones(6))
