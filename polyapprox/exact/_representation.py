"""The representation engine's entry points: F_i(X) = Psi(x_i, P(X)) and f(X) = Q(P(X)).

:func:`represent_equivariant` and :func:`represent_invariant` check their input, run the
exact solver of :mod:`polyapprox.exact._semi_invariant` and return the result types of
:mod:`polyapprox.exact._results`, with the solve statistics attached as ``.stats``.
"""

from __future__ import annotations

import time
from typing import Any

import sympy

from ._errors import PolyapproxError, ShapeError, SizeError
from ._indices import power_sum_indices
from ._parse import MAX_DEGREE
from ._poly import psi_gens, terms_to_expr, token_gens
from ._results import EquivariantRepresentation, InvariantRepresentation
from ._semi_invariant import MAX_SOLVE_WORK, METHOD_ALIASES, METHODS, ORBIT_BLOCKS
from ._validate import check_choice, check_int

__all__ = ["MAX_SOLVE_WORK", "METHODS", "represent_equivariant", "represent_invariant"]


def _check_method(method: object) -> str:
    if isinstance(method, str) and method in METHOD_ALIASES:
        return METHOD_ALIASES[method]
    return check_choice("method", method, METHODS)


def _target_degree(rows: list, degree: int | None) -> int:
    actual = max((sum(m) for t in rows for m in t), default=0)
    if degree is None:
        return actual
    degree = check_int("degree", degree, minimum=0)
    if degree > MAX_DEGREE:
        raise SizeError(f"degree {degree:,} is more than the limit of {MAX_DEGREE:,} for the exact engine")
    if degree < actual:
        raise PolyapproxError(f"degree must be >= the total degree of the target, {actual}; got {degree}")
    return degree


def _represent_equivariant_stats(
    F: Any,
    n: int,
    d: int,
    refined: bool = False,
    *,
    method: str = ORBIT_BLOCKS,
    degree: int | None = None,
    use_flint: bool | None = None,
    first_row: bool | None = None,
    verify: bool = True,
    max_work: int | None = None,
):
    """:func:`represent_equivariant` returning ``(representation, SolveStats)``."""
    from ._equivariance import read_checked
    from ._poly import composes_to
    from ._semi_invariant import NotRepresentableError, solve

    n, d = check_int("n", n), check_int("d", d)
    for name, flag in (("refined", refined), ("verify", verify)):
        if not isinstance(flag, bool):
            raise PolyapproxError(f"{name} must be True or False; got {flag!r}")
    method = _check_method(method)
    target, convert_seconds, check_seconds = read_checked(F, n, d, first_row=first_row)
    D = _target_degree(target.rows[0], degree)
    indices = power_sum_indices(n, d, refined)
    try:
        solution, stats = solve(
            target.rows[0],
            n,
            d,
            indices,
            D,
            first_token_apart=True,
            method=method,
            use_flint=use_flint,
            max_work=max_work,
        )
    except NotRepresentableError as exc:  # pragma: no cover - impossible for equivariant F (section 4 Theorem)
        raise PolyapproxError(f"F is equivariant but no Psi was found ({exc}); please report this") from None
    stats.convert_seconds, stats.check_seconds = convert_seconds, check_seconds
    psi_terms = tuple({beta + m: c for (beta, m), c in sol.items()} for sol in solution)
    if verify:
        begin = time.perf_counter()
        for c, psi in enumerate(psi_terms):
            if not composes_to(psi, target.rows[0][c], n, d, indices, 0, use_flint=use_flint):  # pragma: no cover
                raise PolyapproxError(
                    f"certification failed: Psi(x_1, P(X)) differs from F_1 in output entry {c + 1}; please report this"
                )
        stats.verify_seconds, stats.verified = time.perf_counter() - begin, True
    F_matrix = F if isinstance(F, sympy.MatrixBase) and not target.first_row_only else None  # else built lazily
    rep = EquivariantRepresentation._trusted(
        n,
        d,
        target.d_out,
        tuple(indices),
        None,
        F_matrix,
        refined,
        method,
        psi_terms,
        target.rows,
        stats,
    )
    return rep, stats


