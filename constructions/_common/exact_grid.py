"""Grid decisions on float inputs made exactly: floor(k x) and x >= r for a rational r.

A float64 is a dyadic rational, so "which cell of the 1/k grid holds x" has one exact answer.
``np.floor(k * x)`` does not always give it: k x is rounded first, and a float just below a face
j/k (``float(1/3)`` is 1/3 - 1.9e-17) can round up to j. The piecewise constructions decide
their cells here instead, so their float paths agree with their exact paths on faces too.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np


def float_at_least(r: Fraction) -> float:
    """The least float64 >= r: for a float x, ``x >= r`` holds exactly when ``x >= float_at_least(r)``.

    Proof: if x >= r, x is a float >= r, so x >= the least such float; conversely
    x >= float_at_least(r) >= r. (``float(r)`` is correctly rounded; one step up fixes a round-down.)

    >>> float_at_least(Fraction(1, 3)) > 1 / 3, float_at_least(Fraction(1, 2))
    (True, 0.5)
    """
    f = float(r)
    return f if Fraction(f) >= r else float(np.nextafter(f, np.inf))


def exact_floor(x: np.ndarray, k: int) -> np.ndarray:
    """floor(k x) of the exact value of every float x (int64), for an int 1 <= k < 2^52 and |k x| < 2^52.

    Rounding is monotone and integers of that size are floats, so j <= k x implies
    j <= fl(k x): floor(fl(k x)) is floor(k x) or one more, and one more only when fl(k x) is itself
    an integer j > k x. Exactly those entries are re-decided in integer arithmetic on the float's
    ratio p / 2^e: k p >= j 2^e.

    >>> exact_floor(np.array([1 / 3, 0.5, 1.0]), 3).tolist()      # float(1/3) is below 1/3
    [0, 1, 3]
    >>> np.floor(3 * np.array([1 / 3])).tolist()                  # the rounded product says 1
    [1.0]
    """
    x = np.asarray(x, dtype=float)
    scaled = k * x
    out = np.floor(scaled)
    suspect = np.flatnonzero((out == scaled).ravel())
    flat, values = out.reshape(-1), x.reshape(-1)
    for i in suspect:
        p, q = float(values[i]).as_integer_ratio()
        if k * p < int(flat[i]) * q:
            flat[i] -= 1
    return flat.reshape(x.shape).astype(np.int64)
