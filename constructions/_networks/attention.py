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


#: Bytes of one block of attention scores in the numpy softmax forwards (:func:`softmax_attention`
#: and the masked one): they take the queries ``SCORE_BLOCK_BYTES // (8 b n)`` at a time (at least
#: one), so their n x n temporaries never exceed ``SCORE_TEMPORARIES`` such blocks, whatever n.
#: Before, the whole (b, n, n) logits, shifted, exp and weights lived at once: 8.3 GB at n = 16384.
SCORE_BLOCK_BYTES = 2**25
#: Score-sized temporaries alive at once in one block: the logits and their shifted exponentials
#: (the masked forward's ``np.where`` replaces the logits; the normalisation is in place).
SCORE_TEMPORARIES = 2


def query_block(b: int, n_keys: int) -> int:
    """Queries per block of the numpy softmax forwards for b sequences of n_keys keys.

    Parameters
    ----------
    b : int
        Sequences in the batch.
    n_keys : int
        Keys per query.

    Returns
    -------
    int
        ``max(1, SCORE_BLOCK_BYTES // (8 b n_keys))``.

    Examples
    --------
    >>> query_block(1, 1024), query_block(1, 16384), query_block(10**9, 10**9)
    (4096, 256, 1)
    """
    return max(1, SCORE_BLOCK_BYTES // (8 * b * n_keys))


def softmax_memory_bytes(b: int, n: int, D: int, d_k: int, d_v: int, masked: bool = False) -> int:
    """The budget rule of the numpy softmax forwards: bytes they allocate above their inputs.

    The output and one head's Q, K, V and V W_O (float64, each b x n x width) plus
    ``SCORE_TEMPORARIES`` score blocks of :func:`query_block` rows, and the block's weighted
    values; the masked forward also holds its validated copy of the (n, n) boolean mask.
    ``benchmarks/bench_attention.py --memory`` checks it against the measured peak.

    Parameters
    ----------
    b, n, D, d_k, d_v : int
        Batch, tokens, width, key and value width of a head.
    masked : bool, default False
        The masked forward (``masked_softmax_attention``).

    Returns
    -------
    int
        Bytes.

    Examples
    --------
    >>> softmax_memory_bytes(1, 16384, 16, 4, 8) / 2**20   # 64 MiB of scores, whatever n
    71.015625
    """
    rows = min(n, query_block(b, n))
    streams = b * n * (2 * D + 2 * d_k + 2 * d_v)
    return 8 * (streams + SCORE_TEMPORARIES * b * rows * n + b * rows * d_v) + (n * n if masked else 0)


def _softmax(logits: np.ndarray) -> np.ndarray:
    """Softmax over the last axis; ``logits`` is consumed (no score-sized copy beyond one)."""
    weights = logits - logits.max(axis=-1, keepdims=True)
    np.exp(weights, out=weights)
    weights /= weights.sum(axis=-1, keepdims=True)
    return weights


def attend(Q: np.ndarray, K: np.ndarray, V: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """softmax(Q K^T / sqrt(d_k)) V, the queries in blocks of :func:`query_block` rows.

    Under a mask, the logits outside ``mask[query, key]`` are -inf. The peak memory is bounded
    by :func:`softmax_memory_bytes`, not by n^2.

    Shapes: Q (b, n, d_k), K (b, m, d_k), V (b, m, d_v), mask (n, m) -> (b, n, d_v).

    Parameters
    ----------
    Q, K, V : numpy.ndarray
        Queries, keys, values.
    mask : numpy.ndarray or None, default None
        Boolean, True where the query attends to the key.

    Returns
    -------
    numpy.ndarray
        The attention output.

    Examples
    --------
    >>> V = np.arange(6.0).reshape(1, 3, 2)
    >>> attend(np.zeros((1, 3, 1)), np.zeros((1, 3, 1)), V)[0, 0]     # mean of the values
    array([2., 3.])
    """
    b, n, m = Q.shape[0], Q.shape[1], K.shape[1]
    rows = query_block(b, m)
    Kt = np.swapaxes(K, 1, 2)
    root = np.sqrt(Q.shape[2])
    out = np.empty((b, n, V.shape[2]))
    for start in range(0, n, rows):
        block = slice(start, start + rows)
        logits = Q[:, block] @ Kt / root
        if mask is not None:
            logits = np.where(mask[block], logits, -np.inf)
        out[:, block] = _softmax(logits) @ V
    return out


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
        out += attend(Z @ h.W_Q, Z @ h.W_K, Z @ h.W_V) @ h.W_O
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
