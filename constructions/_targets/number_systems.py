"""One target formula, three number systems: numpy arrays, intervals and interval jets.

A target formula is a function ``formula(X, K)`` of a token array X of shape (b, n, d) and a
number system K (as sympy's dense polynomial arithmetic takes its domain K). It uses the
operators + - * / and numpy-style indexing without Ellipsis, which all three array types share,
and for everything else the operations of K listed in :class:`NumpySystem`. Evaluated with
:data:`NUMPY` it gives float64 values; with :func:`system_for` on an
:class:`~constructions._common.interval.Interval` it gives rigorous enclosures; on a
:class:`~constructions._common.interval.Jet` value, gradient and Hessian enclosures. Non-smooth
operations (``max``, ``min``, ``abs``, ``less``, sqrt at 0) raise
:class:`~constructions._common.interval.NotSmoothError` on jets, so such targets have plain interval
enclosures only.

Each number system computes an operation its own best way: numpy's softmax shifts the scores by
their maximum (stable in floats), the enclosures exponentiate and divide by the enclosed sum
(the shift would only widen them); both compute the same real function.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._common.interval import Interval, Jet

Formula = Callable[[Any, Any], Any]


class NumpySystem:
    """The float64 number system: every operation is the numpy function of the same name.

    Examples
    --------
    >>> X = np.array([[[0.0], [1.0]]])
    >>> NUMPY.mean(X, 1, keepdims=True).ravel().tolist(), NUMPY.power(X, 2).ravel().tolist()
    ([0.5], [0.0, 1.0])
    """

    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    sqrt = staticmethod(np.sqrt)
    sin = staticmethod(np.sin)
    cos = staticmethod(np.cos)
    tanh = staticmethod(np.tanh)
    abs = staticmethod(np.abs)
    square = staticmethod(np.square)

    @staticmethod
    def power(x: Any, p: float) -> Any:
        """x ** p for a real constant p."""
        return x ** float(p) if float(p).is_integer() else np.power(x, p)

    @staticmethod
    def sum(x: Any, axis: int, keepdims: bool = False) -> Any:
        return np.sum(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def mean(x: Any, axis: int, keepdims: bool = False) -> Any:
        return np.mean(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def max(x: Any, axis: int, keepdims: bool = False) -> Any:
        return np.max(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def min(x: Any, axis: int, keepdims: bool = False) -> Any:
        return np.min(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def count(x: Any, axis: int, keepdims: bool = False, where: Any = True) -> Any:
        """How many 0/1 indicators along an axis are 1, counting only entries ``where`` is True (float)."""
        return np.sum(x, axis=axis, keepdims=keepdims, where=where).astype(float)

    @staticmethod
    def dot(u: Any, v: Any) -> Any:
        """sum_c u_c v_c over the last axis (broadcasting the others)."""
        return np.einsum("...c,...c->...", u, v)

    @staticmethod
    def less(a: Any, b: Any) -> Any:
        """The indicator [a < b] (0 or 1)."""
        return a < b

    @staticmethod
    def matmul(x: Any, W: np.ndarray) -> Any:
        """x @ W for a constant matrix W (d_in, d_out) acting on the last axis."""
        return x @ W

    @staticmethod
    def pair_dot(q: Any, k: Any) -> Any:
        """(b, n, e), (b, n, e) -> (b, n, n): entry (i, j) is <q_i, k_j>."""
        return q @ np.swapaxes(k, 1, 2)

    @staticmethod
    def attend(scores: Any, v: Any) -> Any:
        """sum_j softmax_j(scores_ij) v_j: (b, n, n), (b, n, e) -> (b, n, e)."""
        scores = scores - scores.max(axis=-1, keepdims=True)
        weights = np.exp(scores)
        weights /= weights.sum(axis=-1, keepdims=True)
        return weights @ v

    @staticmethod
    def constant(value: float) -> Any:
        """A literal: its float64 value (a 0-d array)."""
        return np.array(float(value))

    @staticmethod
    def real(value: float) -> Any:
        """A real constant such as pi given by its nearest float."""
        return np.array(float(value))

    @staticmethod
    def coordinate(x: Any, c: int) -> Any:
        return x[..., c]

    @staticmethod
    def expand_last(x: Any) -> Any:
        return np.asarray(x)[..., None]

    @staticmethod
    def squeeze(x: Any, axis: int) -> Any:
        return np.squeeze(x, axis=axis)

    @staticmethod
    def reshape(x: Any, shape: tuple[int, ...]) -> Any:
        return np.reshape(x, shape)

    @staticmethod
    def broadcast_to(x: Any, shape: tuple[int, ...]) -> Any:
        return np.broadcast_to(x, shape)

    @staticmethod
    def concatenate(parts: Sequence[Any], axis: int) -> Any:
        return np.concatenate(parts, axis=axis)


NUMPY = NumpySystem()


class EnclosureSystem:
    """Rigorous enclosures: :class:`Interval` arrays, or :class:`Jet` arrays seeded like ``seed``.

    Constants are lifted to point intervals (a jet with zero derivatives where an array
    operation needs one); every operation is the Interval/Jet method of the same meaning.

    Parameters
    ----------
    seed : Interval or Jet
        The input the formula is evaluated on (its type selects plain intervals or jets).

    Examples
    --------
    >>> K = system_for(Interval(np.array([0.0]), np.array([1.0])))
    >>> bool(K.exp(K.constant(0.0)).contains(1.0))
    True
    """

    def __init__(self, seed: Interval | Jet) -> None:
        self.seed = seed

    @staticmethod
    def lift(x: Any) -> Any:
        return x if isinstance(x, (Interval, Jet)) else Interval.of(x)

    def exp(self, x: Any) -> Any:
        return self.lift(x).exp()

    def log(self, x: Any) -> Any:
        return self.lift(x).log()

    def sqrt(self, x: Any) -> Any:
        return self.lift(x).sqrt()

    def sin(self, x: Any) -> Any:
        return self.lift(x).sin()

    def cos(self, x: Any) -> Any:
        return self.lift(x).cos()

    def tanh(self, x: Any) -> Any:
        return self.lift(x).tanh()

    def abs(self, x: Any) -> Any:
        return self.lift(x).abs()

    def square(self, x: Any) -> Any:
        return self.lift(x).square()

    def power(self, x: Any, p: float) -> Any:
        return self.lift(x).power(p)

    def sum(self, x: Any, axis: int, keepdims: bool = False) -> Any:
        return self.lift(x).sum(axis, keepdims)

    def mean(self, x: Any, axis: int, keepdims: bool = False) -> Any:
        return self.lift(x).mean(axis, keepdims)

    def max(self, x: Any, axis: int, keepdims: bool = False) -> Any:
        return self.lift(x).maximum(axis, keepdims)

    def min(self, x: Any, axis: int, keepdims: bool = False) -> Any:
        return self.lift(x).minimum(axis, keepdims)

    def count(self, x: Any, axis: int, keepdims: bool = False, where: Any = True) -> Any:
        x = self.lift(x)  # integer-valued endpoints: the float sums are exact
        lo, hi = np.broadcast_to(x.lo, x.shape), np.broadcast_to(x.hi, x.shape)
        return Interval(
            np.sum(lo, axis=axis, keepdims=keepdims, where=where), np.sum(hi, axis=axis, keepdims=keepdims, where=where)
        )

    def dot(self, u: Any, v: Any) -> Any:
        return self.sum(self.lift(u) * v, -1)

    def less(self, a: Any, b: Any) -> Any:
        return self.lift(a).less(b)

    def matmul(self, x: Any, W: np.ndarray) -> Any:
        return self.lift(x).matmul(W)

    def pair_dot(self, q: Any, k: Any) -> Any:
        return (q[:, :, None, :] * k[:, None, :, :]).sum(-1)

    def attend(self, scores: Any, v: Any) -> Any:
        weights = scores.exp()
        total = weights.sum(-1, keepdims=True)
        return (weights[:, :, :, None] * v[:, None, :, :]).sum(2) * total.reciprocal()

    @staticmethod
    def constant(value: float) -> Any:
        return Interval(np.float64(float(value)))

    @staticmethod
    def real(value: float) -> Any:
        """[value - 1 ulp, value + 1 ulp]: encloses the real constant (pi, e) that ``value`` rounds."""
        return Interval(np.nextafter(value, -np.inf), np.nextafter(value, np.inf))

    def coordinate(self, x: Any, c: int) -> Any:
        x = self.lift(x)
        return x[(slice(None),) * (x.ndim - 1) + (c,)]

    def expand_last(self, x: Any) -> Any:
        x = self.lift(x)
        return x[(slice(None),) * x.ndim + (None,)]

    def squeeze(self, x: Any, axis: int) -> Any:
        x = self.lift(x)
        shape = x.shape
        axis = axis % len(shape)
        return x.reshape(shape[:axis] + shape[axis + 1 :])

    def reshape(self, x: Any, shape: tuple[int, ...]) -> Any:
        return self.lift(x).reshape(shape)

    def broadcast_to(self, x: Any, shape: tuple[int, ...]) -> Any:
        if isinstance(self.seed, Jet) and not isinstance(x, Jet):  # a constant: a jet with zero derivatives
            zero = self.seed.reshape((-1,))[0:1] * 0.0
            return (zero.reshape((1,) * len(shape)) + x).broadcast_to(shape)
        return self.lift(x).broadcast_to(shape)

    def concatenate(self, parts: Sequence[Any], axis: int) -> Any:
        first, *rest = [self.lift(p) for p in parts]
        return first.concatenate(rest, axis)


def system_for(X: Any) -> Any:
    """The number system of X: :data:`NUMPY` for arrays, an :class:`EnclosureSystem` for intervals and jets.

    Parameters
    ----------
    X : numpy.ndarray or Interval or Jet
        The input of a formula.

    Returns
    -------
    NumpySystem or EnclosureSystem
        The operations to evaluate the formula with.

    Examples
    --------
    >>> system_for(np.zeros(2)) is NUMPY, type(system_for(Interval(np.zeros(2)))).__name__
    (True, 'EnclosureSystem')
    """
    return EnclosureSystem(X) if isinstance(X, (Interval, Jet)) else NUMPY


class NumpyForm:
    """``formula`` evaluated on float arrays: the ``fn`` of a target (picklable when ``formula`` is).

    Parameters
    ----------
    formula : callable
        ``formula(X, K)`` over a number system K.

    Examples
    --------
    >>> NumpyForm(lambda X, K: K.exp(X))(np.zeros(1))
    array([1.])
    """

    def __init__(self, formula: Formula) -> None:
        self.formula = formula

    def __call__(self, X: np.ndarray) -> np.ndarray:
        return self.formula(X, NUMPY)


class EnclosureForm:
    """``formula`` evaluated on :class:`Interval` or :class:`Jet` arrays: the ``interval`` of a target.

    Parameters
    ----------
    formula : callable
        ``formula(X, K)`` over a number system K.

    Examples
    --------
    >>> box = Interval(np.array([0.0]), np.array([1.0]))
    >>> enclosure = EnclosureForm(lambda X, K: K.exp(X))(box)
    >>> bool(enclosure.lo[0] <= 1.0 and enclosure.hi[0] >= np.e)
    True
    """

    def __init__(self, formula: Formula) -> None:
        self.formula = formula

    def __call__(self, X: Interval | Jet) -> Any:
        return self.formula(X, EnclosureSystem(X))
