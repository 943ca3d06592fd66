"""Exact sparse polynomials over Q: conversion between sympy and term dicts, composition.

The one place where sympy expressions become exact term dicts ``{exponents: Fraction}``
(and back), and where Psi(x_i, P(X)) is expanded (python-flint ``fmpq_mpoly`` when
present, else sympy's sparse ``ring`` over QQ; see :func:`compose_flint_or_ring`).

Coefficient policy (documented in API terms): coefficients must be rational. sympy
``Float`` and Python ``float`` coefficients are REJECTED with a message suggesting
``sympy.Rational`` (or a string such as ``"0.5*x1_1"``, which the safe parser converts
exactly as a decimal fraction); they are never rounded silently.
"""

from __future__ import annotations

import functools
import operator
import re
import sys
from collections.abc import Sequence
from fractions import Fraction
from numbers import Integral, Rational
from typing import Any, cast

import sympy

from ._errors import NotPolynomialError, PolyapproxError, SizeError
from ._flint import HAVE_FLINT_MPOLY
from ._flint import flint as _flint
from ._indices import MultiIndex
from ._symbols import MAX_TOKEN_VARIABLES, own_symbols, power_sum_symbol, token_symbol

Terms = dict[tuple[int, ...], Fraction]

TOKEN_NAME = re.compile(r"x([1-9][0-9]*)_([1-9][0-9]*)")
NUMERIC_ROUTE = (
    "for a non-polynomial target use the numeric route constructions.continuous.approximate(f, n, d, degree)"
)


def token_gens(n: int, d: int) -> list[sympy.Symbol]:
    """x1_1, ..., x1_d, x2_1, ..., xn_d: token-major order of the exponent vectors.

    Refuses (``SizeError``) more than :data:`MAX_TOKEN_VARIABLES` variables before creating any.
    """
    if n * d > MAX_TOKEN_VARIABLES:
        raise SizeError(
            f"n * d = {n:,} * {d:,} token variables, more than the limit of {MAX_TOKEN_VARIABLES:,} "
            "for exact polynomials; choose a smaller n or d"
        )
    return [token_symbol(i, k) for i in range(1, n + 1) for k in range(1, d + 1)]


def psi_gens(d: int, indices: Sequence[MultiIndex]) -> list[sympy.Symbol]:
    """y_1..y_d then p_alpha for alpha in ``indices``: the variables of Psi."""
    return own_symbols(d) + [power_sum_symbol(alpha) for alpha in indices]


