"""Exact coefficient matching for Psi (MATH.md section 4, Algorithm): two methods, same result.

Both methods solve A c = b for the candidate terms T_{beta,m}(y, s) = y^beta prod s_gamma^m_gamma
of :mod:`polyapprox._candidates` in canonical order, take the reduced row echelon form and
set every free (non-pivot) unknown to 0 (the canonical normal form of MATH.md section 4,
step 6). They differ in the rows of A:

``"reference"``
    The straightforward algorithm: expand every T_{beta,m}(x_1, P(X)) in all n*d token
    variables (sympy ``Poly``), one dense row per monomial, one exact dense sympy ``Matrix``
    rref of the whole system.

``"default"``
    Exploits two structures, neither of which changes which columns are pivots:

    * *Grading.* T_{beta,m}(x_1, P(X)) is homogeneous of degree |beta| + sum m_gamma |gamma|,
      so A is block diagonal by degree; each block is reduced separately with its columns in
      the same relative canonical order.
    * *Semi-invariance.* Every column and F_1 are symmetric in tokens 2..n, so they are
      combinations of x_1^beta m_lambda(x_2, ..., x_n), where m_lambda is the monomial
      symmetric polynomial of a vector partition lambda (a multiset of nonzero exponent
      vectors, at most n-1 parts). One row per (beta, lambda) replaces one row per monomial.
      The coordinates of a column are computed without expanding anything: multiplying by
      P_gamma = x_1^gamma + p_gamma(x_2..x_n) shifts beta, and p_gamma m_lambda is the sum of
      m_{lambda'} over lambda' = lambda with one part u (or a new part 0, if fewer than n-1
      parts) replaced by u + gamma, with coefficient the multiplicity of u + gamma in
      lambda' (the triangular power-sum / monomial-symmetric relation).

    Each block is then reduced over Z with python-flint ``fmpz_mat.rref`` (fraction free),
    or with sympy ``DomainMatrix`` over QQ when flint is unavailable
    (:func:`rref_flint_or_domainmatrix`).

Because the pivot columns of an RREF are the leftmost columns independent of the ones
before them, and both reductions preserve all column dependencies, both methods return the
SAME canonical Psi (tested exactly).
"""

from __future__ import annotations

import heapq
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from math import comb, lcm
from typing import Any

import sympy

from ._candidates import Candidate, _exponent_tuples, candidate_terms, count_candidates
from ._errors import PolyapproxError, SizeError
from ._indices import MultiIndex, multi_indices
from ._poly import Terms, to_fraction, token_gens

Key = tuple[MultiIndex, tuple[MultiIndex, ...]]  # (beta, lambda): x_1^beta m_lambda(x_2..x_n)

#: Largest number of candidate terms either method accepts.
MAX_CANDIDATES = 200_000
#: Largest dense block (rows * columns) the default method builds.
MAX_BLOCK_ENTRIES = 30_000_000
#: Largest dense matrix (monomials * candidates) the reference method builds.
MAX_REFERENCE_ENTRIES = 5_000_000

try:
    import flint as _flint

    HAVE_FLINT = hasattr(_flint, "fmpz_mat")
except ImportError:  # pragma: no cover - python-flint is a declared dependency
    _flint = None
    HAVE_FLINT = False


@dataclass
class SolveStats:
    """Sizes and time of one solve: what the benchmark and the report print."""

    method: str
    candidates: int = 0
    rows: int = 0  # monomial rows (reference) or (beta, lambda) orbit rows (default), over all blocks
    rank: int = 0
    seconds: float = 0.0
    blocks: dict[int, tuple[int, int, int]] = field(default_factory=dict)  # degree -> (rows, cols, rank)


class NotRepresentableError(PolyapproxError):
    """Internal: the system A c = b is inconsistent."""


# ------------------------------------------------------------------------------------------
# orbit coordinates
# ------------------------------------------------------------------------------------------

