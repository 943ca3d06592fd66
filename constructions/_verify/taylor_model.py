"""Taylor models of order K over boxes, vectorised: f(c + h) in P(h) + R for every h in [-r, r].

A :class:`TaylorModel` array carries, per entry, interval coefficients P_beta of the monomials
h^beta with |beta| <= K (:class:`TaylorMonomials`, sorted by degree) and an interval remainder R, with
the meaning: for every h in the box [-r, r] (one box per batch row) and every choice of the
coefficients inside their intervals, the true value lies in sum_beta P_beta h^beta + R.

Operations keep that meaning (each step is outward-rounded interval arithmetic, inclusion
isotone, sums in a fixed order):

- sums, differences, products with constants act on the coefficients and the remainder;
- a product (P1 + R1)(P2 + R2) keeps the terms of P1 P2 of degree <= K, and bounds the others by
  sum_{p + q > K} U_p V_q with U_p = sum_{|a| = p} |P1_a| rho^a (rho^a >= |h^a| on the box; V
  likewise): the remainder is that bound + B(P1) R2 + R1 (B(P2) + R2), B(P) the naive interval
  range of P over the box;
- exp(T) = exp(T_0) (sum_{k <= K} T'^k / k! + J^(K+1) / (K+1)! exp(hull(0, J))), with T_0 the
  constant coefficient, T' = T - T_0 and J = B(T') + R (Lagrange's remainder).

Each array of models also carries degrees (low, high) outside which the exact coefficients are
zero: the polynomial that the coefficient intervals enclose is the exact result of the same
chain of operations on the exact inputs, and sums and products of polynomials keep their
degrees in (min low, max high) and (low1 + low2, high1 + high2) (x_k = c_k + h_k has (0, 1),
(x_k - x_l)^2 has (0, 2), T' of exp has low >= 1). Products, ranges and the remainder's degree
sums skip the monomials outside them and take their coefficients as the exact 0 (the float
intervals there only enclose 0, widened by roundings). The coefficients are stored up to degree
high only (slots sorted by degree: a prefix; :meth:`TaylorModel.full` pads with exact zeros).

Likewise each entry carries its support, the variables its exact polynomial may involve (a mask
``vars`` of shape (1, *value shape, N)): exp(-|x_i - x_j|^2) involves the 2d variables of tokens
i and j only. exp computes its series in the local variables of each entry (the support padded
to a common length L with variables outside it, whose coefficients are the exact 0): the same
polynomial, remainder and ranges term by term, with the C(2L + K, K) products of L variables
instead of C(2N + K, K).

Non-polynomial operations other than exp raise NotSmoothError (the caller falls back to jets).
The class is a :class:`Jet` so target formulas evaluate on it through the enclosure number system.
"""

from __future__ import annotations

import functools
import itertools
from fractions import Fraction
from math import factorial
from typing import Any

import numpy as np

from .._common.interval import Interval, Jet, NotSmoothError
from .._common.monomial_plan import parent


def _up(x: np.ndarray) -> np.ndarray:
    return np.nextafter(x, np.inf)