def to_fraction(value: object) -> Fraction:
    """An exact rational from a domain element, sympy Rational, int or Fraction."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, Integral):
        return Fraction(int(value))
    if isinstance(value, sympy.Rational):
        return Fraction(int(value.p), int(value.q))
    if isinstance(value, Rational) or (hasattr(value, "numerator") and hasattr(value, "denominator")):
        exact: Any = value  # a numbers.Rational, or a domain element with numerator/denominator (flint fmpq)
        return Fraction(int(exact.numerator), int(exact.denominator))
    return Fraction(str(value))  # pragma: no cover - other exact domain types print as p/q


def check_token_name(name: str, n: int, d: int) -> tuple[int, int] | None:
    """(i, k) for a token variable name within n, d; None if not token-shaped; raise if out of range."""
    match = TOKEN_NAME.fullmatch(name)
    if not match:
        return None
    if max(len(match.group(1)), len(match.group(2))) > 30:  # int() of over 4,300 digits raises ValueError
        raise PolyapproxError(f"variable {name[:40]}... has an index of more than 30 digits; n = {n}, d = {d}")
    i, k = int(match.group(1)), int(match.group(2))
    if i > n:
        raise PolyapproxError(f"variable {name} refers to token {i}, but n = {n} (tokens 1..{n})")
    if k > d:
        raise PolyapproxError(f"variable {name} refers to coordinate {k}, but d = {d} (coordinates 1..{d})")
    return i, k


def as_sympy(value: object, what: str) -> sympy.Expr:
    """A sympy expression from sympy input, an int or a Fraction; floats rejected, strings refused here."""
    if isinstance(value, bool):
        raise PolyapproxError(f"{what} must be a polynomial; got the boolean {value!r}")
    if isinstance(value, float):
        raise PolyapproxError(
            f"{what} has the float coefficient {value!r}; floats are rejected to avoid silent rounding: "
            "use sympy.Rational (e.g. sympy.Rational(1, 2)) or a string such as '0.5*x1_1', "
            "whose decimals are converted exactly"
        )
    if isinstance(value, str):
        raise PolyapproxError(
            f"{what}: strings are not accepted here (sympy would eval them); parse them with "
            "polyapprox.parse_polynomial, or load saved data with from_dict"
        )
    if isinstance(value, Integral):
        return sympy.Integer(int(value))
    if isinstance(value, Fraction):
        return sympy.Rational(value.numerator, value.denominator)
    if isinstance(value, sympy.Basic):
        if not isinstance(value, sympy.Expr):
            raise PolyapproxError(f"{what} must be a sympy expression; got {type(value).__name__}: {value}")
        return value
    raise PolyapproxError(f"{what} must be a sympy expression, an int or a Fraction; got {type(value).__name__}")


def expr_to_terms(
    expr: sympy.Expr, gens: Sequence[sympy.Symbol], what: str, name_check=None, reader: PackedReader | None = None
) -> Terms:
    """Exact term dict of a polynomial ``expr`` in ``gens`` (rational coefficients).

    Symbols are matched by name (a ``Symbol('x1_1', real=True)`` is x1_1).
    ``name_check(name)`` may raise a specific error for a symbol not in ``gens``.
    Raises ``PolyapproxError`` for floats, unknown names or irrational coefficients and
    ``NotPolynomialError`` for functions, negative or fractional powers of variables.

    An expanded sum of rational multiples of products of powers of ``gens`` (the common
    case) is read term by term in one pass (:class:`PackedReader`; pass one ``reader`` over ``gens`` to
    share its memo across many entries); anything else goes through sympy's sparse ring.
    """
    packed = (reader or PackedReader(gens)).read(expr)
    if packed is not None:
        return packed_to_terms(packed, len(gens))
    fast = _expanded_terms(expr, gens)
    if fast is not None:
        return fast
    return _ring_terms(expr, gens, what, name_check)


#: Bits per variable in a packed monomial: exponents and factor counts below 2**8 cannot carry.
_PACK_BITS = 16
_PACK_LIMIT = 1 << 8


class PackedReader:
    """Reads expanded sympy sums c * prod g**e (g in ``gens``) into ``{packed monomial: Fraction}``.

    A monomial x^e is packed as the integer sum_k e_k * 2**(16 * place[k]) (``place`` the
    identity unless given): each factor ``g**e`` of a term is looked up once by object
    identity, and a term's key is the C-level sum of its factors' codes, so a term costs a
    few dictionary look-ups instead of a walk over its exponent vector. Exponents and
    factor counts are kept below 2**8, so no digit can carry into the next. With a
    permuted ``place`` the keys are those of the polynomial with its variables permuted
    (variable k becomes variable place[k]), which is how the equivariance check compares
    rows without building any exponent tuple.

    Readers made by :meth:`permuted` share the memo of factors and coefficients (Fractions
    are interned by value, so equal coefficients are the same object and dict equality is
    an identity test). Ids are only taken of objects inside the expressions read, and the
    reader keeps every expression it read alive, so no id in its memo can be reused. :meth:`read` returns None for any other
    shape (a float, an unknown symbol, a power above the limit, a non-canonical product):
    the caller then falls back to the general conversion, which raises the precise error.
    """

    def __init__(self, gens: Sequence[sympy.Symbol], place: Sequence[int] | None = None, _shared=None) -> None:
        self.position = _positions(tuple(gens))
        self.shift = [_PACK_BITS * p for p in (range(len(gens)) if place is None else place)]
        # shared memo: id -> (variable, exponent) of a token power (None: not one); id -> coefficient;
        # (p, q) -> the one Fraction of that value
        self.factors, self.coeffs, self.fractions = _shared or ({}, {}, {(1, 1): _ONE, (0, 1): _ZERO})
        self.codes: dict[int, int] = {}
        self.alive: list[sympy.Basic] = []  # every expression read: the ids in the memo stay valid

    def permuted(self, place: Sequence[int]) -> PackedReader:
        """A reader of the same memo whose keys have variable k moved to place[k]."""
        reader = PackedReader((), (), (self.factors, self.coeffs, self.fractions))
        reader.position, reader.shift = self.position, [_PACK_BITS * p for p in place]
        reader.alive = self.alive
        return reader

    def read(self, expr: sympy.Expr) -> dict[int, Fraction] | None:
        """{packed monomial: coefficient} of an expanded sum (zero coefficients dropped), or None."""
        self.alive.append(expr)
        codes_get, coeff_get = self.codes.get, self.coeffs.get
        mul, one, zero = sympy.Mul, _ONE, _ZERO
        out: dict[int, Fraction] = {}
        merged = False
        for term in expr.args if expr.is_Add else (expr,):
            if type(term) is mul:
                args = term._args
                coeff = coeff_get(id(args[0]))
                if coeff is None:
                    coeff = one
                else:
                    args = args[1:]
                try:
                    key = sum(map(codes_get, map(id, args)))  # pyright: ignore[reportCallIssue, reportArgumentType]  # a None (unseen factor) raises TypeError, caught below
                except TypeError:  # a factor or the coefficient not seen yet (its code is None)
                    found = self._product(term._args)
                    if found is None:
                        return None
                    coeff, key = found
                if len(args) >= _PACK_LIMIT:
                    return None
            else:
                found = self._single(term)
                if found is None:
                    return None
                coeff, key = found
            if key in out:
                out[key] += coeff
                merged = True
            else:
                out[key] = coeff
                merged = merged or coeff is zero
        return {k: c for k, c in out.items() if c} if merged else out

    def _product(self, args: Sequence[sympy.Basic]) -> tuple[Fraction, int] | None:
        """(coefficient, key) of a product seen for the first time: its factors and coefficient are learnt."""
        coeff = self._coefficient(args[0]) if args[0].is_Number else None
        factors = args if coeff is None else args[1:]
        if not factors or not self._learn(factors):
            return None
        return _ONE if coeff is None else coeff, sum(self.codes[id(f)] for f in factors)

    def _learn(self, args: Sequence[sympy.Basic]) -> bool:
        """Give every factor in ``args`` a code; False if one is not a token power below the limit."""
        for factor in args:
            if id(factor) in self.codes:
                continue
            found = self._factor(factor)
            if found is None:
                return False
            k, e = found
            self.codes[id(factor)] = e << self.shift[k]
        return True

    def _factor(self, factor: sympy.Basic) -> tuple[int, int] | None:
        """(variable, exponent) of a token power g**e with 0 < e < 2**8 (memoised by id), else None."""
        key = id(factor)
        if key in self.factors:
            return self.factors[key]
        found = None
        if factor.is_Pow:
            base, exp = factor.args
            if isinstance(exp, sympy.Integer) and 0 < exp.p < _PACK_LIMIT:
                k = self.position.get(base)
                found = None if k is None else (k, int(exp.p))
        elif factor.is_Symbol:
            k = self.position.get(factor)
            found = None if k is None else (k, 1)
        self.factors[key] = found
        return found

    def _single(self, term: sympy.Basic) -> tuple[Fraction, int] | None:
        """(coefficient, key) of a term that is not a product: a number or one token power."""
        coeff = self._coefficient(term) if term.is_Number else None
        if coeff is not None:
            return coeff, 0
        if not self._learn((term,)):
            return None
        return _ONE, self.codes[id(term)]

    def _coefficient(self, number: sympy.Basic) -> Fraction | None:
        """The interned Fraction of a sympy Rational (memoised by id), else None (floats, irrationals)."""
        found = self.coeffs.get(id(number))
        if found is None and number.is_Rational:
            value = cast(sympy.Rational, number)
            pq = (int(value.p), int(value.q))
            found = self.fractions.get(pq)
            if found is None:
                found = self.fractions[pq] = Fraction(*pq)
            self.coeffs[id(number)] = found
        return found


_ONE, _ZERO = Fraction(1), Fraction(0)


def packed_to_terms(packed: dict[int, Fraction], width: int) -> Terms:
    """The term dict {exponent tuple: c} of a packed one (identity places, ``width`` variables)."""
    size = _PACK_BITS // 8 * width
    order = sys.byteorder
    return {tuple(memoryview(key.to_bytes(size, order)).cast("H")): c for key, c in packed.items()}


def _expanded_terms(expr: sympy.Expr, gens: Sequence[sympy.Symbol]) -> Terms | None:
    """One pass over an expanded sum c * prod g**e with g in ``gens``; None for any other shape."""
    position = _positions(tuple(gens))
    width = len(gens)
    known: dict[int, tuple[int, int]] = {}  # id(factor) -> (variable, exponent); factors live as long as expr
    fractions: dict[sympy.Basic, Fraction] = {}  # coefficients repeat: convert each once
    out: dict[tuple[int, ...], Fraction] = {}
    for term in expr.args if expr.is_Add else (expr,):
        if term.is_Mul:
            factors = term.args
            coeff = factors[0] if factors[0].is_Number else sympy.S.One
            if coeff is not sympy.S.One:
                factors = factors[1:]
        elif term.is_Number:
            coeff, factors = term, ()
        else:
            coeff, factors = sympy.S.One, (term,)
        if not coeff.is_Rational:
            return None
        coeff = cast(sympy.Rational, coeff)  # checked just above; sympy's is_* flags do not narrow
        exponents = [0] * width
        if factors:
            for factor in factors:
                found = known.get(id(factor))
                if found is None:
                    if factor.is_Pow:
                        base, exp = factor.args
                        if not (isinstance(exp, sympy.Integer) and exp.p > 0):
                            return None
                        k, e = position.get(base), int(exp.p)
                    else:
                        k, e = position.get(factor), 1
                    if k is None:
                        return None
                    found = known[id(factor)] = (k, e)
                exponents[found[0]] += found[1]
        key = tuple(exponents)
        value = fractions.get(coeff)
        if value is None:
            value = fractions[coeff] = Fraction(int(coeff.p), int(coeff.q))
        out[key] = out[key] + value if key in out else value
    return {m: c for m, c in out.items() if c}


@functools.lru_cache(maxsize=64)
def _positions(gens: tuple[sympy.Symbol, ...]) -> dict[sympy.Basic, int]:
    return {g: k for k, g in enumerate(gens)}


def _ring_terms(expr: sympy.Expr, gens: Sequence[sympy.Symbol], what: str, name_check=None) -> Terms:
    """:func:`expr_to_terms` through sympy's sparse ring (any polynomial expression; precise errors)."""
    floats = expr.atoms(sympy.Float)
    if floats:
        raise PolyapproxError(
            f"{what} has the float coefficient(s) {sorted(map(str, floats))}; floats are rejected to avoid "
            "silent rounding: use sympy.Rational (e.g. sympy.Rational(1, 2)) or a string such as "
            "'0.5*x1_1', whose decimals are converted exactly"
        )
    by_name = {g.name: g for g in gens}
    replace = {}
    for sym in sorted(cast("set[sympy.Symbol]", expr.free_symbols), key=lambda s: s.name):  # sympy types them Basic
        gen = by_name.get(sym.name)
        if gen is None:
            if name_check is not None:
                name_check(sym.name)
            raise PolyapproxError(f"{what} uses the unknown variable {sym.name}; allowed: {_allowed(gens)}")
        if gen != sym:
            replace[sym] = gen
    if replace:
        expr = cast(sympy.Expr, expr.xreplace(replace))  # sympy types xreplace as returning Basic
    if not gens:  # a constant
        if not expr.is_Rational:
            _raise_non_rational(expr, gens, what)
        return {(): to_fraction(expr)} if expr != 0 else {}
    R = _ring(tuple(gens))
    try:
        poly = R.from_expr(expr)
    except (ValueError, TypeError, sympy.polys.polyerrors.CoercionFailed):
        _diagnose(expr, gens, what)
    return {monom: to_fraction(c) for monom, c in poly.items()}