def represent_equivariant(
    F: Any,
    n: int,
    d: int,
    refined: bool = False,
    *,
    method: str = ORBIT_BLOCKS,
    degree: int | None = None,
    first_row: bool | None = None,
    verify: bool = True,
    max_work: int | None = None,
) -> EquivariantRepresentation:
    """Exact Sumformer form F_i(X) = Psi(x_i, P_{<=K}(X)) of an equivariant polynomial map.

    Alberti et al. 2023 (equivariant polynomials in Sumformer form), K = n - 1 if ``refined`` else n (n = 1 with
    ``refined``: K = 0, Psi depends on y only). ``F``: sympy Matrix n x d_out, list of rows,
    the first row only (completed by F_i = F_1 o tau_{1i} after checking that it is symmetric
    in tokens 2..n) or a string of comma-separated entries of the first row (safe parser).
    ``first_row=True``/``False`` says explicitly whether F is the first row or all n rows
    (needed for a flat list of exactly n > 1 expressions, refused as ambiguous otherwise).
    ``degree`` (default: the total degree of F_1) bounds the weighted degree of Psi.
    ``max_work`` (default ``MAX_SOLVE_WORK``, 3e10) is the budget of the exact elimination,
    estimated from n, d and the degree before anything is built; past it a ``SizeError`` gives
    the estimate (inputs inside the default budget were measured to finish within a minute).

    The input is converted once into exact sparse term dicts; the equivariance check, the
    solve and the certificate run there, and ``Psi``/``F`` become sympy matrices only when
    read. With ``verify`` (the default) the result is certified: Psi(x_1, P(X)) - F_1 is
    expanded exactly and must vanish, which with the equivariance of F gives every row
    (structure lemma); ``.stats`` has the time split (``convert_seconds``, ``check_seconds``,
    ``candidates_seconds``, ``solve_seconds``, ``verify_seconds``).

    Normal form: the canonical Psi (candidates in canonical order,
    RREF, free unknowns set to 0); ``method="orbit-blocks"`` (the default: degree blocks x
    Stab(1)-orbit rows, sparse exact elimination) and ``method="dense-expansion"`` (every
    candidate expanded, one dense sympy rref; a baseline) return the same Psi. The old names
    ``"default"`` and ``"reference"`` are accepted. Solve sizes and time are on ``.stats``.

    Coefficients must be rational: floats in sympy input are rejected (use sympy.Rational);
    decimals in strings are read exactly (0.5 -> 1/2).

    Parameters
    ----------
    F : sympy.Matrix, list of rows, first row, or str
        The equivariant polynomial map (see above).
    n : int
        Number of tokens n.
    d : int
        Token dimension d.
    refined : bool, default False
        Use the power sums of degree at most n - 1 instead of n.
    method : str, default 'orbit-blocks'
        ``"orbit-blocks"`` or ``"dense-expansion"`` (same Psi).
    degree : int or None, default None
        Bound on the weighted degree of Psi; default the total degree of F_1.
    first_row : bool or None, default None
        Whether F is the first row only (True) or all n rows (False).
    verify : bool, default True
        Certify the result by exact expansion.
    max_work : int or None, default None
        Budget of the exact elimination in work units, estimated from the sizes before any
        work; default :data:`MAX_SOLVE_WORK` (about 20 s of CPU at most). Past it a
        ``SizeError`` gives the estimate.

    Returns
    -------
    EquivariantRepresentation
        An :class:`EquivariantRepresentation`: Psi(x_i, P(X)) expands to F_i for every i, and
        ``verify()`` checks this exactly for every token.

    Raises
    ------
    NotEquivariantError
        When F is not equivariant (``.witness`` shows it).
    NotPolynomialError
        For sin, abs, sqrt... (use ``constructions.continuous.approximate``).
    ParseError
        For unknown or out-of-range variables and floats.
    ShapeError
        For an ambiguous flat list.
    SizeError
        When the candidate space or the sparse solve is too large (the message gives the estimate).

    Notes
    -----
    A reconstruction of the route of Alberti et al. 2023 (semi-invariant first row, power sums
    of the other tokens rewritten through P(X) - x_1^gamma).

    Examples
    --------
    >>> from polyapprox import sequence_symbols
    >>> X = sequence_symbols(2, 1)               # x1_1, x2_1
    >>> F = X.applyfunc(lambda xi: xi * sum(X))  # F_i = x_i (x_1 + x_2)
    >>> represent_equivariant(F, n=2, d=1).Psi
    Matrix([[p_1*y_1]])
    >>> represent_equivariant("x2_1**2", n=2, d=1, refined=True).Psi     # F_1 = x_2^2, K = 1
    Matrix([[p_1**2 - 2*p_1*y_1 + y_1**2]])
    >>> represent_equivariant([X[1], X[0]], n=2, d=1, first_row=False).stats.verified   # rows x2, x1
    True
    """
    return _represent_equivariant_stats(
        F, n, d, refined, method=method, degree=degree, first_row=first_row, verify=verify, max_work=max_work
    )[0]


