"""Certified sup-norm error of the discontinuous (piecewise-constant) Sumformer, cell by cell.

The discontinuous construction of Alberti et al. (2023) (:mod:`constructions.discontinuous`)
returns S(X) = f(R(X)): f at the representatives of the cells of the tokens. The a-priori bound
is ||S - f|| <= omega_f(delta) (a Lipschitz constant times the cell width, or half of it for
centres). :func:`constructions.verify.certified_sup_error` certifies the actual value instead
(through :func:`_certified_discontinuous_error`):

    E* = sup_{X in [0, 1]^{n x d}} max_{i,c} |S(X)_{ic} - f(X)_{ic}|.

Reduction. S and f are equivariant, so E(X) = max_{i,c} |S - f| is invariant under permuting
tokens and E* is the maximum over sorted multisets of cells iota_1 <= ... <= iota_n of
sup |v - f(X)| over the product P of the half-open cells, with v = S's (constant) value there.
P lies in its closure Pbar, a box, so sup over Pbar of |v - f(X)| (f continuous) bounds it.

Per box B inside Pbar: f(B) is enclosed by the plain interval evaluation of f and by the
mean-value form f(c) + Jf(B) (B - c) (interval jets of order 1, c the centre of B); the smaller
of the two bounds of |v - f| is kept. Branch and bound bisects boxes whose bound exceeds
ratio * lower. ``lower`` is the lower end of an interval enclosure of E at points strictly inside
the half-open products (box centres and box vertices pulled inside), so lower <= E*. The sup is usually approached at a face of
the cell that belongs to the next cell and is then not attained: ``lower`` approaches it from below.

Tiny grids only: the number of multisets C(k^d + n - 1, n) is refused past ``max_cells``.
"""

from __future__ import annotations

import itertools
import math
import time
from typing import Any

import numpy as np

from polyapprox.internal import PolyapproxError, SizeError, check_int

from .._common.interval import Interval, Jet, NotSmoothError, check_float_environment
from .._sumformers.discontinuous import DiscontinuousSumformer, cell_index, representatives
from .certify import (
    CertificationBudget,
    CertifiedResult,
    _budget,
    _certifiable_target,
    _certified_result,
    _Deadline,
    _mig,
    _Outcome,
    _SearchState,
    _split,
)


class _CellBounder:
    """Rigorous bounds of max |v - f| on boxes (lo, hi) (B, n*d) with S's values v (B, n*d_out)."""

    def __init__(self, target: Any, n: int, d: int, d_out: int) -> None:
        self.target, self.n, self.d, self.d_out = target, n, d, d_out
        self.smooth = True

    def __call__(self, lo: np.ndarray, hi: np.ndarray, v: np.ndarray) -> np.ndarray:
        B, n, d, N = len(lo), self.n, self.d, self.n * self.d
        plain = self.target.interval(Interval(lo, hi).reshape((B, n, d))).reshape((B, n * self.d_out))
        bound = (Interval(v) - plain).mag()
        if self.smooth:
            try:
                c = (lo + hi) * 0.5
                f_c = self.target.interval(Interval(c).reshape((B, n, d))).reshape((B, n * self.d_out))
                jac = self.target.interval(Jet.variables(Interval(lo, hi), order=1).reshape((B, n, d)))
            except NotSmoothError:
                self.smooth = False
            else:
                g = jac.grad.reshape((B, n * self.d_out, N))
                h = Interval(np.nextafter(lo - c, -np.inf)[:, None, :], np.nextafter(hi - c, np.inf)[:, None, :])
                mean_value = f_c + (g * h).sum(-1)
                bound = np.minimum(bound, (Interval(v) - mean_value).mag())
        return bound.max(axis=1)


def _multisets(n: int, cells: int, max_cells: int) -> np.ndarray:
    count = math.comb(cells + n - 1, n)
    if count > max_cells:
        raise SizeError(
            f"certifying needs one box per multiset of cells: C({cells} + {n} - 1, {n}) = {count:,} "
            f"exceeds the work budget of {max_cells:,} cells (budget.max_boxes; tiny grids only)"
        )
    return np.array(list(itertools.combinations_with_replacement(range(cells), n)), dtype=np.int64).reshape(count, n)


