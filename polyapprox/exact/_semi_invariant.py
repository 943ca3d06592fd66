"""Exact coefficient matching for Psi (theory/representation, Algorithm): two methods, same result.

Both methods solve A c = b for the candidate terms T_{beta,m}(y, s) = y^beta prod s_gamma^m_gamma
of :mod:`polyapprox.exact._candidates` in canonical order, take the reduced row echelon form and
set every free (non-pivot) unknown to 0 (the canonical normal form of theory/representation,
step 6). They differ in the rows of A:

``"dense-expansion"``
    The straightforward algorithm: expand every T_{beta,m}(x_1, P(X)) in all n*d token
    variables (sympy ``Poly``), one dense row per monomial, one exact dense sympy ``Matrix``
    rref of the whole system.

``"orbit-blocks"`` (the default)
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

    Each block is then reduced by sparse exact elimination over Q
    (:func:`polyapprox.exact._linalg.sparse_solve`, python-flint ``fmpq`` when present).

Because the pivot columns of an RREF are the leftmost columns independent of the ones
before them, and both reductions preserve all column dependencies, both methods return the
SAME canonical Psi (tested exactly).
"""

from __future__ import annotations

import functools
import itertools
import time
from collections import Counter
from collections.abc import Callable, Sequence
from fractions import Fraction
from math import comb

import sympy

from ._candidates import (
    Candidate,
    _exponent_tuples,
    candidate_terms,
    count_candidates,
    power_sum_products_by_degree,
)
from ._errors import NotRepresentableError, SizeError
from ._indices import MultiIndex, multi_indices
from ._linalg import sparse_solve
from ._poly import Terms, to_fraction, token_blocks, token_gens
from ._results import SolveStats
from ._validate import check_int

Key = tuple[MultiIndex, tuple[MultiIndex, ...]]  # (beta, lambda): x_1^beta m_lambda(x_2..x_n)

#: The algorithms (``method=``): degree blocks x Stab(1)-orbit rows, sparse exact elimination
#: (the default), and the dense expansion of every candidate with one sympy rref (a baseline).
ORBIT_BLOCKS = "orbit-blocks"
DENSE_EXPANSION = "dense-expansion"
METHODS = (ORBIT_BLOCKS, DENSE_EXPANSION)

#: One degree block's solver: (sparse columns, sparse right-hand sides) -> (pivots, solutions);
#: called with the keywords ``use_flint`` and ``max_nonzeros`` (the elimination budget).
BlockSolver = Callable[..., tuple[list[int], list[dict[int, Fraction]]]]

#: Largest number of candidate terms either method accepts.
MAX_CANDIDATES = 200_000
#: Largest number of nonzeros (sound upper estimate) in one degree block of the default method.
MAX_BLOCK_NONZEROS = 20_000_000
#: Largest number of nonzeros the sparse elimination may store (its reduced basis, fill-in included).
MAX_ELIMINATION_NONZEROS = 40_000_000
#: Largest dense matrix (monomials * candidates) the reference method builds.
MAX_REFERENCE_ENTRIES = 5_000_000
#: Default budget of the orbit-blocks elimination, in the units of :func:`estimate_solve_work`
#: (raise it with ``SolveConfig(max_work=...)`` / ``--max-work``). Measured (CPU time, 2 shared cores): 0.5e-10 to
#: 6.6e-10 s per unit over (n, d, D) = (5,1,15), (5,1,16), (6,1,14), (3,2,10), (2,1,45), (4,1,18..20),
#: (3,1,23..26), so inputs inside the default take at most about 20 s of CPU; x1_1**24 at n = 4,
#: d = 1 (4.0e11 units) and x2_1**60 + x3_1**60 at n = 3 (1.7e14) are refused.
MAX_SOLVE_WORK = 30_000_000_000
#: Most steps the size estimates themselves may take (exponent vectors^2 * d; about 10 s).
MAX_ESTIMATE_STEPS = 20_000_000