def orbit_key(monom: Sequence[int], n: int, d: int, own: bool) -> Key | None:
    """The (beta, lambda) of a monomial if it is its Stab(1)-orbit's canonical representative.

    Canonical: the exponent vectors of the symmetric tokens (2..n, or 1..n when ``own`` is
    False) are in non-increasing tuple order. Returns None for other monomials.
    """
    blocks = [tuple(monom[j * d:(j + 1) * d]) for j in range(n)]
    beta, tail = (blocks[0], blocks[1:]) if own else ((0,) * d, blocks)
    for a, b in zip(tail, tail[1:]):
        if a < b:
            return None
    zero = (0,) * d
    return beta, tuple(t for t in tail if t != zero)


def orbit_coordinates(terms: Terms, n: int, d: int, own: bool) -> dict[Key, Fraction]:
    """Coordinates of a (semi-)invariant polynomial in the basis x_1^beta m_lambda."""
    out = {}
    for monom, c in terms.items():
        key = orbit_key(monom, n, d, own)
        if key is not None:
            out[key] = c
    return out


def _times_power_sum(vec: dict[Key, int], gamma: MultiIndex, parts: int, own: bool) -> dict[Key, int]:
    """vec * P_gamma in the basis x_1^beta m_lambda (``parts`` = number of symmetric tokens)."""
    out: dict[Key, int] = {}
    for (beta, lam), c in vec.items():
        if own:  # the x_1^gamma term of P_gamma
            key = (tuple(b + g for b, g in zip(beta, gamma)), lam)
            out[key] = out.get(key, 0) + c
        # p_gamma(symmetric tokens) * m_lambda
        seen = set()
        choices = list(lam)
        if len(lam) < parts:
            choices.append(None)  # a new part
        for u in choices:
            if u in seen:
                continue
            seen.add(u)
            if u is None:
                v, rest = gamma, list(lam)
            else:
                v = tuple(a + g for a, g in zip(u, gamma))
                rest = list(lam)
                rest.remove(u)
            new = tuple(sorted([*rest, v], reverse=True))
            key = (beta, new)
            out[key] = out.get(key, 0) + c * new.count(v)
    return out


def power_sum_products(d: int, indices: Sequence[MultiIndex], degree: int, parts: int,
                       own: bool, exponents=None) -> dict[tuple[int, ...], dict[Key, int]]:
    """prod_gamma P_gamma^{m_gamma} in orbit coordinates, for every m of weighted degree <= degree.

    ``parts`` is the number of symmetric tokens (n - 1, or n when ``own`` is False).

    >>> power_sum_products(1, [(1,), (2,)], 2, parts=1, own=True)[(1, 0)]   # P_1 = x_1 + x_2
    {((1,), ()): 1, ((0,), ((1,),)): 1}
    """
    zero = (0,) * d
    products: dict[tuple[int, ...], dict[Key, int]] = {}
    if exponents is None:
        exponents = _exponent_tuples([sum(g) for g in indices], degree)
    for m in exponents:
        nonzero = [j for j, mj in enumerate(m) if mj]
        if not nonzero:
            products[m] = {(zero, ()): 1}
            continue
        j = nonzero[-1]
        prev = m[:j] + (m[j] - 1,) + m[j + 1:]
        products[m] = _times_power_sum(products[prev], indices[j], parts, own)
    return products


def count_orbit_rows(d: int, degree: int, parts: int, own: bool) -> list[int]:
    """Number of (beta, lambda) of each degree e = 0..degree (the default method's block rows)."""
    alphas = multi_indices(d, degree) if degree >= 1 else []
    # partitions[t][k]: multisets of k nonzero vectors of total degree t
    partitions = [[0] * (parts + 1) for _ in range(degree + 1)]
    partitions[0][0] = 1
    for a in alphas:
        w = sum(a)
        for t in range(w, degree + 1):
            for k in range(1, parts + 1):
                partitions[t][k] += partitions[t - w][k - 1]
    lam = [sum(row) for row in partitions]
    if not own:
        return lam
    return [sum(comb(e - t + d - 1, d - 1) * lam[t] for t in range(e + 1)) for e in range(degree + 1)]


