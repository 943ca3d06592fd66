"""Interval evaluations of the registered targets (for certified error bounds).

Each function maps an interval array X of shape (b, n, d) (an :class:`~constructions._common.interval.Interval`
or a :class:`~constructions._common.interval.Jet`) to an enclosure of f(X) of shape (b, n, d_out),
written with the operations the two classes share, so one formula yields value, gradient and
Hessian enclosures. Non-smooth targets (max, comparisons) accept plain intervals only and raise
``NotSmoothError`` on jets.
"""

from __future__ import annotations

from math import sqrt

import numpy as np

from .._common.interval import Interval, Jet, NotSmoothError


def softmax_attention_weights(d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1234 + d)  # fixed weights per d (seeded)
    W_Q, W_K, W_V = (rng.normal(scale=1 / sqrt(d), size=(d, d)) for _ in range(3))
    return W_Q, W_K, W_V


def gaussian_kernel_sum(X):
    """f(X)_i = sum_j exp(-|x_i - x_j|^2)."""
    diff = X[:, :, None, :] - X[:, None, :, :]
    return (-(diff.square().sum(-1))).exp().sum(-1, keepdims=True)


def times_mean(X):
    """f(X)_i = x_i * mean_j x_j."""
    return X * X.mean(1, keepdims=True)


def centered(X):
    """f(X)_i = x_i - mean_j x_j."""
    return X - X.mean(1, keepdims=True)


def poly_mean_field(X):
    """f(X)_i = x_i^2 - x_i/2 + mean_j x_j^2."""
    sq = X.square()
    return sq - X * 0.5 + sq.mean(1, keepdims=True)


def max_inner(X):
    """f(X)_i = max_j <x_i, x_j> (not smooth: plain intervals only)."""
    if isinstance(X, Jet):
        raise NotSmoothError("max-inner is not differentiable: plain interval evaluation only")
    inner = (X[:, :, None, :] * X[:, None, :, :]).sum(-1)
    n = X.shape[1]
    diag = np.arange(n)
    # <x_i, x_i> = |x_i|^2 >= 0: use the tighter square on the diagonal
    own = X.square().sum(-1)
    lo, hi = inner.lo.copy(), inner.hi.copy()
    lo[:, diag, diag], hi[:, diag, diag] = own.lo, own.hi
    return Interval(lo, hi).maximum(-1, keepdims=True)


def softmax_attention(X):
    """f(X)_i = sum_j softmax_j(<x_i W_Q, x_j W_K>) x_j W_V with the registered fixed weights."""
    W_Q, W_K, W_V = softmax_attention_weights(X.shape[-1])
    q, k, v = X.matmul(W_Q), X.matmul(W_K), X.matmul(W_V)
    scores = (q[:, :, None, :] * k[:, None, :, :]).sum(-1)  # (b, n, n)
    weights = scores.exp()
    total = weights.sum(-1, keepdims=True)
    return (weights[:, :, :, None] * v[:, None, :, :]).sum(2) * total.reciprocal()


def rank(X):
    """f(X)_i = #{j : x_j < x_i} (discontinuous, d = 1; plain intervals only)."""
    if isinstance(X, Jet):
        raise NotSmoothError("rank is discontinuous: plain interval evaluation only")
    lo, hi = X.lo[..., 0], X.hi[..., 0]
    n = lo.shape[1]
    off = ~np.eye(n, dtype=bool)
    surely = ((hi[:, None, :] < lo[:, :, None]) & off).sum(-1)  # x_j < x_i for every point
    maybe = ((lo[:, None, :] < hi[:, :, None]) & off).sum(-1)  # x_j < x_i for some point
    return Interval(surely[..., None].astype(float), maybe[..., None].astype(float))


INTERVALS = {
    "gaussian-kernel-sum": gaussian_kernel_sum,
    "softmax-attention": softmax_attention,
    "times-mean": times_mean,
    "centered": centered,
    "poly-mean-field": poly_mean_field,
    "max-inner": max_inner,
    "rank": rank,
}
