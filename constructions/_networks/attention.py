"""Implementation of :mod:`constructions.attention` (private; import from there)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from polyapprox.internal import PolyapproxError, ShapeError


@dataclass(frozen=True)
class Head:
    """One attention head: W_Q, W_K (D, d_k), W_V (D, d_v), W_O (d_v, D).

    Parameters
    ----------
    W_Q : numpy.ndarray
        Query weights, (D, d_k).
    W_K : numpy.ndarray
        Key weights, (D, d_k).
    W_V : numpy.ndarray
        Value weights, (D, d_v).
    W_O : numpy.ndarray
        Output weights, (d_v, D).

    Examples
    --------
    >>> head = Head(np.zeros((2, 1)), np.zeros((2, 1)), np.eye(2), np.eye(2))
    >>> head.W_V.shape, head.W_O.shape
    ((2, 2), (2, 2))
    """

    W_Q: np.ndarray
    W_K: np.ndarray
    W_V: np.ndarray
    W_O: np.ndarray

    def check(self, D: int) -> None:
        d_k, d_v = self.W_Q.shape[1], self.W_V.shape[1]
        expected = {"W_Q": (D, d_k), "W_K": (D, d_k), "W_V": (D, d_v), "W_O": (d_v, D)}
        for name, shape in expected.items():
            if getattr(self, name).shape != shape:
                raise ShapeError(f"{name} must have shape {shape}; got {getattr(self, name).shape}")


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    weights = np.exp(shifted)
    return weights / weights.sum(axis=-1, keepdims=True)


def _check(Z: np.ndarray, heads: Sequence[Head]) -> None:
    if Z.ndim != 3:
        raise ShapeError(f"Z must have shape (b, n, D); got {Z.shape}")
    if not heads:
        raise PolyapproxError("attention needs at least one head")
    for head in heads:
        head.check(Z.shape[-1])


def softmax_attention(Z: np.ndarray, heads: Sequence[Head]) -> np.ndarray:
    """Softmax attention with residual: Z + sum_h softmax(Q_h K_h^T / sqrt(d_k)) V_h W_O^h.

    The softmax runs over the keys of each query.

    Shapes: Z (b, n, D) -> (b, n, D).

    Parameters
    ----------
    Z : numpy.ndarray
        The residual stream.
    heads : sequence of Head
        The attention heads.

    Returns
    -------
    numpy.ndarray
        The new residual stream.

    Examples
    --------
    >>> Z = np.arange(6.0).reshape(1, 3, 2)
    >>> zero = Head(np.zeros((2, 1)), np.zeros((2, 1)), np.eye(2), np.eye(2))
    >>> softmax_attention(Z, [zero])[0, 0]       # z_0 + mean of the tokens
    array([2., 4.])
    """
    _check(Z, heads)
    out = Z.copy()
    for h in heads:
        Q, K, V = Z @ h.W_Q, Z @ h.W_K, Z @ h.W_V
        weights = _softmax(Q @ np.swapaxes(K, 1, 2) / np.sqrt(h.W_Q.shape[1]))
        out += weights @ V @ h.W_O
    return out


def feed_forward(Z: np.ndarray, W_1: np.ndarray, b_1: np.ndarray, W_2: np.ndarray, b_2: np.ndarray) -> np.ndarray:
    """Feed-forward block with residual, Z + ReLU(Z W_1 + b_1) W_2 + b_2, applied to every token.

    Shapes: Z (b, n, D), W_1 (D, r), b_1 (r,), W_2 (r, D), b_2 (D,) -> (b, n, D).

    Parameters
    ----------
    Z : numpy.ndarray
        The residual stream.
    W_1 : numpy.ndarray
        First weights.
    b_1 : numpy.ndarray
        First bias.
    W_2 : numpy.ndarray
        Second weights.
    b_2 : numpy.ndarray
        Second bias.

    Returns
    -------
    numpy.ndarray
        The new residual stream.

    Examples
    --------
    >>> Z = np.arange(6.0).reshape(1, 3, 2)
    >>> feed_forward(Z, np.eye(2), np.zeros(2), np.eye(2), np.zeros(2))[0, 0]     # z + ReLU(z)
    array([0., 2.])
    """
    if W_1.shape[0] != Z.shape[-1] or W_2.shape != (W_1.shape[1], Z.shape[-1]):
        raise ShapeError(f"feed-forward weights {W_1.shape}, {W_2.shape} do not fit Z of width {Z.shape[-1]}")
    return Z + np.maximum(Z @ W_1 + b_1, 0.0) @ W_2 + b_2


def linformer_attention(Z: np.ndarray, heads: Sequence[Head], E: np.ndarray, F: np.ndarray) -> np.ndarray:
    """Linformer attention with residual: Z + sum_h softmax((Z W_Q)(E Z W_K)^T / sqrt(d_k)) (F Z W_V) W_O.

    Shapes: Z (b, n, D), E and F (k, n) -> (b, n, D).

    Parameters
    ----------
    Z : numpy.ndarray
        The residual stream.
    heads : sequence of Head
        The attention heads.
    E : numpy.ndarray
        Key projection.
    F : numpy.ndarray
        Value projection.

    Returns
    -------
    numpy.ndarray
        The new residual stream.

    Examples
    --------
    >>> Z = np.arange(6.0).reshape(1, 3, 2)
    >>> zero = Head(np.zeros((2, 1)), np.zeros((2, 1)), np.eye(2), np.eye(2))    # W_Q = W_K = 0
    >>> E = np.full((2, 3), 0.5)
    >>> linformer_attention(Z, [zero], E, E)[0, 0]      # z_0 + (k/2) mean of the tokens
    array([3. , 5.5])
    """
    _check(Z, heads)
    n = Z.shape[1]
    for name, P in (("E", E), ("F", F)):
        if P.ndim != 2 or P.shape[1] != n:
            raise ShapeError(f"{name} must have shape (k, n) = (k, {n}); got {P.shape}")
    if E.shape[0] != F.shape[0]:
        raise ShapeError(f"E and F must have the same number of rows k; got {E.shape[0]} and {F.shape[0]}")
    out = Z.copy()
    for h in heads:
        Q = Z @ h.W_Q
        K = E @ (Z @ h.W_K)  # (b, k, d_k)
        V = F @ (Z @ h.W_V)  # (b, k, d_v)
        weights = _softmax(Q @ np.swapaxes(K, 1, 2) / np.sqrt(h.W_Q.shape[1]))
        out += weights @ V @ h.W_O
    return out


def random_features(U: np.ndarray, omega: np.ndarray, kind: str) -> np.ndarray:
    """FAVOR feature maps Phi(u) of rows u (Performer).

    Positive: e^{-|u|^2/2} m^{-1/2} e^{omega_r . u}; trigonometric: e^{|u|^2/2} m^{-1/2}
    (sin omega_r . u, cos omega_r . u).

    Shapes: U (..., d_k), omega (m, d_k) -> (..., m) positive, (..., 2m) trigonometric.

    Parameters
    ----------
    U : numpy.ndarray
        Rows u (queries or keys).
    omega : numpy.ndarray
        Random feature directions.
    kind : str
        ``"positive"`` or ``"trig"``.

    Returns
    -------
    numpy.ndarray
        Phi(u) for every row.

    Examples
    --------
    >>> omega = np.random.default_rng(0).normal(size=(4, 1))
    >>> random_features(np.zeros((2, 1)), omega, "positive")        # m^{-1/2} at u = 0
    array([[0.5, 0.5, 0.5, 0.5],
           [0.5, 0.5, 0.5, 0.5]])
    """
    m = omega.shape[0]
    projections = U @ omega.T
    norms = (U**2).sum(axis=-1, keepdims=True) / 2
    if kind == "positive":
        return np.exp(projections - norms) / np.sqrt(m)
    if kind == "trig":
        return np.exp(norms) / np.sqrt(m) * np.concatenate([np.sin(projections), np.cos(projections)], axis=-1)
    raise PolyapproxError(f"unknown feature kind {kind!r}; allowed: 'positive', 'trig'")


def performer_attention(Z: np.ndarray, heads: Sequence[Head], omega: np.ndarray, kind: str = "positive") -> np.ndarray:
    """Performer attention with residual: Z + sum_h D^{-1}(Phi(Q)(Phi(K)^T V)) W_O.

    D = diag(Phi(Q) Phi(K)^T 1_n); Q, K scaled by d_k^{-1/4} so that Phi(q) . Phi(k) estimates
    exp(q . k / sqrt(d_k)). Cost O(n m (d_k + d_v)).

    Shapes: Z (b, n, D), omega (m, d_k) -> (b, n, D).

    Parameters
    ----------
    Z : numpy.ndarray
        The residual stream.
    heads : sequence of Head
        The attention heads.
    omega : numpy.ndarray
        Random feature directions, (m, d_k).
    kind : str, default 'positive'
        ``"positive"`` or ``"trig"`` features.

    Returns
    -------
    numpy.ndarray
        The new residual stream.

    Examples
    --------
    >>> Z = np.arange(6.0).reshape(1, 3, 2)
    >>> zero = Head(np.zeros((2, 1)), np.zeros((2, 1)), np.eye(2), np.eye(2))    # W_Q = W_K = 0
    >>> omega = np.random.default_rng(0).normal(size=(4, 1))
    >>> performer_attention(Z, [zero], omega)[0, 0]     # W_K = 0: exactly z_0 + mean
    array([2., 4.])
    """
    _check(Z, heads)
    out = Z.copy()
    for h in heads:
        if omega.ndim != 2 or omega.shape[1] != h.W_Q.shape[1]:
            raise ShapeError(f"omega must have shape (m, d_k) = (m, {h.W_Q.shape[1]}); got {omega.shape}")
        scale = h.W_Q.shape[1] ** -0.25
        phi_q = random_features(Z @ h.W_Q * scale, omega, kind)
        phi_k = random_features(Z @ h.W_K * scale, omega, kind)
        V = Z @ h.W_V
        numerator = phi_q @ (np.swapaxes(phi_k, 1, 2) @ V)
        denominator = phi_q @ phi_k.sum(axis=1)[..., None]
        out += numerator / denominator @ h.W_O
    return out