# ------------------------------------------------------------------------------------------
# orbit coordinates
# ------------------------------------------------------------------------------------------


def orbit_key(monom: Sequence[int], n: int, d: int, first_token_apart: bool) -> Key | None:
    """The (beta, lambda) of a monomial if it is its Stab(1)-orbit's canonical representative.

    Canonical: the exponent vectors of the symmetric tokens (2..n, or 1..n when
    ``first_token_apart`` is False) are in non-increasing tuple order. Returns None for other
    monomials.
    """
    blocks = token_blocks(monom, n, d)
    beta, tail = (blocks[0], blocks[1:]) if first_token_apart else ((0,) * d, blocks)
    for a, b in zip(tail, tail[1:]):
        if a < b:
            return None
    zero = (0,) * d
    return beta, tuple(t for t in tail if t != zero)


def orbit_coordinates(terms: Terms, n: int, d: int, first_token_apart: bool) -> dict[Key, Fraction]:
    """Coordinates of a (semi-)invariant polynomial in the basis x_1^beta m_lambda.

    The coefficients of the canonical representatives (:func:`orbit_key`); the test for one
    is a C-level sort of the symmetric tokens' exponent vectors, most monomials failing it.
    """
    out = {}
    zero = (0,) * d
    start = d if first_token_apart else 0
    for monom, c in terms.items():
        tail = list(monom[start:]) if d == 1 else list(zip(*[iter(monom[start:])] * d))
        if tail != sorted(tail, reverse=True):
            continue
        partition = tuple((e,) for e in tail if e) if d == 1 else tuple(b for b in tail if b != zero)
        out[(tuple(monom[:d]) if first_token_apart else zero, partition)] = c
    return out


def _times_power_sum(
    product: dict[Key, int], gamma: MultiIndex, symmetric_tokens: int, first_token_apart: bool
) -> dict[Key, int]:
    """product * P_gamma in the basis x_1^beta m_lambda.

    ``symmetric_tokens`` is the number of symmetric tokens (so the most parts a partition lambda
    can have); ``first_token_apart`` says whether token 1 keeps its own exponent beta (equivariant
    case) or is one of the symmetric tokens (invariant case, beta = 0).
    """
    out: dict[Key, int] = {}
    for (beta, partition), c in product.items():
        if first_token_apart:  # the x_1^gamma term of P_gamma
            key = (tuple(b + g for b, g in zip(beta, gamma)), partition)
            out[key] = out.get(key, 0) + c
        # p_gamma(symmetric tokens) * m_lambda: gamma is added to one part, or becomes a new part
        seen = set()
        choices: list[MultiIndex | None] = list(partition)
        if len(partition) < symmetric_tokens:
            choices.append(None)  # a new part
        for old_part in choices:
            if old_part in seen:
                continue
            seen.add(old_part)
            if old_part is None:
                new_part, rest = gamma, list(partition)
            else:
                new_part = tuple(a + g for a, g in zip(old_part, gamma))
                rest = list(partition)
                rest.remove(old_part)
            grown = tuple(sorted([*rest, new_part], reverse=True))
            key = (beta, grown)
            out[key] = out.get(key, 0) + c * grown.count(new_part)
    return out