@functools.lru_cache(maxsize=64)
def _ring(gens: tuple[sympy.Symbol, ...]):
    """sympy's sparse polynomial ring QQ[gens] (dict-based, fast conversions)."""
    from sympy.polys.rings import ring

    return ring(list(gens), sympy.QQ)[0]


def _diagnose(expr: sympy.Expr, gens: Sequence[sympy.Symbol], what: str):
    """Raise the precise error for an expression the sparse ring refused."""
    try:
        sympy.Poly(expr, *gens, domain=sympy.QQ)
    except sympy.PolynomialError as exc:  # e.g. sin(x1_1), x1_1**(1/2)
        raise NotPolynomialError(
            f"{what} is not a polynomial in the token variables ({exc}); {NUMERIC_ROUTE}"
        ) from None
    except sympy.polys.polyerrors.CoercionFailed:
        _raise_non_rational(expr, gens, what)
    raise PolyapproxError(
        f"{what} is not a polynomial with rational coefficients in "  # pragma: no cover
        f"{_allowed(gens)}: {expr}"
    )


def _raise_non_rational(expr: sympy.Expr, gens: Sequence[sympy.Symbol], what: str):
    gens_set = set(gens)
    for sub in sympy.preorder_traversal(expr):
        if (
            isinstance(sub, sympy.Pow)
            and sub.base.free_symbols & gens_set
            and not (sub.exp.is_Integer and sub.exp >= 0)
        ):
            raise NotPolynomialError(
                f"{what} contains {sub}, which is not a polynomial in the token variables; {NUMERIC_ROUTE}"
            ) from None
        if isinstance(sub, sympy.Function) and sub.free_symbols & gens_set:
            raise NotPolynomialError(
                f"{what} contains {sub}, which is not a polynomial in the token variables; {NUMERIC_ROUTE}"
            ) from None
    raise PolyapproxError(f"{what} must have rational coefficients; got {expr}") from None


