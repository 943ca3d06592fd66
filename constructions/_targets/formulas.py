"""The registered targets' formulas, each written once over a number system K.

Each ``formula(X, K)`` maps a token array X (b, n, d) to f(X) (b, n, d_out). With K the numpy
system it is the target's float64 value; with an enclosure system it encloses f over a box
(plain intervals) or encloses f with its gradient and Hessian (jets). See
:mod:`constructions._targets.number_systems` for the operations K offers.

>>> from constructions._targets.number_systems import NUMPY
>>> centered(np.array([[[0.0], [1.0]]]), NUMPY)[0]
array([[-0.5],
       [ 0.5]])
"""

from __future__ import annotations

from math import sqrt
from typing import Any

import numpy as np


def gaussian_kernel_sum(X: Any, K: Any) -> Any:
    """f(X)_i = sum_j exp(-|x_i - x_j|^2)."""
    diff = X[:, :, None, :] - X[:, None, :, :]
    return K.sum(K.exp(-K.sum(K.square(diff), -1)), -1, keepdims=True)


def times_mean(X: Any, K: Any) -> Any:
    """f(X)_i = x_i * mean_j x_j (coordinate-wise)."""
    return X * K.mean(X, 1, keepdims=True)


def centered(X: Any, K: Any) -> Any:
    """f(X)_i = x_i - mean_j x_j."""
    return X - K.mean(X, 1, keepdims=True)


def poly_mean_field(X: Any, K: Any) -> Any:
    """f(X)_i = x_i^2 - x_i/2 + mean_j x_j^2."""
    return K.power(X, 2) - X / 2 + K.mean(K.power(X, 2), 1, keepdims=True)


def max_inner(X: Any, K: Any) -> Any:
    """f(X)_i = max_j <x_i, x_j> (not smooth: plain intervals only)."""
    return K.max(K.dot(X[:, :, None, :], X[:, None, :, :]), -1, keepdims=True)


def softmax_attention_weights(d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The fixed weights W_Q, W_K, W_V (d, d) of ``softmax-attention`` (seeded per d)."""
    rng = np.random.default_rng(1234 + d)
    W_Q, W_K, W_V = (rng.normal(scale=1 / sqrt(d), size=(d, d)) for _ in range(3))
    return W_Q, W_K, W_V


def softmax_attention(X: Any, K: Any) -> Any:
    """f(X)_i = sum_j softmax_j(<x_i W_Q, x_j W_K>) x_j W_V with the fixed weights."""
    W_Q, W_K, W_V = softmax_attention_weights(X.shape[-1])
    return K.attend(K.pair_dot(K.matmul(X, W_Q), K.matmul(X, W_K)), K.matmul(X, W_V))


def rank(X: Any, K: Any) -> Any:
    """f(X)_i = #{j : x_j < x_i} (discontinuous, d = 1: plain intervals only)."""
    x = X[:, :, 0]
    n = X.shape[1]
    others = ~np.eye(n, dtype=bool)  # j = i never counts (an interval comparison of x_i with itself could)
    return K.count(K.less(x[:, None, :], x[:, :, None]), -1, keepdims=True, where=others)