def _certified_discontinuous_error(
    model: Any,
    target: Any,
    budget: CertificationBudget | None = None,
    *,
    max_cells: int = 20_000,
) -> CertifiedResult:
    """Bound the sup error of a discontinuous Sumformer rigorously by an interval [lower, upper].

    The error is sup_X max_{i,c} |S(X)_ic - f(X)_ic|.

    Compare ``upper`` with the a-priori ``discontinuous.error_bound(L, k, ...)`` (the modulus of
    continuity omega_f(delta) of the discontinuous theorem of Alberti et al. 2023). S is constant
    on each multiset of cells, so the search bounds f's spread over each multiset; ``upper`` stays
    rigorous when the budget ends the search (then ``reached`` is False). Deterministic.

    Shapes: ``witness`` is (n, d).

    Parameters
    ----------
    model : DiscontinuousSumformer
        ``discontinuous.build(f, n, d, k, ...)``.
    target : str or Target
        The registered target (name or ``Target``) it was built from, with an interval evaluation
        (checked: S must equal f at the representatives).
    budget : CertificationBudget or None, default None
        Stopping ratio and work limits (default ``CertificationBudget()``; batch 4096).
    max_cells : int, default 20000
        Most multisets of cells (``SizeError`` beyond).

    Returns
    -------
    CertifiedResult
        ``lower`` <= sup error <= ``upper``.

    Notes
    -----
    The construction is a reconstruction of the discontinuous proof (base-(n+1) codes).

    Examples
    --------
    >>> from constructions import discontinuous, targets
    >>> S = discontinuous.build(targets.get("centered"), n=2, d=1, k=4)
    >>> r = _certified_discontinuous_error(S, "centered", CertificationBudget(ratio=1.01))
    >>> r.lower <= 0.125 <= r.upper <= 0.125 * 1.01 < discontinuous.error_bound(2.0, 4)   # (1 - 1/n)/k
    True
    """
    start = time.perf_counter()
    t = _checked_model_and_target(model, target)
    budget, batch = _budget(budget, 4096)
    max_cells = check_int("max_cells", max_cells)
    check_float_environment()
    lo, hi, vals, corner = _cell_boxes(model, t, max_cells)
    outcome = _CellSearch(model, t, budget, batch).run(lo, hi, vals, corner[0].reshape(-1).copy())
    return _certified_result(outcome, model.n, model.d, budget, start, t.name)


def _checked_model_and_target(model: Any, target: Any) -> Any:
    """The target of :func:`_certified_discontinuous_error`, checked against a discontinuous Sumformer."""
    if not isinstance(model, DiscontinuousSumformer):
        raise PolyapproxError(
            "the discontinuous certifier needs a discontinuous Sumformer (discontinuous.build); "
            f"got {type(model).__name__}"
        )
    return _certifiable_target(target, model.d, model.d_out)