def _allowed(gens: Sequence[sympy.Symbol]) -> str:
    names = [g.name for g in gens]
    return ", ".join(names) if len(names) <= 8 else f"{', '.join(names[:3])}, ..., {names[-1]}"


def terms_to_expr(terms: Terms, gens: Sequence[sympy.Symbol]) -> sympy.Expr:
    """The sympy expression sum c * prod gens**e of a term dict (exact).

    Built directly in sympy's canonical form (factors and terms sorted as sympy's own
    ``Mul``/``Add`` would sort them), without re-simplifying: the result is the same object
    sympy's arithmetic gives (tested against :func:`_terms_to_expr_ring`), in time linear in
    the number of terms up to the sort.
    """
    if not gens:
        c = terms.get((), 0)
        return sympy.Rational(c.numerator, c.denominator) if c else sympy.Integer(0)
    powers: dict[tuple[int, int], tuple[tuple, sympy.Expr]] = {}  # (variable, exponent) -> (key, factor)
    coeff_keys: dict[sympy.Basic, tuple] = {}
    mul_class = _class_key(sympy.Mul)
    commutative = all(g.is_commutative for g in gens) or None  # None: let sympy work it out
    keyed = []
    constant = None
    for monom, c in terms.items():
        if not c:
            continue
        coeff = sympy.Rational(c.numerator, c.denominator)
        factors = []
        for k, e in enumerate(monom):
            if e:
                found = powers.get((k, e))
                if found is None:
                    factor = gens[k] if e == 1 else sympy.Pow(gens[k], e)
                    found = powers[k, e] = (_canonical_key(factor), factor)
                factors.append(found)
        if not factors:
            constant = coeff
            continue
        if len(factors) > 1:
            factors.sort(key=lambda kf: kf[0])
        if coeff is sympy.S.One and len(factors) == 1:
            keyed.append(factors[0])
            continue
        args = [f for _, f in factors]
        keys = [k for k, _ in factors]
        if coeff is not sympy.S.One:
            ck = coeff_keys.get(coeff)
            if ck is None:
                ck = coeff_keys[coeff] = _canonical_key(coeff)
            args.insert(0, coeff)
            keys.insert(0, ck)
        keyed.append(((mul_class, len(args), tuple(keys)), sympy.Mul._from_args(args, commutative)))
    keyed.sort(key=lambda kf: kf[0])
    pieces = [f for _, f in keyed]
    if constant is not None:
        pieces.insert(0, constant)
    if not pieces:
        return sympy.Integer(0)
    return pieces[0] if len(pieces) == 1 else cast(sympy.Expr, sympy.Add._from_args(pieces, commutative))


