"""Exact equivariance checks and symmetrisation (theory/index, theory/representation).

Checks use generators only: F is equivariant iff F(tau X) = tau F(X) for the transpositions
tau_{1i}, i = 2..n (they generate S_n, and the permutations commuting with F form a group).
A first row alone must be semi-invariant: invariant under tau_{2i}, i = 3..n (they generate
Stab(1)); F is then completed by the structure lemma, F_i = F_1 o tau_{1i}.

Permutation convention (theory/index): a witness is a tuple sigma of 0-based positions;
token j moves to position sigma[j], so (sigma X)_i = x_{sigma^{-1}(i)}.

Accepted forms of F: a sympy Matrix n x d_out (all rows) or 1 x d_out (the first row only,
when n > 1); a list of n rows, or a list holding one row (the first row); a flat list of
d_out expressions (the first row) when d_out != n, or one expression; a string of
comma-separated entries (first row, read by the safe parser). A flat list of exactly n > 1
expressions is refused as ambiguous: write [[F_1], ..., [F_n]] for n rows of one column or
[[F_11, ..., F_1n]] for a first row of n columns.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, cast

import sympy
from sympy.utilities.iterables import multiset_permutations

from ._errors import NotEquivariantError, PolyapproxError, ShapeError
from ._parse import check_expansion_work, expansion_cost, parse_polynomials
from ._poly import (
    PackedReader,
    Terms,
    as_sympy,
    check_token_name,
    expr_to_terms,
    inverse_permutation,
    packed_to_terms,
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
    rows: Sequence[list[Terms]]
    first_row_only: bool

    @property
    def d_out(self) -> int:
        return len(self.rows[0])

    def matrix(self) -> sympy.Matrix:
        gens = token_gens(self.n, self.d)
        entries = [[terms_to_expr(t, gens) for t in row] for row in self.rows]
        return sympy.Matrix(entries)  # no-eval: entries are sympy objects built here


def read_target(
    F: Any, n: int, d: int, *, what: str = "F", first_row: bool | None = None, refuse_ambiguous: bool = False
) -> tuple[list[list[Terms]], bool]:
    """(rows of term dicts, first_row_only) from any accepted form of F (module docstring).

    ``first_row``: True reads F as the first output row only (refusing n-row forms), False
    as all n rows (a flat list of n expressions is then n rows of one column), None decides
    by shape. A flat list of exactly n > 1 expressions is ambiguous under None: it is read
    as a first row, or refused with a message showing both spellings when
    ``refuse_ambiguous`` (the public entry points).
    """
    n, d = check_int("n", n), check_int("d", d)
    rows, first = _raw_rows(F, n, d, what, first_row, refuse_ambiguous)
    return _terms_of_rows(rows, n, d, what), first


def _raw_rows(
    F: Any, n: int, d: int, what: str, first_row: bool | None, refuse_ambiguous: bool, max_work: int | None = None
) -> tuple[list[list], bool]:
    """:func:`read_target` before conversion: the rows of entries as given (strings already parsed)."""
    if first_row is not None and not isinstance(first_row, bool):
        raise PolyapproxError(f"first_row must be True, False or None; got {first_row!r}")
    if isinstance(F, str):
        if first_row is False and n > 1:
            raise ShapeError(
                f"{what}: a string gives the first row only; with first_row=False give the n = {n} "
                "rows as a list of rows or an n x d_out Matrix"
            )
        entries = parse_polynomials(F, n, d, max_work=max_work)
        rows, first = [entries], True
    elif isinstance(F, sympy.MatrixBase):
        rows, first = _rows_of_matrix(F, n, what, first_row)
    elif isinstance(F, (list, tuple)):
        rows, first = _rows_of_list(F, n, what, first_row, refuse_ambiguous)
    else:
        if first_row is False and n > 1:
            raise ShapeError(f"{what}: one expression is the first row only; with first_row=False give n = {n} rows")
        rows, first = [[F]], True
    if max_work is not None and not isinstance(F, str):  # entries given as sympy objects or strings: bounded too
        rows = [
            [_bounded(e, n, d, f"{what}[{i + 1},{c + 1}]", max_work) for c, e in enumerate(r)]
            for i, r in enumerate(rows)
        ]
    return rows, first


def _bounded(entry: Any, n: int, d: int, label: str, max_work: int) -> Any:
    """``entry`` after refusing (``SizeError``) an expansion estimated above ``max_work``; a string is parsed."""
    if isinstance(entry, str):
        parsed = parse_polynomials(entry, n, d, max_work=max_work)
        if len(parsed) != 1:
            raise PolyapproxError(f"{label} must be one polynomial; got {len(parsed)} entries")
        return parsed[0]
    if isinstance(entry, sympy.Basic):
        check_expansion_work(expansion_cost(entry), label, n * d, max_work)
    return entry


def _rows_of_matrix(F: sympy.MatrixBase, n: int, what: str, first_row: bool | None) -> tuple[list[list], bool]:
    """The rows of a sympy Matrix F (all n rows, or the first row), and whether it is the first row only."""
    if F.rows == 1 and (first_row or (first_row is None and n > 1)):
        rows, first = [list(F.row(0))], n > 1
    elif F.rows == n and not first_row:
        rows, first = [list(F.row(i)) for i in range(n)], False
    elif first_row:
        raise ShapeError(
            f"{what} with first_row=True must be the first output row (a 1 x d_out Matrix); "
            f"got a {F.rows} x {F.cols} Matrix"
        )
    else:
        raise ShapeError(
            f"{what} must have n = {n} rows (all outputs) or 1 row (the first output row); "
            f"got a {F.rows} x {F.cols} Matrix"
        )
    if F.cols == 0:
        raise ShapeError(f"{what} must have at least one column; got a {F.rows} x 0 Matrix")
    return rows, first


def _rows_of_list(
    F: list | tuple, n: int, what: str, first_row: bool | None, refuse_ambiguous: bool
) -> tuple[list[list], bool]:
    """The rows of F given as a list (of rows, or of the first row's entries), and whether it is the first row."""
    if not F:
        raise ShapeError(f"{what} is empty; give n = {n} rows or the first row")
    if all(isinstance(r, (list, tuple, sympy.MatrixBase)) for r in F):
        rows = [list(r) for r in F]
        if len(rows) not in (1, n):
            raise ShapeError(f"{what} must have n = {n} rows or 1 (the first row); got {len(rows)} rows")
        if first_row and len(rows) != 1:
            raise ShapeError(f"{what} with first_row=True must be one row; got {len(rows)} rows")
        if first_row is False and len(rows) != n:
            raise ShapeError(f"{what} with first_row=False must have n = {n} rows; got {len(rows)}")
        first = len(rows) == 1 and n > 1 and first_row is not False
    elif any(isinstance(r, (list, tuple, sympy.MatrixBase)) for r in F):
        raise ShapeError(f"{what} mixes rows (lists) and single entries")
    elif first_row is False:
        if len(F) != n:
            raise ShapeError(f"{what} with first_row=False must have n = {n} rows; got a flat list of {len(F)}")
        rows, first = [[e] for e in F], False
    else:
        if len(F) == n > 1 and first_row is None and refuse_ambiguous:
            raise ShapeError(
                f"{what} is a flat list of n = {n} entries: the n rows of a one-column {what}, or its first "
                f"row with d_out = {n}? Write the rows as [[{what}_1], ..., [{what}_{n}]] or pass "
                f"first_row=False; write the first row as [[{what}_11, ..., {what}_1{n}]] or pass first_row=True"
            )
        rows, first = [list(F)], True
    widths = {len(r) for r in rows}
    if len(widths) != 1 or 0 in widths:
        raise ShapeError(
            f"{what}: every row must have the same nonzero length d_out; got lengths {[len(r) for r in rows]}"
        )
    return rows, first


def _terms_of_rows(rows: list[list], n: int, d: int, what: str) -> list[list[Terms]]:
    """Every entry (sympy, int, Fraction or text for the safe parser) as an exact term dict."""
    gens = token_gens(n, d)
    reader = PackedReader(gens)  # one memo for all entries: equal coefficients become the same Fraction

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
            out_row.append(expr_to_terms(as_sympy(entry, label), gens, label, check, reader))
        out.append(out_row)
    return out


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


def stabilizer_generators(n: int) -> list[tuple[int, ...]]:
    """Generators of Stab(1) ~ S_{n-1}: the transposition of tokens 2, 3 and the cycle 2 -> 3 -> ... -> n -> 2."""
    if n <= 2:
        return []
    cycle = (0, *range(2, n), 1)  # token j moves to position j + 1 (0-based 1..n-2), token n - 1 to 1
    return [transposition(n, 1, 2)] + ([cycle] if n > 3 else [])


def _equal(a: Terms, b: Terms) -> bool:
    return a == b or terms_equal(a, b)


def is_equivariant_rows(rows: list[list[Terms]], n: int, d: int, first: bool) -> bool:
    """Exact check with two generators of Stab(1) and the structure lemma; cost linear in the terms.

    ``first``: ``rows`` holds F_1 only, which must be symmetric in tokens 2..n. Otherwise
    F_1 must be symmetric in tokens 2..n and F_i = F_1 o tau_{1i} for i = 2..n (structure
    lemma; together equivalent to F(sigma X) = sigma F(X) for every sigma in S_n). Every
    term of the input is permuted a bounded number of times.
    """
    head = rows[0]
    for sigma in stabilizer_generators(n):
        if not all(_equal(permute_tokens(t, sigma, d), t) for t in head):
            return False
    if first:
        return True
    return all(
        _equal(permute_tokens(t, transposition(n, 0, i), d), rows[i][c])
        for i in range(1, n)
        for c, t in enumerate(head)
    )


def check_target(F: Any, n: int, d: int, *, what: str = "F", first_row: bool | None = None) -> PolynomialMap:
    """Read F and check equivariance exactly; raise ``NotEquivariantError`` with a witness.

    The check is :func:`is_equivariant_rows` (generators of Stab(1) and the structure
    lemma, linear in the number of terms). When it fails, the witness is the first failing
    generator of the classical scan: for a full F the transpositions tau_{1i}; for a first
    row alone, tau_{2i} (its invariance under Stab(1)). After the check a first row is
    completed by equivariance, F_i = F_1 o tau_{1i}.
    """
    rows, first = read_target(F, n, d, what=what, first_row=first_row, refuse_ambiguous=True)
    return _checked(rows, first, int(n), int(d))


def read_checked(
    F: Any, n: int, d: int, *, first_row: bool | None = None, max_work: int | None = None
) -> tuple[PolynomialMap, float, float]:
    """:func:`check_target` for the engine: (the checked map, seconds reading F, seconds checking).

    For n rows of sympy expressions, F_1 is read into term dicts and every other row F_i is
    read with tokens 1 and i swapped into packed monomials (:class:`PackedReader`), which
    must equal those of F_1 (structure lemma: F_i o tau_{1i} = F_1); no exponent tuple is
    built for rows 2..n. With the invariance of F_1 under Stab(1) this is the check of
    :func:`is_equivariant_rows`. Anything else, and any failure, takes :func:`check_target`'s
    route, which gives the same witness and messages as before.
    """
    start = time.perf_counter()
    from ._semi_invariant import MAX_SOLVE_WORK  # one budget: the expansion of F and the elimination

    # a larger max_work raises the expansion budget; a smaller one (meant for the elimination) does not lower it
    budget = max(MAX_SOLVE_WORK, 0 if max_work is None else check_int("max_work", max_work))
    raw, first = _raw_rows(F, n, d, "F", first_row, True, budget)
    packed = None
    if not first and n > 1 and all(isinstance(e, sympy.Expr) for row in raw for e in row):
        packed = _packed_rows(raw, n, d)
    read = time.perf_counter()
    if packed is not None:
        head, head_packed, others = packed
        same = all(o == h for row in others for o, h in zip(row, head_packed))
        if same and is_equivariant_rows([head], n, d, True):
            return PolynomialMap(n, d, CompletedRows(head, n, d), False), read - start, time.perf_counter() - read
    rows = _terms_of_rows(raw, n, d, "F")
    read = time.perf_counter() - start
    begin = time.perf_counter()
    return _checked(rows, first, n, d), read, time.perf_counter() - begin


def _packed_rows(raw: list[list], n: int, d: int) -> tuple[list[Terms], list[dict], list[list[dict]]] | None:
    """F_1 as term dicts and packed, and F_i (i >= 2) packed with tokens 1 and i swapped; None: not that shape."""
    gens = token_gens(n, d)
    reader = PackedReader(gens)
    head = [p for p in (reader.read(e) for e in raw[0]) if p is not None]
    if len(head) != len(raw[0]):
        return None
    others = []
    for i in range(1, n):
        tau = transposition(n, 0, i)
        swapped = reader.permuted([tau[j] * d + k for j in range(n) for k in range(d)])
        row = [swapped.read(e) for e in raw[i]]
        if any(p is None for p in row):
            return None
        others.append(row)
    width = n * d
    return [packed_to_terms(p, width) for p in head], head, cast("list[list[dict]]", others)


class CompletedRows(Sequence):
    """The rows F_i = F_1 o tau_{1i}, i = 1..n, of an equivariant F given by F_1 (each built on first access)."""

    def __init__(self, first: list[Terms], n: int, d: int) -> None:
        self.first, self.n, self.d = first, n, d
        self.built: dict[int, list[Terms]] = {0: first}

    def __len__(self) -> int:
        return self.n

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and len(other) == self.n and all(a == b for a, b in zip(self, other))

    __hash__ = None  # pyright: ignore[reportAssignmentType]  # mutable cache inside: unhashable like a list

    def __getitem__(self, i):  # pyright: ignore[reportIncompatibleMethodOverride]  # int indices only
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self.n))]
        i = range(self.n)[i]
        if i not in self.built:
            tau = transposition(self.n, 0, i)
            self.built[i] = [permute_tokens(t, tau, self.d) for t in self.first]
        return self.built[i]


