"""The result types of the exact representation engine (theory/representation).

:class:`EquivariantRepresentation` holds Psi with F_i(X) = Psi(x_i, P(X)) for every token i;
:class:`InvariantRepresentation` holds Q with f(X) = Q(P(X)). Both verify themselves by
exact expansion, print LaTeX and round-trip losslessly through JSON-able dicts, whose
polynomials are strings read back by the safe parser (:mod:`polyapprox.exact._parse`): a
tampered file is rejected and nothing in it is ever executed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any, cast

import sympy

from ._errors import PolyapproxError, ShapeError
from ._indices import MultiIndex, count_multi_indices, power_sum_indices
from ._poly import (
    Terms,
    as_sympy,
    check_token_name,
    compose_flint_or_ring,
    expand_affine,
    expr_to_terms,
    psi_gens,
    subtract,
    terms_to_expr,
    token_gens,
)
from ._symbols import own_symbols, power_sum_symbol
from ._validate import check_int

FORMAT_VERSION = 1


def _normalize_indices(indices: Any, n: int, d: int, refined: bool, what: str) -> tuple[MultiIndex, ...]:
    """The power-sum indices of (n, d, refined), checked against ``indices``; counted before they are built."""
    try:
        out = tuple(tuple(check_int("alpha entry", a, 0) for a in alpha) for alpha in indices)
    except TypeError:
        raise PolyapproxError(f"{what}: indices must be a sequence of multi-indices; got {_clip(indices)}") from None
    K = n - 1 if refined else n
    count = count_multi_indices(d, K) if K >= 1 else 0  # refuses absurd sizes by logarithm, builds nothing
    if len(out) != count:
        raise PolyapproxError(
            f"{what}: indices must be the {count:,} power-sum indices alpha in N^{d}, 1 <= |alpha| <= {K} "
            f"(graded-lex); got {len(out):,} entries"
        )
    expected = tuple(power_sum_indices(n, d, refined))
    if out != expected:
        raise PolyapproxError(
            f"{what}: indices must be the power-sum indices {_clip(list(expected))} (graded-lex, d = {d}); "
            f"got {_clip(list(out))}"
        )
    return out


def _clip(value: Any, limit: int = 200) -> str:
    text = _safe_repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _psi_name_check(d: int, indices: tuple[MultiIndex, ...], what: str):
    def check(name: str) -> None:
        if name.startswith("y_"):
            raise PolyapproxError(f"{what} uses {name}, but d = {d} (own-token variables y_1..y_{d})")
        if name.startswith("p_"):
            top = max((sum(a) for a in indices), default=0)
            raise PolyapproxError(
                f"{what} uses {name}, which is not one of the {len(indices)} power sums "
                f"p_alpha with alpha in N^{d}, 1 <= |alpha| <= {top}"
            )

    return check


def _token_name_check(n: int, d: int):
    def check(name: str) -> None:
        check_token_name(name, n, d)

    return check


def _as_matrix(value: Any, what: str) -> sympy.Matrix:
    """``value`` as a sympy Matrix; every entry passes the leaf whitelist :func:`as_sympy`.

    Raw containers never reach ``sympy.Matrix``: it would ``sympify`` (that is, ``eval``)
    string leaves at any depth. Entries must be sympy expressions, ints or Fractions.
    """
    if isinstance(value, sympy.MatrixBase):
        rows = value.tolist()
    elif isinstance(value, (list, tuple)):
        rows = [list(r) if isinstance(r, (list, tuple)) else [r] for r in value]
    else:
        raise PolyapproxError(f"{what} must be a sympy Matrix or a list of rows; got {type(value).__name__}")
    if rows and any(len(r) != len(rows[0]) for r in rows):
        raise ShapeError(f"{what}: rows have different lengths {[len(r) for r in rows]}")
    entries = [as_sympy(v, f"{what}[{i + 1},{c + 1}]") for i, r in enumerate(rows) for c, v in enumerate(r)]
    width = len(rows[0]) if rows else 0
    return sympy.Matrix(len(rows), width, entries)  # no-eval: entries are sympy objects built above


@dataclass
class SolveStats:
    """Sizes and times of one exact solve, kept on the result as ``.stats``.

    Parameters
    ----------
    method : str
        The algorithm.
    candidates : int, default 0
        Number of candidate terms.
    rows : int, default 0
        Monomial rows (dense expansion) or (beta, lambda) orbit rows (orbit blocks), all blocks.
    rank : int, default 0
        Rank found.
    seconds : float, default 0.0
        Solve time (candidate columns and elimination).
    blocks : dict, optional
        Degree -> (rows, columns, rank) of its block.
    convert_seconds : float, default 0.0
        Time reading the input into exact term dicts.
    check_seconds : float, default 0.0
        Time of the equivariance check.
    candidates_seconds : float, default 0.0
        Time building the candidate columns.
    solve_seconds : float, default 0.0
        Time of the exact elimination.
    verify_seconds : float, default 0.0
        Time of the certificate.
    verified : bool or None, default None
        True once the exact expansion Psi(x_1, P(X)) - F_1 = 0 was checked; None when skipped.
    nonzeros : int, default 0
        Sparse entries of the columns built.
    estimated_nonzeros : int, default 0
        Upper estimate the size guard checked before building them.

    Examples
    --------
    >>> from polyapprox import represent_equivariant
    >>> stats = represent_equivariant("x1_1 * x2_1", 2, 1).stats
    >>> stats.method, stats.verified, stats.rank <= stats.candidates
    ('orbit-blocks', True, True)
    """

    method: str
    candidates: int = 0
    rows: int = 0
    rank: int = 0
    seconds: float = 0.0
    blocks: dict[int, tuple[int, int, int]] = field(default_factory=dict)
    convert_seconds: float = 0.0
    check_seconds: float = 0.0
    candidates_seconds: float = 0.0
    solve_seconds: float = 0.0
    verify_seconds: float = 0.0
    verified: bool | None = None
    nonzeros: int = 0
    estimated_nonzeros: int = 0


_PENDING = object()  # a lazily built matrix not built yet


class _LazyMatrix:
    """A dataclass field whose sympy Matrix is built from the exact terms on first access.

    The engine works on term dicts only; ``Psi`` and ``F`` become sympy objects when (and
    if) someone reads them. ``required`` fields have no default (class access raises).
    """

    def __init__(self, build: str, required: bool) -> None:
        self.build, self.required = build, required

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = f"_{name}_value"

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            if self.required:
                raise AttributeError(self.slot)
            return None
        value = obj.__dict__.get(self.slot, None)
        if value is _PENDING:
            value = getattr(obj, self.build)()
            obj.__dict__[self.slot] = value
        return value

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__[self.slot] = value


@dataclass(frozen=True, eq=False)
class EquivariantRepresentation:
    """F_i(X) = Psi(x_i, P(X)) for every token i (theory/representation, Theorem).

    The result of :func:`represent_equivariant`: Psi evaluated at (x_i, P(X)) gives row i of
    F. Equality compares the exact content (n, d, d_out, indices, refined, the polynomials Psi
    and F), not ``method``.

    Parameters
    ----------
    n : int
        Number of tokens n.
    d : int
        Token dimension d.
    d_out : int
        Output dimension per token.
    indices : tuple of tuple of int
        The power-sum alphas Gamma = I_{d,K}, graded-lex (K = n - 1 if ``refined`` else n).
    Psi : sympy.Matrix
        1 x d_out, in the variables ``own_symbols(d)`` (y_k) and ``power_sum_symbol(alpha)``
        (p_...).
    F : sympy.Matrix or None, default None
        The n x d_out target rows; None when there was no symbolic target.
    refined : bool, default False
        Use the power sums of degree at most n - 1 instead of n.
    method : str, default ''
        The algorithm that produced Psi.
    stats : SolveStats or None, default None
        Sizes and times of the solve.

    Examples
    --------
    >>> from polyapprox import own_symbols, power_sum_symbol
    >>> (y1,), p1 = own_symbols(1), power_sum_symbol((1,))
    >>> r = EquivariantRepresentation(2, 1, 1, ((1,), (2,)), sympy.Matrix([[p1 - y1]]),
    ...                               F=sympy.Matrix([[sympy.Symbol("x2_1")], [sympy.Symbol("x1_1")]]))
    >>> r.verify(), r.latent_dim
    (True, 2)
    """

    n: int
    d: int
    d_out: int
    indices: tuple[tuple[int, ...], ...]
    Psi: sympy.Matrix = _LazyMatrix("_build_psi", required=True)  # type: ignore[assignment]
    F: sympy.Matrix | None = _LazyMatrix("_build_f", required=False)  # type: ignore[assignment]
    refined: bool = False
    method: str = ""
    stats: SolveStats | None = field(default=None, compare=False, repr=False)
    if TYPE_CHECKING:  # exact term tables, set in __post_init__ (not dataclass fields at runtime)
        _psi_terms: tuple[Terms, ...] = field(init=False)
        _f_terms: tuple[tuple[Terms, ...], ...] | None = field(init=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        n, d, d_out = check_int("n", self.n), check_int("d", self.d), check_int("d_out", self.d_out)
        set_(self, "n", n), set_(self, "d", d), set_(self, "d_out", d_out)
        if not isinstance(self.refined, bool):
            raise PolyapproxError(f"refined must be True or False; got {self.refined!r}")
        if not isinstance(self.method, str):
            raise PolyapproxError(f"method must be a string; got {self.method!r}")
        indices = _normalize_indices(self.indices, n, d, self.refined, "EquivariantRepresentation")
        set_(self, "indices", indices)
        psi = _as_matrix(self.Psi, "Psi")
        if psi.shape != (1, d_out):
            raise ShapeError(f"Psi must be a 1 x d_out = 1 x {d_out} Matrix; got {psi.shape[0]} x {psi.shape[1]}")
        set_(self, "Psi", psi)
        gens = psi_gens(d, indices)
        check = _psi_name_check(d, indices, "Psi")
        set_(self, "_psi_terms", tuple(expr_to_terms(e, gens, f"Psi[{c + 1}]", check) for c, e in enumerate(psi)))  # pyright: ignore[reportArgumentType]  # sympy Matrix is iterable; its annotations lack __iter__
        if self.F is not None:
            F = _as_matrix(self.F, "F")
            if F.shape != (n, d_out):
                raise ShapeError(f"F must be an n x d_out = {n} x {d_out} Matrix; got {F.shape[0]} x {F.shape[1]}")
            set_(self, "F", F)
            xg = token_gens(n, d)
            set_(
                self,
                "_f_terms",
                tuple(
                    tuple(
                        expr_to_terms(cast("sympy.Expr", F[i, c]), xg, f"F[{i + 1},{c + 1}]", _token_name_check(n, d))
                        for c in range(d_out)
                    )
                    for i in range(n)
                ),
            )
        else:
            set_(self, "_f_terms", None)

    @classmethod
    def _trusted(cls, n, d, d_out, indices, Psi, F, refined, method, psi_terms, f_terms, stats=None):
        """Internal: build from the engine's already validated parts, without re-reading them.

        ``Psi`` or ``F`` may be None: they are then built from the terms on first access.
        """
        self = object.__new__(cls)
        for name, value in (
            ("n", n),
            ("d", d),
            ("d_out", d_out),
            ("indices", indices),
            ("Psi", _PENDING if Psi is None else Psi),
            ("F", _PENDING if F is None and f_terms is not None else F),
            ("refined", refined),
            ("method", method),
            ("_psi_terms", psi_terms),
            ("_f_terms", f_terms),
            ("stats", stats),
        ):
            object.__setattr__(self, name, value)
        return self

    def _build_psi(self) -> sympy.Matrix:
        gens = psi_gens(self.d, self.indices)
        return sympy.Matrix([[terms_to_expr(t, gens) for t in self._psi_terms]])  # no-eval: sympy objects built here

    def _build_f(self) -> sympy.Matrix:
        xg = token_gens(self.n, self.d)
        assert self._f_terms is not None  # F is only pending when its terms exist
        rows = [[terms_to_expr(t, xg) for t in row] for row in self._f_terms]
        return sympy.Matrix(rows)  # no-eval: entries are sympy objects built here

    @classmethod
    def from_terms(
        cls,
        n: int,
        d: int,
        psi_terms: list[dict[tuple[int, ...], Fraction]],
        *,
        refined: bool = False,
        affine: tuple[list[Fraction], list[Fraction]] | None = None,
        method: str = "",
    ) -> EquivariantRepresentation:
        """Psi from exact coefficients: one dict {exponent over (y_1..y_d, s_gamma...): c} per output.

        With ``affine = (scale, shift)`` the exponents refer to the shifted variables
        z'_k = scale_k z_k + shift_k, and Psi(z) = sum_t c_t prod_k (scale_k z_k + shift_k)^{e_tk}
        is expanded exactly over Q (how a least-squares fit in well-conditioned variables
        becomes an exact representation). Coefficients must be ints or Fractions.

        >>> from fractions import Fraction
        >>> r = EquivariantRepresentation.from_terms(2, 1, [{(0, 1, 0): Fraction(1), (1, 0, 0): -1}])
        >>> r.Psi
        Matrix([[p_1 - y_1]])
        >>> EquivariantRepresentation.from_terms(2, 1, [{(1, 0, 0): 1}], affine=([2, 1, 1], [-1, 0, 0])).Psi
        Matrix([[2*y_1 - 1]])
        """
        n, d = check_int("n", n), check_int("d", d)
        indices = tuple(power_sum_indices(n, d, refined))
        width = d + len(indices)
        terms = [_exact_terms(t, width, f"psi_terms[{c}]") for c, t in enumerate(psi_terms)]
        if affine is not None:
            scale, shift = (_exact_vector(v, width, name) for v, name in zip(affine, ("scale", "shift")))
            terms = [expand_affine(t, scale, shift) for t in terms]
        return cls._trusted(n, d, len(terms), indices, None, None, refined, method, tuple(terms), None)

    # -- exact content ---------------------------------------------------------------------
    @property
    def latent_dim(self) -> int:
        """d' = len(indices), the number of power sums the Sumformer adds up."""
        return len(self.indices)

    @property
    def K(self) -> int:
        """The largest power-sum degree used: n - 1 if refined else n."""
        return self.n - 1 if self.refined else self.n

    def _key(self) -> tuple:
        f = None if self._f_terms is None else tuple(tuple(sorted(t.items())) for row in self._f_terms for t in row)
        return (
            self.n,
            self.d,
            self.d_out,
            self.indices,
            self.refined,
            tuple(tuple(sorted(t.items())) for t in self._psi_terms),
            f,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EquivariantRepresentation):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def coefficients(self) -> list[dict[tuple[MultiIndex, tuple[int, ...]], Fraction]]:
        """Per output coordinate, the map (beta, m) -> coefficient of T_{beta,m} = y^beta prod s_gamma^m_gamma.

        >>> from polyapprox import own_symbols, power_sum_symbol
        >>> r = EquivariantRepresentation(2, 1, 1, ((1,), (2,)),
        ...     sympy.Matrix([[power_sum_symbol((1,))**2 / 2 - power_sum_symbol((2,)) / 2]]))
        >>> r.coefficients()
        [{((0,), (0, 1)): Fraction(-1, 2), ((0,), (2, 0)): Fraction(1, 2)}]
        """
        d = self.d
        return [dict(sorted(((m[:d], m[d:]), c) for m, c in terms.items())) for terms in self._psi_terms]

    # -- certification -----------------------------------------------------------------------
    def verify(self, *, use_flint: bool | None = None) -> bool:
        """Expand Psi(x_i, P(X)) - F_i exactly for every token i and output; True or raise.

        Raises ``PolyapproxError`` when ``F`` is None (nothing to verify against) or when
        some residual is nonzero (the message names the row, the output entry and the residual).
        """
        if self._f_terms is None:
            raise PolyapproxError("nothing to verify against: this representation has no target F (F=None)")
        xg = token_gens(self.n, self.d)
        for c, psi in enumerate(self._psi_terms):
            for i in range(self.n):
                expanded = compose_flint_or_ring(psi, self.n, self.d, self.indices, i, use_flint=use_flint)
                residual = subtract(expanded, self._f_terms[i][c])
                if residual:
                    shown = str(terms_to_expr(residual, xg))
                    raise PolyapproxError(
                        f"verification failed: Psi(x_{i + 1}, P(X)) - F_{i + 1} in output entry {c + 1} "
                        f"is {shown[:300]}{'...' if len(shown) > 300 else ''}, not 0"
                    )
        return True

    # -- presentation --------------------------------------------------------------------------
    def to_latex(self) -> str:
        """LaTeX of Psi: one aligned line per output coordinate, with s_gamma = P_gamma(X).

        >>> from polyapprox import own_symbols, power_sum_symbol
        >>> (y1,) = own_symbols(1)
        >>> print(EquivariantRepresentation(2, 1, 1, ((1,), (2,)),
        ...       sympy.Matrix([[power_sum_symbol((1,)) - y1]])).to_latex())
        \\begin{aligned}
        \\Psi(y, s) &= s_{1} - y_{1}
        \\end{aligned}
        """
        names = _latex_names(self.d, self.indices)
        lines = []
        for c, expr in enumerate(self.Psi):  # pyright: ignore[reportArgumentType]  # sympy Matrix is iterable at runtime
            label = r"\Psi" if self.d_out == 1 else rf"\Psi^{{({c + 1})}}"
            lines.append(rf"{label}(y, s) &= {sympy.latex(expr, symbol_names=names)}")
        return "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"

    # -- persistence ------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """JSON-able, lossless: polynomials as strings in x{i}_{k}, y_k, p_... with exact rationals."""
        xg = token_gens(self.n, self.d)
        return {
            "type": "EquivariantRepresentation",
            "version": FORMAT_VERSION,
            "n": self.n,
            "d": self.d,
            "d_out": self.d_out,
            "indices": [list(a) for a in self.indices],
            "refined": self.refined,
            "method": self.method,
            "Psi": [str(terms_to_expr(t, psi_gens(self.d, self.indices))) for t in self._psi_terms],
            "F": None if self._f_terms is None else [[str(terms_to_expr(t, xg)) for t in row] for row in self._f_terms],
        }

    @classmethod
    def from_dict(cls, data: Any, *, verify: bool = True) -> EquivariantRepresentation:
        """Rebuild from :meth:`to_dict` output, validating every field; nothing is executed.

        Polynomials are read by the safe parser: a tampered entry (a call, an attribute,
        an unknown name) raises ``ParseError``. With ``verify`` (the default) an F that Psi does
        not represent is refused (exact expansion); pass ``verify=False`` for trusted large files.
        """
        if isinstance(data, dict):  # what ``polyapprox represent --json`` adds is ignored, never read
            data = {k: v for k, v in data.items() if k not in REPRESENT_CLI_KEYS}
        n, d, d_out, refined, method = _header(
            data, "EquivariantRepresentation", ("n", "d", "d_out", "indices", "refined", "method", "Psi", "F")
        )
        indices = _normalize_indices(data["indices"], n, d, refined, "EquivariantRepresentation.from_dict")
        psi = _string_list(data["Psi"], d_out, "Psi")
        gens = psi_gens(d, indices)
        psi_row = [_parse_text(t, n, d, gens, f"Psi[{c + 1}]") for c, t in enumerate(psi)]
        Psi = sympy.Matrix([psi_row])  # no-eval: entries are sympy objects built here
        F = data["F"]
        if F is not None:
            if not isinstance(F, list) or len(F) != n:
                raise PolyapproxError(f"from_dict: F must be null or a list of n = {n} rows; got {_describe(F)}")
            f_rows = [
                [
                    _parse_text(t, n, d, (), f"F[{i + 1},{c + 1}]")
                    for c, t in enumerate(_string_list(row, d_out, f"F row {i + 1}"))
                ]
                for i, row in enumerate(F)
            ]
            F = sympy.Matrix(f_rows)  # no-eval: entries are sympy objects built here
        rep = cls(n, d, d_out, indices, Psi, F=F, refined=refined, method=method)
        if verify and rep.F is not None:  # a file whose F contradicts its Psi is refused on load
            try:
                rep.verify()
            except PolyapproxError as exc:
                raise PolyapproxError(f"from_dict: F and Psi disagree ({exc}); the data is inconsistent") from None
        return rep


