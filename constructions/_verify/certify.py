"""Certified sup-norm error of a continuous (polynomial) Sumformer: branch and bound over boxes.

For the Sumformer S(X)_i = Psi(x_i, P(X)) of the continuous theorem of Alberti et al. (2023)
and an equivariant target f with an interval evaluation, :func:`certified_sup_error` returns an
interval [lower, upper] that contains

    E* = sup_{X in Omega} E(X),   E(X) = max_{i,c} |S(X)_{ic} - f(X)_{ic}|,   Omega = [lo, hi]^{n x d}.

``lower`` is E at a point (the witness), so lower <= E*. ``upper`` is a maximum of rigorous
per-box bounds over boxes covering a region R on which sup E = E*, so E* <= upper.

Symmetry (why R suffices). S is equivariant for every phi, psi, and f is equivariant, so
E(sigma X) = max_i |(S - f)(X)_{sigma^{-1}(i)}| = E(X): E is invariant under permuting tokens.
Every X in the (permutation-invariant) cube has a permutation sorting its tokens by first
coordinate, so E* = sup over R = {X : x_{1,1} <= x_{2,1} <= ... <= x_{n,1}} (for d = 1: sorted
tokens, 1/n! of the cube). Boxes are contracted to R: on box cap R, x_{j,1} >= max_{i<=j} lo_{i,1}
and x_{j,1} <= min_{i>=j} hi_{i,1}; a box whose contraction is empty misses R and is dropped.

Per-box bound (second-order Taylor form). Let e = S_{ic} - f_{ic} (smooth), B a box, c in B
its centre, h = X - c. Taylor's theorem with the Lagrange remainder on the segment [c, X] in B:
e(X) = e(c) + grad e(c) . h + (1/2) h^T Hess e(xi) h for some xi in B. Hence
e(B) is inside e([c]) + grad e([c]) . [h] + (1/2) [h]^T Hess e(B) [h], evaluated in outward-
rounded interval arithmetic with jets (value, gradient at the point c; Hessian enclosure over B);
the plain interval value S(B) - f(B) is a second valid enclosure and the smaller bound is kept.
The overestimate shrinks like width^3, so boxes near a maximum need little refinement. For a
non-smooth target (max, rank) the bound is S's Taylor enclosure minus the interval f(B).

Branch and bound. Boxes whose bound is <= max((1 + tol) lower, atol) are final; the others are
bisected along their widest side, largest bound first, batch by batch. When ``max_boxes`` or
``time_limit`` runs out the result keeps the largest bound of every box not yet final, so
``upper`` stays rigorous and ``reached`` is False. ``lower`` comes from seeded sampling, the
box centres, and local maximisation.

The model means the exact polynomial (its rational coefficients, each enclosed in a float
interval), not its float64 implementation, whose own rounding is ~1e-15.
"""

from __future__ import annotations

import numbers
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from polyapprox.internal import DomainError, PolyapproxError, check_int, check_nonnegative

from .._common.interval import Interval, Jet, NotSmoothError, check_float_environment, rational_enclosure
from .._common.monomial_plan import parent
from .._sumformers.polynomial import PolynomialSumformer
from .._sumformers.target_checks import check_equivariant
from .._targets import registry as targets
from .sampled import _ErrorOracle, _local_maximise, sup_error

_DEFAULT_BATCH = 2048


