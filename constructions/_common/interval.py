"""Vectorised interval arithmetic with outward rounding, and second-order interval jets.

:class:`Interval` is an array of closed intervals ``[lo, hi]`` (two float64 arrays of one
shape). Every operation encloses the exact real result: it is computed in the default IEEE 754
round-to-nearest mode and then each endpoint is moved one float outward with ``np.nextafter``.

Why this is rigorous (proof). Let z be the exact real result of one of +, -, x on floats and
fl(z) the float numpy returns, the float nearest to z (IEEE 754 round-to-nearest, which numpy
uses for these ufuncs). Let p = nextafter(fl(z), -inf). If z < p, then p is a float strictly
between z and fl(z), hence nearer to z than fl(z): a contradiction. So p <= z, and likewise
nextafter(fl(z), +inf) >= z. Overflow is covered: fl(z) = +inf only if z exceeds the largest
float M, and nextafter(+inf, -inf) = M < z; fl(z) = -inf gives -inf <= z. Gradual underflow
(subnormals) is still round-to-nearest, so the argument holds there too. Interval operations
then follow from monotonicity: [a, b] + [c, d] is contained in [down(a + c), up(b + d)];
[a, b] x [c, d] in [down(min of the four products), up(max of them)] since down/up are
non-decreasing. Squares use [0, max(a^2, b^2)] when 0 is inside. Division by an exact positive
integer uses the product with an enclosure of its reciprocal. exp is monotone; it is computed
by :func:`_exp`, built from +, x and exact scalings by 2^k only (so it gives the same bits on
every machine, unlike numpy's CPU-dispatched exp), whose relative error is below 2^-50 (its
docstring); its endpoints are widened by the relative factor 2^-40 plus an absolute 2^-1060
for subnormal results. :func:`check_float_environment` confirms round-to-nearest and
gradual underflow (no flush-to-zero) before a certification relies on them. Results that are
NaN (inf - inf, 0 x inf) are reported as unbounded by :meth:`Interval.mag`. log, tanh, sin,
cos and non-integer powers are widened the same way as exp (sqrt is correctly rounded by IEEE
754, so one float outward suffices); they call numpy's libm, whose last bits may differ between
machines, so certifications of targets using them are rigorous everywhere but bit-for-bit
reproducible only on one machine (targets built from + - x / exp sqrt are reproducible anywhere); sin and cos are not monotone, so an interval that may
contain a maximum (minimum) point, tested with a margin, gets the upper (lower) end 1 (-1).

:class:`Jet` carries an interval value, an interval gradient and an interval Hessian (upper
triangle) with respect to N variables, propagated by the sum, product and chain rules in
interval arithmetic; evaluating a smooth function on jets whose values are a box B encloses
f(B), grad f(B) and Hessian f(B) (inclusion isotonicity of every rule). Target functions are
written once against the operations both classes share (+, -, *, / by numbers, ``square``,
``power``, ``exp``, ``log``, ``sqrt``, ``sin``, ``cos``, ``tanh``, ``reciprocal``, ``sum``,
``mean``, ``matmul``, indexing without Ellipsis); non-smooth ones (``abs``, ``maximum``,
``minimum``, comparisons) raise :class:`NotSmoothError` on jets.
"""

from __future__ import annotations

import math
from fractions import Fraction
from numbers import Integral, Rational
from typing import Any, TypeVar

import numpy as np

from polyapprox.internal import NotSmoothError, PolyapproxError

_INF = np.inf
_EXP_WIDEN = 2.0**-40
_TINY = 2.0**-1060


def _down(x: np.ndarray) -> np.ndarray:
    return np.nextafter(x, -_INF)


def _up(x: np.ndarray) -> np.ndarray:
    return np.nextafter(x, _INF)