def _canonical_key(expr: sympy.Basic) -> tuple:
    """A sort key reproducing sympy's ``Basic.compare`` (the order ``Add``/``Mul`` sort their args by).

    ``compare`` orders by class (``ordering_of_classes``, else the class name), then by the
    length of the hashable content, then item by item; the key is that tuple, built once
    per object instead of re-walking both objects at every comparison.
    """
    content = expr._hashable_content()
    return (
        _class_key(type(expr)),
        len(content),
        tuple(_canonical_key(item) if isinstance(item, sympy.Basic) else item for item in content),
    )


@functools.lru_cache(maxsize=256)
def _class_key(cls: type) -> tuple[int, str]:
    from sympy.core.basic import ordering_of_classes

    try:
        return ordering_of_classes.index(cls.__name__), ""
    except ValueError:
        return len(ordering_of_classes) + 1, cls.__name__


def _terms_to_expr_ring(terms: Terms, gens: Sequence[sympy.Symbol]) -> sympy.Expr:
    """:func:`terms_to_expr` through sympy's sparse ring and full evaluation (the slow reference)."""
    if not terms:
        return sympy.Integer(0)
    if not gens:
        return sympy.Rational(terms[()].numerator, terms[()].denominator)
    R = _ring(tuple(gens))
    QQ = sympy.QQ
    return R.from_dict({m: QQ(c.numerator, c.denominator) for m, c in terms.items()}).as_expr()