# ------------------------------------------------------------------------------------------
# exact reduced row echelon form
# ------------------------------------------------------------------------------------------

def rref_flint_or_domainmatrix(A: list[list[int]], B: list[list[Fraction]], *,
                               use_flint: bool | None = None) -> tuple[list[int], list[list[Fraction]]]:
    """Pivot columns of the RREF of [A | B] and, for each pivot row, its B part.

    ``A``: rows of ints (the candidate columns), ``B``: rows of exact rationals (the targets).
    python-flint ``fmpz_mat.rref`` (fraction free, after scaling each column of B to
    integers, which changes no pivot) when available or ``use_flint`` is True, else sympy
    ``DomainMatrix`` over QQ. Raises ``NotRepresentableError`` when a pivot falls in B.

    >>> rref_flint_or_domainmatrix([[1, 2], [2, 4]], [[Fraction(3)], [Fraction(6)]])
    ([0], [[Fraction(3, 1)]])
    """
    if use_flint is None:
        use_flint = HAVE_FLINT
    if not A:
        return [], []
    ncols, nrhs = len(A[0]), len(B[0])
    width = ncols + nrhs
    if use_flint:
        scales = [lcm(1, *(row[k].denominator for row in B)) for k in range(nrhs)]
        flat = []
        for a, b in zip(A, B):
            flat.extend(a)
            flat.extend(int(v * s) for v, s in zip(b, scales))
        R, den, rank = _flint.fmpz_mat(len(A), width, flat).rref()
        den = int(den)
        pivots, rhs, c = [], [], 0
        for r in range(int(rank)):
            while R[r, c] == 0:  # pivots increase: at most `width` probes in all
                c += 1
            pivots.append(c)
            if c >= ncols:
                break
            rhs.append([Fraction(int(R[r, ncols + k]), den * scales[k]) for k in range(nrhs)])
            c += 1
    else:
        from sympy.polys.matrices import DomainMatrix

        QQ = sympy.QQ
        M = DomainMatrix([[QQ(v) for v in a] + [QQ(v.numerator, v.denominator) for v in b]
                          for a, b in zip(A, B)], (len(A), width), QQ)
        R, pivot_cols = M.rref()
        R = R.to_list()
        pivots, rhs = [], []
        for r, c in enumerate(pivot_cols):
            pivots.append(c)
            if c >= ncols:
                break
            rhs.append([to_fraction(R[r][ncols + k]) for k in range(nrhs)])
    if pivots and pivots[-1] >= ncols:
        raise NotRepresentableError("the linear system is inconsistent")
    return pivots, rhs


