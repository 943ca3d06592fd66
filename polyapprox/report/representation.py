"""Report section "representation": exact Sumformer form of equivariant polynomials (MATH.md sec. 4, P1-P4).

Output of the reconstruction of [A]'s route (MATH.md section 4, Theorem): candidate counts,
the worked examples with their certification residuals, a random equivariant polynomial,
Jacobian ranks of the power-sum maps, and a size/time table of the default method.
"""

from __future__ import annotations

import time
from fractions import Fraction

import numpy as np
import sympy

from .. import (
    count_candidates,
    own_symbols,
    power_sum_indices,
    power_sum_symbol,
    represent_equivariant,
    sequence_symbols,
    symmetrize,
    token_symbol,
)
from ._model import Claim, ReportContext, Section

# MATH.md section 4 "Sizes" / section 11 P1: (n, d, D, K) -> number of candidates (the spec).
P1_SIZES = {(2, 2, 3, 2): 50, (2, 2, 3, 1): 35, (3, 1, 3, 3): 14, (3, 1, 3, 2): 13, (3, 2, 3, 3): 54,
            (3, 2, 3, 2): 50, (4, 1, 4, 4): 26, (4, 1, 4, 3): 25, (3, 2, 4, 2): 121}
# section 11 P4: (n, d) -> (rank of P, rank of (x_1, P)) for K = n and K = n - 1
P4_RANKS = {(3, 1): ((3, 3), (2, 3)), (3, 2): ((6, 6), (5, 6)), (4, 2): ((8, 8), (8, 8)), (3, 3): ((9, 9), (8, 9))}
QUICK_TABLE = [(2, 1, 3), (3, 1, 4), (3, 2, 3), (3, 2, 4)]
FULL_TABLE = QUICK_TABLE + [(4, 2, 4), (4, 3, 4), (5, 2, 5), (6, 2, 6), (5, 3, 5)]


def _worked_examples() -> list[tuple[str, int, int, list, list, bool]]:
    """(label, n, d, F_1, expected Psi, refined) from MATH.md section 4 (the spec's printed values)."""
    x = token_symbol
    y, = own_symbols(1)
    s1, s2 = power_sum_symbol((1,)), power_sum_symbol((2,))
    y1, y2 = own_symbols(2)
    s = lambda *a: power_sum_symbol(a)  # noqa: E731
    rows = []
    table = [(x(2, 1), s1 - y, s1 - y), (x(1, 1) * x(2, 1), y * s1 - y**2, s1**2 / 2 - s2 / 2),
             (x(2, 1) ** 2, s1**2 - 2 * y * s1 + y**2, s1**2 / 2 - y * s1 + s2 / 2),
             (x(1, 1) ** 2 * x(2, 1) + x(2, 1) ** 3, s1**3 - 3 * y * s1**2 + 4 * y**2 * s1 - 2 * y**3,
              s1 * s2 - y * s2)]
    for F1, k1, k2 in table:
        rows.append((f"ex1 {F1}, K=1", 2, 1, [F1], [k1], True))
        rows.append((f"ex1 {F1}, K=2", 2, 1, [F1], [k2], False))
    F1 = [x(2, 1) * x(3, 1) + x(1, 2) * (x(2, 2) + x(3, 2)), x(2, 1) * x(2, 2) + x(3, 1) * x(3, 2)]
    psi = [s(1, 0) ** 2 / 2 - y1 * s(1, 0) + y1**2 - s(2, 0) / 2 + y2 * s(0, 1) - y2**2, s(1, 1) - y1 * y2]
    rows.append(("ex2 (n=3, d=2), K=2", 3, 2, F1, psi, True))
    rows.append(("ex2 (n=3, d=2), K=3", 3, 2, F1, psi, False))
    return rows


def _random_target(n: int, d: int, degree: int, seed: int) -> sympy.Matrix:
    rng = np.random.default_rng(seed)
    X = list(sequence_symbols(n, d))
    g = sympy.Integer(0)
    for _ in range(10):
        mon = sympy.Integer(int(rng.integers(-5, 6)))
        for _ in range(int(rng.integers(1, degree + 1))):
            mon *= X[int(rng.integers(len(X)))]
        g += mon
    return symmetrize(g, n, d)


def jacobian_ranks(n: int, d: int, K: int, seed: int = 0) -> tuple[int, int]:
    """Exact ranks of the Jacobians of P_{<=K} and of (x_1, P_{<=K}) at a seeded random rational point."""
    import flint

    rng = np.random.default_rng(seed)
    point = [[Fraction(int(rng.integers(1, 1000)), int(rng.integers(1, 1000))) for _ in range(d)] for _ in range(n)]
    rows = []
    for alpha in power_sum_indices(n, d) if K == n else power_sum_indices(n, d, refined=True):
        row = []
        for j in range(n):
            for c in range(d):
                if alpha[c] == 0:
                    row.append(Fraction(0))
                    continue
                value = Fraction(alpha[c])
                for k in range(d):
                    value *= point[j][k] ** (alpha[k] - (k == c))
                row.append(value)
        rows.append(row)
    own = [[Fraction(int(j == 0 and c == k)) for j in range(n) for c in range(d)] for k in range(d)]

    def rank(matrix):
        if not matrix:
            return 0
        return flint.fmpq_mat([[flint.fmpq(v.numerator, v.denominator) for v in r] for r in matrix]).rank()

    return rank(rows), rank(rows + own)