def terms_equal(a: Terms, b: Terms) -> bool:
    """Exact equality of two term dicts, ignoring explicit zero coefficients."""
    return {m: c for m, c in a.items() if c} == {m: c for m, c in b.items() if c}


def subtract(a: Terms, b: Terms) -> Terms:
    """a - b, without zero coefficients."""
    out = dict(a)
    for m, c in b.items():
        v = out.get(m, 0) - c
        if v:
            out[m] = v
        else:
            out.pop(m, None)
    return out


def inverse_permutation(sigma: Sequence[int]) -> list[int]:
    """sigma^{-1}: ``inverse[sigma[j]] = j``.

    >>> inverse_permutation((2, 0, 1))
    [1, 2, 0]
    """
    inverse = [0] * len(sigma)
    for j, s in enumerate(sigma):
        inverse[s] = j
    return inverse


def token_blocks(monom: Sequence[int], n: int, d: int) -> list[tuple[int, ...]]:
    """The exponent vector of each token in a monomial over the n*d token variables (token-major).

    >>> token_blocks((1, 0, 2, 3), 2, 2)
    [(1, 0), (2, 3)]
    """
    return [tuple(monom[j * d : (j + 1) * d]) for j in range(n)]


def permute_tokens(terms: Terms, sigma: Sequence[int], d: int) -> Terms:
    """Terms of g(sigma X), where (sigma X)_i = x_{sigma^{-1}(i)} (theory/index).

    ``sigma`` holds 0-based positions: token j moves to position sigma[j]. Variable x_{i,c}
    of g is replaced by x_{sigma^{-1}(i), c}, so the exponent block of token i moves to
    token sigma^{-1}(i).
    """
    n = len(sigma)
    source = [sigma[j] * d + k for j in range(n) for k in range(d)]  # new exponent p takes old source[p]
    if len(source) == 1:
        return dict(terms)
    pick = operator.itemgetter(*source)
    return {pick(monom): c for monom, c in terms.items()}


