"""Assumption 2 of theory/sparse: which probability maps rho become hardmax under scaling.

rho satisfies it if for all zeta > 0, eta in (0, 1] some t makes rho(t v)_{j*} >= 1 - eta for
every score vector v whose maximiser j* is unique with margin >= zeta. Derived thresholds:
softmax t >= ln((n-1)/eta)/zeta (mass off j* is <= (n-1) e^{-t zeta}); sparsemax is exactly
one-hot for t >= 1/zeta; hardmax for every t > 0; the normalised ReLU fails, since
rho(t v) = rho(v) (v = (1, 0.5) gives (2/3, 1/3) for every t).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from polyapprox.internal import DomainError, check_choice, check_int

RHOS = ("softmax", "sparsemax", "hardmax", "normalised-relu")


def softmax(v: np.ndarray) -> np.ndarray:
    """Softmax exp(v_j - max v) / sum, over the last axis (stable).

    Shapes: v (..., n) -> (..., n).

    Parameters
    ----------
    v : numpy.ndarray
        Scores.

    Returns
    -------
    numpy.ndarray
        Weights on the simplex, same shape as v.

    Examples
    --------
    >>> softmax(np.array([0.0, 0.0]))
    array([0.5, 0.5])
    """
    v = np.asarray(v, dtype=float)
    e = np.exp(v - v.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def sparsemax(v: np.ndarray) -> np.ndarray:
    """Euclidean projection onto the simplex (Martins & Astudillo 2016), over the last axis.

    Shapes: v (..., n) -> (..., n).

    Parameters
    ----------
    v : numpy.ndarray
        Scores.

    Returns
    -------
    numpy.ndarray
        Weights on the simplex, same shape as v.

    Examples
    --------
    >>> sparsemax(np.array([1.0, 0.0])), sparsemax(np.array([0.25, 0.0]))
    (array([1., 0.]), array([0.625, 0.375]))
    """
    return simplex_projection(np.asarray(v, dtype=float))


def simplex_projection(v: np.ndarray, zero: Any = 0.0) -> np.ndarray:
    """sparsemax over the last axis for any number type: floats, or exact Fractions in an object array.

    ``zero`` is the zero of that type (``Fraction(0)`` keeps an object array exact).
    """
    z = -np.sort(-v, axis=-1)
    k = np.arange(1, v.shape[-1] + 1)
    cums = np.cumsum(z, axis=-1)
    support = 1 + k * z > cums
    kz = support.sum(axis=-1, keepdims=True)
    tau = (np.take_along_axis(cums, kz - 1, axis=-1) - 1) / kz
    return np.maximum(v - tau, zero)


def hardmax(v: np.ndarray) -> np.ndarray:
    """Hardmax sigma_H: uniform over the argmax set (theory/sparse), over the last axis.

    Shapes: v (..., n) -> (..., n).

    Parameters
    ----------
    v : numpy.ndarray
        Scores.

    Returns
    -------
    numpy.ndarray
        Weights on the simplex, same shape as v.

    Examples
    --------
    >>> hardmax(np.array([1.0, 3.0, 3.0]))
    array([0. , 0.5, 0.5])
    """
    v = np.asarray(v, dtype=float)
    top = v == v.max(axis=-1, keepdims=True)
    return top / top.sum(axis=-1, keepdims=True)


def normalised_relu(v: np.ndarray) -> np.ndarray:
    """Normalised ReLU: ReLU(v) / sum ReLU(v) over the last axis.

    Uniform where every entry is <= 0 (a convention).

    Shapes: v (..., n) -> (..., n).

    Parameters
    ----------
    v : numpy.ndarray
        Scores.

    Returns
    -------
    numpy.ndarray
        Weights on the simplex, same shape as v.

    Examples
    --------
    >>> normalised_relu(np.array([1.0, 0.5]))
    array([0.66666667, 0.33333333])
    """
    v = np.asarray(v, dtype=float)
    r = np.maximum(v, 0.0)
    total = r.sum(axis=-1, keepdims=True)
    uniform = np.full_like(v, 1.0 / v.shape[-1])
    return np.where(total > 0, r / np.where(total > 0, total, 1.0), uniform)


_FUNCTIONS = {"softmax": softmax, "sparsemax": sparsemax, "hardmax": hardmax, "normalised-relu": normalised_relu}


def rho(name: str):
    """The probability map called ``name`` (one of RHOS)."""
    return _FUNCTIONS[check_choice("rho", name, RHOS)]


def _check_params(n: object, zeta: float, eta: float) -> tuple[int, float, float]:
    n = check_int("n", n, minimum=2)
    zeta, eta = float(zeta), float(eta)
    if not (math.isfinite(zeta) and zeta > 0):
        raise DomainError(f"zeta (score margin) must be > 0; got {zeta}")
    if not (0 < eta <= 1):
        raise DomainError(f"eta must lie in (0, 1]; got {eta}")
    return n, zeta, eta


def rho_threshold(name: str, n: int, zeta: float, eta: float) -> float:
    """The scale t of theory/sparse from which rho(t v) is eta-close to one-hot (margin >= zeta).

    softmax: max(0, ln((n-1)/eta)/zeta); sparsemax: 1/zeta; hardmax: 0 (every t > 0 works);
    normalised ReLU: inf (no t works).

    Parameters
    ----------
    name : str
        ``"softmax"``, ``"sparsemax"``, ``"hardmax"`` or ``"normalised-relu"``.
    n : int
        Number of tokens n.
    zeta : float
        Margin of the maximiser over the other scores.
    eta : float
        Allowed mass off the maximiser.

    Returns
    -------
    float
        The threshold scale t (inf if none exists).

    Examples
    --------
    >>> rho_threshold("sparsemax", 5, 0.5, 0.1), round(rho_threshold("softmax", 11, 1.0, 0.01), 4)
    (2.0, 6.9078)
    """
    name = check_choice("rho", name, RHOS)
    n, zeta, eta = _check_params(n, zeta, eta)
    if name == "softmax":
        return max(0.0, math.log((n - 1) / eta) / zeta)
    if name == "sparsemax":
        return 1.0 / zeta
    if name == "hardmax":
        return 0.0
    return math.inf


@dataclass(frozen=True)
class RhoCheck:
    """Numerical demonstration of Assumption 2 for one rho (theory/sparse, case S6).

    Parameters
    ----------
    name : str
        The rho.
    n : int
        Number of tokens n.
    zeta : float
        Margin of the maximiser.
    eta : float
        Allowed mass off the maximiser.
    holds : bool
        The off-maximiser mass was <= eta at the threshold scale for every tested vector (False for the normalised ReLU: the mass does not shrink with t).
    threshold : float
        :func:`rho_threshold`.
    ts : tuple of float
        Scales tested.
    off_mass : tuple of float
        ``off_mass[i]``: the largest mass off the maximiser over the tested vectors at ``ts[i]``.
    at_threshold : float or None
        That mass at the threshold (None for inf).
    witness : dict or None, default None
        For a failing rho, a vector v and rho(t v) at the largest t.

    Examples
    --------
    >>> check = check_rho("sparsemax", n=4, count=20)
    >>> check.holds, check.threshold
    (True, 2.0)
    """

    name: str
    n: int
    zeta: float
    eta: float
    holds: bool
    threshold: float
    ts: tuple[float, ...]
    off_mass: tuple[float, ...]
    at_threshold: float | None
    witness: dict | None = None


def margin_vectors(n: int, zeta: float, count: int = 200, seed: int = 0) -> np.ndarray:
    """Score vectors (count, n) with a unique maximiser of margin exactly zeta: the worst case
    (all others at v* - zeta), then random ones (seeded), maximiser at random positions.

    >>> margin_vectors(3, 0.5, count=2)[0]
    array([ 0. , -0.5, -0.5])
    """
    rng = np.random.default_rng(seed)
    rows = np.arange(count)
    V = -zeta - rng.exponential(scale=2 * zeta, size=(count, n))
    top = rng.integers(0, n, size=count)
    V[0], top[0] = -zeta, 0
    second = (top + 1 + rng.integers(0, n - 1, size=count)) % n
    V[rows, top] = 0.0
    V[rows, second] = -zeta  # margin exactly zeta
    V[1:] += rng.normal(size=(count - 1, 1))  # the margin is shift invariant
    return V


def _off_mass(V: np.ndarray, P: np.ndarray) -> np.ndarray:
    top = np.argmax(V, axis=-1)
    return 1.0 - P[np.arange(len(V)), top]


def check_rho(
    name: str, n: int = 8, zeta: float = 0.5, eta: float = 1e-3, *, ts=None, count: int = 200, seed: int = 0
) -> RhoCheck:
    """Demonstrate Assumption 2 numerically for ``name`` on seeded score vectors with margin zeta.

    Evaluates rho(t v) for every scale t tested and at the threshold of :func:`rho_threshold`.

    Parameters
    ----------
    name : str
        ``"softmax"``, ``"sparsemax"``, ``"hardmax"`` or ``"normalised-relu"``.
    n : int, default 8
        Number of tokens n.
    zeta : float, default 0.5
        Margin of the maximiser.
    eta : float, default 0.001
        Allowed mass off the maximiser.
    ts : sequence of float or None, default None
        Scales t to test; default a geometric grid up to 4 x threshold (to 1000 for the
        normalised ReLU).
    count : int, default 200
        Score vectors tested.
    seed : int, default 0
        Seed of every random choice (reproducible).

    Returns
    -------
    RhoCheck
        What was tested and whether Assumption 2 held.

    Examples
    --------
    >>> check_rho("softmax").holds, check_rho("normalised-relu").holds
    (True, False)
    """
    name = check_choice("rho", name, RHOS)
    n, zeta, eta = _check_params(n, zeta, eta)
    fn = _FUNCTIONS[name]
    threshold = rho_threshold(name, n, zeta, eta)
    V = margin_vectors(n, zeta, count=check_int("count", count, minimum=2), seed=seed)
    if ts is None:
        top = 4 * threshold if math.isfinite(threshold) and threshold > 0 else 1000.0
        ts = np.geomspace(top / 1000, top, 31)
    ts = tuple(float(t) for t in ts)
    off = tuple(float(_off_mass(V, fn(t * V)).max()) for t in ts)
    if math.isfinite(threshold):
        t_star = threshold if threshold > 0 else 1.0
        at = float(_off_mass(V, fn(t_star * V)).max())
        return RhoCheck(name, n, zeta, eta, at <= eta, threshold, ts, off, at)
    v = np.array([1.0, 0.5])
    witness = {"v": v.tolist(), "t": ts[-1], "rho(t v)": fn(ts[-1] * v).tolist(), "rho(v)": fn(v).tolist()}
    return RhoCheck(name, n, zeta, eta, False, threshold, ts, off, None, witness)