@dataclass(frozen=True)
class CertifiedResult:
    """A certified interval: [lower, upper] contains sup_X max_{i,c} |S(X)_ic - f(X)_ic| over the domain.

    Shapes: ``witness`` is (n, d).

    Parameters
    ----------
    lower : float
        Largest error found, attained at ``witness``.
    witness : numpy.ndarray
        The sequence attaining ``lower``.
    upper : float
        Rigorous upper bound.
    boxes : int
        Boxes bounded.
    reached : bool
        Whether upper <= (1 + tol) lower (or upper <= atol).
    seconds : float
        Wall time.
    tol : float
        The relative tolerance asked for.
    pending : int
        Boxes left unresolved when a budget ran out.
    target : str
        Name of the target compared with.

    Examples
    --------
    >>> from constructions import continuous, targets
    >>> S, _ = continuous.approximate(targets.get("centered"), n=2, d=1, degree=1, samples=50)
    >>> r = certified_sup_error(S, "centered", atol=1e-9)
    >>> r.reached, r.lower <= r.upper <= 1e-9, r.witness.shape
    (True, True, (2, 1))
    """

    lower: float
    witness: np.ndarray = field(repr=False)
    upper: float
    boxes: int
    reached: bool
    seconds: float
    tol: float
    pending: int
    target: str

    @property
    def ratio(self) -> float:
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

    S_r(c + h) = sum_beta b_beta(c) h^beta with b_beta(c) = sum_gamma a_{gamma+beta} C(gamma+beta, beta) c^gamma.
    Every exact product a C is enclosed in a float interval, c^gamma is built by interval products.
    """

    def __init__(self, rows: list[dict[tuple[int, ...], Fraction]], N: int) -> None:
        from math import comb

        self.N, self.R = N, len(rows)
        betas: set[tuple[int, ...]] = set()
        entries = []  # (segment key (r, beta), gamma, weight)
        for r, row in enumerate(rows):
            for alpha, a in row.items():
                for beta in np.ndindex(*(k + 1 for k in alpha)):
                    gamma = tuple(x - y for x, y in zip(alpha, beta))
                    weight = a
                    for x, y in zip(alpha, beta):
                        weight *= comb(x, y)
                    betas.add(beta)
                    entries.append(((r, beta), gamma, weight))
        # every beta of order <= 2 takes part (the target's Taylor terms), even where S has none
        for k in range(N):
            betas.add(tuple(int(j == k) for j in range(N)))
            for l in range(k, N):
                betas.add(tuple(int(j == k) + int(j == l) for j in range(N)))
        betas.add((0,) * N)
        self.betas = sorted(betas, key=lambda e: (sum(e), e))
        self.beta_slot = {b: j for j, b in enumerate(self.betas)}
        gammas = sorted({g for _, g, _ in entries} | {(0,) * N}, key=lambda e: (sum(e), e))
        self.gammas = gammas
        self.gamma_plan = _plan(gammas)
        gslot = {g: j for j, g in enumerate(gammas)}
        M = len(self.betas)
        # segments r * M + beta_slot; order entries by segment, then pad-free prefix sums by length
        seg = np.array([r * M + self.beta_slot[b] for (r, b), _, _ in entries], dtype=np.int64)
        gam = np.array([gslot[g] for _, g, _ in entries], dtype=np.int64)
        enc = np.array([rational_enclosure(w) for _, _, w in entries]).reshape(-1, 2)
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
        for g, w_lo, w_hi, k in self.columns:
            prod = V[:, g] * Interval(w_lo, w_hi)
            lo[:, :k] = np.nextafter(lo[:, :k] + prod.lo, -np.inf)
            hi[:, :k] = np.nextafter(hi[:, :k] + prod.hi, np.inf)
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

    S's Taylor expansion at the centre is exact (S is a polynomial; :class:`_ShiftedPolynomial`),
    f's is of second order with a Hessian enclosure over the box (interval jets), so
    e(c + h) = sum_beta (b_beta - f_beta) h^beta with f_beta the value, gradient and (halved on
    the diagonal) Hessian of f for |beta| <= 2 and 0 above.
    """

    def __init__(self, model: Any, target: Any, n: int, d: int) -> None:
        self.target, self.n, self.d, self.d_out = target, n, d, model.d_out
        self.N = n * d
        self.shifted = _ShiftedPolynomial(_row_polynomials(model.representation, n), self.N)
        self.smooth = True
        k, l = Jet.pair_index(self.N)
        slot = self.shifted.beta_slot
        unit = [tuple(int(j == q) for j in range(self.N)) for q in range(self.N)]
        self.grad_slots = np.array([slot[u] for u in unit])
        self.hess_slots = np.array([slot[tuple(a + b for a, b in zip(unit[p], unit[q]))] for p, q in zip(k, l)])
        self.hess_diag = k == l

    def __call__(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        B, n, d, d_out = len(lo), self.n, self.d, self.d_out
        c = (lo + hi) * 0.5  # a float inside [lo, hi] (2lo <= fl(lo + hi) <= 2hi; halving is exact)
        h = Interval(np.nextafter(lo - c, -np.inf), np.nextafter(hi - c, np.inf))
        coef = self.shifted(c)  # (B, R, M), rows r = i * d_out + out
        coef_lo, coef_hi = coef.lo, coef.hi
        plain = None
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
        else:
            plain = self.target.interval(Interval(lo, hi).reshape((B, n, d))).reshape((B, n * d_out))
        hm = self.shifted.monomials(h)  # (B, M)
        terms = Interval(coef_lo, coef_hi) * Interval(hm.lo[:, None, :], hm.hi[:, None, :])
        total = terms.sum(-1)  # (B, R)
        if plain is not None:
            total = total - plain
        return total.mag().max(axis=1)


def _contract(lo: np.ndarray, hi: np.ndarray, n: int, d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shrink boxes to their intersection with x_{1,1} <= ... <= x_{n,1}; mask of non-empty ones."""
    lo, hi = lo.copy(), hi.copy()
    first = np.arange(n) * d
    lo[:, first] = np.maximum.accumulate(lo[:, first], axis=1)
    hi[:, first] = np.minimum.accumulate(hi[:, first][:, ::-1], axis=1)[:, ::-1]
    return lo, hi, np.all(lo <= hi, axis=1)


def _split(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bisect every box along its widest side; the two halves share the float midpoint."""
    rows = np.arange(len(lo))
    k = np.argmax(hi - lo, axis=1)
    mid = (lo[rows, k] + hi[rows, k]) * 0.5
    lo2, hi2 = lo.copy(), hi.copy()
    hi1 = hi.copy()
    hi1[rows, k] = mid
    lo2[rows, k] = mid
    return np.concatenate([lo, lo2]), np.concatenate([hi1, hi2])


@dataclass(frozen=True)
class _Budget:
    """The stopping rule and work limits every certify function takes, checked once.

    A box is final when its bound is <= max((1 + tol) lower, atol); the search stops after
    ``max_boxes`` boxes or ``time_limit`` seconds; boxes are bounded ``batch`` at a time.
    """

    tol: float
    atol: float
    max_boxes: int
    time_limit: float
    batch: int

    @classmethod
    def checked(cls, *, tol: float, atol: float, max_boxes: int, time_limit: float, batch: int) -> _Budget:
        """The budget from the public keyword arguments, refusing negative or non-finite ones."""
        tol, atol = check_nonnegative("tol", tol), check_nonnegative("atol", atol)  # None or text: one line
        if isinstance(time_limit, bool) or not isinstance(time_limit, numbers.Real):
            raise PolyapproxError(f"time_limit must be a number of seconds > 0; got {time_limit!r:.60}")
        time_limit = float(time_limit)
        if not time_limit > 0:
            raise PolyapproxError(f"time_limit must be > 0 seconds; got {time_limit}")
        return cls(tol, atol, check_int("max_boxes", max_boxes), time_limit, check_int("batch", batch))

    def threshold(self, lower: float) -> float:
        """Bound at or below which a box is final, given the best lower bound so far."""
        return max((1.0 + self.tol) * lower, self.atol)

    def spent(self, boxes: int, start: float) -> bool:
        """Whether the box count or the time limit has run out."""
        return boxes >= self.max_boxes or time.perf_counter() - start > self.time_limit

    def take(self, pending: int, boxes: int) -> int:
        """How many of the worst pending boxes to bisect next (within the batch and the box budget)."""
        return min(pending, max(1, self.batch // 2), max(1, (self.max_boxes - boxes + 1) // 2))


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

    def finalise(self, budget: _Budget) -> np.ndarray:
        """Close the boxes whose bound meets the stopping rule; returns the mask of the ones kept."""
        final = self.ub <= budget.threshold(self.lower)
        if final.any():
            self.done_max = max(self.done_max, float(self.ub[final].max()))
        return ~final

    def upper(self) -> float:
        """The largest bound over the closed and the pending boxes: rigorous whenever the search stops."""
        return max(self.done_max, float(self.ub.max()) if len(self.ub) else -np.inf)


def _initial_boxes(n: int, d: int, domain: tuple[float, float], budget: _Budget) -> tuple[np.ndarray, np.ndarray]:
    """A regular grid of at most ``min(batch, max_boxes)`` boxes (<= 8 per axis), contracted to sorted tokens."""
    N = n * d
    per_axis = max(1, int(np.floor(max(min(budget.batch, budget.max_boxes), 1) ** (1.0 / N) + 1e-9)))
    per_axis = min(per_axis, 8)
    edges = np.linspace(domain[0], domain[1], per_axis + 1)
    grids = np.stack(np.meshgrid(*([np.arange(per_axis)] * N), indexing="ij"), -1).reshape(-1, N)
    lo, hi, keep = _contract(edges[grids], edges[grids + 1], n, d)
    return lo[keep], hi[keep]


def branch_and_bound(
    bounder: Callable[[np.ndarray, np.ndarray], np.ndarray],
    point_errors: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
    refine: Callable[[np.ndarray], tuple[float, np.ndarray]] | None,
    *,
    n: int,
    d: int,
    domain: tuple[float, float],
    lower: float,
    witness: np.ndarray,
    budget: _Budget,
    start: float,
) -> tuple[float, np.ndarray, float, int, int, bool]:
    """Branch and bound over sorted-token boxes of ``domain``^(n x d) (module docstring).

    ``bounder(lo, hi)`` returns rigorous per-box upper bounds (B,) of the error on boxes (B, n*d);
    ``point_errors(lo, hi)`` errors at points of the boxes and the points (b, n, d) (lower bounds);
    ``refine(point)`` a local maximisation from a point (value, point), used once when a budget runs out.
    Returns (lower, witness, upper, boxes, pending, reached); ``upper`` is the largest bound of every
    final box and of every box left pending, so it stays rigorous when a budget runs out.
    """
    lo, hi = _initial_boxes(n, d, domain, budget)
    state = _SearchState(lo, hi, np.empty(0), lower, witness, boxes=len(lo))
    state.ub = _bound_and_probe(state, bounder, point_errors, lo, hi, budget.batch)
    refined = refine is None
    while True:
        keep = state.finalise(budget)
        state.lo, state.hi, state.ub = state.lo[keep], state.hi[keep], state.ub[keep]
        if not len(state.lo):
            break
        if budget.spent(state.boxes, start):
            if refined:
                break
            assert refine is not None  # refined starts as (refine is None)
            refined = True  # last chance for the lower bound: local maximisation from the worst boxes
            _refine_from_worst(state, refine, n, d)
            continue
        _bisect_worst(state, bounder, point_errors, budget, n, d)
    upper = state.upper()
    if upper == -np.inf:  # every box was empty (cannot happen for a non-empty cube)
        upper = 0.0
    reached = bool(len(state.lo) == 0 and upper <= budget.threshold(state.lower))
    return float(state.lower), state.witness, float(upper), int(state.boxes), len(state.lo), reached


def _bound_and_probe(
    state: _SearchState,
    bounder: Callable[[np.ndarray, np.ndarray], np.ndarray],
    point_errors: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
    lo: np.ndarray,
    hi: np.ndarray,
    batch: int,
) -> np.ndarray:
    """Upper bounds of the boxes (batch by batch); raises ``state.lower`` to the best point error in them."""
    ub = np.concatenate([bounder(lo[s : s + batch], hi[s : s + batch]) for s in range(0, len(lo), batch)])
    err, C = point_errors(lo, hi)
    j = int(np.argmax(err))
    if err[j] > state.lower:
        state.lower, state.witness = float(err[j]), C[j].copy()
    return ub


def _refine_from_worst(
    state: _SearchState, refine: Callable[[np.ndarray], tuple[float, np.ndarray]], n: int, d: int
) -> None:
    """Local maximisation from the centres of the four boxes with the largest bounds."""
    for j in np.argsort(state.ub)[::-1][:4]:
        value, point = refine(((state.lo[j] + state.hi[j]) * 0.5).reshape(n, d))
        if value > state.lower:
            state.lower, state.witness = value, point


def _bisect_worst(
    state: _SearchState,
    bounder: Callable[[np.ndarray, np.ndarray], np.ndarray],
    point_errors: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
    budget: _Budget,
    n: int,
    d: int,
) -> None:
    """Bisect the boxes with the largest bounds, contract the halves to sorted tokens and bound them."""
    order = np.argsort(state.ub)[::-1]
    take = budget.take(len(state.lo), state.boxes)
    pick, rest = order[:take], order[take:]
    c_lo, c_hi = _split(state.lo[pick], state.hi[pick])
    c_lo, c_hi, keep = _contract(c_lo, c_hi, n, d)
    c_lo, c_hi = c_lo[keep], c_hi[keep]
    c_ub = _bound_and_probe(state, bounder, point_errors, c_lo, c_hi, budget.batch) if len(c_lo) else np.empty(0)
    state.boxes += len(c_lo)
    state.lo, state.hi = np.concatenate([state.lo[rest], c_lo]), np.concatenate([state.hi[rest], c_hi])
    state.ub = np.concatenate([state.ub[rest], c_ub])


def _certify_by_search(
    bounder: Callable[[np.ndarray, np.ndarray], np.ndarray],
    model: Callable[[np.ndarray], np.ndarray],
    reference: Callable[[np.ndarray], np.ndarray],
    n: int,
    d: int,
    domain: tuple[float, float],
    samples: int,
    seed: int,
    budget: _Budget,
    start: float,
    target: str,
) -> CertifiedResult:
    """The certified interval for sup |model - reference|: a seeded sampled lower bound, then branch and bound.

    The search raises the lower bound with the errors at box centres and, once a budget runs
    out, with a local maximisation from the worst boxes.
    """
    sampled = sup_error(
        model,
        reference,
        n,
        d,
        domain=domain,
        samples=samples,
        local_starts=4,
        local_maxiter=50,
        seed=seed,
        equivariance_trials=0,
    )

    def centre_errors(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        C = ((lo + hi) * 0.5).reshape(-1, n, d)
        return np.abs(model(C) - reference(C)).reshape(len(C), -1).max(axis=1), C

    def refine(point: np.ndarray) -> tuple[float, np.ndarray]:
        return _local_maximise(_ErrorOracle(model, reference, n, d, 4096), point, domain[0], domain[1], 50)

    lower, witness = sampled.error, np.asarray(sampled.argmax, dtype=float)
    outcome = branch_and_bound(
        bounder,
        centre_errors,
        refine,
        n=n,
        d=d,
        domain=domain,
        lower=lower,
        witness=witness,
        budget=budget,
        start=start,
    )
    return _certified_result(outcome, n, d, budget.tol, start, target)


def _certified_result(
    outcome: tuple[float, np.ndarray, float, int, int, bool], n: int, d: int, tol: float, start: float, target: str
) -> CertifiedResult:
    """The result of a search (lower, witness, upper, boxes, pending, reached), timed from ``start``."""
    lower, witness, upper, boxes, pending, reached = outcome
    return CertifiedResult(
        lower=float(lower),
        witness=np.asarray(witness).reshape(n, d),
        upper=float(upper),
        boxes=int(boxes),
        reached=bool(reached),
        seconds=time.perf_counter() - start,
        tol=tol,
        pending=int(pending),
        target=target,
    )


def certified_sup_error(
    model: Any,
    target: Any,
    *,
    tol: float = 0.5,
    atol: float = 0.0,
    max_boxes: int = 200_000,
    time_limit: float = 60.0,
    seed: int = 0,
    samples: int = 4096,
    batch: int = _DEFAULT_BATCH,
    domain: tuple[float, float] | None = None,
) -> CertifiedResult:
    """Bound sup_X max_{i,c} |S(X)_ic - f(X)_ic| rigorously by an interval [lower, upper].

    ``model`` is a continuous polynomial Sumformer (``continuous.approximate`` or
    ``from_representation``); ``target`` a registered name or a ``Target`` with an interval
    evaluation. Stops when upper <= (1 + tol) lower (or upper <= atol), after ``max_boxes``
    boxes or ``time_limit`` seconds; in the last two cases ``reached`` is False and ``upper``
    is still a rigorous bound (the largest over the unresolved boxes). ``domain`` (default the
    model's) must lie inside the model's domain. Seeded.

    Shapes: ``witness`` is (n, d).

    Parameters
    ----------
    model : PolynomialSumformer
        A continuous polynomial Sumformer.
    target : str or Target
        A registered name, a target expression, or a ``Target`` with an interval evaluation.
    tol : float, default 0.5
        Stop when upper <= (1 + tol) lower.
    atol : float, default 0.0
        Or when upper <= atol.
    max_boxes : int, default 200000
        Most boxes to split.
    time_limit : float, default 60.0
        Most seconds to spend.
    seed : int, default 0
        Seed of every random choice (reproducible).
    samples : int, default 4096
        Random sequences for the lower bound.
    batch : int, default 2048
        Boxes per vectorised step.
    domain : tuple of float or None, default None
        Box [lo, hi] per coordinate; default the model's.

    Returns
    -------
    CertifiedResult
        ``lower`` (with its ``witness``) <= sup error <= ``upper``; ``reached`` says whether tol was met.

    Examples
    --------
    >>> from constructions import continuous, targets
    >>> S, _ = continuous.approximate(targets.get("times-mean"), n=2, d=1, degree=1, samples=200)
    >>> r = certified_sup_error(S, "times-mean", tol=0.05, max_boxes=20_000)
    >>> r.reached, r.lower <= r.upper <= 1.05 * r.lower
    (True, True)
    """
    start = time.perf_counter()
    if not isinstance(model, PolynomialSumformer):
        raise PolyapproxError(
            "certified_sup_error needs a continuous polynomial Sumformer "
            f"(continuous.approximate / from_representation); got {type(model).__name__}"
        )
    t = _certifiable_target(target, model.d, model.d_out)
    budget = _Budget.checked(tol=tol, atol=atol, max_boxes=max_boxes, time_limit=time_limit, batch=batch)
    samples = check_int("samples", samples)
    n, d = model.n, model.d
    box = _checked_domain(model.domain, domain)
    check_float_environment()
    bounder = _BoxBounder(model, t, n, d)  # encloses every coefficient: refuses non-finite ones
    check_equivariant(t, n, d, domain=box, seed=seed)  # the symmetry reduction needs it
    return _certify_by_search(bounder, model, t.fn, n, d, box, samples, seed, budget, start, t.name)


def _checked_domain(model_domain: tuple[Any, Any], domain: tuple[float, float] | None) -> tuple[float, float]:
    """The box [lo, hi] to certify on: ``domain`` (default the model's), which must lie inside the model's."""
    m_lo, m_hi = (float(v) for v in model_domain)
    lo_d, hi_d = (m_lo, m_hi) if domain is None else (float(domain[0]), float(domain[1]))
    if not (np.isfinite(lo_d) and np.isfinite(hi_d) and lo_d < hi_d):
        raise DomainError(f"domain must be finite with lo < hi; got {domain!r}")
    if lo_d < m_lo or hi_d > m_hi:
        raise DomainError(f"the box [{lo_d}, {hi_d}] lies outside the model's domain [{m_lo}, {m_hi}]")
    return lo_d, hi_d