def power_sum_products(
    d: int, indices: Sequence[MultiIndex], degree: int, symmetric_tokens: int, first_token_apart: bool, exponents=None
) -> dict[tuple[int, ...], dict[Key, int]]:
    """prod_gamma P_gamma^{m_gamma} in orbit coordinates, for every m of weighted degree <= degree.

    ``symmetric_tokens`` is the number of symmetric tokens (n - 1, or n when ``first_token_apart``
    is False: the invariant case, where token 1 is symmetric with the others and beta = 0).

    >>> power_sum_products(1, [(1,), (2,)], 2, symmetric_tokens=1, first_token_apart=True)[(1, 0)]   # P_1 = x_1 + x_2
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
        prev = m[:j] + (m[j] - 1,) + m[j + 1 :]
        products[m] = _times_power_sum(products[prev], indices[j], symmetric_tokens, first_token_apart)
    return products


def count_orbit_rows(d: int, degree: int, symmetric_tokens: int, first_token_apart: bool) -> list[int]:
    """Number of (beta, lambda) of each degree e = 0..degree (the default method's block rows)."""
    alphas = multi_indices(d, degree) if degree >= 1 else []
    # partitions[t][k]: multisets of k nonzero vectors of total degree t
    partitions = [[0] * (symmetric_tokens + 1) for _ in range(degree + 1)]
    partitions[0][0] = 1
    for a in alphas:
        w = sum(a)
        for t in range(w, degree + 1):
            for k in range(1, symmetric_tokens + 1):
                partitions[t][k] += partitions[t - w][k - 1]
    partitions_of_degree = [sum(row) for row in partitions]
    if not first_token_apart:
        return partitions_of_degree
    betas = [comb(b + d - 1, d - 1) for b in range(degree + 1)]  # exponent vectors beta of degree b
    return [sum(betas[e - t] * partitions_of_degree[t] for t in range(e + 1)) for e in range(degree + 1)]


# ------------------------------------------------------------------------------------------
# the two methods
# ------------------------------------------------------------------------------------------


def _check_sizes(
    d: int,
    indices,
    degree: int,
    symmetric_tokens: int,
    first_token_apart: bool,
    method: str,
    nvars: int,
    max_work: int | None = None,
) -> int:
    """Refuse oversized requests before building anything; returns the nonzero estimate (orbit blocks)."""
    total = count_candidates(d, indices, degree) if first_token_apart else _count_invariant_candidates(indices, degree)
    if total > MAX_CANDIDATES:
        raise SizeError(
            f"the candidate space has {total:,} terms (d = {d}, degree {degree}, "
            f"{len(indices)} power sums), more than the limit of {MAX_CANDIDATES:,}; "
            "choose a smaller n, d or degree"
        )
    if method == DENSE_EXPANSION:
        monomials = comb(nvars + degree, degree)
        if monomials * total > MAX_REFERENCE_ENTRIES:
            raise SizeError(
                f"the dense-expansion method's dense matrix would have about {monomials:,} x "
                f"{total:,} = {monomials * total:,} entries, more than the limit of "
                f"{MAX_REFERENCE_ENTRIES:,}; use method='orbit-blocks'"
            )
        return 0
    vectors = comb(degree + d, d)  # the size estimates below cost vectors^2 * d steps: refuse first
    steps = vectors * (vectors + len(indices)) * d
    if steps > MAX_ESTIMATE_STEPS:
        raise SizeError(
            f"estimating the size of this solve alone would take about {steps:.2g} steps (d = {d}, degree {degree}: "
            f"{vectors:,} exponent vectors), more than the limit of {MAX_ESTIMATE_STEPS:.0e}; choose a smaller d or degree"
        )
    per_block = estimate_block_nonzeros(d, indices, degree, symmetric_tokens, first_token_apart)
    worst = max(per_block.values(), default=0)
    if worst > MAX_BLOCK_NONZEROS:
        raise SizeError(
            f"the largest degree block would have up to {worst:,} nonzero entries, more than the limit "
            f"of {MAX_BLOCK_NONZEROS:,}; choose a smaller n, d or degree"
        )
    check_solve_work(d, indices, degree, symmetric_tokens, first_token_apart, max_work)
    return sum(per_block.values())


def estimate_solve_work(
    d: int, indices: Sequence[MultiIndex], degree: int, symmetric_tokens: int, first_token_apart: bool
) -> int:
    """Cost estimate of the orbit-blocks elimination, from the sizes alone (nothing is built).

    Per multidegree block with r rows and c columns (:func:`block_shapes`), at most r columns
    are pivots; each of the other c - r columns is reduced to zero against up to r pivot
    vectors of up to r entries. Coefficient sizes grow with the degree D (products of power
    sums have multinomial coefficients), so the estimate is D^2 * sum_blocks max(c - r, 0) r^2.
    Nearly square blocks (degree <= n, the usual case) cost little; blocks with many more
    candidates than orbit rows (degree well above n) dominate. Calibrated against measured
    solve times (:data:`MAX_SOLVE_WORK`).

    >>> estimate_solve_work(1, [(1,), (2,)], 2, symmetric_tokens=1, first_token_apart=True)   # block 2: 3 rows, 4 columns
    36
    """
    shapes = block_shapes(d, indices, degree, symmetric_tokens, first_token_apart)
    return max(degree, 1) ** 2 * sum(max(c - r, 0) * r * r for r, c in shapes.values())


def check_solve_work(
    d: int,
    indices: Sequence[MultiIndex],
    degree: int,
    symmetric_tokens: int,
    first_token_apart: bool,
    max_work: int | None = None,
) -> int:
    """Refuse (``SizeError``) an elimination estimated above ``max_work`` (default :data:`MAX_SOLVE_WORK`)."""
    budget = MAX_SOLVE_WORK if max_work is None else check_int("max_work", max_work)
    work = estimate_solve_work(d, indices, degree, symmetric_tokens, first_token_apart)
    if work > budget:
        raise SizeError(
            f"the exact elimination is estimated at {work:.3g} work units (degree {degree}, {len(indices)} power "
            f"sums), more than the budget of {budget:.3g} (several minutes or more); choose a smaller degree or "
            "raise the budget with SolveConfig(max_work=...) (CLI: --max-work)"
        )
    return work


def estimate_block_nonzeros(
    d: int, indices: Sequence[MultiIndex], degree: int, symmetric_tokens: int, first_token_apart: bool
) -> dict[int, int]:
    """An upper bound on the nonzeros of each degree block's columns, without building them.

    Column (beta, m) is x_1^beta prod_gamma P_gamma^{m_gamma} in the basis x_1^b m_lambda. Each
    of its (b, lambda) has b - beta + sum(lambda) = v(m) = sum_gamma m_gamma gamma (every P_gamma
    adds gamma to the exponent summed over tokens) and lambda has at most
    k(m) = sum_gamma m_gamma parts (and at most ``symmetric_tokens``). So the column has at most
    N(v, k) = #{(b', lambda) : b' + sum(lambda) = v, |lambda| <= min(k, symmetric_tokens)} nonzeros
    (b' = 0 in the invariant case), and at most the block's row count. N is counted by a
    knapsack over the nonzero vectors, for all v at once.
    """
    zero = (0,) * d
    weights = [sum(g) for g in indices]
    cap = min(symmetric_tokens, degree)
    vectors = [v for v in multi_indices(d, degree, min_degree=1)] if degree >= 1 else []
    # table[w][j]: multisets of j nonzero vectors with sum w (w of degree <= degree)
    targets = [zero, *vectors]
    table = {w: [0] * (cap + 1) for w in targets}
    table[zero][0] = 1
    for u in vectors:
        for w in targets:  # graded order: w - u comes before w
            if sum(w) >= sum(u) and all(a >= b for a, b in zip(w, u)):
                prev = table[tuple(a - b for a, b in zip(w, u))]
                row = table[w]
                for j in range(1, cap + 1):
                    row[j] += prev[j - 1]
    cumulative = {w: list(itertools.accumulate(row)) for w, row in table.items()}

    @functools.cache
    def bound(v: tuple[int, ...], k: int) -> int:
        k = min(k, cap)
        if not first_token_apart:
            return cumulative[v][k]
        return sum(
            cumulative[tuple(a - b for a, b in zip(v, bp))][k] for bp in itertools.product(*(range(a + 1) for a in v))
        )

    rows = count_orbit_rows(d, degree, symmetric_tokens, first_token_apart)
    by_weight: dict[int, Counter] = {}  # weighted degree of m -> Counter of column bounds
    order = sorted(range(len(indices)), key=weights.__getitem__)

    def walk(start: int, v: tuple[int, ...], k: int, w: int) -> None:
        """Every m as a multiset of power sums (positions >= start added), v and k kept incrementally."""
        by_weight.setdefault(w, Counter())[bound(v, k)] += 1
        for pos in range(start, len(order)):
            j = order[pos]
            if w + weights[j] > degree:
                break
            walk(pos, tuple(a + b for a, b in zip(v, indices[j])), k + 1, w + weights[j])

    walk(0, zero, 0, 0)
    out: dict[int, int] = {}
    for b in range(degree + 1 if first_token_apart else 1):
        betas = comb(b + d - 1, d - 1)  # the betas of degree b
        for w, counts in by_weight.items():
            e = w + b
            if e <= degree:
                out[e] = out.get(e, 0) + betas * sum(k * min(nnz, rows[e]) for nnz, k in counts.items())
    return out


def _unbounded_knapsack(table: dict, vectors: list, items: Sequence[MultiIndex]) -> None:
    """table[V] += table[V - u] for every item u, any number of times (``vectors`` in graded order)."""
    for u in items:
        for V in vectors:
            prev = tuple(a - b for a, b in zip(V, u))
            if min(prev) >= 0:
                table[V] += table[prev]


def block_shapes(
    d: int, indices: Sequence[MultiIndex], degree: int, symmetric_tokens: int, first_token_apart: bool
) -> dict[tuple[int, ...], tuple[int, int]]:
    """(rows, columns) of every multidegree block V of the orbit-blocks system, by closed-form counting.

    Column (beta, m) lies in block V = beta + sum_gamma m_gamma gamma, so the columns of V are
    the ways to write V as a sum of unit vectors (beta; ``first_token_apart`` only) and power-sum indices
    gamma, any number of times (a knapsack over the vectors of degree <= ``degree``). Its rows are
    the (b, lambda) with b + sum(lambda) = V and lambda a multiset of at most ``symmetric_tokens``
    nonzero vectors (b = 0 when not ``first_token_apart``). Nothing is built: the cost is the number of
    vectors V times the number of items.

    >>> block_shapes(1, [(1,), (2,)], 2, symmetric_tokens=1, first_token_apart=True)   # n = 2, d = 1: columns y^b s_1^a s_2^c
    {(0,): (1, 1), (1,): (2, 2), (2,): (3, 4)}
    """
    zero: tuple[int, ...] = (0,) * d
    vectors = [zero, *multi_indices(d, degree, min_degree=1)] if degree >= 1 else [zero]
    units = [tuple(int(k == c) for k in range(d)) for c in range(d)] if first_token_apart else []
    cols = dict.fromkeys(vectors, 0)
    cols[zero] = 1
    _unbounded_knapsack(cols, vectors, [*units, *(g for g in indices if sum(g) <= degree)])
    cap = min(symmetric_tokens, degree)
    # lam[j][V]: multisets of exactly j nonzero vectors summing to V
    lam: list[dict[tuple[int, ...], int]] = [dict.fromkeys(vectors, 0) for _ in range(cap + 1)]
    lam[0][zero] = 1
    for u in vectors[1:]:
        for V in vectors:
            prev = tuple(a - b for a, b in zip(V, u))
            if min(prev) >= 0:
                for j in range(1, cap + 1):
                    lam[j][V] += lam[j - 1][prev]
    rows = {V: sum(table[V] for table in lam) for V in vectors}
    _unbounded_knapsack(rows, vectors, units)
    return {V: (rows[V], cols[V]) for V in vectors if cols[V]}


def _count_invariant_candidates(indices, degree: int) -> int:
    return sum(power_sum_products_by_degree(indices, degree))


def invariant_candidates(indices: Sequence[MultiIndex], degree: int, d: int) -> list[Candidate]:
    """Candidates (0, m) of the invariant case, in canonical order."""
    zero = (0,) * d
    return [(zero, m) for m in _exponent_tuples([sum(g) for g in indices], degree)]


def solve(
    targets: list[Terms],
    n: int,
    d: int,
    indices: Sequence[MultiIndex],
    degree: int,
    *,
    first_token_apart: bool = True,
    method: str = ORBIT_BLOCKS,
    use_flint: bool | None = None,
    block_solver: BlockSolver = sparse_solve,
    max_work: int | None = None,
) -> tuple[list[dict[Candidate, Fraction]], SolveStats]:
    """Canonical coefficients c_{beta,m} (per output) with sum c T_{beta,m}(x_1, P(X)) = target.

    ``targets``: one term dict per output coordinate, in the n*d token variables (token-major),
    each symmetric in tokens 2..n (``first_token_apart``: token 1 keeps its own exponent beta) or
    in all tokens (``first_token_apart`` False: invariant case, beta = 0). ``block_solver`` (orbit-blocks method only) reduces one degree block: it takes
    sparse columns and right-hand sides and returns the RREF pivots and the solutions with
    free unknowns 0, like :func:`polyapprox.exact._linalg.sparse_solve` (the tests plug a dense
    reference in here). ``max_work``: the elimination budget (:func:`check_solve_work`).
    Raises ``NotRepresentableError`` when the system is inconsistent.
    """
    symmetric_tokens = n - 1 if first_token_apart else n
    estimate = _check_sizes(d, indices, degree, symmetric_tokens, first_token_apart, method, n * d, max_work)
    start = time.perf_counter()
    if method == DENSE_EXPANSION:  # the canonical order exactly as _candidates enumerates it
        candidates = (
            candidate_terms(d, indices, degree) if first_token_apart else invariant_candidates(indices, degree, d)
        )
        solution, stats = _solve_reference(targets, n, d, indices, candidates)
    else:
        exponents = list(_exponent_tuples([sum(g) for g in indices], degree))
        candidates = _candidates_from(exponents, d, indices, degree, first_token_apart)
        solution, stats = _solve_blocks(
            targets,
            n,
            d,
            indices,
            degree,
            candidates,
            symmetric_tokens,
            first_token_apart,
            functools.partial(block_solver, use_flint=use_flint, max_nonzeros=MAX_ELIMINATION_NONZEROS),
            exponents,
        )
    stats.candidates = len(candidates)
    stats.estimated_nonzeros = estimate
    stats.seconds = time.perf_counter() - start
    return solution, stats


def _candidates_from(exponents, d, indices, degree, first_token_apart) -> list[Candidate]:
    """The canonical candidate order, from the m's listed once (same list as candidate_terms)."""
    weights = [sum(g) for g in indices]
    wdeg = [sum(w * x for w, x in zip(weights, m) if x) for m in exponents]
    betas = multi_indices(d, degree, min_degree=0) if first_token_apart else [(0,) * d]
    return [(beta, m) for beta in betas for m, w in zip(exponents, wdeg) if w <= degree - sum(beta)]


def _multidegree(key: Key) -> tuple[int, ...]:
    """beta + sum(lambda): the exponent vector summed over tokens of x_1^beta m_lambda."""
    beta, partition = key
    return tuple(b + sum(part[c] for part in partition) for c, b in enumerate(beta))


def _solve_blocks(
    targets, n, d, indices, degree, candidates, symmetric_tokens, first_token_apart, block_solver, exponents
):
    """Reduce block by block. The blocks are finer than the degrees: every P_gamma adds gamma to
    the exponent vector summed over all tokens, so column (beta, m) lives in the rows (b, lambda)
    of multidegree V = beta + sum_gamma m_gamma gamma, and the system splits into one block per V
    (the pivots of a block-diagonal matrix are the union of its blocks' pivots, so the RREF and
    the canonical Psi are unchanged). ``stats.blocks`` aggregates them per total degree |V|."""
    stats = SolveStats(ORBIT_BLOCKS)
    clock = time.perf_counter()
    products = power_sum_products(d, indices, degree, symmetric_tokens, first_token_apart, exponents)
    stats.candidates_seconds += time.perf_counter() - clock
    by_block: dict[tuple[int, ...], list[Candidate]] = {}
    for cand in candidates:
        beta, m = cand
        V = tuple(b + sum(mj * g[c] for mj, g in zip(m, indices) if mj) for c, b in enumerate(beta))
        by_block.setdefault(V, []).append(cand)
    nrhs = len(targets)
    rhs_by_block: dict[tuple[int, ...], list[dict[Key, Fraction]]] = {}
    for k, t in enumerate(targets):
        for key, c in orbit_coordinates(t, n, d, first_token_apart).items():
            rhs_by_block.setdefault(_multidegree(key), [{} for _ in targets])[k][key] = c
    top = max((sum(V) for V in rhs_by_block), default=0)
    if top > degree:
        raise NotRepresentableError(f"the target has degree {top} > {degree}")
    missing = [V for V in rhs_by_block if V not in by_block and any(rhs_by_block[V])]
    if missing:
        raise NotRepresentableError(
            f"no Psi of weighted degree <= {degree} matches the degree-{sum(missing[0])} component of the target"
        )
    solution: list[dict[Candidate, Fraction]] = [{} for _ in targets]
    for V in sorted(by_block, key=lambda V: (sum(V), V)):
        e = sum(V)
        clock = time.perf_counter()
        cols = by_block[V]
        rhs = rhs_by_block.get(V, [{} for _ in targets])
        column_vectors = []
        for beta, m in cols:
            if any(beta):
                column_vectors.append(
                    {(tuple(x + y for x, y in zip(b, beta)), partition): c for (b, partition), c in products[m].items()}
                )
            else:
                column_vectors.append(products[m])
        rows = set().union(*column_vectors, *rhs)
        stats.nonzeros += sum(map(len, column_vectors))
        stats.candidates_seconds += time.perf_counter() - clock
        clock = time.perf_counter()
        try:
            pivots, values = block_solver(column_vectors, rhs)
        except NotRepresentableError:
            raise NotRepresentableError(
                f"no Psi of weighted degree <= {degree} matches the degree-{e} component of the target"
            ) from None
        stats.solve_seconds += time.perf_counter() - clock
        for k in range(nrhs):
            for c, value in values[k].items():
                solution[k][cols[c]] = value
        stats.rows += len(rows)
        stats.rank += len(pivots)
        before = stats.blocks.get(e, (0, 0, 0))
        stats.blocks[e] = (before[0] + len(rows), before[1] + len(cols), before[2] + len(pivots))
    position = {cand: i for i, cand in enumerate(candidates)}  # list coefficients in canonical order
    solution = [dict(sorted(sol.items(), key=lambda item: position[item[0]])) for sol in solution]
    return solution, stats


def _solve_reference(targets, n, d, indices, candidates):
    """Dense: expand every candidate in all n*d variables with sympy, one sympy Matrix rref."""
    stats = SolveStats(DENSE_EXPANSION)
    clock = time.perf_counter()
    gens = token_gens(n, d)
    X = [gens[j * d : (j + 1) * d] for j in range(n)]
    P = [
        sympy.Poly(sympy.Add(*[sympy.Mul(*[x[k] ** a for k, a in enumerate(g)]) for x in X]), *gens, domain=sympy.QQ)
        for g in indices
    ]
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
    A: list[list[int | sympy.Expr]] = [[0] * (ncols + nrhs) for _ in monomials]
    for j, col in enumerate(columns):
        for mon, c in col.items():
            A[index[mon]][j] = sympy.Rational(c.numerator, c.denominator)
    for k, t in enumerate(targets):
        for mon, c in t.items():
            A[index[mon]][ncols + k] = sympy.Rational(c.numerator, c.denominator)
    stats.candidates_seconds = time.perf_counter() - clock
    clock = time.perf_counter()
    R, pivots = sympy.Matrix(A).rref()  # no-eval: entries are sympy objects built here
    stats.solve_seconds = time.perf_counter() - clock
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