@dataclass(frozen=True, eq=False)
class InvariantRepresentation:
    """Exact form f(X) = Q(P(X)) of an invariant f, P = (P_alpha)_{|alpha| <= n} (theory/latent, generation theorem).

    The result of :func:`represent_invariant`. Equality compares exact content, not ``method``.

    Parameters
    ----------
    n : int
        Number of tokens n.
    d : int
        Token dimension d.
    indices : tuple of tuple of int
        The power-sum alphas I_{d,n}, graded-lex.
    Q : sympy.Expr
        Q, a sympy expression in the p_... variables of ``indices``.
    f : sympy.Expr or None, default None
        The invariant target, if known.
    method : str, default ''
        The algorithm that produced Q.
    stats : SolveStats or None, default None
        Sizes and times of the solve.

    Examples
    --------
    >>> from polyapprox import power_sum_symbol
    >>> p1, p2 = power_sum_symbol((1,)), power_sum_symbol((2,))
    >>> r = InvariantRepresentation(2, 1, ((1,), (2,)), p1**2/2 - p2/2, f=sympy.Symbol("x1_1") * sympy.Symbol("x2_1"))
    >>> r.verify()
    True
    """

    n: int
    d: int
    indices: tuple[tuple[int, ...], ...]
    Q: sympy.Expr
    f: sympy.Expr | None = None
    method: str = ""
    stats: SolveStats | None = field(default=None, compare=False, repr=False)
    if TYPE_CHECKING:  # exact term tables, set in __post_init__ (not dataclass fields at runtime)
        _q_terms: Terms = field(init=False)
        _f_terms: Terms | None = field(init=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        n, d = check_int("n", self.n), check_int("d", self.d)
        set_(self, "n", n), set_(self, "d", d)
        if not isinstance(self.method, str):
            raise PolyapproxError(f"method must be a string; got {self.method!r}")
        indices = _normalize_indices(self.indices, n, d, False, "InvariantRepresentation")
        set_(self, "indices", indices)
        Q = as_sympy(self.Q, "Q")
        set_(self, "Q", Q)
        gens = psi_gens(d, indices)[d:]
        set_(self, "_q_terms", expr_to_terms(Q, gens, "Q", _psi_name_check(d, indices, "Q")))
        if self.f is not None:
            f = as_sympy(self.f, "f")
            set_(self, "f", f)
            set_(self, "_f_terms", expr_to_terms(f, token_gens(n, d), "f", _token_name_check(n, d)))
        else:
            set_(self, "_f_terms", None)

    @property
    def latent_dim(self) -> int:
        """d' = len(indices)."""
        return len(self.indices)

    def _key(self) -> tuple:
        f = None if self._f_terms is None else tuple(sorted(self._f_terms.items()))
        return (self.n, self.d, self.indices, tuple(sorted(self._q_terms.items())), f)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, InvariantRepresentation):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def coefficients(self) -> dict[tuple[int, ...], Fraction]:
        """The map m -> coefficient of prod_gamma s_gamma^m_gamma in Q."""
        return dict(sorted(self._q_terms.items()))

    def verify(self, *, use_flint: bool | None = None) -> bool:
        """Expand Q(P(X)) - f exactly; True or raise ``PolyapproxError`` (f None, or nonzero residual)."""
        if self._f_terms is None:
            raise PolyapproxError("nothing to verify against: this representation has no target f (f=None)")
        psi = {(0,) * self.d + m: c for m, c in self._q_terms.items()}
        expanded = compose_flint_or_ring(psi, self.n, self.d, self.indices, 0, use_flint=use_flint)
        residual = subtract(expanded, self._f_terms)
        if residual:
            shown = str(terms_to_expr(residual, token_gens(self.n, self.d)))
            raise PolyapproxError(f"verification failed: Q(P(X)) - f is {shown[:300]}, not 0")
        return True

    def to_latex(self) -> str:
        """LaTeX of Q in the variables s_gamma = P_gamma(X)."""
        return "Q(s) = " + sympy.latex(self.Q, symbol_names=_latex_names(self.d, self.indices))

    def to_dict(self) -> dict:
        """JSON-able, lossless: Q and f as strings with exact rationals."""
        return {
            "type": "InvariantRepresentation",
            "version": FORMAT_VERSION,
            "n": self.n,
            "d": self.d,
            "indices": [list(a) for a in self.indices],
            "method": self.method,
            "Q": str(terms_to_expr(self._q_terms, psi_gens(self.d, self.indices)[self.d :])),
            "f": None if self._f_terms is None else str(terms_to_expr(self._f_terms, token_gens(self.n, self.d))),
        }

    @classmethod
    def from_dict(cls, data: Any) -> InvariantRepresentation:
        """Rebuild from :meth:`to_dict` output through the safe parser; nothing is executed."""
        n, d, _, _, method = _header(data, "InvariantRepresentation", ("n", "d", "indices", "method", "Q", "f"))
        indices = _normalize_indices(data["indices"], n, d, False, "InvariantRepresentation.from_dict")
        gens = psi_gens(d, indices)[d:]
        Q = _parse_text(_string(data["Q"], "Q"), n, d, gens, "Q")
        f = data["f"]
        if f is not None:
            f = _parse_text(_string(f, "f"), n, d, (), "f")
        return cls(n, d, indices, Q, f=f, method=method)