def build(ctx: ReportContext) -> Section:
    claims = []
    # P1: candidate counts
    counts = {str(k): count_candidates(k[1], power_sum_indices(k[0], k[1], refined=(k[3] == k[0] - 1)), k[2])
              for k in P1_SIZES}
    solved = {}
    for (n, d, D, K), _ in P1_SIZES.items():
        rep = represent_equivariant(_random_target(n, d, D, ctx.seed), n, d, K == n - 1, degree=D)
        stats = rep.stats
        solved[str((n, d, D, K))] = [stats.candidates, stats.rank, rep.verify()]
    expected_counts = {str(k): v for k, v in P1_SIZES.items()}
    measured_engine = {k: v[0] for k, v in solved.items()}
    claims.append(Claim("P1", "candidate counts of MATH.md sec. 4 (enumeration and engine); all systems solvable",
                        counts == expected_counts and measured_engine == expected_counts
                        and all(v[2] for v in solved.values()) and solved[str((3, 2, 4, 2))][1] == 120,
                        measured=solved, expected=expected_counts))
    # P2: worked examples
    p2_rows, p2_ok, latex_example = [], True, ""
    for label, n, d, F1, psi, refined in _worked_examples():
        rep = represent_equivariant(F1, n, d, refined)
        stats = rep.stats
        same = all(sympy.expand(a - b) == 0 for a, b in zip(rep.Psi, psi))
        residual = 0 if rep.verify() else 1
        p2_ok = p2_ok and same and residual == 0
        p2_rows.append((label, " ; ".join(map(str, rep.Psi)), stats.candidates, same, residual))
        if label.startswith("ex2") and refined:
            latex_example = rep.to_latex()
    claims.append(Claim("P2", "worked examples 1 and 2: the listed Psi, certification residual 0",
                        p2_ok, measured=[[r[0], r[1], r[4]] for r in p2_rows], expected="listed Psi; residual 0"))
    # P3: random equivariant polynomial (3, 2, 4), K = 2
    F = _random_target(3, 2, 4, ctx.seed + 1)
    rep = represent_equivariant(F, 3, 2, refined=True)
    stats = rep.stats
    p3 = rep.verify()
    claims.append(Claim("P3", "random equivariant polynomial (n,d,deg)=(3,2,4), K=2: expand(Psi(x_1,P)-F_1)=0",
                        p3, measured={"candidates": stats.candidates, "rank": stats.rank, "verified": p3},
                        expected={"verified": True}))
    # P4: Jacobian ranks
    ranks = {str(k): (jacobian_ranks(*k, K=k[0], seed=ctx.seed), jacobian_ranks(*k, K=k[0] - 1, seed=ctx.seed))
             for k in P4_RANKS}
    claims.append(Claim("P4", "Jacobian ranks of P_{<=K} / (x_1, P_{<=K}) at a random rational point, K = n and n-1",
                        ranks == {str(k): v for k, v in P4_RANKS.items()}, measured=ranks,
                        expected={str(k): v for k, v in P4_RANKS.items()}))
    # size / time table of the default method
    table = []
    for n, d, D in (QUICK_TABLE if ctx.quick else FULL_TABLE):
        F = _random_target(n, d, D, ctx.seed + 2)
        start = time.perf_counter()
        rep = represent_equivariant(F, n, d)
        stats = rep.stats
        seconds = time.perf_counter() - start
        table.append({"n": n, "d": d, "degree": D, "candidates": stats.candidates, "orbit_rows": stats.rows,
                      "rank": stats.rank, "seconds": round(seconds, 4), "verified": rep.verify()})
    claims.append(Claim("P-table", "every table case verifies exactly", all(r["verified"] for r in table),
                        measured=[r["verified"] for r in table], expected=True))

    section = Section("representation", "Exact Sumformer representation of equivariant polynomials")
    lines = [
        "Exact coefficient matching of MATH.md section 4 (reconstruction of the route of [A]): for an equivariant "
        "polynomial F, Psi with F_i(X) = Psi(x_i, P(X)) in canonical normal form (candidates in canonical order, "
        "RREF, free unknowns 0), certified by exact expansion.",
        "",
        "Worked example 2 (n = 3, d = 2, K = 2), s_gamma = P_gamma(X):",
        "",
        "$$" + latex_example + "$$",
        "",
        "| example | Psi (canonical) | candidates | equals MATH.md | residual |",
        "|---|---|---|---|---|",
        *[f"| {a} | `{b}` | {c} | {e} | {r} |" for a, b, c, e, r in p2_rows],
        "",
        "Default method (degree blocks x Stab(1)-orbit rows, sparse exact elimination), random equivariant "
        "targets:",
        "",
        "| n | d | degree | candidates | orbit rows | rank | time (s) | verified |",
        "|---|---|---|---|---|---|---|---|",
        *[f"| {r['n']} | {r['d']} | {r['degree']} | {r['candidates']} | {r['orbit_rows']} | {r['rank']} | "
          f"{r['seconds']:.3f} | {r['verified']} |" for r in table],
    ]
    section.markdown = "\n".join(lines)
    section.numbers = {"P1": solved, "P2": [list(r) for r in p2_rows], "P3": {"candidates": stats.candidates},
                       "P4": ranks, "table": table}
    section.claims = claims
    return section