def product_bounds(
    a_lo: np.ndarray, a_hi: np.ndarray, b_lo: np.ndarray, b_hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Outward-rounded bounds of {x y : x in [a_lo, a_hi], y in [b_lo, b_hi]} (the product of
    :class:`Interval`, on bare arrays for loops where building Interval objects costs)."""
    p1, p2, p3, p4 = a_lo * b_lo, a_lo * b_hi, a_hi * b_lo, a_hi * b_hi
    lo = np.minimum(np.minimum(p1, p2), np.minimum(p3, p4))
    hi = np.maximum(np.maximum(p1, p2), np.maximum(p3, p4))
    return _down(lo), _up(hi)


_LN2_HI = 6.93147180369123816490e-01  # fdlibm: the high 32 bits of ln 2, so k * _LN2_HI is exact for |k| < 2^20
_LN2_LO = 1.90821492927058770002e-10  # ln 2 - _LN2_HI to double precision
_INV_LN2 = 1.44269504088896338700e00
_EXP_TAYLOR = tuple(1.0 / math.factorial(k) for k in range(15))


def _exp(x: np.ndarray) -> np.ndarray:
    """exp(x) from float +, x and ldexp only: the same bits on every machine (numpy's exp is not).

    Error: x is clipped to [-760, 760] (exp is monotone and the float results there are 0 or inf
    either way). With k = rint(x / ln 2) (|k| <= 1097), k * _LN2_HI is exact and
    r = (x - k _LN2_HI) - k _LN2_LO differs from x - k ln 2 by at most 2^-60 (one rounding of each
    difference, |x - k _LN2_HI| < 0.35 + 2^-30, plus |k| |ln 2 - _LN2_HI - _LN2_LO| < 2^-71),
    so exp(r) is off by a relative 2^-59. The Taylor polynomial of degree 14 at |r| <= 0.35 has
    remainder < 0.35^15 / 15! < 2^-63; Horner's rule with 14 roundings adds a relative < 2^-48.
    Scaling by 2^k is exact (or underflows by < 2^-1074). Total: relative error < 2^-47 plus
    2^-1074 absolute, inside the 2^-40 relative and 2^-1060 absolute widening used by
    :meth:`Interval.exp` (the tests compare with arb at 200 bits).
    """
    x = np.clip(np.asarray(x, dtype=float), -760.0, 760.0)
    k = np.rint(x * _INV_LN2)
    r = (x - k * _LN2_HI) - k * _LN2_LO
    p = np.full_like(r, _EXP_TAYLOR[-1])
    for c in _EXP_TAYLOR[-2::-1]:
        p = p * r + c
    with np.errstate(over="ignore", under="ignore"):
        return np.ldexp(p, np.nan_to_num(k).astype(np.int64))


def _libm(value: np.ndarray, direction: float) -> np.ndarray:
    """``value`` of a libm function moved outward (``direction`` -1 or +1) by its error allowance."""
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        allowance = _up(np.abs(value) * _EXP_WIDEN + _TINY)
        moved = value + direction * allowance
    return _up(moved) if direction > 0 else _down(moved)


def _may_contain(lo: np.ndarray, hi: np.ndarray, phase: float) -> np.ndarray:
    """Whether [lo, hi] may contain a point phase + 2 k pi (True when unsure: a margin of 1e-9 turns)."""
    with np.errstate(invalid="ignore", over="ignore"):
        k_lo = np.ceil((lo - phase) / (2 * np.pi) - 1e-9)
        k_hi = np.floor((hi - phase) / (2 * np.pi) + 1e-9)
    return (k_lo <= k_hi) | ~(np.abs(lo) < 1e6) | ~(np.abs(hi) < 1e6)


def _fraction_reciprocal(value: object) -> Interval | None:
    """An enclosure of 1 / value for a non-zero number or point interval (exact for powers of 2), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Interval):
        if value.lo.size != 1 or value.hi.size != 1 or value.lo.reshape(-1)[0] != value.hi.reshape(-1)[0]:
            return None
        point = float(value.lo.reshape(-1)[0])
        inverse = _fraction_reciprocal(point)
        return None if inverse is None else inverse.reshape(value.shape)
    if isinstance(value, float) and np.isfinite(value) and value != 0:
        return Interval.of(1 / Fraction(value))
    if isinstance(value, (Integral, Fraction)) and value != 0:
        return Interval.of(Fraction(1) / Fraction(value))
    return None


def check_float_environment() -> None:
    """Raise ``PolyapproxError`` unless float64 arithmetic rounds to nearest with gradual underflow.

    >>> check_float_environment()
    """
    one = np.float64(1.0)
    tie, above = one + np.float64(2.0**-53), one + np.float64(0.75 * 2.0**-52)
    small = np.float64(2.0**-1022) * np.float64(0.5)
    if not (
        tie == one
        and above == one + np.float64(2.0**-52)
        and -(one + np.float64(0.75 * 2.0**-52)) == -(one + np.float64(2.0**-52))
        and small == np.float64(2.0**-1023)
        and small > 0
    ):
        raise PolyapproxError(
            "float64 arithmetic is not in IEEE round-to-nearest mode with gradual underflow; "
            "certified bounds need the default floating-point environment"
        )


def rational_enclosure(q: Rational | float) -> tuple[float, float]:
    """Floats lo <= q <= hi, as tight as possible (equal when q is a float).

    >>> rational_enclosure(Fraction(1, 3))[0] < Fraction(1, 3) < rational_enclosure(Fraction(1, 3))[1]
    True
    """
    if isinstance(q, float):
        if not np.isfinite(q):
            raise PolyapproxError(f"coefficients must be finite; got {q}")
        return q, q
    q = Fraction(q)
    try:
        f = float(q)
    except OverflowError:
        raise PolyapproxError(
            f"a coefficient is too large for float64 (about 10^{len(str(abs(q.numerator))) - len(str(q.denominator))})"
        ) from None
    exact = Fraction(f)
    if exact == q:
        return f, f
    if exact < q:
        return f, float(np.nextafter(f, _INF))
    return float(np.nextafter(f, -_INF)), f


class Interval:
    """An array of closed intervals [lo, hi] with outward-rounded arithmetic (module docstring).

    >>> x = Interval(np.array([0.1, -1.0]), np.array([0.2, 2.0]))
    >>> y = x * x - x
    >>> bool(np.all(y.lo <= np.array([0.1 * 0.1 - 0.2, -2.0])))
    True
    >>> Interval(np.array([-1.0]), np.array([2.0])).square().lo
    array([0.])
    """

    __slots__ = ("hi", "lo")
    __array_priority__ = 100

    def __init__(self, lo: object, hi: object | None = None) -> None:
        self.lo = np.asarray(lo, dtype=float)
        self.hi = self.lo if hi is None else np.asarray(hi, dtype=float)

    # -- construction ----------------------------------------------------------------------
    @staticmethod
    def of(value: object) -> Interval:
        """An enclosure of ``value``: an Interval as is, a float array exactly, a rational outward."""
        if isinstance(value, Interval):
            return value
        if isinstance(value, (Fraction, Integral)) and not isinstance(value, bool):
            if isinstance(value, Integral) and abs(int(value)) <= 2**53:
                return Interval(np.float64(value))
            lo, hi = rational_enclosure(value)
            return Interval(np.float64(lo), np.float64(hi))
        return Interval(np.asarray(value, dtype=float))

    @property
    def shape(self) -> tuple[int, ...]:
        return np.broadcast_shapes(self.lo.shape, self.hi.shape)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return f"Interval(lo={self.lo!r}, hi={self.hi!r})"

    def __getitem__(self, index: Any) -> Interval:  # any numpy index
        shape = self.shape
        return Interval(np.broadcast_to(self.lo, shape)[index], np.broadcast_to(self.hi, shape)[index])

    def mag(self) -> np.ndarray:
        """max(|lo|, |hi|) (an upper bound of |x| on the interval); +inf where an endpoint is NaN."""
        m = np.maximum(np.abs(self.lo), np.abs(self.hi))
        return np.where(np.isnan(m), _INF, m)

    def contains(self, x: object) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        return (self.lo <= x) & (x <= self.hi)

    # -- arithmetic ------------------------------------------------------------------------
    def __add__(self, other: object) -> Interval:
        if isinstance(other, Jet):
            return NotImplemented
        o = Interval.of(other)
        return Interval(_down(self.lo + o.lo), _up(self.hi + o.hi))

    __radd__ = __add__

    def __neg__(self) -> Interval:
        return Interval(-self.hi, -self.lo)

    def __sub__(self, other: object) -> Interval:
        if isinstance(other, Jet):
            return NotImplemented
        o = Interval.of(other)
        return Interval(_down(self.lo - o.hi), _up(self.hi - o.lo))

    def __rsub__(self, other: object) -> Interval:
        return Interval.of(other) - self

    def __mul__(self, other: object) -> Interval:
        if isinstance(other, Jet):
            return NotImplemented
        o = Interval.of(other)
        if o.lo is o.hi and self.lo is self.hi:  # two point arrays: one product
            p = self.lo * o.lo
            return Interval(_down(p), _up(p))
        return Interval(*product_bounds(self.lo, self.hi, o.lo, o.hi))

    __rmul__ = __mul__

    def __truediv__(self, other: object) -> Interval:
        if isinstance(other, Jet):
            return NotImplemented
        inverse = _fraction_reciprocal(other)
        return self * (Interval.of(other).reciprocal() if inverse is None else inverse)

    def __rtruediv__(self, other: object) -> Interval:
        return Interval.of(other) * self.reciprocal()

    def square(self) -> Interval:
        """{x^2 : x in [lo, hi]}: [0, max] when the interval contains 0 (tighter than x * x)."""
        a, b = self.lo * self.lo, self.hi * self.hi
        hi = _up(np.maximum(a, b))
        lo = np.where((self.lo <= 0) & (self.hi >= 0), 0.0, _down(np.minimum(a, b)))
        return Interval(lo, hi)

    def __pow__(self, k: int) -> Interval:
        if not isinstance(k, Integral) or k < 0:
            raise PolyapproxError(f"interval powers must be integers >= 0; got {k!r}")
        if k == 0:
            return Interval(np.ones(self.shape))
        result = self if k % 2 else None
        base, k = self, k // 2
        while k:
            base = base.square()
            if k % 2:
                result = base if result is None else result * base
            k //= 2
        assert result is not None  # k >= 1 has a set bit, so result was assigned
        return result

    def exp(self) -> Interval:
        """exp over the interval (monotone; endpoints widened for libm error, module docstring)."""
        with np.errstate(over="ignore", under="ignore"):
            lo = _down(np.minimum(_exp(self.lo), np.finfo(float).max) * (1.0 - _EXP_WIDEN))
            hi = _up(_up(_exp(self.hi) * (1.0 + _EXP_WIDEN)) + _TINY)
        lo = np.where(np.isnan(self.lo), np.nan, np.maximum(lo, 0.0))
        return Interval(lo, np.where(np.isnan(self.hi), np.nan, hi))

    def reciprocal(self) -> Interval:
        """1 / x for intervals not containing 0 (PolyapproxError otherwise)."""
        if np.any((self.lo <= 0) & (self.hi >= 0)):
            raise PolyapproxError("interval reciprocal of an interval containing 0")
        # 1/x is exact-rounded by IEEE division; decreasing on each side of 0
        return Interval(_down(1.0 / self.hi), _up(1.0 / self.lo))

    def power(self, p: float) -> Interval:
        """x^p for a real constant p: integer p by products (negative: reciprocal), else for x >= 0 (NaN below)."""
        if float(p).is_integer():
            k = int(p)
            return self**k if k >= 0 else (self**-k).reciprocal()
        with np.errstate(all="ignore"):
            a, b = np.power(self.lo, p), np.power(self.hi, p)  # monotone on [0, inf); NaN for x < 0
        small, large = (a, b) if p > 0 else (b, a)
        return Interval(np.maximum(_libm(small, -1.0), 0.0), _libm(large, 1.0))

    def log(self) -> Interval:
        """log over the interval (increasing; -inf from 0 down, NaN where the interval lies below 0)."""
        with np.errstate(all="ignore"):
            lo = np.where(self.lo > 0, _libm(np.log(self.lo), -1.0), np.where(self.hi >= 0, -_INF, np.nan))
            hi = _libm(np.log(self.hi), 1.0)
        return Interval(lo, hi)

    def sqrt(self) -> Interval:
        """sqrt over the interval (correctly rounded by IEEE 754; NaN where the interval lies below 0)."""
        with np.errstate(invalid="ignore"):
            lo = np.where(self.hi >= 0, np.maximum(_down(np.sqrt(np.maximum(self.lo, 0.0))), 0.0), np.nan)
            hi = _up(np.sqrt(self.hi))
        return Interval(lo, hi)

    def tanh(self) -> Interval:
        """tanh over the interval (increasing, within [-1, 1])."""
        return Interval(np.maximum(_libm(np.tanh(self.lo), -1.0), -1.0), np.minimum(_libm(np.tanh(self.hi), 1.0), 1.0))

    def _periodic(self, fn: Any, peak: float) -> Interval:
        """fn = sin or cos with maxima at peak + 2 k pi and minima at peak + pi + 2 k pi."""
        with np.errstate(invalid="ignore"):
            a, b = fn(self.lo), fn(self.hi)
        lo = np.where(_may_contain(self.lo, self.hi, peak + np.pi), -1.0, _libm(np.minimum(a, b), -1.0))
        hi = np.where(_may_contain(self.lo, self.hi, peak), 1.0, _libm(np.maximum(a, b), 1.0))
        return Interval(np.maximum(lo, -1.0), np.minimum(hi, 1.0))

    def sin(self) -> Interval:
        """sin over the interval (module docstring)."""
        return self._periodic(np.sin, np.pi / 2)

    def cos(self) -> Interval:
        """cos over the interval (module docstring)."""
        return self._periodic(np.cos, 0.0)

    def abs(self) -> Interval:
        """|x| over the interval (exact)."""
        a, b = np.abs(self.lo), np.abs(self.hi)
        return Interval(np.where((self.lo <= 0) & (self.hi >= 0), 0.0, np.minimum(a, b)), np.maximum(a, b))

    def less(self, other: object) -> Interval:
        """The indicator [x < y]: 1 where it holds for every pair of points, 0 where for none, else [0, 1]."""
        o = Interval.of(other)
        return Interval((self.hi < o.lo).astype(float), (self.lo < o.hi).astype(float))

    # -- reductions and shapes -------------------------------------------------------------
    def sum(self, axis: int, keepdims: bool = False) -> Interval:
        """Sum along one axis, one outward-rounded addition at a time."""
        shape = self.shape
        lo, hi = np.broadcast_to(self.lo, shape), np.broadcast_to(self.hi, shape)
        axis = axis % len(shape)
        acc_lo, acc_hi = np.take(lo, 0, axis=axis), np.take(hi, 0, axis=axis)
        for j in range(1, shape[axis]):
            acc_lo = _down(acc_lo + np.take(lo, j, axis=axis))
            acc_hi = _up(acc_hi + np.take(hi, j, axis=axis))
        if keepdims:
            acc_lo, acc_hi = np.expand_dims(acc_lo, axis), np.expand_dims(acc_hi, axis)
        return Interval(acc_lo, acc_hi)

    def mean(self, axis: int, keepdims: bool = False) -> Interval:
        count = self.shape[axis % self.ndim]
        return self.sum(axis, keepdims) if count == 1 else self.sum(axis, keepdims) / count

    def matmul(self, W: np.ndarray) -> Interval:
        """x @ W over the last axis for an exact float matrix W (d_in, d_out)."""
        return matmul(self, W)

    def broadcast_to(self, shape: tuple[int, ...]) -> Interval:
        return Interval(np.broadcast_to(self.lo, shape), np.broadcast_to(self.hi, shape))

    def reshape(self, shape: tuple[int, ...]) -> Interval:
        full = self.shape
        return Interval(np.broadcast_to(self.lo, full).reshape(shape), np.broadcast_to(self.hi, full).reshape(shape))

    def maximum(self, axis: int, keepdims: bool = False) -> Interval:
        """max along an axis: [max lo, max hi] (exact, no rounding)."""
        full = self.shape
        return Interval(
            np.broadcast_to(self.lo, full).max(axis=axis, keepdims=keepdims),
            np.broadcast_to(self.hi, full).max(axis=axis, keepdims=keepdims),
        )

    def minimum(self, axis: int, keepdims: bool = False) -> Interval:
        """min along an axis: [min lo, min hi] (exact, no rounding)."""
        full = self.shape
        return Interval(
            np.broadcast_to(self.lo, full).min(axis=axis, keepdims=keepdims),
            np.broadcast_to(self.hi, full).min(axis=axis, keepdims=keepdims),
        )

    def concatenate(self, others: list[Interval], axis: int) -> Interval:
        """This interval array and ``others`` joined along ``axis``."""
        parts = [self, *others]
        return Interval(
            np.concatenate([np.broadcast_to(p.lo, p.shape) for p in parts], axis=axis),
            np.concatenate([np.broadcast_to(p.hi, p.shape) for p in parts], axis=axis),
        )


_IntervalOrJet = TypeVar("_IntervalOrJet", "Interval", "Jet")


def matmul(x: _IntervalOrJet, W: np.ndarray) -> _IntervalOrJet:
    """x @ W contracting the last axis of x (rows of a token array) with a float matrix W."""
    W = np.asarray(W, dtype=float)
    k = x.shape[-1]
    if W.ndim != 2 or W.shape[0] != k:
        raise PolyapproxError(f"matmul: W must be ({k}, m); got {W.shape}")
    lead = (slice(None),) * (x.ndim - 1)
    acc = x[lead + (slice(0, 1),)] * W[0]
    for j in range(1, k):
        acc = acc + x[lead + (slice(j, j + 1),)] * W[j]
    return acc


class Jet:
    """Interval value, gradient (..., N) and Hessian upper triangle (..., N(N+1)/2) of a function.

    Order 1 jets carry no Hessian (``hess`` None). ``Jet.variables(box, order)`` seeds the N
    coordinates of a flat box (..., N). Products use (uv)'' = u v'' + v u'' + u' v'^T + v' u'^T.

    >>> x = Jet.variables(Interval(np.array([[0.5, 2.0]])), order=2)   # x0 = 0.5, x1 = 2 (points)
    >>> f = (x[:, 0] * x[:, 1]).square()                               # (x0 x1)^2
    >>> bool(f.value.contains(1.0)[0]), f.grad.contains([4.0, 1.0]).tolist(), f.hess.contains([8.0, 4.0, 0.5]).tolist()
    (True, [[True, True]], [[True, True, True]])
    """

    __slots__ = ("grad", "hess", "pairs", "value")
    __array_priority__ = 200

    def __init__(
        self, value: Interval, grad: Interval, hess: Interval | None, pairs: tuple[np.ndarray, np.ndarray]
    ) -> None:
        self.value, self.grad, self.hess, self.pairs = value, grad, hess, pairs

    @staticmethod
    def pair_index(N: int) -> tuple[np.ndarray, np.ndarray]:
        k, l = np.triu_indices(N)
        return k, l

    @staticmethod
    def variables(box: Interval, order: int = 2) -> Jet:
        """Seed jets for x_k over ``box`` (..., N): value box, gradient e_k, Hessian 0."""
        shape = box.shape
        N = shape[-1]
        eye = np.broadcast_to(np.eye(N), shape + (N,))
        pairs = Jet.pair_index(N)
        hess = Interval(np.zeros(shape + (len(pairs[0]),))) if order >= 2 else None
        return Jet(box, Interval(eye), hess, pairs)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.value.shape

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def order(self) -> int:
        return 1 if self.hess is None else 2

    @property
    def entry_width(self) -> int:
        """Floats per interval end an entry carries: the value, the gradient and the Hessian's upper triangle."""
        return 1 + self.grad.shape[-1] + (0 if self.hess is None else self.hess.shape[-1])

    def _wrap(self, value: Interval, grad: Interval, hess: Interval | None) -> Jet:
        return Jet(value, grad, hess, self.pairs)

    def __getitem__(self, index: object) -> Jet:
        index = index if isinstance(index, tuple) else (index,)
        if any(i is Ellipsis for i in index):
            raise PolyapproxError("jets do not support Ellipsis indexing; spell out the axes")
        value = self.value[index]
        full = index + (slice(None),) * (self.ndim - sum(i is not None for i in index)) + (slice(None),)
        return self._wrap(value, self.grad[full], None if self.hess is None else self.hess[full])

    # -- arithmetic ------------------------------------------------------------------------
    def _const(self, other: object) -> Interval:
        return Interval.of(other)

    def __add__(self, other: object) -> Jet:
        if isinstance(other, Jet):
            hess = None if self.hess is None or other.hess is None else self.hess + other.hess
            return self._wrap(self.value + other.value, self.grad + other.grad, hess)
        c = self._const(other)
        shape = np.broadcast_shapes(self.shape, c.shape)
        g = self.grad.broadcast_to(shape + self.grad.shape[-1:])
        h = None if self.hess is None else self.hess.broadcast_to(shape + self.hess.shape[-1:])
        return self._wrap(self.value + c, g, h)

    __radd__ = __add__

    def __neg__(self) -> Jet:
        return self._wrap(-self.value, -self.grad, None if self.hess is None else -self.hess)

    def __sub__(self, other: object) -> Jet:
        return self + (-other if isinstance(other, (Jet, Interval)) else -Interval.of(other))

    def __rsub__(self, other: object) -> Jet:
        return (-self) + other

    def __mul__(self, other: object) -> Jet:
        if not isinstance(other, Jet):
            c = self._const(other)
            ce = Interval(c.lo[..., None], c.hi[..., None])
            return self._wrap(self.value * c, self.grad * ce, None if self.hess is None else self.hess * ce)
        u, v = self, other
        uv, vv = _expand(u.value), _expand(v.value)
        value = u.value * v.value
        grad = v.grad * uv + u.grad * vv
        hess = None
        if u.hess is not None and v.hess is not None:
            k, l = self.pairs
            cross = u.grad[..., k] * v.grad[..., l] + u.grad[..., l] * v.grad[..., k]
            hess = v.hess * uv + u.hess * vv + cross
        return self._wrap(value, grad, hess)

    __rmul__ = __mul__

    def __truediv__(self, other: object) -> Jet:
        if isinstance(other, Jet):
            return self * other.reciprocal()
        inverse = _fraction_reciprocal(other)
        return self * (Interval.of(other).reciprocal() if inverse is None else inverse)

    def __rtruediv__(self, other: object) -> Jet:
        return self.reciprocal() * other

    def _chain(self, f0: Interval, f1: Interval, f2: Interval) -> Jet:
        """g = f(u): g' = f1 u', g'' = f1 u'' + f2 u' u'^T (f1, f2 enclose f', f'' on the value)."""
        e1 = _expand(f1)
        grad = self.grad * e1
        hess = None
        if self.hess is not None:
            k, l = self.pairs
            outer = self.grad[..., k] * self.grad[..., l]
            hess = self.hess * e1 + outer * _expand(f2)
        return self._wrap(f0, grad, hess)

    def square(self) -> Jet:
        return self._chain(self.value.square(), self.value * 2, Interval(np.full(self.shape, 2.0)))

    def exp(self) -> Jet:
        e = self.value.exp()
        return self._chain(e, e, e)

    def reciprocal(self) -> Jet:
        r = self.value.reciprocal()
        r2 = r.square()
        return self._chain(r, -r2, r2 * r * 2)

    def power(self, p: float) -> Jet:
        """x^p: f' = p x^(p-1), f'' = p (p-1) x^(p-2) (interval powers of the value)."""
        if p == 0:
            return self * 0.0 + 1.0
        if p == 1:
            return self
        if p == 2:
            return self.square()
        if not float(p).is_integer() and p < 2 and np.any(self.value.lo <= 0):
            raise NotSmoothError(f"x^{p:g} is not twice differentiable at 0: plain interval evaluation only")
        x = self.value
        return self._chain(x.power(p), x.power(p - 1) * p, x.power(p - 2) * (p * (p - 1)))

    def log(self) -> Jet:
        """log x: f' = 1/x, f'' = -1/x^2 (PolyapproxError where the value may be <= 0)."""
        r = self.value.reciprocal()
        return self._chain(self.value.log(), r, -r.square())

    def sqrt(self) -> Jet:
        """sqrt x: f' = 1/(2 sqrt x), f'' = -f'/(2x); not differentiable where the value may be 0."""
        if np.any(self.value.lo <= 0):
            raise NotSmoothError("sqrt is not differentiable at 0: plain interval evaluation only")
        root = self.value.sqrt()
        f1 = (root * 2).reciprocal()
        return self._chain(root, f1, -(f1 * self.value.reciprocal()) / 2)

    def sin(self) -> Jet:
        s, c = self.value.sin(), self.value.cos()
        return self._chain(s, c, -s)

    def cos(self) -> Jet:
        s, c = self.value.sin(), self.value.cos()
        return self._chain(c, -s, -c)

    def tanh(self) -> Jet:
        t = self.value.tanh()
        f1 = 1 - t.square()
        return self._chain(t, f1, t * f1 * -2)

    def abs(self) -> Jet:
        """|x|: x or -x where the value keeps one sign; not differentiable where it may be 0."""
        if np.all(self.value.lo > 0):
            return self
        if np.all(self.value.hi < 0):
            return -self
        raise NotSmoothError("abs is not differentiable at 0: plain interval evaluation only")

    def less(self, other: object) -> Jet:
        raise NotSmoothError("a comparison is not continuous: plain interval evaluation only")

    def broadcast_to(self, shape: tuple[int, ...]) -> Jet:
        N = (self.grad.shape[-1],)
        return self._wrap(
            self.value.broadcast_to(shape),
            self.grad.broadcast_to(shape + N),
            None if self.hess is None else self.hess.broadcast_to(shape + self.hess.shape[-1:]),
        )

    def concatenate(self, others: list[Jet], axis: int) -> Jet:
        """This jet and ``others`` joined along value axis ``axis`` (< 0: counted from the value's last axis)."""
        parts = [self, *others]
        axis = axis % self.ndim
        hess = (
            None if any(p.hess is None for p in parts) else parts[0].hess.concatenate([p.hess for p in parts[1:]], axis)
        )
        return self._wrap(
            parts[0].value.concatenate([p.value for p in parts[1:]], axis),
            parts[0].grad.concatenate([p.grad for p in parts[1:]], axis),
            hess,
        )

    def sum(self, axis: int, keepdims: bool = False) -> Jet:
        axis = axis % self.ndim
        return self._wrap(
            self.value.sum(axis, keepdims),
            self.grad.sum(axis, keepdims),
            None if self.hess is None else self.hess.sum(axis, keepdims),
        )

    def mean(self, axis: int, keepdims: bool = False) -> Jet:
        count = self.shape[axis % self.ndim]
        return self.sum(axis, keepdims) if count == 1 else self.sum(axis, keepdims) / count

    def matmul(self, W: np.ndarray) -> Jet:
        return matmul(self, W)

    def reshape(self, shape: tuple[int, ...]) -> Jet:
        return self._wrap(
            self.value.reshape(shape),
            self.grad.reshape(shape + self.grad.shape[-1:]),
            None if self.hess is None else self.hess.reshape(shape + self.hess.shape[-1:]),
        )

    def maximum(self, axis: int, keepdims: bool = False) -> Jet:
        raise NotSmoothError("max is not differentiable: this target has only a plain interval evaluation")

    def minimum(self, axis: int, keepdims: bool = False) -> Jet:
        raise NotSmoothError("min is not differentiable: this target has only a plain interval evaluation")


def _expand(x: Interval) -> Interval:
    return Interval(x.lo[..., None], x.hi[..., None])