def _represent_invariant_stats(
    f: Any,
    n: int,
    d: int,
    *,
    method: str = ORBIT_BLOCKS,
    degree: int | None = None,
    use_flint: bool | None = None,
    max_work: int | None = None,
):
    """:func:`represent_invariant` returning ``(representation, SolveStats)``."""
    from ._equivariance import _show, read_target
    from ._errors import NotEquivariantError
    from ._poly import permute_tokens, terms_equal, transposition
    from ._semi_invariant import NotRepresentableError, solve

    n, d = check_int("n", n), check_int("d", d)
    method = _check_method(method)
    if isinstance(f, sympy.MatrixBase):
        if f.shape != (1, 1):
            raise ShapeError(f"f must be one polynomial (a 1 x 1 Matrix at most); got {f.shape[0]} x {f.shape[1]}")
        f = f[0, 0]
    rows, _ = read_target(f if isinstance(f, str) else [f], n, d, what="f")
    if len(rows) != 1 or len(rows[0]) != 1:
        raise ShapeError(f"f must be a single polynomial; got {len(rows)} x {len(rows[0])} entries")
    terms = rows[0][0]
    gens = token_gens(n, d)
    for i in range(1, n):
        sigma = transposition(n, 0, i)
        moved = permute_tokens(terms, sigma, d)
        if not terms_equal(moved, terms):
            raise NotEquivariantError(
                sigma, f"f is not invariant: f(sigma X) = {_show(moved, gens)} but f(X) = {_show(terms, gens)}"
            )
    D = _target_degree([terms], degree)
    indices = power_sum_indices(n, d)
    try:
        solution, stats = solve(
            [terms], n, d, indices, D, first_token_apart=False, method=method, use_flint=use_flint, max_work=max_work
        )
    except NotRepresentableError as exc:  # pragma: no cover - impossible for invariant f (generation theorem)
        raise PolyapproxError(f"f is invariant but no Q was found ({exc}); please report this") from None
    Q = terms_to_expr({m: c for (_, m), c in solution[0].items()}, psi_gens(d, indices)[d:])
    rep = InvariantRepresentation(n, d, tuple(indices), Q, f=terms_to_expr(terms, gens), method=method, stats=stats)
    return rep, stats


def represent_invariant(
    f: Any, n: int, d: int, *, method: str = ORBIT_BLOCKS, degree: int | None = None, max_work: int | None = None
) -> InvariantRepresentation:
    """Write an invariant polynomial f as f(X) = Q(P_{<=n}(X)) (theory/latent, generation theorem).

    ``f``: a sympy expression or a string (safe parser) in the token variables. Normal form
    as in :func:`represent_equivariant` (canonical order of the products of power sums,
    free unknowns 0); both methods return the same Q. ``max_work``: the elimination budget, as
    in :func:`represent_equivariant`.

    Parameters
    ----------
    f : sympy.Expr or str
        The invariant polynomial.
    n : int
        Number of tokens n.
    d : int
        Token dimension d.
    method : str, default 'orbit-blocks'
        ``"orbit-blocks"`` or ``"dense-expansion"`` (same Q).
    degree : int or None, default None
        Bound on the weighted degree of Q; default the total degree of f.
    max_work : int or None, default None
        Budget of the exact elimination, as in :func:`represent_equivariant`.

    Returns
    -------
    InvariantRepresentation
        Q(P(X)) expands to f; ``verify()`` checks it.

    Raises
    ------
    NotEquivariantError
        When f is not invariant (witness: a transposition).

    Examples
    --------
    >>> from polyapprox import sequence_symbols
    >>> X = sequence_symbols(2, 1)
    >>> represent_invariant(X[0] * X[1], n=2, d=1).Q
    p_1**2/2 - p_2/2
    """
    return _represent_invariant_stats(f, n, d, method=method, degree=degree, max_work=max_work)[0]
