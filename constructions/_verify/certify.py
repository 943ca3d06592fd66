"""Certified sup-norm error of a continuous (polynomial) Sumformer: branch and bound over boxes.

For the Sumformer S(X)_i = Psi(x_i, P(X)) of the continuous theorem of Alberti et al. (2023)
and an equivariant target f with an interval evaluation, :func:`certified_sup_error` returns an
interval [lower, upper] that contains

    E* = sup_{X in Omega} E(X),   E(X) = max_{i,c} |S(X)_{ic} - f(X)_{ic}|,   Omega = [lo, hi]^{n x d}.

``lower`` is the lower end of an outward-rounded enclosure of E at a float point (the witness),
so lower <= E(witness) <= E*. ``upper`` is a maximum of rigorous per-box bounds over boxes
covering a region R on which sup E = E*, so E* <= upper.

Symmetry (why R suffices). S is equivariant for every phi, psi, and f is equivariant, so
E(sigma X) = max_i |(S - f)(X)_{sigma^{-1}(i)}| = E(X): E is invariant under permuting tokens.
Every X in the (permutation-invariant) cube has a permutation sorting its tokens by first
coordinate, so E* = sup over R = {X : x_{1,1} <= x_{2,1} <= ... <= x_{n,1}} (for d = 1: sorted
tokens, 1/n! of the cube). Boxes are contracted to R: on box cap R, x_{j,1} >= max_{i<=j} lo_{i,1}
and x_{j,1} <= min_{i>=j} hi_{i,1}; a box whose contraction is empty misses R and is dropped.

Per-box bound (Taylor models). Let e = S_{ic} - f_{ic}, B a box, c in B its centre, h = X - c. S
is a polynomial, so its expansion S_{ic}(c + h) = sum_beta b_beta h^beta at c is exact (computed
in outward-rounded intervals). The target is evaluated on B as a Taylor model of the same order
K (``taylor_model.py``: f(c + h) in sum_{|beta| <= K} f_beta h^beta + R for every h in B), so
e(B) is inside sum_beta (b_beta - f_beta) [h]^beta - R: S's terms of degree <= K cancel against
f's coefficient by coefficient, and the overestimate shrinks like width^(K+1) near a maximum. K
is S's degree, at least 2, at most 6 for n*d <= 3 variables and 4 above (:func:`taylor_order`).
A target whose formula has no Taylor model (division by a variable, a power other than a natural
one, a function other than exp) falls back to a second-order form (value and gradient at c,
Hessian enclosure over B, from interval jets); a non-smooth target (max, rank) to S's Taylor
enclosure minus the interval f(B).

Branch and bound. Boxes whose bound is <= max(ratio * lower, atol) are final; the others are
bisected along their widest side, largest bound first (ties by position), ``batch`` at a time.
When ``max_boxes`` runs out the result keeps the largest bound of every box not yet final, so
``upper`` stays rigorous and ``reached`` is False. ``lower`` comes from seeded sample points and
the centres of the boxes with the largest bounds, each evaluated in interval arithmetic.

Determinism. Every quantity is computed by IEEE +, -, x, / and exact scalings applied
elementwise, with sums in a fixed order (no BLAS, no CPU-dispatched exp, stable sorts), and the
work is counted in boxes: the same model, target, budget and seed give the same bits on any
machine, under any load and with any executor. Only the optional ``time_limit`` (off by
default) depends on the clock.

The model means the exact polynomial (its rational coefficients, each enclosed in a float
interval), not its float64 implementation, whose own rounding is ~1e-15.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import Any, Protocol

import numpy as np

from polyapprox.internal import DomainError, PolyapproxError, TimeLimitExpired, check_int, check_writable

from .._common.interval import (
    Interval,
    Jet,
    NotSmoothError,
    check_float_environment,
    product_bounds,
    rational_enclosure,
)
from .._common.monomial_plan import parent
from .._sumformers.polynomial import PolynomialSumformer
from .._sumformers.target_checks import check_equivariant
from .._targets import registry as targets
from .taylor_model import TaylorModel, TaylorMonomials

_DEFAULT_BATCH = 2048


@dataclass(frozen=True)
class CertifiedResult:
    """A certified interval: [lower, upper] contains sup_X max_{i,c} |S(X)_ic - f(X)_ic| over the domain.

    Both ends are rigorous: ``lower`` is the lower end of an outward-rounded enclosure of the
    error at ``witness`` (so lower <= E(witness) <= sup), ``upper`` the largest rigorous box bound.
    Shapes: ``witness`` is (n, d).

    Parameters
    ----------
    lower : float
        Rigorous lower bound of the error at ``witness`` (hence of the sup).
    witness : numpy.ndarray
        The sequence where ``lower`` was proven.
    upper : float
        Rigorous upper bound.
    boxes : int
        Boxes bounded (the work done).
    reached : bool
        Whether upper <= budget.ratio * lower (or upper <= budget.atol).
    seconds : float
        Wall time (informational; nothing depends on it).
    budget : CertificationBudget
        The budget used.
    pending : int
        Boxes left unresolved when the budget ran out.
    target : str
        Name of the target compared with.
    stopped_by_time : bool, default False
        Whether the optional ``time_limit`` cut the search short (then the result is rigorous but
        not reproducible).

    Examples
    --------
    >>> from constructions import continuous, targets
    >>> S, _ = continuous.approximate(targets.get("centered"), n=2, d=1, degree=1, samples=50)
    >>> r = certified_sup_error(S, "centered", CertificationBudget(atol=1e-9))
    >>> r.reached, r.lower <= r.upper <= 1e-9, r.witness.shape
    (True, True, (2, 1))
    """

    lower: float
    witness: np.ndarray = field(repr=False)
    upper: float
    boxes: int
    reached: bool
    seconds: float
    budget: CertificationBudget
    pending: int
    target: str
    stopped_by_time: bool = False

    @property
    def ratio(self) -> float:
        """upper / lower (inf when lower is 0): the ratio reached."""
        return self.upper / self.lower if self.lower > 0 else float("inf")

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["witness"] = self.witness.tolist()
        out["ratio"] = self.ratio
        return out


class _PsiJets:
    """Psi(y, s) of one representation in interval jets: monomials built as parent x variable."""

    def __init__(self, representation: Any) -> None:
        rep = representation
        self.d, self.indices, self.d_out = rep.d, tuple(rep.indices), rep.d_out
        per_output = rep.coefficients()
        exponents = sorted({beta + m for terms in per_output for beta, m in terms}, key=lambda e: (sum(e), e))
        self.exponents = exponents
        self.coefficients = []  # per output: list of (slot, lo, hi)
        slot = {e: j for j, e in enumerate(exponents)}
        for terms in per_output:
            row = []
            for (beta, m), q in terms.items():
                lo, hi = rational_enclosure(q)
                row.append((slot[beta + m], lo, hi))
            self.coefficients.append(row)
        # plan: each exponent = parent exponent + one unit in variable v (parents come first by degree)
        self.plan = []
        for e in exponents:
            if sum(e) == 0:
                self.plan.append((None, None))
                continue
            self.plan.append(parent(e))
        self.token_exponents = sorted({g for g in self.indices}, key=lambda g: (sum(g), g))

    def __call__(self, X: Jet | Interval) -> list[Jet | Interval]:
        """Per output c, the enclosure of Psi_c(x_i, P(X)) with shape (b, n)."""
        d = self.d
        coords = [X[:, :, c] for c in range(d)]
        # token monomials x_j^gamma and their sums over tokens
        token = {}
        for g in self.token_exponents:
            up, v = parent(g)
            token[g] = coords[v] if sum(up) == 0 else token[up] * coords[v]
        variables = coords + [token[g].sum(1, keepdims=True) for g in self.indices]
        mono: dict[tuple[int, ...], Any] = {}
        for e, (up, v) in zip(self.exponents, self.plan):
            if up is None:
                mono[e] = None
            elif sum(up) == 0:
                mono[e] = variables[v]
            else:
                mono[e] = mono[up] * variables[v]
        outputs = []
        for row in self.coefficients:
            acc = coords[0] * 0.0  # zero of shape (b, n), a jet when X is one
            for j, lo, hi in row:
                e = self.exponents[j]
                c = Interval(np.float64(lo), np.float64(hi))
                acc = acc + (c if mono[e] is None else mono[e] * c)
            outputs.append(acc)
        return outputs


def _row_polynomials(representation: Any, n: int) -> list[dict[tuple[int, ...], Fraction]]:
    """Exact expansions of S(X)_{ic} = Psi_c(x_i, P(X)) in the n*d variables x_{j,c} (flat index j*d + c).

    Rows are ordered (i, c) with c fastest. Computed over Q with python-flint.
    """
    import flint

    rep = representation
    d = rep.d
    N = n * d
    ctx = flint.fmpq_mpoly_ctx.get(("x", N), "lex")
    gens = ctx.gens()
    one = ctx.from_dict({(0,) * N: 1})

    def mono(vars_: list, e: tuple[int, ...]) -> Any:
        out = one
        for v, k in zip(vars_, e):
            if k:
                out = out * v**k
        return out

    tokens = [[gens[j * d + c] for c in range(d)] for j in range(n)]
    sums = [sum((mono(tokens[j], g) for j in range(n)), ctx.from_dict({})) for g in rep.indices]
    rows = []
    per_output = rep.coefficients()
    for i in range(n):
        cache: dict[tuple[int, ...], Any] = {}
        for terms in per_output:
            poly = ctx.from_dict({})
            for (beta, m), q in terms.items():
                key = tuple(m)
                if key not in cache:
                    cache[key] = mono(sums, key)
                poly += flint.fmpq(q.numerator, q.denominator) * mono(tokens[i], beta) * cache[key]
            rows.append(
                {tuple(int(a) for a in e): Fraction(int(c.p), int(c.q)) for e, c in zip(poly.monoms(), poly.coeffs())}
            )
    return rows


class _ShiftedPolynomial:
    """Rigorous Taylor coefficients b_beta(c) of polynomials S_r at points c (outward-rounded).

    ``order`` < 0: the values S_r(c) only (beta = 0).

    S_r(c + h) = sum_beta b_beta(c) h^beta with b_beta(c) = sum_gamma a_{gamma+beta} C(gamma+beta, beta) c^gamma.
    Every exact product a C is enclosed in a float interval, c^gamma is built by interval products.
    """

    def __init__(
        self, rows: list[dict[tuple[int, ...], Fraction]], N: int, order: int = 2, deadline: _Deadline | None = None
    ) -> None:
        """``deadline``: raise :class:`TimeLimitExpired` when it runs out (looked at every ``every`` terms)."""
        from math import comb

        def look(k: int, every: int) -> None:
            if k % every == 0 and deadline is not None and deadline.expired():
                raise TimeLimitExpired

        self.N, self.R = N, len(rows)
        betas: set[tuple[int, ...]] = set()
        entries = []  # (segment key (r, beta), gamma, weight)
        for r, row in enumerate(rows):
            for count, (alpha, a) in enumerate(row.items()):
                look(count, 4)  # each term of S has up to prod(alpha_k + 1) Taylor coefficients
                for beta in np.ndindex(*(k + 1 for k in alpha)) if order >= 0 else [(0,) * N]:
                    gamma = tuple(x - y for x, y in zip(alpha, beta))
                    weight = a
                    for x, y in zip(alpha, beta):
                        weight *= comb(x, y)
                    betas.add(beta)
                    entries.append(((r, beta), gamma, weight))
        # every beta of order <= max(2, order) takes part (the target's Taylor terms), even where S has none
        betas.update(TaylorMonomials(N, max(2, order)).exponents if order >= 0 else [(0,) * N])
        self.betas = sorted(betas, key=lambda e: (sum(e), e))
        self.beta_slot = {b: j for j, b in enumerate(self.betas)}
        closed = {g for _, g, _ in entries} | {(0,) * N}
        todo = list(closed)
        while todo:  # close the set under taking parents (each power is its parent times one variable)
            g = todo.pop()
            up = parent(g)[0] if sum(g) else g
            if up not in closed:
                closed.add(up)
                todo.append(up)
        gammas = sorted(closed, key=lambda e: (sum(e), e))
        self.gammas = gammas
        self.gamma_plan = _plan(gammas)
        gslot = {g: j for j, g in enumerate(gammas)}
        M = len(self.betas)
        # segments r * M + beta_slot; order entries by segment, then pad-free prefix sums by length
        seg = np.array([r * M + self.beta_slot[b] for (r, b), _, _ in entries], dtype=np.int64)
        gam = np.array([gslot[g] for _, g, _ in entries], dtype=np.int64)
        enc_list = []
        for count, (_, _, w) in enumerate(entries):
            look(count, 1024)
            enc_list.append(rational_enclosure(w))
        enc = np.array(enc_list).reshape(-1, 2)
        counts = np.bincount(seg, minlength=self.R * M)
        order_seg = np.argsort(-counts, kind="stable")  # segments by decreasing length
        rank = np.empty_like(order_seg)
        rank[order_seg] = np.arange(len(order_seg))
        position = np.zeros(len(seg), dtype=np.int64)
        srt = np.lexsort((np.arange(len(seg)), seg))
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        position[srt] = np.arange(len(seg)) - starts[seg[srt]]
        self.order_seg, self.counts_sorted = order_seg, counts[order_seg]
        # column j of the prefix scheme: entries with position j, laid out by segment rank
        self.columns = []
        for j in range(int(counts.max()) if len(counts) else 0):
            sel = np.nonzero(position == j)[0]
            sel = sel[np.argsort(rank[seg[sel]])]
            self.columns.append((gam[sel], enc[sel, 0], enc[sel, 1], len(sel)))
        self.M = M

    def monomials(self, h: Interval) -> Interval:
        """Enclosures of h^beta for every beta (squares kept non-negative), shape (B, M)."""
        return _powers(h, self.betas, _plan(self.betas))

    def __call__(self, c: np.ndarray) -> Interval:
        """b_{r, beta}(c) enclosures, shape (B, R, M)."""
        B = len(c)
        V = _powers(Interval(c), self.gammas, self.gamma_plan)
        nseg = self.R * self.M
        lo, hi = np.zeros((B, nseg)), np.zeros((B, nseg))
        v_lo, v_hi = np.broadcast_to(V.lo, V.shape), np.broadcast_to(V.hi, V.shape)
        for g, w_lo, w_hi, k in self.columns:  # Interval's product and sum on bare arrays (the same operations)
            p_lo, p_hi = product_bounds(v_lo[:, g], v_hi[:, g], w_lo, w_hi)
            lo[:, :k] = np.nextafter(lo[:, :k] + p_lo, -np.inf)
            hi[:, :k] = np.nextafter(hi[:, :k] + p_hi, np.inf)
        out_lo, out_hi = np.empty_like(lo), np.empty_like(hi)
        out_lo[:, self.order_seg], out_hi[:, self.order_seg] = lo, hi
        return Interval(out_lo.reshape(B, self.R, self.M), out_hi.reshape(B, self.R, self.M))


def _plan(exponents: list[tuple[int, ...]]) -> list[tuple[int, int]]:
    """For each exponent (sorted by degree): (slot of parent, variable) or (-1, -1) for the constant."""
    slot = {e: j for j, e in enumerate(exponents)}
    plan = []
    for e in exponents:
        if sum(e) == 0:
            plan.append((-1, -1))
            continue
        up, v = parent(e)
        if up not in slot:
            raise PolyapproxError("internal: exponent set is not closed under taking parents")
        plan.append((slot[up], v))
    return plan


def _powers(x: Interval, exponents: list[tuple[int, ...]], plan: list[tuple[int, int]]) -> Interval:
    """x^e for each exponent (x: (B, N) intervals); even powers of one variable use squares."""
    B = x.shape[0]
    lo, hi = np.empty((B, len(exponents))), np.empty((B, len(exponents)))
    for j, (e, (up, v)) in enumerate(zip(exponents, plan)):
        if up < 0:
            lo[:, j] = hi[:, j] = 1.0
            continue
        if sum(e) == e[v] and e[v] % 2 == 0:  # a pure even power x_v^(2m) = (x_v^m)^2 >= 0
            half = e[:v] + (e[v] // 2,) + e[v + 1 :]
            base = Interval(lo[:, exponents.index(half)], hi[:, exponents.index(half)])
            p = base.square()
        else:
            p = Interval(lo[:, up], hi[:, up]) * x[:, v]
        lo[:, j], hi[:, j] = p.lo, p.hi
    return Interval(lo, hi)


def _as_target(target: Any) -> Any:
    """A registered name, a target expression or a ``Target`` as a ``Target`` (``module:function`` is refused)."""
    from .._targets.resolve import resolve

    if isinstance(target, (str, targets.Target)):
        return resolve(target)
    raise PolyapproxError(
        f"target must be a registered name, a target expression or a Target; got {type(target).__name__}"
    )


class _BoxBounder:
    """Rigorous bounds of max_{i,c} |S - f| on a batch of boxes (lo, hi) of shape (B, n*d).

    S's Taylor expansion at the centre is exact (S is a polynomial; :class:`_ShiftedPolynomial`);
    f is a Taylor model of ``order`` over the box (:meth:`_target_model`), subtracted
    coefficient by coefficient, with the second-order jets and then plain intervals as the
    fallbacks the module docstring describes.
    """

    def __init__(
        self, model: Any, target: Any, n: int, d: int, order: int | None = None, deadline: _Deadline | None = None
    ) -> None:
        """``deadline``: building stops with :class:`TimeLimitExpired` when it runs out (the optional time limit)."""
        self.target, self.n, self.d, self.d_out = target, n, d, model.d_out
        self.N = n * d
        rows = _row_polynomials(model.representation, n)
        self.order = taylor_order(rows, self.N) if order is None else order
        self.shifted = _ShiftedPolynomial(rows, self.N, self.order, deadline)
        self.mono = TaylorMonomials(self.N, self.order)
        self.tm_slots = np.array([self.shifted.beta_slot[e] for e in self.mono.exponents])
        self.values = _ShiftedPolynomial(rows, self.N, -1)
        self.smooth = True
        self.taylor = True  # f as a Taylor model of ``order`` (else second-order jets, else plain intervals)
        k, l = Jet.pair_index(self.N)
        slot = self.shifted.beta_slot
        unit = [tuple(int(j == q) for j in range(self.N)) for q in range(self.N)]
        self.grad_slots = np.array([slot[u] for u in unit])
        self.hess_slots = np.array([slot[tuple(a + b for a, b in zip(unit[p], unit[q]))] for p, q in zip(k, l)])
        self.hess_diag = k == l
        self.centre: Interval | None = None  # after ``enclosure``: e at the box centres, when available

    def enclosure(self, lo: np.ndarray, hi: np.ndarray) -> Interval:
        """Enclosures (B, n*d_out) of the error rows (S - f)_r over each box (rows r = i * d_out + c).

        Computed ``_BLOCK`` boxes at a time (each box's bound is independent of the others, so the
        blocks change no bit; small blocks keep the Taylor models' arrays in the CPU caches)."""
        parts, centres = [], []
        for s in range(0, max(len(lo), 1), _BLOCK):
            parts.append(self._enclosure(lo[s : s + _BLOCK], hi[s : s + _BLOCK]))
            centres.append(self.centre)
        if len(parts) == 1:
            return parts[0]
        first = centres[0]
        self.centre = None if any(c is None for c in centres) or first is None else first.concatenate(centres[1:], 0)
        return parts[0].concatenate(parts[1:], 0)

    def _enclosure(self, lo: np.ndarray, hi: np.ndarray) -> Interval:
        """:meth:`enclosure` of one block of boxes."""
        B, n, d, d_out = len(lo), self.n, self.d, self.d_out
        self.centre = None
        c = (lo + hi) * 0.5  # a float inside [lo, hi] (2lo <= fl(lo + hi) <= 2hi; halving is exact)
        h = Interval(np.nextafter(lo - c, -np.inf), np.nextafter(hi - c, np.inf))
        coef = self.shifted(c)  # (B, R, M), rows r = i * d_out + out
        coef_lo, coef_hi = coef.lo, coef.hi
        plain = None
        f_tm = self._target_model(c, h) if self.taylor else None
        if f_tm is not None:
            R = n * d_out
            coef_lo, coef_hi = coef_lo.copy(), coef_hi.copy()
            s = self.tm_slots
            diff = Interval(coef_lo[:, :, s], coef_hi[:, :, s]) - f_tm.full().reshape((B, R, self.mono.M))
            coef_lo[:, :, s], coef_hi[:, :, s] = diff.lo, diff.hi
            rem = f_tm.rem.reshape((B, R))
            # slot 0 minus f's remainder encloses e(c): a free lower bound at the centre
            self.centre = Interval(coef_lo[:, :, 0], coef_hi[:, :, 0]) - rem
            hm = self.shifted.monomials(h)
            terms = Interval(coef_lo, coef_hi) * Interval(hm.lo[:, None, :], hm.hi[:, None, :])
            return terms.sum(-1) - rem
        if self.smooth:
            try:
                f_c = self.target.interval(Jet.variables(Interval(c), order=1).reshape((B, n, d)))
                f_B = self.target.interval(Jet.variables(Interval(lo, hi), order=2).reshape((B, n, d)))
            except NotSmoothError:
                self.smooth = False
        if self.smooth:
            R = n * d_out
            f_val = f_c.value.reshape((B, R))
            f_grad = f_c.grad.reshape((B, R, self.N))
            f_hess = f_B.hess.reshape((B, R, len(self.hess_slots)))
            half = np.where(self.hess_diag, 0.5, 1.0)  # exact scaling of the diagonal
            f_hess = Interval(f_hess.lo * half, f_hess.hi * half)  # halving: exact barring underflow
            f_hess = Interval(np.nextafter(f_hess.lo, -np.inf), np.nextafter(f_hess.hi, np.inf))
            coef_lo, coef_hi = coef_lo.copy(), coef_hi.copy()
            for slots, part in (
                (np.array([0]), Interval(f_val.lo[..., None], f_val.hi[..., None])),
                (self.grad_slots, f_grad),
                (self.hess_slots, f_hess),
            ):
                diff = Interval(coef_lo[:, :, slots], coef_hi[:, :, slots]) - part
                coef_lo[:, :, slots], coef_hi[:, :, slots] = diff.lo, diff.hi
            # the constant Taylor coefficient (slot 0) encloses e(c): a free lower bound at the centre
            self.centre = Interval(coef_lo[:, :, 0].copy(), coef_hi[:, :, 0].copy())
        else:
            plain = self.target.interval(Interval(lo, hi).reshape((B, n, d))).reshape((B, n * d_out))
        hm = self.shifted.monomials(h)  # (B, M)
        terms = Interval(coef_lo, coef_hi) * Interval(hm.lo[:, None, :], hm.hi[:, None, :])
        total = terms.sum(-1)  # (B, R)
        if plain is not None:
            total = total - plain
        return total

    def points(self, P: np.ndarray) -> Interval:
        """Enclosures (b, n*d_out) of the error rows at float points P (b, n*d): S exactly, f in intervals."""
        b = len(P)
        S = self.values(P)  # (b, R, 1)
        f = self.target.interval(Interval(P).reshape((b, self.n, self.d))).reshape((b, self.n * self.d_out))
        return Interval(S.lo[:, :, 0], S.hi[:, :, 0]) - f

    def _target_model(self, c: np.ndarray, h: Interval) -> TaylorModel | None:
        """f over the boxes c + h as a Taylor model of ``order`` (None when the target has none)."""
        B = len(c)
        try:
            X = TaylorModel.variables(c, h, self.mono).reshape((B, self.n, self.d))
            out = self.target.interval(X)
        except NotSmoothError:
            out = None
        if not isinstance(out, TaylorModel) or out.shape != (B, self.n, self.d_out):
            self.taylor = False
            return None
        return out


#: boxes per block of :meth:`_BoxBounder.enclosure` (measured: 128 to 256 are fastest, 1.3 to 1.8x faster
#: than 2,048 at (4,2,4), (5,1,6), (3,2,6))
_BLOCK = 128

#: the highest order of the target's Taylor models for N <= 3 variables and above (one product costs
#: C(2N + K, K) coefficient products; measured: (3,1,8) is fastest at K = 6, (4,1,8) and (5,1,6) at 4,
#: (3,2,6) reaches ratio 1.02 in 1,388 boxes at K = 4 but only 3.4 after 5,000 at K = 3)
_MAX_ORDER_FEW, _MAX_ORDER = 6, 4


def taylor_order(rows: list[dict[tuple[int, ...], Fraction]], N: int) -> int:
    """The order K of the target's Taylor models: S's degree, at least 2, at most the cap for N variables."""
    degree = max((sum(a) for row in rows for a in row), default=0)
    return int(min(max(degree, 2), _MAX_ORDER_FEW if N <= 3 else _MAX_ORDER))


def _contract(lo: np.ndarray, hi: np.ndarray, n: int, d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shrink boxes to their intersection with x_{1,1} <= ... <= x_{n,1}; mask of non-empty ones."""
    lo, hi = lo.copy(), hi.copy()
    first = np.arange(n) * d
    lo[:, first] = np.maximum.accumulate(lo[:, first], axis=1)
    hi[:, first] = np.minimum.accumulate(hi[:, first][:, ::-1], axis=1)[:, ::-1]
    return lo, hi, np.all(lo <= hi, axis=1)


def _split(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bisect every box along its widest side (the first one); the two halves share the float midpoint.

    The lower halves come first, then the upper halves, in the order of the boxes."""
    rows = np.arange(len(lo))
    k = _split_axes(lo, hi)
    mid = (lo[rows, k] + hi[rows, k]) * 0.5
    lo2, hi2 = lo.copy(), hi.copy()
    hi1 = hi.copy()
    hi1[rows, k] = mid
    lo2[rows, k] = mid
    return np.concatenate([lo, lo2]), np.concatenate([hi1, hi2])


def _split_axes(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The axis :func:`_split` bisects each box along: its widest side, the first of equal ones."""
    return np.argmax(hi - lo, axis=1)


class _Tree:
    """The bisection tree of a branch and bound (kept for certificates): node ids with their parent,
    the axis the parent was split along and the side (0 lower, 1 upper half); roots are grid cells."""

    def __init__(self, cells: np.ndarray) -> None:
        self.parent, self.axis, self.side = [np.full(len(cells), -1)], [np.full(len(cells), -1)], [cells]
        self.count = len(cells)

    def add(self, parents: np.ndarray, axes: np.ndarray, sides: np.ndarray) -> np.ndarray:
        ids = np.arange(self.count, self.count + len(parents))
        self.parent.append(parents)
        self.axis.append(axes)
        self.side.append(sides)
        self.count += len(parents)
        return ids

    def nested(self, leaves: np.ndarray, bounds: np.ndarray) -> dict[int, Any]:
        """Per grid cell (root), the subtree: a leaf is its bound (float hex), an inner node
        [axis, lower half, upper half] (None for a half dropped as outside the sorted region)."""
        parent, axis, side = (np.concatenate(a) for a in (self.parent, self.axis, self.side))
        children: dict[int, list[Any]] = {}
        for node in range(len(parent)):
            if parent[node] >= 0:
                entry = children.setdefault(int(parent[node]), [int(axis[node]), None, None])
                entry[1 + int(side[node])] = node
        bound = {int(j): float(b).hex() for j, b in zip(leaves, bounds)}

        def build(node: int) -> Any:
            if node in bound:
                return bound[node]
            k, a, b = children[node]
            return [k, None if a is None else build(a), None if b is None else build(b)]

        return {int(side[root]): build(root) for root in range(len(self.parent[0]))}


_MAX_BOXES = 10**9  # beyond this a budget is a typo, not a plan (a box is ~100 bytes to ~1 MB of work)
_MAX_BATCH = 2**20


@dataclass(frozen=True)
class CertificationBudget:
    """The stopping rule and the work limits of a certification, shared by every certifier.

    The search stops when every box is final or the work budget is spent, so the result depends
    only on the model, the target, the seed and this budget, never on the machine's speed or load.

    Parameters
    ----------
    max_boxes : int, default 200000
        Most boxes to bound (the work budget).
    ratio : float, default 1.5
        A box is final when its bound is <= max(ratio * lower, atol); ratio >= 1.
    atol : float, default 0.0
        The absolute level of the same rule.
    batch : int or None, default None
        Boxes bounded per vectorised step (None: the certifier's default). Part of the result:
        the boxes split in a step depend on it.
    time_limit : float or None, default None
        Optional wall-clock safety stop in seconds for interactive use, checked between pieces
        of work that shrink as the limit nears (and while the model is expanded before the first
        box); a result cut short by it is rigorous but not reproducible.

    Examples
    --------
    >>> CertificationBudget(max_boxes=10_000, ratio=1.2)
    CertificationBudget(max_boxes=10000, ratio=1.2, atol=0.0, batch=None, time_limit=None)
    >>> CertificationBudget(ratio=0.5)  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
        ...
    PolyapproxError: ratio must be a finite number >= 1 (stop when upper <= ratio * lower); got 0.5
    """

    max_boxes: int = 200_000
    ratio: float = 1.5
    atol: float = 0.0
    batch: int | None = None
    time_limit: float | None = None

    def __post_init__(self) -> None:
        _positive_int("max_boxes", self.max_boxes, _MAX_BOXES)
        if self.batch is not None:
            _positive_int("batch", self.batch, _MAX_BATCH)
        ratio, atol = _real("ratio", self.ratio), _real("atol", self.atol)
        if not (np.isfinite(ratio) and ratio >= 1):
            raise PolyapproxError(
                f"ratio must be a finite number >= 1 (stop when upper <= ratio * lower); got {self.ratio!r}"
            )
        if not (np.isfinite(atol) and atol >= 0):
            raise PolyapproxError(f"atol must be a finite number >= 0; got {self.atol!r}")
        if self.time_limit is not None:
            limit = _real("time_limit", self.time_limit)
            if not (np.isfinite(limit) and limit > 0):
                raise PolyapproxError(f"time_limit must be None or a finite number of seconds > 0; got {limit!r}")
            object.__setattr__(self, "time_limit", limit)
        object.__setattr__(self, "ratio", ratio)
        object.__setattr__(self, "atol", atol)

    def threshold(self, lower: float) -> float:
        """Bound at or below which a box is final, given the best lower bound so far."""
        return max(self.ratio * lower, self.atol)

    def take(self, pending: int, boxes: int, batch: int) -> int:
        """How many of the worst pending boxes to bisect next (within the batch and the box budget)."""
        return min(pending, max(1, batch // 2), max(1, (self.max_boxes - boxes + 1) // 2))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _positive_int(name: str, value: Any, most: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise PolyapproxError(f"{name} must be an integer; got {value!r:.60}")
    if not 1 <= int(value) <= most:
        raise PolyapproxError(f"{name} must be between 1 and {most:,}; got {value!r}")
    return int(value)


def _real(name: str, value: Any) -> float:
    if isinstance(value, bool):
        raise PolyapproxError(f"{name} must be a number; got {value!r:.60}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise PolyapproxError(f"{name} must be a number; got {value!r:.60}") from None


def _budget(budget: CertificationBudget | None, default_batch: int) -> tuple[CertificationBudget, int]:
    """The budget (default ``CertificationBudget()``) and the batch size it gives this certifier."""
    if budget is None:
        budget = CertificationBudget()
    if not isinstance(budget, CertificationBudget):
        raise PolyapproxError(f"budget must be a CertificationBudget; got {type(budget).__name__}")
    return budget, default_batch if budget.batch is None else budget.batch


#: the clock of the optional time limit (a test replaces it by one that counts boxes)
_clock = time.perf_counter


class _Deadline:
    """The optional wall-clock safety stop: ``expired()`` is always False without a time limit.

    The searches look at it between pieces of work (:meth:`pieces`: sample points, the initial
    grid's boxes, every bisection round's boxes; each round of the lower bound's local search) and
    while the polynomial bounder expands the model's Taylor coefficients (:class:`TimeLimitExpired`).
    """

    def __init__(self, time_limit: float | None) -> None:
        self.start = _clock()
        self.end = None if time_limit is None else self.start + time_limit
        self.per_item: dict[str, float] = {}  # seconds per box, per point, as last measured

    def expired(self) -> bool:
        return self.end is not None and _clock() > self.end

    def pieces(self, start: int, stop: int, items: str = "boxes") -> Iterator[tuple[int, int]]:
        """Ranges (a, b) covering start..stop, to look at the clock between: all at once without a
        time limit; else pieces of at most ``_TIMED_STEP`` items, each sized from the time per item
        (of this kind) measured on the previous piece to take at most half the time left (the
        first piece is one item), so the search stops at most about one item's time after the
        limit. Only the timing depends on the sizes: the items and their order do not."""
        if self.end is None:
            yield start, stop
            return
        while start < stop:
            per = self.per_item.get(items)
            size = 1 if per is None else int(0.5 * (self.end - _clock()) / max(per, 1e-9))
            size = max(1, min(size, _TIMED_STEP, stop - start))
            began = _clock()
            yield start, start + size
            self.per_item[items] = (_clock() - began) / size
            start += size


def _certifiable_target(target: Any, d: int, d_out: int) -> Any:
    """The target (name or ``Target``), checked to have an interval evaluation and the model's d and d_out."""
    t = _as_target(target)
    if t.interval is None:
        raise PolyapproxError(
            f"target {t.name!r} has no interval evaluation (only registered targets and target expressions "
            "have one; module:function code has none), so its error cannot be certified"
        )
    t.check_d(d)
    if t.output_dim(d) != d_out:
        raise PolyapproxError(f"target {t.name!r} has d_out = {t.output_dim(d)} but the model has {d_out}")
    return t


@dataclass
class _SearchState:
    """The boxes still open in a branch and bound, their bounds, and the best lower bound found."""

    lo: np.ndarray
    hi: np.ndarray
    ub: np.ndarray
    lower: float
    witness: np.ndarray
    boxes: int = 0
    done_max: float = -np.inf
    stopped: bool = False  # the optional time limit cut the search short
    node: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))  # tree node of each box
    polished: np.ndarray | None = None  # the witness a pattern search (:func:`_polish`) last ended at

    def finalise(self, budget: CertificationBudget) -> np.ndarray:
        """Close the boxes whose bound meets the stopping rule; returns the mask of the ones kept."""
        final = self.ub <= budget.threshold(self.lower)
        if final.any():
            self.done_max = max(self.done_max, float(self.ub[final].max()))
        return ~final

    def upper(self) -> float:
        """The largest bound over the closed and the pending boxes: rigorous whenever the search stops."""
        return max(self.done_max, float(self.ub.max()) if len(self.ub) else -np.inf)

    def offer(self, values: np.ndarray, points: np.ndarray) -> None:
        """Raise the lower bound to the best of ``values`` (rigorous lower bounds of E at ``points``)."""
        if len(values):
            j = int(np.argmax(values))  # the first of equal maxima: deterministic
            if values[j] > self.lower:
                self.lower, self.witness = float(values[j]), points[j].copy()


class _Bounder(Protocol):
    """What the branch and bound needs of a certifier: enclosures of the error rows on boxes.

    ``enclosure(lo, hi)`` returns an interval (B, R) holding (S - f)(X)_r for every X in each box
    (B, n*d); on a point box (lo = hi) it encloses the error at that point. A bounder may also
    leave in ``centre`` the enclosures (B, R) of the error at the box centres (lo + hi) / 2, and
    offer a cheaper ``points(P)`` for enclosures at points.
    """

    def enclosure(self, lo: np.ndarray, hi: np.ndarray) -> Interval: ...


def _mig(x: Interval) -> np.ndarray:
    """min |x| over each interval (0 where it holds 0 or is NaN): a rigorous lower bound of |x|."""
    m = np.where((x.lo > 0) | (x.hi < 0), np.minimum(np.abs(x.lo), np.abs(x.hi)), 0.0)
    return np.where(np.isnan(m), 0.0, m)


def point_lower(bounder: _Bounder, points: np.ndarray) -> np.ndarray:
    """Rigorous lower bounds of E = max_r |S - f|_r at float points (b, n*d): the enclosure's lower end."""
    if not len(points):
        return np.empty(0)
    at_points = getattr(bounder, "points", None)
    enclosure = at_points(points) if at_points is not None else bounder.enclosure(points, points)
    return _mig(enclosure).max(axis=1)


def box_upper(bounder: _Bounder, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Rigorous upper bounds of E on boxes (B, n*d) (+inf where the enclosure is unbounded)."""
    return bounder.enclosure(lo, hi).mag().max(axis=1)


#: how many of a batch's boxes (those with the largest bounds) have their centre evaluated for the lower bound
_PROBES = 16
#: the most boxes bounded between two looks at the clock when a time limit is set (the batch still sets the work)
_TIMED_STEP = 128


def _grid_edges(N: int, domain: tuple[float, float], count: int) -> np.ndarray:
    """Edges of the initial grid: at most ``count`` boxes, <= 8 per axis, the same on every axis."""
    per_axis = max(1, int(np.floor(max(count, 1) ** (1.0 / N) + 1e-9)))
    per_axis = min(per_axis, 8)
    edges = np.linspace(domain[0], domain[1], per_axis + 1)
    edges[0], edges[-1] = domain  # exactly the domain's ends
    return edges


def _initial_boxes(n: int, d: int, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The grid cells on ``edges`` (row-major cell order), contracted to sorted tokens; the kept cells' indices."""
    N, per_axis = n * d, len(edges) - 1
    grids = np.stack(np.meshgrid(*([np.arange(per_axis)] * N), indexing="ij"), -1).reshape(-1, N)
    lo, hi, keep = _contract(edges[grids], edges[grids + 1], n, d)
    return lo[keep], hi[keep], np.nonzero(keep)[0]


@dataclass(frozen=True)
class _Outcome:
    """What a branch and bound found: the certified interval, the work done, the final boxes."""

    lower: float
    witness: np.ndarray
    upper: float
    boxes: int
    pending: int
    reached: bool
    stopped: bool
    edges: np.ndarray | None = None  # the initial grid's edges
    tree: dict[int, Any] | None = None  # with keep_partition: the bisection tree (:meth:`_Tree.nested`)


def branch_and_bound(
    bounder: _Bounder,
    *,
    n: int,
    d: int,
    domain: tuple[float, float],
    lower: float,
    witness: np.ndarray,
    budget: CertificationBudget,
    batch: int,
    keep_partition: bool = False,
    deadline: _Deadline | None = None,
) -> _Outcome:
    """Branch and bound over sorted-token boxes of ``domain``^(n x d) (module docstring).

    Deterministic: boxes are bisected in a fixed order (largest bound first, ties by position),
    ``batch`` at a time, until every box is final or ``budget.max_boxes`` boxes have been bounded;
    the optional ``budget.time_limit`` is checked between batches. ``upper`` is the largest bound
    of every final box and of every box left pending, so it stays rigorous when the search stops
    early. With ``keep_partition`` the leaf boxes (a cover of the sorted-token region) and their
    bounds are returned too.
    """
    deadline = deadline or _Deadline(budget.time_limit)
    edges = _grid_edges(n * d, domain, min(batch, budget.max_boxes))
    lo, hi, cells = _initial_boxes(n, d, edges)
    state = _SearchState(lo, hi, np.empty(0), lower, witness)
    tree = _Tree(cells) if keep_partition else None
    state.node = np.arange(len(lo))
    state.ub = _bound(state, bounder, lo, hi, np.full(len(lo), np.inf), batch, deadline)  # inf: no bound yet
    leaves: list[tuple[np.ndarray, np.ndarray]] = []
    while True:
        _polish(state, bounder, domain, deadline)
        keep = state.finalise(budget)
        leaves.append((state.node[~keep], state.ub[~keep]))
        state.lo, state.hi, state.ub, state.node = state.lo[keep], state.hi[keep], state.ub[keep], state.node[keep]
        if not len(state.lo) or state.boxes >= budget.max_boxes or state.stopped:
            break
        _bisect_worst(state, bounder, budget, batch, deadline, n, d, tree)
    upper = state.upper()
    if upper == -np.inf:  # every box was empty (cannot happen for a non-empty cube)
        upper = 0.0
    reached = bool(len(state.lo) == 0 and upper <= budget.threshold(state.lower))
    nested = None
    if tree is not None:
        leaves.append((state.node, state.ub))
        nested = tree.nested(np.concatenate([a for a, _ in leaves]), np.concatenate([b for _, b in leaves]))
    return _Outcome(
        float(state.lower),
        state.witness,
        float(upper),
        int(state.boxes),
        len(state.lo),
        reached,
        state.stopped,
        edges,
        nested,
    )


def _bound(
    state: _SearchState,
    bounder: _Bounder,
    lo: np.ndarray,
    hi: np.ndarray,
    parent_ub: np.ndarray | None,
    batch: int,
    deadline: _Deadline,
) -> np.ndarray:
    """Upper bounds of the boxes, batch by batch; probes the worst centres of each batch for the lower bound.

    When the time limit expires between batches, the boxes not yet bounded keep their parent's
    bound (``parent_ub``: valid, since a half lies inside its parent) and ``state.stopped`` is set.
    """
    ub = np.empty(len(lo)) if parent_ub is None else parent_ub.copy()
    free = hasattr(bounder, "centre")
    for s in range(0, len(lo), batch):
        done = s
        for t, u in deadline.pieces(s, min(s + batch, len(lo))):  # finer pieces under a time limit
            if parent_ub is not None and deadline.expired():
                state.stopped = True
                break
            b_lo, b_hi = lo[t:u], hi[t:u]
            ub[t:u] = box_upper(bounder, b_lo, b_hi)
            state.boxes, done = state.boxes + len(b_lo), t + len(b_lo)
            centre = getattr(bounder, "centre", None)
            if centre is not None:  # every centre, at no extra cost
                state.offer(_mig(centre).max(axis=1), (b_lo + b_hi) * 0.5)
        if not free or getattr(bounder, "centre", None) is None:
            worst = s + np.argsort(-ub[s:done], kind="stable")[:_PROBES]
            centres = (lo[worst] + hi[worst]) * 0.5
            state.offer(point_lower(bounder, centres), centres)
        if state.stopped:
            break
    return ub


#: scales of the pattern search around the witness, as fractions of the domain's width
_POLISH_SCALES = 2.0 ** -np.arange(3, 23)


def _polish(
    state: _SearchState,
    bounder: _Bounder,
    domain: tuple[float, float],
    deadline: _Deadline | None = None,
    rounds: int = 6,
) -> None:
    """Raise the lower bound by a pattern search around the witness (deterministic local ascent).

    Each round evaluates (rigorously) the points witness +- s e_k for every coordinate k and the
    scales s of ``_POLISH_SCALES`` (clipped to the domain) and moves to the best while it improves;
    an expired ``deadline`` ends it between rounds.
    """
    if not len(state.witness) or state.polished is state.witness:
        return  # the search from this witness already ended without a better point: it would again
    N = state.witness.size
    steps = (domain[1] - domain[0]) * _POLISH_SCALES
    moves = np.concatenate(
        [np.eye(N)[:, None, :] * steps[None, :, None], -np.eye(N)[:, None, :] * steps[None, :, None]]
    )
    moves = moves.reshape(-1, N)
    for _ in range(rounds):
        if deadline is not None and deadline.expired():
            state.stopped = True
            break
        points = np.clip(state.witness.reshape(1, N) + moves, domain[0], domain[1])
        before = state.lower
        state.offer(point_lower(bounder, points), points)
        if not state.lower > before:
            state.polished = state.witness  # offer replaces the witness array when it improves
            break


def _bisect_worst(
    state: _SearchState,
    bounder: _Bounder,
    budget: CertificationBudget,
    batch: int,
    deadline: _Deadline,
    n: int,
    d: int,
    tree: _Tree | None = None,
) -> None:
    """Bisect the boxes with the largest bounds, contract the halves to sorted tokens and bound them."""
    order = np.argsort(-state.ub, kind="stable")
    take = budget.take(len(state.lo), state.boxes, batch)
    pick, rest = order[:take], order[take:]
    axes = _split_axes(state.lo[pick], state.hi[pick])
    c_lo, c_hi = _split(state.lo[pick], state.hi[pick])
    parent = np.concatenate([state.ub[pick], state.ub[pick]])
    c_lo, c_hi, keep = _contract(c_lo, c_hi, n, d)
    c_lo, c_hi, parent = c_lo[keep], c_hi[keep], parent[keep]
    c_node = np.full(len(c_lo), -1)
    if tree is not None:
        sides = np.repeat([0, 1], take)[keep]
        c_node = tree.add(np.concatenate([state.node[pick]] * 2)[keep], np.concatenate([axes, axes])[keep], sides)
    c_ub = _bound(state, bounder, c_lo, c_hi, parent, batch, deadline) if len(c_lo) else np.empty(0)
    state.lo, state.hi = np.concatenate([state.lo[rest], c_lo]), np.concatenate([state.hi[rest], c_hi])
    state.ub = np.concatenate([state.ub[rest], c_ub])
    state.node = np.concatenate([state.node[rest], c_node])


def _sampled_lower(
    bounder: _Bounder,
    n: int,
    d: int,
    domain: tuple[float, float],
    samples: int,
    seed: int,
    batch: int,
    deadline: _Deadline | None = None,
) -> tuple[float, np.ndarray]:
    """The best rigorous lower bound of E over ``samples`` seeded uniform points of the cube, and its point."""
    rng = np.random.default_rng(seed)
    points = rng.uniform(domain[0], domain[1], size=(max(samples, 1), n * d))
    best, witness = 0.0, points[0]  # E >= 0 everywhere: 0 is a lower bound at any point
    deadline = deadline or _Deadline(None)
    for b in range(0, len(points), batch):
        for s, u in deadline.pieces(b, min(b + batch, len(points)), "points"):
            if deadline.expired():
                return best, witness
            values = point_lower(bounder, points[s:u])
            j = int(np.argmax(values))
            if values[j] > best:
                best, witness = float(values[j]), points[s + j]
    return best, witness


def _certify_by_search(
    bounder: _Bounder,
    n: int,
    d: int,
    domain: tuple[float, float],
    samples: int,
    seed: int,
    budget: CertificationBudget,
    batch: int,
    target: str,
    keep_partition: bool = False,
    deadline: _Deadline | None = None,
) -> tuple[CertifiedResult, _Outcome]:
    """The certified interval for sup E: a seeded sampled lower bound, then branch and bound.

    Every lower bound is the lower end of a rigorous enclosure of E at a float point, so
    ``lower`` <= E(witness) <= sup E exactly.
    """
    start = _clock() if deadline is None else deadline.start
    lower, witness = _sampled_lower(bounder, n, d, domain, samples, seed, batch, deadline)
    outcome = branch_and_bound(
        bounder,
        n=n,
        d=d,
        domain=domain,
        lower=lower,
        witness=witness,
        budget=budget,
        batch=batch,
        keep_partition=keep_partition,
        deadline=deadline,
    )
    return _certified_result(outcome, n, d, budget, start, target), outcome


def _certified_result(
    outcome: _Outcome, n: int, d: int, budget: CertificationBudget, start: float, target: str
) -> CertifiedResult:
    """The result of a search, timed from ``start``."""
    return CertifiedResult(
        lower=float(outcome.lower),
        witness=np.asarray(outcome.witness, dtype=float).reshape(n, d),
        upper=float(outcome.upper),
        boxes=int(outcome.boxes),
        reached=bool(outcome.reached),
        seconds=_clock() - start,
        budget=budget,
        pending=int(outcome.pending),
        target=target,
        stopped_by_time=bool(outcome.stopped),
    )


def certified_sup_error(
    model: Any,
    target: Any,
    budget: CertificationBudget | None = None,
    *,
    seed: int = 0,
    samples: int = 1024,
    domain: tuple[float, float] | None = None,
    certificate: str | os.PathLike[str] | None = None,
    model_file: str | os.PathLike[str] | None = None,
) -> CertifiedResult:
    """Bound sup_X max_{i,c} |S(X)_ic - f(X)_ic| rigorously by an interval [lower, upper].

    Branch and bound over boxes of the domain with interval enclosures of S - f: ``upper`` is the
    largest enclosure over the boxes left (rigorous even when the budget ends the search, then
    ``reached`` is False); ``lower`` is the lower end of an outward-rounded enclosure of the error
    at ``witness``. The same model, target, budget and seed give the same result bit for bit on
    any machine and under any load.

    Shapes: ``witness`` is (n, d).

    Parameters
    ----------
    model : PolynomialSumformer
        A continuous polynomial Sumformer (``continuous.approximate`` or ``from_representation``).
    target : str or Target
        A registered name, a target expression, or a ``Target`` with an interval evaluation.
    budget : CertificationBudget or None, default None
        Stopping ratio and work limits (default ``CertificationBudget()``; batch 2048).
    seed : int, default 0
        Seed of the sampled lower bound (reproducible).
    samples : int, default 1024
        Random sequences evaluated (rigorously) for the first lower bound.
    domain : tuple of float or None, default None
        Box [lo, hi] per coordinate, inside the model's domain; default the model's.
    certificate : str or path-like or None, default None
        Also write a certificate of the upper bound here (JSON; ``tools/check_certificate.py``
        re-verifies it without this toolkit). Targets: gaussian-kernel-sum, times-mean, centered,
        poly-mean-field.
    model_file : str or path-like or None, default None
        The file the model was read from: its sha256 is recorded in the certificate.

    Returns
    -------
    CertifiedResult
        ``lower`` (at its ``witness``) <= sup error <= ``upper``; ``reached`` says whether the ratio was met.

    Examples
    --------
    >>> from constructions import continuous, targets
    >>> S, _ = continuous.approximate(targets.get("times-mean"), n=2, d=1, degree=1, samples=200)
    >>> r = certified_sup_error(S, "times-mean", CertificationBudget(ratio=1.05, max_boxes=20_000))
    >>> r.reached, r.lower <= r.upper <= 1.05 * r.lower
    (True, True)
    """
    deadline = _Deadline(budget.time_limit if isinstance(budget, CertificationBudget) else None)
    if not isinstance(model, PolynomialSumformer):
        raise PolyapproxError(
            "certified_sup_error needs a continuous polynomial Sumformer "
            f"(continuous.approximate / from_representation); got {type(model).__name__}"
        )
    t = _certifiable_target(target, model.d, model.d_out)
    if certificate is not None:
        from .certificate import target_expression

        target_expression(t)  # refuses a target the checker cannot evaluate, before the search
        check_writable(certificate, "certificate")
    budget, batch = _budget(budget, _DEFAULT_BATCH)
    samples = check_int("samples", samples)
    n, d = model.n, model.d
    box = _checked_domain(model.domain, domain)
    check_float_environment()
    try:
        bounder = _BoxBounder(model, t, n, d, deadline=deadline)  # encloses every coefficient: refuses non-finite ones
    except TimeLimitExpired:  # E >= 0 everywhere and no box is bounded: the rigorous interval [0, inf]
        if certificate is not None:
            raise PolyapproxError("time_limit ran out while the model was expanded: no certificate written") from None
        witness = np.full((n, d), box[0])
        return CertifiedResult(0.0, witness, np.inf, 0, False, _clock() - deadline.start, budget, 0, t.name, True)
    check_equivariant(t, n, d, domain=box, seed=seed)  # the symmetry reduction needs it
    result, outcome = _certify_by_search(
        bounder, n, d, box, samples, seed, budget, batch, t.name, certificate is not None, deadline
    )
    if certificate is not None:
        from .certificate import write_sup_certificate

        if not bounder.taylor:
            raise PolyapproxError(f"internal: target {t.name!r} has no Taylor model, so no certificate form")
        write_sup_certificate(certificate, model, t, box, result, outcome, model_file, bounder.order)
    return result


def _checked_domain(model_domain: tuple[Any, Any], domain: tuple[float, float] | None) -> tuple[float, float]:
    """The box [lo, hi] to certify on: ``domain`` (default the model's), which must lie inside the model's."""
    m_lo, m_hi = (float(v) for v in model_domain)
    lo_d, hi_d = (m_lo, m_hi) if domain is None else (float(domain[0]), float(domain[1]))
    if not (np.isfinite(lo_d) and np.isfinite(hi_d) and lo_d < hi_d):
        raise DomainError(f"domain must be finite with lo < hi; got {domain!r}")
    if lo_d < m_lo or hi_d > m_hi:
        raise DomainError(f"the box [{lo_d}, {hi_d}] lies outside the model's domain [{m_lo}, {m_hi}]")
    return lo_d, hi_d