def _checked(rows: list[list[Terms]], first: bool, n: int, d: int) -> PolynomialMap:
    """:func:`check_target` on term dicts already read."""
    if is_equivariant_rows(rows, n, d, first):
        return PolynomialMap(n, d, CompletedRows(rows[0], n, d) if first else rows, first)
    gens = token_gens(n, d)
    if first:
        sigmas = [transposition(n, 1, i) for i in range(2, n)]
        found = _violation_of_rows(rows[:1], n, d, sigmas)
        assert found is not None  # the row is not invariant, so one of these transpositions breaks it
        sigma, r, c, lhs, rhs = found
        a, b = (j + 1 for j in range(n) if sigma[j] != j)
        raise NotEquivariantError(
            sigma,
            (
                f"the given first row is not invariant under permutations fixing token 1 "
                f"(it must be symmetric in tokens 2..{n}): entry {c + 1} of row 1 is "
                f"{_show(rhs, gens)} but becomes {_show(lhs, gens)} after swapping tokens {a} and {b}"
            ),
        )
    found = _violation_of_rows(rows, n, d, [transposition(n, 0, i) for i in range(1, n)])
    assert found is not None  # the rows are not equivariant, so a transposition (1 i) breaks them
    sigma, r, c, lhs, rhs = found
    raise NotEquivariantError(
        sigma,
        (
            f"first differing output entry (row {r + 1}, column {c + 1}): F(sigma X) has "
            f"{_show(lhs, gens)}, sigma F(X) has {_show(rhs, gens)}"
        ),
    )