def sparse_solve(columns: list[dict], rhs: list[dict], *, use_flint: bool | None = None
                 ) -> tuple[list[int], list[dict[int, Fraction]]]:
    """Leftmost independent columns and the solutions with free unknowns 0, by sparse exact elimination.

    ``columns``: sparse vectors {row: int}; ``rhs``: one sparse vector {row: rational} per
    target. Columns are taken left to right; each is reduced against the pivots found so
    far (in the order they were found, so earlier pivot rows stay zero), and becomes a
    new pivot iff a nonzero remainder is left, so the pivots are exactly those of the RREF.
    Arithmetic is exact: python-flint ``fmpq`` when available (or ``use_flint``), else
    ``fractions.Fraction``. Returns (pivot columns, per target {column: coefficient}); raises
    ``NotRepresentableError`` if some target is not in the column span.

    >>> sparse_solve([{0: 1, 1: 2}, {0: 2, 1: 4}, {1: 1}], [{0: Fraction(1), 1: Fraction(3)}])
    ([0, 2], [{0: Fraction(1, 1), 2: Fraction(1, 1)}])
    """
    if use_flint is None:
        use_flint = HAVE_FLINT
    number = _flint.fmpq if use_flint else Fraction
    basis: list[tuple[Any, dict]] = []  # (pivot row, vector with 1 at the pivot row)
    index_of_row: dict = {}
    order_of_row: dict = {}
    pivots: list[int] = []
    history: list[tuple[Any, list[tuple[int, Any]]]] = []  # (scale s_j, [(i, u_ji)])

    def reduce(v: dict) -> list[tuple[int, Any]]:
        heap = [index_of_row[r] for r in v if r in index_of_row]
        heapq.heapify(heap)
        used = []
        while heap:
            j = heapq.heappop(heap)
            row_j, vec_j = basis[j]
            t = v.get(row_j)
            if not t:
                continue
            used.append((j, t))
            for r, x in vec_j.items():
                old = v.get(r)
                new = -t * x if old is None else old - t * x
                if new:
                    if old is None and r in index_of_row:
                        heapq.heappush(heap, index_of_row[r])
                    v[r] = new
                elif old is not None:
                    del v[r]
        return used

    for col, vec in enumerate(columns):
        v = {r: number(c) for r, c in vec.items() if c}
        used = reduce(v)
        if v:
            for r in v:
                order_of_row.setdefault(r, len(order_of_row))
            row = min(v, key=order_of_row.__getitem__)
            scale = v[row]
            inv = 1 / scale
            basis.append((row, {r: x * inv for r, x in v.items()}))
            index_of_row[row] = len(basis) - 1
            pivots.append(col)
            history.append((scale, used))
    solutions = []
    for target in rhs:
        v = {r: number(c.numerator, c.denominator) if use_flint else Fraction(c) for r, c in target.items() if c}
        used = reduce(v)
        if v:
            raise NotRepresentableError("the target is not in the span of the candidate columns")
        T = dict(used)
        solution: dict[int, Fraction] = {}
        for j in range(len(basis) - 1, -1, -1):
            t = T.get(j)
            if not t:
                continue
            scale, mults = history[j]
            coef = t / scale
            solution[pivots[j]] = Fraction(int(coef.numerator), int(coef.denominator)) if use_flint else coef
            for i, u in mults:
                T[i] = T.get(i, 0) - coef * u
        solutions.append(dict(sorted(solution.items())))
    return pivots, solutions


# ------------------------------------------------------------------------------------------
# the two methods
# ------------------------------------------------------------------------------------------

def _check_sizes(d: int, indices, degree: int, parts: int, own: bool, method: str, nvars: int) -> None:
    total = count_candidates(d, indices, degree) if own else _count_invariant_candidates(indices, degree)
    if total > MAX_CANDIDATES:
        raise SizeError(f"the candidate space has {total:,} terms (d = {d}, degree {degree}, "
                        f"{len(indices)} power sums), more than the limit of {MAX_CANDIDATES:,}; "
                        "choose a smaller n, d or degree")
    if method == "reference":
        monomials = comb(nvars + degree, degree)
        if monomials * total > MAX_REFERENCE_ENTRIES:
            raise SizeError(f"the reference method's dense matrix would have about {monomials:,} x {total:,} = "
                            f"{monomials * total:,} entries, more than the limit of {MAX_REFERENCE_ENTRIES:,}; "
                            "use method='default'")
    else:
        rows = count_orbit_rows(d, degree, parts, own)
        cols = Counter()
        weights = [sum(g) for g in indices]
        ways = [1] + [0] * degree
        for w in weights:
            for t in range(w, degree + 1):
                ways[t] += ways[t - w]
        for e in range(degree + 1):
            cols[e] = sum(comb(b + d - 1, d - 1) * ways[e - b] for b in range(e + 1)) if own else ways[e]
        worst = max(rows[e] * cols[e] for e in range(degree + 1))
        if worst > MAX_BLOCK_ENTRIES:
            raise SizeError(f"the largest degree block would have {worst:,} entries, more than the limit of "
                            f"{MAX_BLOCK_ENTRIES:,}; choose a smaller n, d or degree")