class TaylorMonomials:
    """The exponents beta of N variables with |beta| <= K (sorted by degree) and the product tables.

    ``columns``: the products P_a Q_b with |a + b| <= K grouped by output slot, one column per
    position within a group, so every output is accumulated in a fixed order."""

    def __init__(self, N: int, K: int) -> None:
        self.N, self.K = N, K
        exps = [e for e in np.ndindex(*([K + 1] * N)) if sum(e) <= K]
        self.exponents = sorted((tuple(int(v) for v in e) for e in exps), key=lambda e: (sum(e), e))
        self.slot = {e: j for j, e in enumerate(self.exponents)}
        self.M = len(self.exponents)
        self.degree = np.array([sum(e) for e in self.exponents])
        #: slots of degree p are start[p]:start[p + 1] (exponents sorted by degree)
        self.start = np.searchsorted(self.degree, np.arange(K + 2))
        self._groups: dict[int, list[tuple[int, int]]] | None = None  # built on the first product
        self._columns: dict[tuple[int, int, int, int], list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}

    def groups(self) -> dict[int, list[tuple[int, int]]]:
        """Per output slot o, the pairs (a, b) of slots with exponents adding up to o's, by increasing a."""
        if self._groups is None:
            self._groups = {}
            for o, e in enumerate(self.exponents):
                pairs = []
                for a in itertools.product(*(range(k + 1) for k in e)):
                    pairs.append((self.slot[a], self.slot[tuple(x - y for x, y in zip(e, a))]))
                self._groups[o] = sorted(pairs)
        return self._groups

    def product_columns(
        self, first: tuple[int, int], second: tuple[int, int]
    ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """The product table (output slot, a, b) restricted to deg a in ``first``, deg b in ``second``
        (inclusive degree ranges), one column per position within an output's group (fixed order)."""
        key = (*first, *second)
        if key not in self._columns:
            deg = self.degree
            groups = {
                o: [(a, b) for a, b in g if first[0] <= deg[a] <= first[1] and second[0] <= deg[b] <= second[1]]
                for o, g in sorted(self.groups().items())
            }
            columns = []
            for t in range(max((len(g) for g in groups.values()), default=0)):
                rows = [(o, g[t]) for o, g in groups.items() if len(g) > t]
                columns.append(
                    (
                        np.array([o for o, _ in rows]),
                        np.array([a for _, (a, _) in rows]),
                        np.array([b for _, (_, b) in rows]),
                    )
                )
            self._columns[key] = columns
        return self._columns[key]

    def ranges(self, r: Interval) -> tuple[Interval, np.ndarray]:
        """Per box (r: (B, N) half-widths as intervals [-r, r]): the range of each h^beta, and rho^beta >= |h^beta|."""
        B = r.shape[0]
        lo, hi = np.empty((B, self.M)), np.empty((B, self.M))
        for j, e in enumerate(self.exponents):
            if j == 0:
                lo[:, 0] = hi[:, 0] = 1.0
                continue
            up, v = parent(e)
            if sum(e) == e[v] and e[v] % 2 == 0:  # pure even power: the square of the half power
                half = self.slot[e[:v] + (e[v] // 2,) + e[v + 1 :]]
                p = Interval(lo[:, half], hi[:, half]).square()
            else:
                p = Interval(lo[:, self.slot[up]], hi[:, self.slot[up]]) * r[:, v]
            lo[:, j], hi[:, j] = p.lo, p.hi
        hm = Interval(lo, hi)
        return hm, hm.mag()


def _integer_point(value: object) -> int | None:
    """The non-zero integer a constant (a number, a 0-d array or a point interval) equals, else None."""
    if isinstance(value, Interval):
        if value.lo.size != 1 or value.lo.reshape(()) != value.hi.reshape(()):
            return None
        value = value.lo.reshape(())
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.reshape(())[()]
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        v = float(value)
        if np.isfinite(v) and v.is_integer() and v != 0:
            return int(v)
    return None


class TaylorModel(Jet):
    """An array (shape ``shape``) of Taylor models of order K over a batch of boxes (module docstring).

    ``deg`` = (low, high): the exact coefficients of degrees outside low..high are zero."""

    __slots__ = ("coef", "deg", "hm", "mono", "rem", "rho", "vars")

    def __init__(
        self,
        coef: Interval,
        rem: Interval,
        mono: TaylorMonomials,
        hm: Interval,
        rho: np.ndarray,
        deg: tuple[int, int] | None = None,
        vars: np.ndarray | None = None,
    ) -> None:
        self.coef, self.rem, self.mono, self.hm, self.rho = coef, rem, mono, hm, rho
        low, high = (0, mono.K) if deg is None else deg
        stored = int(np.searchsorted(mono.start, coef.shape[-1], side="right")) - 2  # the degrees stored whole
        self.deg = (low, min(high, stored))
        self.vars = vars  # the support mask (1, *shape[1:], N), None: every variable

    @staticmethod
    def variables(centre: np.ndarray, radius: Interval, mono: TaylorMonomials) -> TaylorModel:
        """x_k = c_k + h_k for the boxes c + [-r, r]: centre (B, N) floats, radius (B, N) intervals."""
        B, N = centre.shape
        lo = np.zeros((B, N, mono.start[min(1, mono.K) + 1]))  # degrees 0 and 1 stored
        lo[:, :, 0] = centre
        lo[:, np.arange(N), [mono.slot[tuple(int(j == k) for j in range(N))] for k in range(N)]] = 1.0
        hm, rho = mono.ranges(radius)
        vars = np.eye(N, dtype=bool)[None]
        return TaylorModel(Interval(lo), Interval(np.zeros((B, N))), mono, hm, rho, (0, min(1, mono.K)), vars)

    # -- shapes ----------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.rem.shape

    @property
    def order(self) -> int:
        return self.mono.K

    @property
    def entry_width(self) -> int:
        """Floats per interval end an entry carries: its coefficients and its remainder."""
        return self.mono.M + 1

    def full(self) -> Interval:
        """The coefficients of all M monomials (the ones not stored are the exact 0)."""
        return self._padded(self.mono.M)

    def _padded(self, stored: int) -> Interval:
        """The coefficients stored to ``stored`` slots (>= this model's; the new ones are the exact 0)."""
        have = self.coef.shape[-1]
        if have == stored:
            return self.coef
        pad = [(0, 0)] * (self.coef.ndim - 1) + [(0, stored - have)]
        return Interval(np.pad(self.coef.lo, pad), np.pad(self.coef.hi, pad))

    def _wrap_tm(
        self, coef: Interval, rem: Interval, deg: tuple[int, int] | None = None, vars: Any = "keep"
    ) -> TaylorModel:
        """A model on the same boxes; ``deg`` None keeps this one's degrees, ``vars`` "keep" its support
        (broadcast to the new shape)."""
        support = _shaped(self.vars if isinstance(vars, str) else vars, rem.shape)
        return TaylorModel(coef, rem, self.mono, self.hm, self.rho, self.deg if deg is None else deg, support)

    def _box(self, table: Any, ndim: int) -> Any:
        """The per-box table (B, M) shaped to broadcast against coefficients of ``ndim`` leading axes
        (a per-entry table, as in a local basis, is already shaped)."""
        if table.ndim == ndim + 1:
            return table
        return table.reshape((table.shape[0],) + (1,) * (ndim - 1) + (table.shape[-1],))

    def _slots(self) -> slice:
        """The coefficient slots of degrees low..high (empty when the polynomial part is zero)."""
        low, high = self.deg
        return slice(self.mono.start[min(low, self.mono.K + 1)], self.mono.start[max(min(high, self.mono.K), -1) + 1])

    def __getitem__(self, index: object) -> TaylorModel:
        index = index if isinstance(index, tuple) else (index,)
        if any(i is Ellipsis for i in index):
            raise NotSmoothError("Taylor models take no Ellipsis index")
        full = index + (slice(None),) * (self.ndim - sum(i is not None for i in index)) + (slice(None),)
        support = self.vars
        keeps_boxes = isinstance(index[0], slice) and index[0] == slice(None)
        vars = support[full] if support is not None and keeps_boxes else None  # type: ignore[index]
        return self._wrap_tm(self.coef[full], self.rem[index], vars=vars)

    def reshape(self, shape: tuple[int, ...]) -> TaylorModel:
        rem = self.rem.reshape(shape)
        support = self.vars
        same_boxes = rem.shape[0] == self.shape[0]  # then only the value axes change
        vars = (
            support.reshape((1,) + rem.shape[1:] + support.shape[-1:]) if support is not None and same_boxes else None
        )
        return self._wrap_tm(self.coef.reshape(rem.shape + self.coef.shape[-1:]), rem, vars=vars)

    def broadcast_to(self, shape: tuple[int, ...]) -> TaylorModel:
        return self._wrap_tm(self.coef.broadcast_to(tuple(shape) + self.coef.shape[-1:]), self.rem.broadcast_to(shape))

    def concatenate(self, others: list[TaylorModel], axis: int) -> TaylorModel:
        """This array of models and ``others`` (same boxes) joined along value axis ``axis``."""
        if not all(isinstance(p, TaylorModel) for p in others):
            raise NotSmoothError("a Taylor model meets a jet")
        axis = axis % self.ndim
        parts = [self, *others]
        stored = max(p.coef.shape[-1] for p in parts)
        coefs = [p._padded(stored) for p in parts]
        return self._wrap_tm(
            coefs[0].concatenate(coefs[1:], axis),
            parts[0].rem.concatenate([p.rem for p in parts[1:]], axis),
            _union(*(p.deg for p in parts)),
            _joined([p.vars for p in parts], [p.shape for p in parts], axis),
        )

    def sum(self, axis: int, keepdims: bool = False) -> TaylorModel:
        axis = axis % self.ndim
        vars = None if self.vars is None or axis == 0 else self.vars.any(axis=axis, keepdims=keepdims)
        return self._wrap_tm(self.coef.sum(axis, keepdims), self.rem.sum(axis, keepdims), vars=vars)

    def mean(self, axis: int, keepdims: bool = False) -> TaylorModel:
        count = self.shape[axis % self.ndim]
        return self.sum(axis, keepdims) * Interval.of(Fraction(1, count))

    # -- arithmetic ------------------------------------------------------------------------
    def __add__(self, other: object) -> TaylorModel:
        if isinstance(other, TaylorModel):
            stored = max(self.coef.shape[-1], other.coef.shape[-1])
            coef = self._padded(stored) + other._padded(stored)
            return self._wrap_tm(coef, self.rem + other.rem, _union(self.deg, other.deg), _either(self, other))
        if isinstance(other, Jet):
            raise NotSmoothError("a Taylor model meets a jet")
        c = Interval.of(other)
        shape = np.broadcast_shapes(self.shape, c.shape)
        lo = np.array(np.broadcast_to(self.coef.lo, shape + self.coef.shape[-1:]))
        hi = np.array(np.broadcast_to(self.coef.hi, shape + self.coef.shape[-1:]))
        const = Interval(lo[..., 0], hi[..., 0]) + c
        lo[..., 0], hi[..., 0] = const.lo, const.hi
        return self._wrap_tm(Interval(lo, hi), self.rem.broadcast_to(shape), _union(self.deg, (0, 0)))

    __radd__ = __add__

    def __neg__(self) -> TaylorModel:
        return self._wrap_tm(-self.coef, -self.rem)

    def __sub__(self, other: object) -> TaylorModel:
        return self + (-other if isinstance(other, (Jet, Interval)) else -Interval.of(other))

    def __rsub__(self, other: object) -> TaylorModel:
        return (-self) + other

    def __mul__(self, other: object) -> TaylorModel:
        if isinstance(other, TaylorModel):
            return self._product(other)
        if isinstance(other, Jet):
            raise NotSmoothError("a Taylor model meets a jet")
        c = Interval.of(other)
        return self._wrap_tm(self.coef * Interval(c.lo[..., None], c.hi[..., None]), self.rem * c)

    __rmul__ = __mul__

    def __truediv__(self, other: object) -> TaylorModel:
        if isinstance(other, Jet):
            raise NotSmoothError("division by a Taylor model")
        if isinstance(other, (int, Fraction)) or (isinstance(other, float) and float(other).is_integer()):
            return self * Interval.of(1 / Fraction(other))
        point = _integer_point(other)
        if point is not None:  # a constant such as 2, however it is spelled (an expression passes an array)
            return self * Interval.of(Fraction(1, point))
        return self * (Interval(np.float64(1.0)) / other)

    def range(self) -> Interval:
        """B(P) + R: an enclosure of the model's values over its box."""
        return self.range_poly() + self.rem

    def _degree_sums(self) -> list[np.ndarray | None]:
        """U_p = sum_{|a| = p} |P_a| rho^a (rounded up) for p = 0..K (None: exactly zero, p outside ``deg``)."""
        s = self._slots()
        w = _up(self.coef[..., s].mag() * self._box(self.rho[..., s], self.ndim))
        out: list[np.ndarray | None] = []
        for p in range(self.mono.K + 1):
            if not self.deg[0] <= p <= self.deg[1]:
                out.append(None)
                continue
            cols = np.arange(self.mono.start[p], self.mono.start[p + 1]) - s.start
            acc = w[..., cols[0]]
            for j in cols[1:]:
                acc = _up(acc + w[..., j])
            out.append(acc)
        return out

    def _product(self, other: TaylorModel) -> TaylorModel:
        shape = np.broadcast_shapes(self.shape, other.shape)
        K = self.mono.K
        deg = (self.deg[0] + other.deg[0], min(K, self.deg[1] + other.deg[1]))
        M = self.mono.start[max(deg[1], 0) + 1]  # the product's stored slots
        lo, hi = np.zeros(shape + (M,)), np.zeros(shape + (M,))
        first = True
        for o, a, b in self.mono.product_columns(self.deg, other.deg):
            prod = self.coef[..., a] * other.coef[..., b]
            if first:
                lo[..., o], hi[..., o] = np.broadcast_to(prod.lo, shape + (len(o),)), prod.hi
                first = False
            else:
                s = Interval(lo[..., o], hi[..., o]) + prod
                lo[..., o], hi[..., o] = s.lo, s.hi
        U, V = self._degree_sums(), other._degree_sums()
        high = np.zeros(shape)
        for p in range(1, K + 1):
            for q in range(K + 1 - p, K + 1):
                u, v = U[p], V[q]
                if u is not None and v is not None:
                    high = _up(high + _up(u * v))
        rem = Interval(-high, high) + self.range_poly() * other.rem + self.rem * (other.range_poly() + other.rem)
        return self._wrap_tm(Interval(lo, hi), rem, deg, _either(self, other))

    def range_poly(self) -> Interval:
        """B(P): the naive interval range of the polynomial part over the box."""
        s = self._slots()
        if s.start >= s.stop:
            return Interval(np.zeros(self.shape))
        return (self.coef[..., s] * self._box(self.hm[..., s], self.ndim)).sum(-1)

    def square(self) -> TaylorModel:
        return self._product(self)

    def power(self, p: float) -> TaylorModel:
        if not float(p).is_integer() or p < 1:
            raise NotSmoothError(f"no Taylor model of x^{p:g}")
        out = self
        for _ in range(int(p) - 1):
            out = out._product(self)
        return out

    def exp(self) -> TaylorModel:
        c0 = self.coef[..., 0]
        lo, hi = self.coef.lo.copy(), self.coef.hi.copy()
        lo[..., 0], hi[..., 0] = 0.0, 0.0
        t = self._wrap_tm(Interval(lo, hi), self.rem, (max(1, self.deg[0]), self.deg[1]))  # T' = T - T_0
        local = _LocalBasis.of(t)
        if local is None:
            return t._exp_series() * c0.exp()
        series = local.gather(t)._exp_series()
        return local.scatter(series * c0.exp(), t)

    def _exp_series(self) -> TaylorModel:
        """exp(T') / exp(T_0) for this T' (no constant term): the series and Lagrange's remainder."""
        K, t = self.mono.K, self
        J = t.range()
        total, power = t + 1.0, t
        for k in range(2, K + 1):
            power = power._product(t)
            total = total + power * Interval.of(Fraction(1, factorial(k)))
        hull = Interval(np.minimum(J.lo, 0.0), np.maximum(J.hi, 0.0))
        lagrange = (J ** (K + 1)) * Interval.of(Fraction(1, factorial(K + 1))) * hull.exp()
        return total._wrap_tm(total.coef, total.rem + lagrange)

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise NotSmoothError("no Taylor model for this operation: jets instead")

    log = sqrt = sin = cos = tanh = reciprocal = abs = less = maximum = minimum = matmul = _refuse
    __rtruediv__ = _refuse


def _union(*degrees: tuple[int, int]) -> tuple[int, int]:
    """The degree range of a sum: from the lowest low to the highest high."""
    return min(d[0] for d in degrees), max(d[1] for d in degrees)


def _shaped(vars: np.ndarray | None, shape: tuple[int, ...]) -> np.ndarray | None:
    """A support mask broadcast to the value shape ``shape`` (boxes first), None when it does not fit."""
    if vars is None:
        return None
    try:
        return np.broadcast_to(vars, (1,) + tuple(shape[1:]) + vars.shape[-1:])
    except ValueError:
        return None


def _either(a: TaylorModel, b: TaylorModel) -> np.ndarray | None:
    """The support of a sum or product: the variables of either operand (None: unknown)."""
    if a.vars is None or b.vars is None:
        return None
    return a.vars | b.vars


def _joined(supports: list[np.ndarray | None], shapes: list[tuple[int, ...]], axis: int) -> np.ndarray | None:
    """The support of a concatenation along value axis ``axis`` (None when unknown or along the boxes)."""
    if axis == 0 or any(v is None for v in supports):
        return None
    parts = [p for p in (_shaped(v, shape) for v, shape in zip(supports, shapes)) if p is not None]
    return None if len(parts) < len(supports) else np.concatenate(parts, axis=axis)


class _LocalBasis:
    """Per entry of an array of models, its support padded to L variables, and the slots of the
    monomials of those L variables (|beta| <= K) among the N-variable ones (module docstring)."""

    def __init__(self, mono: TaylorMonomials, chosen: np.ndarray) -> None:
        L, K = chosen.shape[-1], mono.K
        self.local = _local_monomials(L, K)
        table = np.array([[mono.slot[_placed(e, row, mono.N)] for e in self.local.exponents] for row in chosen])
        self.slots = table  # (entries, M_L)

    @staticmethod
    def of(t: TaylorModel) -> _LocalBasis | None:
        """The local basis of ``t``'s entries, or None when it would not be smaller than the N variables."""
        if t.vars is None:
            return None
        mask = np.broadcast_to(t.vars, (1,) + t.shape[1:] + t.vars.shape[-1:]).reshape(-1, t.vars.shape[-1])
        N = mask.shape[1]
        L = max(1, int(mask.sum(axis=1).max()))
        if L >= N:
            return None
        # the support, then the first variables outside it, to L per entry; sorted (a fixed basis)
        order = np.argsort(~mask, axis=1, kind="stable")[:, :L]
        chosen = np.sort(order, axis=1)
        return _local_basis(t.mono, chosen.astype(np.int64).tobytes(), chosen.shape)

    def gather(self, t: TaylorModel) -> TaylorModel:
        """``t`` in the local basis: coefficients and the tables hm, rho per entry (B, *shape[1:], M_L)."""
        shape = t.shape
        idx = np.broadcast_to(self.slots.reshape((1,) + shape[1:] + (self.local.M,)), shape + (self.local.M,))

        def pick(a: np.ndarray) -> np.ndarray:
            stored = a.shape[-1]
            inside = idx < stored  # the slots not stored are the exact 0
            got = np.take_along_axis(np.broadcast_to(a, shape + (stored,)), np.minimum(idx, stored - 1), -1)
            return np.where(inside, got, 0.0)

        coef = Interval(pick(t.coef.lo), pick(t.coef.hi))
        per_box = (shape[0],) + (1,) * (len(shape) - 1) + (t.mono.M,)
        hm = Interval(pick(t.hm.lo.reshape(per_box)), pick(t.hm.hi.reshape(per_box)))
        rho = pick(t.rho.reshape(per_box))
        return TaylorModel(coef, t.rem, self.local, hm, rho, t.deg, None)

    def scatter(self, s: TaylorModel, t: TaylorModel) -> TaylorModel:
        """The local model ``s`` back on ``t``'s N variables (the other coefficients are the exact 0)."""
        shape = s.shape
        idx = np.broadcast_to(self.slots.reshape((1,) + shape[1:] + (self.local.M,)), shape + (self.local.M,))
        lo, hi = np.zeros(shape + (t.mono.M,)), np.zeros(shape + (t.mono.M,))
        coef = s.full()
        np.put_along_axis(lo, idx, np.broadcast_to(coef.lo, idx.shape), -1)
        np.put_along_axis(hi, idx, np.broadcast_to(coef.hi, idx.shape), -1)
        return TaylorModel(Interval(lo, hi), s.rem, t.mono, t.hm, t.rho, s.deg, t.vars)


@functools.lru_cache(maxsize=64)
def _local_basis(mono: TaylorMonomials, chosen: bytes, shape: tuple[int, ...]) -> _LocalBasis:
    """The :class:`_LocalBasis` of the variables ``chosen`` (an int64 array's bytes, of ``shape``)."""
    return _LocalBasis(mono, np.frombuffer(chosen, dtype=np.int64).reshape(shape))


@functools.lru_cache(maxsize=64)
def _local_monomials(L: int, K: int) -> TaylorMonomials:
    return TaylorMonomials(L, K)


def _placed(e: tuple[int, ...], variables: np.ndarray, N: int) -> tuple[int, ...]:
    """The N-variable exponent with e's entries at ``variables``."""
    out = [0] * N
    for v, k in zip(variables, e):
        out[int(v)] = k
    return tuple(out)
