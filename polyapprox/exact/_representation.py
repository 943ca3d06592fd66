"""The representation engine's entry points: F_i(X) = Psi(x_i, P(X)) and f(X) = Q(P(X)).

:func:`represent_equivariant` and :func:`represent_invariant` check their input, run the
exact solver of :mod:`polyapprox.exact._semi_invariant` and return the result types of
:mod:`polyapprox.exact._results`, with the solve statistics attached as ``.stats``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sympy

from ._errors import PolyapproxError, ShapeError, SizeError
from ._indices import power_sum_indices
from ._parse import MAX_DEGREE
from ._poly import psi_gens, terms_to_expr, token_gens
from ._results import EquivariantRepresentation, InvariantRepresentation
from ._semi_invariant import MAX_SOLVE_WORK, METHODS, ORBIT_BLOCKS
from ._validate import check_choice, check_int

__all__ = ["MAX_SOLVE_WORK", "METHODS", "SolveConfig", "represent_equivariant", "represent_invariant"]


def _check_method(method: object) -> str:
    return check_choice("method", method, METHODS)


@dataclass(frozen=True)
class SolveConfig:
    """How the exact engine solves: the method and the work budget (checked when built).

    Parameters
    ----------
    method : str, default 'orbit-blocks'
        ``"orbit-blocks"`` (degree blocks x Stab(1)-orbit rows, sparse exact elimination) or
        ``"dense-expansion"`` (every candidate expanded, one dense sympy rref; a baseline). Both
        give the same normal form.
    max_work : int or None, default None
        Budget of the exact elimination in work units, estimated from n, d and the degree
        before anything is built; None: :data:`MAX_SOLVE_WORK` (about 20 s of CPU at most).
        The expansion of F and the certification have budgets of their own, max(max_work,
        MAX_SOLVE_WORK) in the same units: a larger ``max_work`` raises them too.

    Examples
    --------
    >>> SolveConfig(max_work=10**12).method
    'orbit-blocks'
    >>> SolveConfig(method="fast")
    Traceback (most recent call last):
    ...
    polyapprox.exact._errors.UnknownNameError: unknown method 'fast'; allowed: 'orbit-blocks', 'dense-expansion'
    """

    method: str = ORBIT_BLOCKS
    max_work: int | None = None

    def __post_init__(self) -> None:
        _check_method(self.method)
        if self.max_work is not None:
            check_int("max_work", self.max_work)


def _solve_config(config: object) -> SolveConfig:
    if config is None:
        return SolveConfig()
    if not isinstance(config, SolveConfig):
        raise PolyapproxError(f"config must be a SolveConfig; got {type(config).__name__}")
    return config


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


def estimate_verify_work(psi_terms: Sequence[dict[tuple[int, ...], Any]], n: int, d: int, indices) -> int:
    """Work units of expanding Psi(x_1, P(X)) exactly (the certification), before expanding it.

    Each term y^beta prod_gamma s_gamma^(m_gamma) expands into at most min(n^|m|, C(n d + deg, deg)) monomials
    (|m| power sums of n terms each, or every monomial of its degree deg in the n d variables), each a
    vector of n d exponents: the sum of those counts times n d. An upper bound of the terms the expansion
    builds, in the same units as the elimination budget (``max_work``); it refuses, e.g., the product of
    15 binomials (x1_1 + x{i}_1) at n = 16 (about 2e11 units, 100 s here).
    """
    weights = [sum(gamma) for gamma in indices]
    width = n * d
    total = 0
    for terms in psi_terms:
        for m in terms:
            k = sum(m[d:])
            degree = sum(m[:d]) + sum(w * e for w, e in zip(weights, m[d:]))
            total += min(n**k, math.comb(width + degree, degree))
    return total * width


def check_verify_work(psi_terms, n: int, d: int, indices, max_work: int | None) -> None:
    """Refuse (SizeError) a certification estimated above max(``max_work``, MAX_SOLVE_WORK): a larger
    ``max_work`` raises this budget, a smaller one (meant for the elimination) does not lower it."""
    budget = max(MAX_SOLVE_WORK, 0 if max_work is None else check_int("max_work", max_work))
    work = estimate_verify_work(psi_terms, n, d, indices)
    if work > budget:
        raise SizeError(
            f"certifying Psi (expanding Psi(x_1, P(X)) exactly: {sum(len(t) for t in psi_terms):,} terms at n = {n}, "
            f"d = {d}) is estimated at {work:.3g} work units, more than the budget of {budget:.3g}; raise it with "
            "SolveConfig(max_work=...) (CLI: --max-work)"
        )


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
    target, convert_seconds, check_seconds = read_checked(F, n, d, first_row=first_row, max_work=max_work)
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
        check_verify_work(psi_terms, n, d, indices, max_work)
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
    degree: int | None = None,
    first_row: bool | None = None,
    verify: bool = True,
    config: SolveConfig | None = None,
) -> EquivariantRepresentation:
    """Exact Sumformer form F_i(X) = Psi(x_i, P_{<=K}(X)) of an equivariant polynomial map.

    Alberti et al. 2023 (equivariant polynomials in Sumformer form): every equivariant
    polynomial map F is F_i(X) = Psi(x_i, P_{<=K}(X)) with the power sums P of degree at most
    K = n (or n - 1, refined). Coefficients are matched exactly over the candidate terms in
    canonical order, every free unknown set to 0, so Psi is a canonical normal form (the same
    for both methods). The certificate expands Psi(x_1, P(X)) - F_1 exactly; with the
    equivariance of F it covers every row (structure lemma). Solve sizes and the time split
    are on ``.stats``.

    Parameters
    ----------
    F : sympy.Matrix, list of rows, first row, or str
        The equivariant polynomial map: a sympy Matrix n x d_out, a list of rows, the first
        row only (completed by F_i = F_1 o tau_{1i} after checking that it is symmetric in
        tokens 2..n), or a string of comma-separated entries of the first row (safe parser).
        Coefficients must be rational: floats in sympy input are refused (use
        sympy.Rational); decimals in strings are read exactly (0.5 -> 1/2).
    n : int
        Number of tokens n.
    d : int
        Token dimension d.
    refined : bool, default False
        Use the power sums of degree at most n - 1 instead of n (for n = 1: K = 0, and Psi
        depends on y only).
    degree : int or None, default None
        Bound on the weighted degree of Psi; default the total degree of F_1.
    first_row : bool or None, default None
        Whether F is the first row only (True) or all n rows (False); needed for a flat list
        of exactly n > 1 expressions, which is refused as ambiguous otherwise.
    verify : bool, default True
        Certify the result by exact expansion.
    config : SolveConfig or None, default None
        The method and the work budget; None: ``SolveConfig()``.

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
        When the expansion of F, the candidate space, the sparse solve or the certification is
        estimated above its budget (the message gives the estimate).

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
    config = _solve_config(config)
    return _represent_equivariant_stats(
        F,
        n,
        d,
        refined,
        method=config.method,
        degree=degree,
        first_row=first_row,
        verify=verify,
        max_work=config.max_work,
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
    f: Any, n: int, d: int, *, degree: int | None = None, config: SolveConfig | None = None
) -> InvariantRepresentation:
    """Write an invariant polynomial f as f(X) = Q(P_{<=n}(X)) (theory/latent, generation theorem).

    Every invariant polynomial is a polynomial Q in the power sums P_alpha, |alpha| <= n. Normal
    form as in :func:`represent_equivariant` (canonical order of the products of power sums,
    free unknowns 0), so both methods return the same Q.

    Parameters
    ----------
    f : sympy.Expr or str
        The invariant polynomial: a sympy expression or a string (safe parser) in the token
        variables.
    n : int
        Number of tokens n.
    d : int
        Token dimension d.
    degree : int or None, default None
        Bound on the weighted degree of Q; default the total degree of f.
    config : SolveConfig or None, default None
        The method (both give the same Q) and the work budget; None: ``SolveConfig()``.

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
    config = _solve_config(config)
    return _represent_invariant_stats(f, n, d, method=config.method, degree=degree, max_work=config.max_work)[0]