def _count_invariant_candidates(indices, degree: int) -> int:
    ways = [1] + [0] * degree
    for g in indices:
        w = sum(g)
        for t in range(w, degree + 1):
            ways[t] += ways[t - w]
    return sum(ways)


def invariant_candidates(indices: Sequence[MultiIndex], degree: int, d: int) -> list[Candidate]:
    """Candidates (0, m) of the invariant case, in canonical order."""
    zero = (0,) * d
    return [(zero, m) for m in _exponent_tuples([sum(g) for g in indices], degree)]


def solve(targets: list[Terms], n: int, d: int, indices: Sequence[MultiIndex], degree: int, *,
          own: bool = True, method: str = "default", use_flint: bool | None = None,
          linalg: str = "sparse") -> tuple[list[dict[Candidate, Fraction]], SolveStats]:
    """Canonical coefficients c_{beta,m} (per output) with sum c T_{beta,m}(x_1, P(X)) = target.

    ``targets``: one term dict per output coordinate, in the n*d token variables (token-major),
    each symmetric in tokens 2..n (``own``) or in all tokens (``own`` False: invariant case,
    beta = 0). ``linalg`` (default method only): "sparse" (:func:`sparse_solve`) or "dense"
    (:func:`rref_flint_or_domainmatrix`); both give the same pivots and solution.
    Raises ``NotRepresentableError`` when the system is inconsistent.
    """
    parts = n - 1 if own else n
    _check_sizes(d, indices, degree, parts, own, method, n * d)
    start = time.perf_counter()
    if method == "reference":  # the canonical order exactly as _candidates enumerates it
        candidates = candidate_terms(d, indices, degree) if own else invariant_candidates(indices, degree, d)
        solution, stats = _solve_reference(targets, n, d, indices, candidates, own)
    else:
        exponents = list(_exponent_tuples([sum(g) for g in indices], degree))
        candidates = _candidates_from(exponents, d, indices, degree, own)
        solution, stats = _solve_blocks(targets, n, d, indices, degree, candidates, parts, own, use_flint,
                                        linalg, exponents)
    stats.candidates = len(candidates)
    stats.seconds = time.perf_counter() - start
    return solution, stats


def _candidates_from(exponents, d, indices, degree, own) -> list[Candidate]:
    """The canonical candidate order, from the m's listed once (same list as candidate_terms)."""
    weights = [sum(g) for g in indices]
    wdeg = [sum(w * x for w, x in zip(weights, m) if x) for m in exponents]
    betas = multi_indices(d, degree, min_degree=0) if own else [(0,) * d]
    return [(beta, m) for beta in betas for m, w in zip(exponents, wdeg) if w <= degree - sum(beta)]