def transposition(n: int, a: int, b: int) -> tuple[int, ...]:
    """The 0-based permutation tuple swapping positions a and b."""
    sigma = list(range(n))
    sigma[a], sigma[b] = sigma[b], sigma[a]
    return tuple(sigma)


# --- composition Psi(x_i, P(X)) ------------------------------------------------------------


def compose_flint_or_ring(
    psi: Terms, n: int, d: int, indices: Sequence[MultiIndex], token: int, *, use_flint: bool | None = None
) -> Terms:
    """Expand Psi(x_token, P_{indices}(X)) into token-variable terms (exact).

    ``token`` is 0-based; ``psi`` has exponent vectors over (y_1..y_d, p_alpha...).
    Uses python-flint ``fmpq_mpoly.compose`` when available (or when ``use_flint`` is True),
    else sympy's sparse ``ring`` over QQ, so both paths can be tested.
    """
    if use_flint is None:
        use_flint = HAVE_FLINT_MPOLY
    if not psi:
        return {}
    nvars = n * d
    if use_flint:
        return _compose_flint(psi, n, d, indices, token, nvars)
    return _compose_ring(psi, n, d, indices, token, nvars)


def composes_to(
    psi: Terms,
    target: Terms,
    n: int,
    d: int,
    indices: Sequence[MultiIndex],
    token: int,
    *,
    use_flint: bool | None = None,
) -> bool:
    """Exactly whether Psi(x_token, P_{indices}(X)) expands to ``target`` (the certificate).

    With python-flint the difference is formed and tested for zero inside ``fmpq_mpoly``
    (no conversion of the expansion back to Python); else the two term dicts are compared.
    """
    if use_flint is None:
        use_flint = HAVE_FLINT_MPOLY
    if not use_flint or not psi:
        return terms_equal(compose_flint_or_ring(psi, n, d, indices, token, use_flint=use_flint), target)
    nvars = n * d
    ctx_x = _flint.fmpq_mpoly_ctx.get(tuple(f"v{t}" for t in range(nvars)))
    expanded = _compose_flint_poly(psi, n, d, indices, token, ctx_x)
    given = ctx_x.from_dict({m: _flint.fmpq(c.numerator, c.denominator) for m, c in target.items() if c})
    return (expanded - given).is_zero()


def _token_power_sums(gens: list, n: int, d: int, indices: Sequence[MultiIndex], one, psi: Terms):
    """P_alpha(X) for the alphas Psi uses (0 for the others: at n = 1000 there are 1000 power sums)."""
    used = {v - d for monom in psi for v, e in enumerate(monom) if e and v >= d}
    values = []
    for position, alpha in enumerate(indices):
        total = 0 * one
        if position not in used:
            values.append(total)
            continue
        for j in range(n):
            term = one
            for k, a in enumerate(alpha):
                if a:
                    term = term * gens[j * d + k] ** a
            total = total + term
        values.append(total)
    return values


def _compose_flint(psi: Terms, n, d, indices, token, nvars) -> Terms:
    ctx_x = _flint.fmpq_mpoly_ctx.get(tuple(f"v{t}" for t in range(nvars))) if nvars else None
    result = _compose_flint_poly(psi, n, d, indices, token, ctx_x)
    return {tuple(m): Fraction(int(c.numerator), int(c.denominator)) for m, c in zip(result.monoms(), result.coeffs())}