class _CellSearch:
    """Branch and bound over boxes of cells, each box carrying S's constant value v on it (module docstring)."""

    #: how far inside a half-open cell its vertices are pulled, as a fraction of the width
    PULL = 2.0**-30

    def __init__(self, model: Any, target: Any, budget: CertificationBudget, batch: int) -> None:
        self.model, self.target, self.budget, self.batch = model, target, budget, batch
        self.n, self.d, self.rows = model.n, model.d, model.n * model.d_out
        self.bounder = _CellBounder(target, model.n, model.d, model.d_out)
        self.deadline = _Deadline(budget.time_limit)

    def point_errors(self, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rigorous lower bounds of E at the centre and the vertices pulled inside (points of the
        half-open cells): |S(P) - f(P)| with S(P) the model's value and f(P) enclosed in intervals."""
        n, d, N = self.n, self.d, self.n * self.d
        width = hi - lo
        points = [lo + 0.5 * width]
        for corner_bits in itertools.product((0.0, 1.0), repeat=N) if N <= 6 else [(1.0,) * N]:
            bits = np.array(corner_bits)
            points.append(lo + width * (self.PULL + bits * (1.0 - 2.0 * self.PULL)))
        P = np.concatenate(points)
        f = self.target.interval(Interval(P).reshape((len(P), n, d))).reshape((len(P), self.rows))
        values = np.asarray(self.model(P.reshape(-1, n, d)), dtype=float).reshape(len(P), self.rows)
        err = _mig(Interval(values) - f).max(axis=1).reshape(len(points), len(lo))
        best = err.argmax(axis=0)
        return err.max(axis=0), P.reshape(len(points), len(lo), N)[best, np.arange(len(lo))]

    def evaluate(
        self, state: _SearchState, lo: np.ndarray, hi: np.ndarray, v: np.ndarray, parent: np.ndarray | None
    ) -> np.ndarray:
        """Rigorous bounds of the boxes (batch by batch); raises the lower bound to the best point error.

        Boxes not reached before the optional time limit keep their parent's bound."""
        batch = self.batch
        ub = np.empty(len(lo)) if parent is None else parent.copy()
        for s in range(0, len(lo), batch):
            if parent is not None and self.deadline.expired():
                state.stopped = True
                break
            sl = slice(s, s + batch)
            ub[sl] = self.bounder(lo[sl], hi[sl], v[sl])
            state.boxes += len(lo[sl])
            err, P = self.point_errors(lo[sl], hi[sl])
            state.offer(err, P)
        return ub

    def run(self, lo: np.ndarray, hi: np.ndarray, vals: np.ndarray, witness: np.ndarray) -> _Outcome:
        """Bisect the worst boxes (largest bound first, ties by position) until done or out of budget."""
        budget = self.budget
        state = _SearchState(lo, hi, np.empty(0), -np.inf, witness)
        state.ub = self.evaluate(state, lo, hi, vals, None)
        while True:
            keep = state.finalise(budget)
            state.lo, state.hi, state.ub, vals = state.lo[keep], state.hi[keep], state.ub[keep], vals[keep]
            if not len(state.lo) or state.boxes >= budget.max_boxes or state.stopped:
                break
            order = np.argsort(-state.ub, kind="stable")
            take = budget.take(len(state.lo), state.boxes, self.batch)
            pick, rest = order[:take], order[take:]
            c_lo, c_hi = _split(state.lo[pick], state.hi[pick])
            c_v = np.concatenate([vals[pick], vals[pick]])
            c_ub = self.evaluate(state, c_lo, c_hi, c_v, np.concatenate([state.ub[pick], state.ub[pick]]))
            state.lo, state.hi = np.concatenate([state.lo[rest], c_lo]), np.concatenate([state.hi[rest], c_hi])
            vals, state.ub = np.concatenate([vals[rest], c_v]), np.concatenate([state.ub[rest], c_ub])
        upper = state.upper()
        reached = bool(len(state.lo) == 0 and upper <= budget.threshold(state.lower))
        lower = max(state.lower, 0.0)
        return _Outcome(lower, state.witness, float(upper), int(state.boxes), len(state.lo), reached, state.stopped)


def _cell_boxes(model: Any, t: Any, max_cells: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One closed box per sorted multiset of cells, with the model's constant value on it.

    The boxes are the closed cells [c/k, (c+1)/k] widened by two floats on each side (clipped to
    [0, 1]): they hold every float that the model's floor(k x) puts in the cell as well as the real
    cell. Also checks that the model equals the target at its representatives.
    """
    n, d, k = model.n, model.d, model.k
    cells = _multisets(n, k**d, max_cells)  # (C, n) sorted cell indices
    # the float nearest a corner c/k may lie below it, in the cell below: the centres are inside
    inside = representatives(cells, k, d, "center").reshape(len(cells), n, d)
    v = np.asarray(model(inside), dtype=float)  # S on each product of half-open cells
    if not np.all(np.isfinite(v)):
        raise PolyapproxError("the model returned NaN or inf")
    rep = representatives(cells, k, d, model.representative).reshape(len(cells), n, d)
    if not np.allclose(v, np.asarray(t.fn(rep), dtype=float), rtol=1e-12, atol=1e-12):
        raise PolyapproxError(
            f"the model does not equal target {t.name!r} at its cell representatives: it was "
            "built from another function"
        )
    if not np.array_equal(cell_index(inside.reshape(-1, d), k).reshape(len(cells), n), cells):
        raise PolyapproxError("internal: cell centres are not in their cells")
    digits = (cells[..., None] // k ** np.arange(d - 1, -1, -1, dtype=np.int64)) % k  # (C, n, d)

    def widen(x: np.ndarray, to: float) -> np.ndarray:
        return np.nextafter(np.nextafter(x, to), to)

    lo = np.maximum(widen(digits / k, -np.inf), 0.0).reshape(len(cells), n * d)
    hi = np.minimum(widen((digits + 1) / k, np.inf), 1.0).reshape(len(cells), n * d)
    return lo, hi, v.reshape(len(cells), n * model.d_out), inside