def _solve_blocks(targets, n, d, indices, degree, candidates, parts, own, use_flint, linalg, exponents):
    stats = SolveStats("default")
    products = power_sum_products(d, indices, degree, parts, own, exponents)
    weights = [sum(g) for g in indices]
    by_block: dict[int, list[Candidate]] = {}
    for cand in candidates:
        beta, m = cand
        by_block.setdefault(sum(beta) + sum(w * x for w, x in zip(weights, m) if x), []).append(cand)
    nrhs = len(targets)
    rhs_by_block: dict[int, list[dict[Key, Fraction]]] = {}
    for k, t in enumerate(targets):
        for key, c in orbit_coordinates(t, n, d, own).items():
            e = sum(key[0]) + sum(sum(part) for part in key[1])
            rhs_by_block.setdefault(e, [{} for _ in targets])[k][key] = c
    if any(e > degree for e in rhs_by_block):
        raise NotRepresentableError(f"the target has degree {max(rhs_by_block)} > {degree}")
    solution: list[dict[Candidate, Fraction]] = [{} for _ in targets]
    for e in sorted(by_block):
        cols = by_block[e]
        rhs = rhs_by_block.get(e, [{} for _ in targets])
        column_vectors = []
        for beta, m in cols:
            if any(beta):
                column_vectors.append({(tuple(x + y for x, y in zip(b, beta)), lam): c
                                       for (b, lam), c in products[m].items()})
            else:
                column_vectors.append(products[m])
        rows = set().union(*column_vectors, *rhs)
        try:
            if linalg == "sparse":
                pivots, values = sparse_solve(column_vectors, rhs, use_flint=use_flint)
                for k in range(nrhs):
                    for c, value in values[k].items():
                        solution[k][cols[c]] = value
            else:
                row_index = {key: i for i, key in enumerate(sorted(rows))}
                A = [[0] * len(cols) for _ in row_index]
                for j, vec in enumerate(column_vectors):
                    for key, c in vec.items():
                        A[row_index[key]][j] = c
                B = [[Fraction(0)] * nrhs for _ in row_index]
                for k, coords in enumerate(rhs):
                    for key, c in coords.items():
                        B[row_index[key]][k] = c
                pivots, values = rref_flint_or_domainmatrix(A, B, use_flint=use_flint)
                for c, row in zip(pivots, values):
                    for k in range(nrhs):
                        if row[k]:
                            solution[k][cols[c]] = row[k]
        except NotRepresentableError:
            raise NotRepresentableError(f"no Psi of weighted degree <= {degree} matches the degree-{e} "
                                        "component of the target") from None
        stats.rows += len(rows)
        stats.rank += len(pivots)
        stats.blocks[e] = (len(rows), len(cols), len(pivots))
    return solution, stats


def _solve_reference(targets, n, d, indices, candidates, own):
    """Dense: expand every candidate in all n*d variables with sympy, one sympy Matrix rref."""
    stats = SolveStats("reference")
    gens = token_gens(n, d)
    X = [gens[j * d:(j + 1) * d] for j in range(n)]
    P = [sympy.Poly(sympy.Add(*[sympy.Mul(*[x[k] ** a for k, a in enumerate(g)]) for x in X]), *gens,
                    domain=sympy.QQ) for g in indices]
    one = sympy.Poly(1, *gens, domain=sympy.QQ)
    columns = []
    for beta, m in candidates:
        poly = one
        for k, b in enumerate(beta):
            if b:
                poly = poly * sympy.Poly(X[0][k] ** b, *gens, domain=sympy.QQ)
        for j, mj in enumerate(m):
            if mj:
                poly = poly * P[j] ** mj
        columns.append({mon: to_fraction(c) for mon, c in poly.rep.to_dict().items()})
    monomials = sorted({mon for col in columns for mon in col} | {mon for t in targets for mon in t})
    index = {mon: i for i, mon in enumerate(monomials)}
    ncols, nrhs = len(columns), len(targets)
    A = [[0] * (ncols + nrhs) for _ in monomials]
    for j, col in enumerate(columns):
        for mon, c in col.items():
            A[index[mon]][j] = sympy.Rational(c.numerator, c.denominator)
    for k, t in enumerate(targets):
        for mon, c in t.items():
            A[index[mon]][ncols + k] = sympy.Rational(c.numerator, c.denominator)
    R, pivots = sympy.Matrix(A).rref()  # no-eval: entries are sympy objects built here
    if pivots and pivots[-1] >= ncols:
        raise NotRepresentableError("the linear system is inconsistent")
    solution: list[dict[Candidate, Fraction]] = [{} for _ in targets]
    for r, c in enumerate(pivots):
        for k in range(nrhs):
            value = R[r, ncols + k]
            if value != 0:
                solution[k][candidates[c]] = to_fraction(value)
    stats.rows = len(monomials)
    stats.rank = len(pivots)
    return solution, stats