def _show(terms: Terms, gens) -> str:
    text = str(terms_to_expr(terms, gens))
    return text if len(text) <= 120 else text[:117] + "..."


def is_equivariant(F: Any, n: int, d: int, *, first_row: bool | None = None) -> bool:
    """True iff F(sigma X) = sigma F(X) for every permutation sigma, checked exactly.

    Equivariance as in Alberti et al. 2023. Generators only are tested (two of Stab(1) and the
    transpositions tau_{1i}): cost linear in the terms.

    Parameters
    ----------
    F : sympy.Matrix, list of rows, first row, or str
        The map in the token variables: a sympy Matrix n x d_out or a list of rows, or the
        first row alone (then: is it symmetric in tokens 2..n?).
    n : int
        Number of tokens n.
    d : int
        Token dimension d.
    first_row : bool or None, default None
        Read F as the first row (True) or all n rows (False); None decides by shape and refuses
        a flat list of exactly n > 1 expressions as ambiguous.

    Returns
    -------
    bool
        Whether F(sigma X) = sigma F(X) for every permutation sigma.

    Examples
    --------
    >>> from polyapprox import sequence_symbols
    >>> X = sequence_symbols(3, 1)
    >>> is_equivariant(X.applyfunc(lambda x: x * sum(X)), 3, 1)
    True
    >>> is_equivariant(sympy.Matrix([X[1], X[1], X[1]]), 3, 1)
    False
    >>> is_equivariant([X[1], X[1], X[1]], 3, 1, first_row=False)   # the rows x2, x2, x2
    False
    >>> is_equivariant([X[1] + X[2], X[0], X[0]], 3, 1, first_row=True)   # F_1 = (x2 + x3, x1, x1)
    True
    """
    return equivariance_witness(F, n, d, first_row=first_row) is None


