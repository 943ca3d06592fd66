"""Literal ReLU networks for the discontinuous Sumformer's phi and psi (tiny grids only).

They realise phi(x) = (n+1)^{idx(x)} and the decoder psi exactly off bands of width eps below
the cell faces, and exist to check the ReLU counts of :func:`constructions.discontinuous.size_accounting`
against networks that are really built (derived here, not in the papers).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np

from polyapprox.internal import PolyapproxError, SizeError, check_int

from .._sumformers.discontinuous import _check_grid, encode, representatives
from .relu import ReluNetwork


def relu_phi_network(n: int, d: int, k: int, eps: float = 1e-3):
    """The ReLU network for phi(x) = (n+1)^{idx(x)} counted by :func:`size_accounting` (derived here).

    Hidden layer 1: 2d(k-1) ReLUs giving steps (ReLU(x_c - j/k + eps) - ReLU(x_c - j/k))/eps, whose sum
    over j is the cell coordinate c_c(x) except on the bands [j/k - eps, j/k). Hidden layer 2: ReLU(idx)
    and the hinges ReLU(idx - iota), iota = 1..k^d - 2 (k^d - 1 units); the output is the piecewise-linear
    interpolant of iota -> (n+1)^iota, exact at the integers. Float64 represents the values exactly only
    while k^d log2(n+1) <= 53 (``SizeAccounting.float64_exact``).

    Parameters
    ----------
    n : int
        Number of tokens n.
    d : int
        Token dimension d.
    k : int
        Cells per axis: the grid has width 1/k.
    eps : float, default 0.001
        Width of the bands below each cell face where the steps ramp.

    Returns
    -------
    ReluNetwork
        Maps x (b, d) to phi(x) (b, 1).

    Examples
    --------
    >>> net = relu_phi_network(2, 1, 3)
    >>> net(np.array([[0.1], [0.5], [0.9]]))[:, 0]
    array([1., 3., 9.])
    """
    n = check_int("n", n)
    k, d = _check_grid(k, d)
    if not 0 < eps < 1 / k:
        raise PolyapproxError(f"eps must lie in (0, 1/k); got {eps}")
    cells = k**d
    thresholds = np.arange(1, k) / k
    W1 = np.zeros((d, 2 * d * (k - 1)))
    b1 = np.zeros(2 * d * (k - 1))
    step_to_idx = np.zeros(2 * d * (k - 1))
    for c in range(d):
        for j, t in enumerate(thresholds):
            u = 2 * (c * (k - 1) + j)
            W1[c, u] = W1[c, u + 1] = 1.0
            b1[u], b1[u + 1] = -t + eps, -t
            weight = k ** (d - 1 - c) / eps
            step_to_idx[u], step_to_idx[u + 1] = weight, -weight
    values = (n + 1.0) ** np.arange(cells)
    slopes = np.diff(values)
    hinges = np.arange(1, cells - 1)
    W2 = np.outer(step_to_idx, np.ones(1 + len(hinges)))  # every unit reads idx
    b2 = np.concatenate([[0.0], -hinges.astype(float)])
    a1 = slopes[0] if cells > 1 else 0.0
    W3 = np.concatenate([[a1], np.diff(slopes)])[:, None] if cells > 1 else np.zeros((1, 1))
    b3 = np.array([1.0])
    layers = ((W1, b1), (W2, b2), (W3, b3))
    return ReluNetwork(layers, np.array([0.0]), 2 * d * (k - 1), f"ReLU phi, n={n}, d={d}, k={k}, eps={eps}")


def relu_psi_network(f: Callable, n: int, d: int, k: int, representative: str = "corner", eps: float = 1e-3):
    """The ReLU network for psi(x, s) counted by :func:`size_accounting` (derived here; tiny grids only).

    Input (x, s) with s the integer code. Hidden layer 1: the 2d(k-1) step ReLUs of x (as in
    :func:`relu_phi_network`) and ReLU(s). Layer 2: hat(s - c) = ReLU(s-c+1) - 2ReLU(s-c) + ReLU(s-c-1)
    for every code c (1 at s = c, 0 at the other integers) and hat(idx - iota) for every cell. Layer 3:
    AND_{c,iota} = ReLU(hat_c + hat_iota - 1) for every code c and cell iota of its multiset. Output:
    sum of AND_{c,iota} f(R(M_c))_{position of iota}. Exact off the bands for integer s; float64 is exact
    only while the codes stay below 2^53.

    Parameters
    ----------
    f : callable
        The equivariant target.
    n : int
        Number of tokens n.
    d : int
        Token dimension d.
    k : int
        Cells per axis: the grid has width 1/k.
    representative : str, default 'corner'
        ``"corner"`` (lower corner c/k) or ``"center"`` ((c + 1/2)/k).
    eps : float, default 0.001
        Width of the bands below each cell face where the steps ramp.

    Returns
    -------
    ReluNetwork
        Maps (x, s) (b, d + 1) to psi(x, s) (b, d_out).

    Examples
    --------
    >>> from constructions import targets
    >>> net = relu_psi_network(targets.get("centered"), n=2, d=1, k=2)
    >>> net(np.array([[0.1, encode([0, 1], 2)], [0.9, encode([0, 1], 2)]]))[:, 0]    # f at corners 0, 1/2
    array([-0.25,  0.25])
    """

    n = check_int("n", n)
    k, d = _check_grid(k, d)
    cells = k**d
    multisets = list(itertools.combinations_with_replacement(range(cells), n))
    if len(multisets) > 20_000 or n * (n + 1) ** (cells - 1) >= 2**53:
        raise SizeError(
            f"relu_psi_network is for tiny grids: {len(multisets):,} codes up to {n * (n + 1) ** (cells - 1):.3g}"
        )
    phi = relu_phi_network(n, d, k, eps)
    (W1x, b1x), (W2x, _), _ = phi.layers
    steps = W1x.shape[1]
    step_to_idx = W2x[:, 0]
    # layer 1: steps of x, and ReLU(s)
    W1 = np.zeros((d + 1, steps + 1))
    W1[:d, :steps], W1[d, steps] = W1x, 1.0
    b1 = np.concatenate([b1x, [0.0]])
    # layer 2: 3 hats per code (reading s), 3 hats per cell (reading idx)
    codes = [encode(m, n) for m in multisets]
    units2 = 3 * (len(codes) + cells)
    W2 = np.zeros((steps + 1, units2))
    b2 = np.zeros(units2)
    for j, c in enumerate(codes):
        W2[steps, 3 * j : 3 * j + 3] = 1.0
        b2[3 * j : 3 * j + 3] = [-c + 1, -c, -c - 1]
    offset = 3 * len(codes)
    for iota in range(cells):
        cols = slice(offset + 3 * iota, offset + 3 * iota + 3)
        W2[:steps, cols] = step_to_idx[:, None]
        b2[cols] = [-iota + 1, -iota, -iota - 1]
    hat = np.array([1.0, -2.0, 1.0])
    # layer 3: one AND per (code, distinct cell of its multiset)
    pairs = [(j, iota) for j, m in enumerate(multisets) for iota in sorted(set(m))]
    W3 = np.zeros((units2, len(pairs)))
    for u, (j, iota) in enumerate(pairs):
        W3[3 * j : 3 * j + 3, u] = hat
        W3[offset + 3 * iota : offset + 3 * iota + 3, u] = hat
    b3 = -np.ones(len(pairs))
    R = representatives(np.array(multisets), k, d, representative)
    values = np.asarray(f(R), dtype=float)
    W4 = np.stack([values[j, multisets[j].index(iota)] for j, iota in pairs])
    layers = ((W1, b1), (W2, b2), (W3, b3), (W4, np.zeros(W4.shape[1])))
    return ReluNetwork(layers, np.zeros(W4.shape[1]), steps, f"ReLU psi, n={n}, d={d}, k={k}")
