"""Exact equivariance checks and symmetrisation (theory/index, theory/representation).

Checks use generators only: F is equivariant iff F(tau X) = tau F(X) for the transpositions
tau_{1i}, i = 2..n (they generate S_n, and the permutations commuting with F form a group).
A first row alone must be semi-invariant: invariant under tau_{2i}, i = 3..n (they generate
Stab(1)); F is then completed by the structure lemma, F_i = F_1 o tau_{1i}.

Permutation convention (theory/index): a witness is a tuple sigma of 0-based positions;
token j moves to position sigma[j], so (sigma X)_i = x_{sigma^{-1}(i)}.

Accepted forms of F: a sympy Matrix n x d_out (all rows) or 1 x d_out (the first row only,
when n > 1); a list of n rows; a list of d_out expressions or one expression (first row);
a string of comma-separated entries (first row, read by the safe parser).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy
from sympy.utilities.iterables import multiset_permutations

from ._errors import NotEquivariantError, PolyapproxError, ShapeError
from ._parse import parse_polynomials
from ._poly import (
    Terms,
    as_sympy,
    check_token_name,
    expr_to_terms,
    inverse_permutation,
    permute_tokens,
    terms_equal,
    terms_to_expr,
    token_blocks,
    token_gens,
    transposition,
)
from ._validate import check_int


@dataclass(frozen=True)
class PolynomialMap:
    """F read into exact term dicts: ``rows[i][c]`` for every token i (completed if only row 1 was given)."""

    n: int
    d: int
    rows: list[list[Terms]]
    first_row_only: bool

    @property
    def d_out(self) -> int:
        return len(self.rows[0])

    def matrix(self) -> sympy.Matrix:
        gens = token_gens(self.n, self.d)
        return sympy.Matrix([[terms_to_expr(t, gens) for t in row] for row in self.rows])  # no-eval: entries are sympy objects built here


def read_target(F: Any, n: int, d: int, *, what: str = "F") -> tuple[list[list[Terms]], bool]:
    """(rows of term dicts, first_row_only) from any accepted form of F (module docstring)."""
    n = check_int("n", n)
    d = check_int("d", d)
    if isinstance(F, str):
        entries = parse_polynomials(F, n, d)
        rows, first = [entries], True
    elif isinstance(F, sympy.MatrixBase):
        if F.rows == n:
            rows, first = [list(F.row(i)) for i in range(n)], False
        elif F.rows == 1:
            rows, first = [list(F.row(0))], True
        else:
            raise ShapeError(f"{what} must have n = {n} rows (all outputs) or 1 row (the first output row); "
                             f"got a {F.rows} x {F.cols} Matrix")
        if F.cols == 0:
            raise ShapeError(f"{what} must have at least one column; got a {F.rows} x 0 Matrix")
    elif isinstance(F, (list, tuple)):
        if not F:
            raise ShapeError(f"{what} is empty; give n = {n} rows or the first row")
        if all(isinstance(r, (list, tuple, sympy.MatrixBase)) for r in F):
            rows = [list(r) for r in F]
            if len(rows) not in (1, n):
                raise ShapeError(f"{what} must have n = {n} rows or 1 (the first row); got {len(rows)} rows")
            first = len(rows) == 1 and n > 1
        elif any(isinstance(r, (list, tuple, sympy.MatrixBase)) for r in F):
            raise ShapeError(f"{what} mixes rows (lists) and single entries")
        else:
            rows, first = [list(F)], True
        widths = {len(r) for r in rows}
        if len(widths) != 1 or 0 in widths:
            raise ShapeError(f"{what}: every row must have the same nonzero length d_out; "
                             f"got lengths {[len(r) for r in rows]}")
    else:
        rows, first = [[F]], True
    gens = token_gens(n, d)

    def check(name: str) -> None:
        check_token_name(name, n, d)

    out = []
    for i, row in enumerate(rows):
        out_row = []
        for c, entry in enumerate(row):
            label = f"{what}[{i + 1},{c + 1}]"
            if isinstance(entry, str):
                entry = parse_polynomials(entry, n, d)
                if len(entry) != 1:
                    raise PolyapproxError(f"{label} must be one polynomial; got {len(entry)} entries")
                entry = entry[0]
            out_row.append(expr_to_terms(as_sympy(entry, label), gens, label, check))
        out.append(out_row)
    return out, first


def _violation_of_rows(rows: list[list[Terms]], n: int, d: int, sigmas: Sequence[tuple[int, ...]]):
    """First (sigma, row, col, lhs, rhs) with F(sigma X)_r != (sigma F(X))_r = F_{sigma^{-1}(r)}(X)."""
    for sigma in sigmas:
        inverse = inverse_permutation(sigma)
        for r in range(len(rows)):
            for c in range(len(rows[0])):
                lhs = permute_tokens(rows[r][c], sigma, d)
                rhs = rows[inverse[r]][c]
                if not terms_equal(lhs, rhs):
                    return sigma, r, c, lhs, rhs
    return None


def complete_rows(first: list[Terms], n: int, d: int) -> list[list[Terms]]:
    """F_i = F_1 o tau_{1i} for i = 1..n (theory/representation, structure lemma)."""
    return [first] + [[permute_tokens(t, transposition(n, 0, i), d) for t in first] for i in range(1, n)]


def check_target(F: Any, n: int, d: int, *, what: str = "F") -> PolynomialMap:
    """Read F and check equivariance exactly; raise ``NotEquivariantError`` with a witness.

    For a full F the transpositions tau_{1i} are tested; for a first row alone, its
    invariance under tau_{2i} (Stab(1)), after which F is completed by equivariance.
    """
    rows, first = read_target(F, n, d, what=what)
    n = int(n)
    d = int(d)
    gens = token_gens(n, d)
    if first:
        sigmas = [transposition(n, 1, i) for i in range(2, n)]
        found = _violation_of_rows(rows[:1], n, d, sigmas)
        if found:
            sigma, r, c, lhs, rhs = found
            a, b = (j + 1 for j in range(n) if sigma[j] != j)
            raise NotEquivariantError(sigma, (
                f"the given first row is not invariant under permutations fixing token 1 "
                f"(it must be symmetric in tokens 2..{n}): entry {c + 1} of row 1 is "
                f"{_show(rhs, gens)} but becomes {_show(lhs, gens)} after swapping tokens {a} and {b}"))
        rows = complete_rows(rows[0], n, d)
    else:
        found = _violation_of_rows(rows, n, d, [transposition(n, 0, i) for i in range(1, n)])
        if found:
            sigma, r, c, lhs, rhs = found
            raise NotEquivariantError(sigma, (
                f"first differing output entry (row {r + 1}, column {c + 1}): F(sigma X) has "
                f"{_show(lhs, gens)}, sigma F(X) has {_show(rhs, gens)}"))
    return PolynomialMap(n, d, rows, first)


def _show(terms: Terms, gens) -> str:
    text = str(terms_to_expr(terms, gens))
    return text if len(text) <= 120 else text[:117] + "..."


def is_equivariant(F: Any, n: int, d: int) -> bool:
    """True iff F(sigma X) = sigma F(X) for every permutation sigma, checked exactly.

    F: sympy Matrix n x d_out or list of rows in the token variables (theory/index).
    Only the generators tau_{1i} are tested (a first row alone: its invariance under Stab(1)).

    >>> from polyapprox import sequence_symbols
    >>> X = sequence_symbols(3, 1)
    >>> is_equivariant(X.applyfunc(lambda x: x * sum(X)), 3, 1)
    True
    >>> is_equivariant(sympy.Matrix([X[1], X[1], X[1]]), 3, 1)
    False
    """
    return equivariance_witness(F, n, d) is None


def equivariance_witness(F: Any, n: int, d: int) -> tuple[int, ...] | None:
    """None if F is equivariant, else a permutation sigma (0-based tuple) with F(sigma X) != sigma F(X).

    Convention: token j moves to position sigma[j] (theory/index).

    >>> from polyapprox import sequence_symbols
    >>> X = sequence_symbols(3, 1)
    >>> equivariance_witness(sympy.Matrix([X[1], X[0], X[0]]), 3, 1)
    (1, 0, 2)
    """
    try:
        check_target(F, n, d)
    except NotEquivariantError as exc:
        return exc.witness
    return None


def symmetrize(g: Any, n: int, d: int) -> sympy.Matrix:
    """The equivariant F whose first row is the average of g over Stab(1) (theory/representation).

    ``g`` is the would-be first output row: an expression, a list of d_out expressions or a
    string. Works orbit by orbit: the terms of g are grouped by their Stab(1)-orbit (the
    exponent of token 1 and the multiset of the exponents of tokens 2..n); each orbit's
    coefficient total is spread evenly over its distinct monomials, never looping over the
    (n-1)! permutations. Then F_i = g_bar o tau_{1i}.

    >>> from polyapprox import sequence_symbols
    >>> X = sequence_symbols(3, 1)
    >>> symmetrize(X[1] ** 2, 3, 1)
    Matrix([
    [x2_1**2/2 + x3_1**2/2],
    [x1_1**2/2 + x3_1**2/2],
    [x1_1**2/2 + x2_1**2/2]])

    Returns an n x d_out Matrix F; ``is_equivariant(F, n, d)`` holds and, when g is already
    semi-invariant, F_1 = g.
    """
    n = check_int("n", n)
    d = check_int("d", d)
    if isinstance(g, sympy.MatrixBase):
        if g.rows != 1:
            raise ShapeError(f"g must be the first output row (a 1 x d_out Matrix); got {g.rows} x {g.cols}")
        g = list(g)
    rows, _ = read_target(g if isinstance(g, (str, list, tuple)) else [g], n, d, what="g")
    if len(rows) != 1:
        raise ShapeError(f"g must be the first output row only; got {len(rows)} rows")
    first = [_average_over_stabilizer(t, n, d) for t in rows[0]]
    return PolynomialMap(n, d, complete_rows(first, n, d), True).matrix()


def _average_over_stabilizer(terms: Terms, n: int, d: int) -> Terms:
    orbits: dict[tuple, Fraction] = {}
    for monom, c in terms.items():
        blocks = token_blocks(monom, n, d)
        key = (blocks[0], tuple(sorted(blocks[1:], reverse=True)))
        orbits[key] = orbits.get(key, 0) + c
    out: Terms = {}
    for (head, tail), total in orbits.items():
        if not total:
            continue
        size = math.factorial(len(tail))
        for count in _multiplicities(tail):
            size //= math.factorial(count)
        share = Fraction(total) / size
        for arrangement in multiset_permutations(list(tail)):
            monom = head + tuple(e for block in arrangement for e in block)
            out[monom] = out.get(monom, 0) + share
    return out


def _multiplicities(items: Sequence) -> list[int]:
    counts: dict = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return list(counts.values())