def _compose_flint_poly(psi: Terms, n, d, indices, token, ctx_x):
    # only the variables Psi uses enter the composition (n = 1000 has 1000 power sums, mostly unused)
    used = sorted({v for monom in psi for v, e in enumerate(monom) if e})
    ctx_psi = _flint.fmpq_mpoly_ctx.get(tuple(f"w{t}" for t in range(max(len(used), 1))))
    f = ctx_psi.from_dict(
        {
            tuple(monom[v] for v in used) if used else (0,): _flint.fmpq(c.numerator, c.denominator)
            for monom, c in psi.items()
        }
    )
    gens = list(ctx_x.gens()) if any(v >= d for v in used) else [ctx_x.gen(token * d + k) for k in range(d)]
    one = ctx_x.from_dict({(0,) * (n * d): 1})
    if not used:
        return f.compose(one, ctx=ctx_x)
    own = [gens[token * d + k] if len(gens) == n * d else gens[k] for k in range(d)]
    values = own + _token_power_sums(gens, n, d, indices, one, psi)
    return f.compose(*(values[v] for v in used), ctx=ctx_x)


def _compose_ring(psi: Terms, n, d, indices, token, nvars) -> Terms:
    from sympy.polys.rings import ring

    R, *gens = ring(",".join(f"v{t}" for t in range(nvars)), sympy.QQ)
    one = R.one
    values = [gens[token * d + k] for k in range(d)] + _token_power_sums(gens, n, d, indices, one, psi)
    # Horner-free direct evaluation with cached powers
    powers: dict[tuple[int, int], object] = {}

    def power(v: int, e: int):
        key = (v, e)
        if key not in powers:
            powers[key] = values[v] ** e
        return powers[key]

    total = R.zero
    for monom, c in psi.items():
        term = R(sympy.QQ(c.numerator, c.denominator))
        for v, e in enumerate(monom):
            if e:
                term = term * power(v, e)
        total += term
    return {tuple(m): to_fraction(c) for m, c in total.items()}


def expand_affine(terms: Terms, scale: Sequence[Fraction], shift: Sequence[Fraction]) -> Terms:
    """Exact terms of sum_t c_t prod_k (scale_k z_k + shift_k)^{e_tk} in the variables z.

    Substitutes z'_k = scale_k z_k + shift_k into a polynomial given in z' (python-flint
    ``fmpq_mpoly.compose`` when available, else sympy's sparse ring), exact over Q.

    >>> expand_affine({(2,): Fraction(1)}, [Fraction(2)], [Fraction(-1)])
    {(0,): Fraction(1, 1), (1,): Fraction(-4, 1), (2,): Fraction(4, 1)}
    """
    if not terms:
        return {}
    width = len(scale)
    if HAVE_FLINT_MPOLY:
        ctx = _flint.fmpq_mpoly_ctx.get(tuple(f"z{k}" for k in range(width)))
        f = ctx.from_dict({m: _flint.fmpq(c.numerator, c.denominator) for m, c in terms.items()})
        gens = ctx.gens()
        args = [
            gens[k] * _flint.fmpq(a.numerator, a.denominator) + _flint.fmpq(b.numerator, b.denominator)
            for k, (a, b) in enumerate(zip(scale, shift))
        ]
        result = f.compose(*args, ctx=ctx)
        out = {
            tuple(int(v) for v in m): Fraction(int(c.numerator), int(c.denominator))
            for m, c in zip(result.monoms(), result.coeffs())
        }
    else:  # pragma: no cover - python-flint is a declared dependency
        from sympy.polys.rings import ring

        R, *z = ring(",".join(f"z{k}" for k in range(width)), sympy.QQ)
        args = [
            R(sympy.QQ(a.numerator, a.denominator)) * zk + sympy.QQ(b.numerator, b.denominator)
            for a, b, zk in zip(scale, shift, z)
        ]
        total = R.zero
        for monom, c in terms.items():
            term = R(sympy.QQ(c.numerator, c.denominator))
            for k, e in enumerate(monom):
                if e:
                    term = term * args[k] ** e
            total += term
        out = {tuple(m): to_fraction(c) for m, c in total.items()}
    return dict(sorted(out.items()))