# -- helpers for from_dict ------------------------------------------------------------------------


def _safe_repr(value: Any) -> str:
    """repr, or a description when it holds an integer over Python's 4,300 printable digits."""
    try:
        return repr(value)
    except ValueError:
        return f"<{type(value).__name__} holding an integer too long to print>"


def _describe(value: Any) -> str:
    text = _safe_repr(value)
    return f"{type(value).__name__} {text[:60]}{'...' if len(text) > 60 else ''}"


#: Keys that ``polyapprox represent --json`` adds to ``EquivariantRepresentation.to_dict()``: the command's
#: inputs and figures derived from the representation. ``from_dict`` skips them (they are recomputed, never
#: read), so the command's output loads as it is; any other unknown key is still refused.
REPRESENT_CLI_KEYS = frozenset({"inputs", "latent_dim", "verified", "candidates", "rank"})


def _header(data: Any, kind: str, keys: tuple[str, ...]) -> tuple[int, int, int, bool, str]:
    if not isinstance(data, dict):
        raise PolyapproxError(f"from_dict expects a dict; got {_describe(data)}")
    if data.get("type") != kind:
        raise PolyapproxError(f"from_dict: 'type' must be {kind!r}; got {_safe_repr(data.get('type'))[:60]}")
    version = data.get("version")
    if type(version) is not int or version != FORMAT_VERSION:  # true == 1 in JSON and Python: refuse booleans
        raise PolyapproxError(
            f"from_dict: unsupported format version {_safe_repr(version)[:60]}; expected {FORMAT_VERSION}"
        )
    missing = [k for k in keys if k not in data]
    unknown = sorted(set(data) - set(keys) - {"type", "version"})
    if missing or unknown:
        raise PolyapproxError(f"from_dict: missing keys {missing}, unknown keys {unknown}")
    n = check_int("n", data["n"])
    d = check_int("d", data["d"])
    d_out = check_int("d_out", data["d_out"]) if "d_out" in keys else 0
    refined = data.get("refined", False)
    if not isinstance(refined, bool):
        raise PolyapproxError(f"from_dict: 'refined' must be true or false; got {_describe(refined)}")
    method = data["method"]
    if not isinstance(method, str):
        raise PolyapproxError(f"from_dict: 'method' must be a string; got {_describe(method)}")
    return n, d, d_out, refined, method