def equivariance_witness(F: Any, n: int, d: int, *, first_row: bool | None = None) -> tuple[int, ...] | None:
    """None if F is equivariant, else a permutation sigma (0-based tuple) with F(sigma X) != sigma F(X).

    Convention: token j moves to position sigma[j]. The witness is the first failing
    transposition tau_{1i} (for a first row alone: tau_{2i}).

    Parameters
    ----------
    F : sympy.Matrix, list of rows, first row, or str
        The map, in the token variables.
    n : int
        Number of tokens n.
    d : int
        Token dimension d.
    first_row : bool or None, default None
        Read F as the first row (True) or all n rows (False); None decides by shape.

    Returns
    -------
    tuple of int or None
        A failing permutation, or None when F is equivariant.

    Examples
    --------
    >>> from polyapprox import sequence_symbols
    >>> X = sequence_symbols(3, 1)
    >>> equivariance_witness(sympy.Matrix([X[1], X[0], X[0]]), 3, 1)
    (1, 0, 2)
    """
    try:
        check_target(F, n, d, first_row=first_row)
    except NotEquivariantError as exc:
        return exc.witness
    return None


def symmetrize(g: Any, n: int, d: int) -> sympy.Matrix:
    """The equivariant F whose first row is the average of g over Stab(1) (theory/representation).

    Works orbit by orbit: the terms of g are grouped by their Stab(1)-orbit (the
    exponent of token 1 and the multiset of the exponents of tokens 2..n); each orbit's
    coefficient total is spread evenly over its distinct monomials, never looping over the
    (n-1)! permutations. Then F_i = g_bar o tau_{1i}.

    Parameters
    ----------
    g : sympy.Expr, list of sympy.Expr, or str
        The would-be first output row: an expression, a list of d_out expressions or a string.
    n : int
        Number of tokens n.
    d : int
        Token dimension d.

    Returns
    -------
    sympy.Matrix
        An n x d_out Matrix F; ``is_equivariant(F, n, d)`` holds and, when g is already semi-invariant
       , F_1 = g.

    Examples
    --------
    >>> from polyapprox import sequence_symbols
    >>> X = sequence_symbols(3, 1)
    >>> symmetrize(X[1] ** 2, 3, 1)
    Matrix([
    [x2_1**2/2 + x3_1**2/2],
    [x1_1**2/2 + x3_1**2/2],
    [x1_1**2/2 + x2_1**2/2]])
    """
    n = check_int("n", n)
    d = check_int("d", d)
    if isinstance(g, sympy.MatrixBase):
        if g.rows != 1:
            raise ShapeError(f"g must be the first output row (a 1 x d_out Matrix); got {g.rows} x {g.cols}")
        g = list(g)  # pyright: ignore[reportArgumentType]  # sympy Matrix is iterable; its annotations lack __iter__
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
            monom = head + tuple(e for block in arrangement for e in block)  # pyright: ignore[reportGeneralTypeIssues]  # sympy's untyped multiset_permutations is inferred to yield ints
            out[monom] = out.get(monom, 0) + share
    return out


def _multiplicities(items: Sequence) -> list[int]:
    counts: dict = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return list(counts.values())