def _string(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise PolyapproxError(f"from_dict: {what} must be a string; got {_describe(value)}")
    return value


def _string_list(value: Any, length: int, what: str) -> list[str]:
    if not isinstance(value, list) or len(value) != length:
        raise PolyapproxError(
            f"from_dict: {what} must be a list of {_safe_repr(length)[:20]} strings; got {_describe(value)}"
        )
    return [_string(v, what) for v in value]


def _parse_text(text: str, n: int, d: int, extra, what: str) -> sympy.Expr:
    from ._errors import ParseError
    from ._parse import parse_polynomial

    try:
        return parse_polynomial(text, n, d, extra_symbols=extra)
    except PolyapproxError as exc:
        raise (type(exc)(f"from_dict: {what}: {exc}") if isinstance(exc, ParseError) else exc) from None


def _latex_names(d: int, indices: tuple[MultiIndex, ...]) -> dict[sympy.Symbol, str]:
    names: dict[sympy.Symbol, str] = {y: f"y_{{{k + 1}}}" for k, y in enumerate(own_symbols(d))}
    for alpha in indices:
        label = "".join(map(str, alpha)) if all(a < 10 for a in alpha) else ",".join(map(str, alpha))
        names[power_sum_symbol(alpha)] = f"s_{{{label}}}"
    return names


def _exact_terms(terms: Any, width: int, what: str) -> dict[tuple[int, ...], Fraction]:
    if not isinstance(terms, dict):
        raise PolyapproxError(f"{what} must be a dict {{exponent tuple: coefficient}}; got {type(terms).__name__}")
    out = {}
    for e, c in terms.items():
        if type(e) is tuple and all(type(v) is int and v >= 0 for v in e):  # the common case, checked fast
            exponent = e
        else:
            exponent = tuple(check_int("exponent entry", v, 0) for v in e)
        if len(exponent) != width:
            raise ShapeError(f"{what}: exponent {e!r} must have d + d' = {width} entries")
        out[exponent] = _exact_number(c, what)
    return {e: c for e, c in out.items() if c}


def _exact_vector(values: Any, width: int, what: str) -> list[Fraction]:
    values = list(values)
    if len(values) != width:
        raise ShapeError(f"affine {what} must have d + d' = {width} entries; got {len(values)}")
    return [_exact_number(v, f"affine {what}") for v in values]


def _exact_number(value: Any, what: str) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, (int, Fraction)):
        raise PolyapproxError(f"{what}: coefficients must be ints or Fractions (exact); got {value!r}")
    return Fraction(value)
