"""Exact term dicts: conversion policy (floats, names, non-polynomials), permutation convention, composition."""

from __future__ import annotations

import itertools
from fractions import Fraction

import pytest
import sympy

from polyapprox import NotPolynomialError, PolyapproxError, own_symbols, power_sum_symbol, power_sums, token_symbol
from polyapprox.exact._poly import (
    as_sympy,
    check_token_name,
    compose_flint_or_ring,
    expr_to_terms,
    permute_tokens,
    psi_gens,
    subtract,
    terms_equal,
    terms_to_expr,
    token_gens,
    transposition,
)

x = token_symbol
G = token_gens(2, 2)


def test_round_trip_and_exact_coefficients():
    expr = sympy.Rational(2, 3) * x(1, 1) ** 2 * x(2, 2) - 5
    terms = expr_to_terms(expr, G, "f")
    assert terms == {(2, 0, 0, 1): Fraction(2, 3), (0, 0, 0, 0): Fraction(-5)}
    assert terms_to_expr(terms, G) == expr
    assert terms_to_expr({}, G) == 0
    assert expr_to_terms(sympy.Integer(0), G, "f") == {}


def test_symbols_matched_by_name():
    assert expr_to_terms(sympy.Symbol("x1_1", real=True) * 2, G, "f") == {(1, 0, 0, 0): 2}


@pytest.mark.parametrize(
    "expr, error, match",
    [
        (sympy.Float(0.5) * x(1, 1), PolyapproxError, "Rational"),
        (sympy.sqrt(2) * x(1, 1), PolyapproxError, "rational coefficients"),
        (sympy.pi, PolyapproxError, "rational coefficients"),
        (sympy.sin(x(1, 1)), NotPolynomialError, "approximate"),
        (sympy.exp(x(1, 1)) + 1, NotPolynomialError, "approximate"),
        (1 / x(1, 1), NotPolynomialError, "approximate"),
        (x(1, 1) ** sympy.Rational(1, 2), NotPolynomialError, "approximate"),
        (sympy.Symbol("z"), PolyapproxError, "unknown variable z"),
    ],
    ids=str,
)
def test_rejections(expr, error, match):
    with pytest.raises(error, match=match):
        expr_to_terms(expr, G, "f")


def test_constants_without_generators():
    assert expr_to_terms(sympy.Rational(3, 4), [], "c") == {(): Fraction(3, 4)}
    assert expr_to_terms(sympy.Integer(0), [], "c") == {}
    assert terms_to_expr({(): Fraction(3, 4)}, []) == sympy.Rational(3, 4)
    with pytest.raises(PolyapproxError):
        expr_to_terms(sympy.sqrt(3), [], "c")


def test_check_token_name():
    assert check_token_name("x2_3", 2, 3) == (2, 3)
    assert check_token_name("y_1", 2, 3) is None
    with pytest.raises(PolyapproxError, match="token 3"):
        check_token_name("x3_1", 2, 3)
    with pytest.raises(PolyapproxError, match="coordinate 4"):
        check_token_name("x1_4", 2, 3)


def test_as_sympy_policy():
    assert as_sympy(3, "v") == 3 and as_sympy(Fraction(1, 3), "v") == sympy.Rational(1, 3)
    for bad, match in [(True, "boolean"), (0.5, "float"), ("x", "string"), (sympy.Matrix([1]), "expression")]:
        with pytest.raises(PolyapproxError, match=match):
            as_sympy(bad, "v")


@pytest.mark.parametrize("sigma", list(itertools.permutations(range(3))))
def test_permute_tokens_convention(sigma):
    # (sigma X)_i = x_{sigma^{-1}(i)}: substitute x_{i,k} -> x_{sigma^{-1}(i),k}
    n, d = 3, 2
    gens = token_gens(n, d)
    g = x(1, 1) ** 2 * x(2, 2) + 3 * x(3, 1)
    inverse = [sigma.index(i) for i in range(n)]
    expected = g.xreplace({x(i + 1, k): x(inverse[i] + 1, k) for i in range(n) for k in (1, 2)})
    assert permute_tokens(expr_to_terms(g, gens, "g"), sigma, d) == expr_to_terms(expected, gens, "g")


def test_transposition_subtract_equal():
    assert transposition(4, 1, 3) == (0, 3, 2, 1)
    a = {(1,): Fraction(1), (2,): Fraction(2)}
    assert subtract(a, a) == {}
    assert subtract(a, {(2,): Fraction(2)}) == {(1,): 1}
    assert terms_equal({(1,): 1, (2,): 0}, {(1,): 1})


@pytest.mark.parametrize("use_flint", [True, False])
def test_composition_equals_sympy_substitution(use_flint):
    n, d = 3, 2
    indices = [(1, 0), (0, 1), (2, 0), (1, 1), (0, 2)]
    y1, y2 = own_symbols(d)
    psi = sympy.Rational(1, 2) * power_sum_symbol((1, 0)) ** 2 * y2 - power_sum_symbol((1, 1)) + 3 * y1**2 + 1
    psi_terms = expr_to_terms(psi, psi_gens(d, indices), "Psi")
    subs = {power_sum_symbol(a): v for a, v in power_sums(n, d, refined=True).items()}
    for token in range(n):
        subs.update({y1: x(token + 1, 1), y2: x(token + 1, 2)})
        expected = expr_to_terms(sympy.expand(psi.xreplace(subs)), token_gens(n, d), "e")
        assert compose_flint_or_ring(psi_terms, n, d, indices, token, use_flint=use_flint) == expected
    assert compose_flint_or_ring({}, n, d, indices, 0, use_flint=use_flint) == {}


def _random_terms(gens, seed, count=8, top=3):
    import random

    rng = random.Random(seed)
    terms = {}
    for _ in range(rng.randint(0, count)):
        monom = tuple(rng.choice([0, 0, 0, 1, 2, top]) for _ in gens)
        terms[monom] = terms.get(monom, 0) + Fraction(rng.randint(-5, 5), rng.randint(1, 4))
    return {m: c for m, c in terms.items() if c}


@pytest.mark.parametrize("seed", range(60))
def test_fast_conversions_equal_sympy_arithmetic(seed):
    """terms_to_expr builds sympy's canonical object directly; expr_to_terms reads it in one pass."""
    from polyapprox.exact._poly import _ring_terms, _terms_to_expr_ring

    gens = token_gens(3, 2)
    terms = _random_terms(gens, seed)
    fast, slow = terms_to_expr(terms, gens), _terms_to_expr_ring(terms, gens)
    assert fast == slow and fast.args == slow.args and hash(fast) == hash(slow)
    assert sympy.expand(fast - slow) == 0 and str(fast) == str(slow)
    assert expr_to_terms(slow, gens, "f") == terms == _ring_terms(slow, gens, "f")


def test_fast_reader_falls_back_for_unexpanded_and_bad_input():
    gens = token_gens(2, 1)
    a, b = gens
    assert expr_to_terms((a + 1) ** 2 - a * (a + 2), gens, "f") == {(0, 0): 1}  # not expanded: sparse ring
    assert expr_to_terms(sympy.Symbol("x2_1", positive=True) ** 3, gens, "f") == {(0, 3): 1}
    with pytest.raises(PolyapproxError, match="float"):
        expr_to_terms(a + sympy.Float(0.5) * b, gens, "f")
    with pytest.raises(NotPolynomialError):
        expr_to_terms(a**-1 + b, gens, "f")
    with pytest.raises(PolyapproxError, match="rational"):
        expr_to_terms(sympy.sqrt(2) * a, gens, "f")
    with pytest.raises(PolyapproxError, match="unknown variable"):
        expr_to_terms(a + sympy.Symbol("z"), gens, "f")


@pytest.mark.parametrize("seed", range(10))
def test_composes_to_agrees_with_expansion(seed):
    from polyapprox.exact._poly import composes_to

    indices = [(1,), (2,), (3,)]
    psi = _random_terms(psi_gens(1, indices), seed, count=5, top=2)
    for token in range(3):
        expanded = compose_flint_or_ring(psi, 3, 1, indices, token, use_flint=False)
        for flag in (True, False):
            assert composes_to(psi, expanded, 3, 1, indices, token, use_flint=flag)
            wrong = dict(expanded)
            wrong[(0, 0, 1)] = wrong.get((0, 0, 1), 0) + 1
            assert not composes_to(psi, wrong, 3, 1, indices, token, use_flint=flag)


def test_canonical_builder_on_large_polynomials():
    """Hundreds of terms of mixed degrees and signs: the same args order as sympy's own sort."""
    from polyapprox.exact._poly import _terms_to_expr_ring

    for n, d, seed in ((4, 2, 1), (6, 1, 2), (3, 3, 3)):
        gens = token_gens(n, d)
        terms = {}
        for k in range(30):
            terms.update(_random_terms(gens, 1000 * seed + k, count=12, top=5))
        terms[(0,) * (n * d)] = Fraction(-7, 3)
        fast, slow = terms_to_expr(terms, gens), _terms_to_expr_ring(terms, gens)
        assert len(fast.args) > 100 and fast.args == slow.args and fast == slow


def _unpacked(packed, width):
    """Independent decoding of a packed monomial: base-2**16 digits by integer division."""
    return {tuple((key >> (16 * k)) & 0xFFFF for k in range(width)): c for key, c in packed.items()}


@pytest.mark.parametrize("seed", range(30))
def test_packed_reader_equals_the_sparse_ring(seed):
    """PackedReader keys decode to the sparse ring's exponents; a permuted reader permutes the variables."""
    from polyapprox.exact._poly import PackedReader, _ring_terms, packed_to_terms

    gens = token_gens(3, 2)
    expr = _terms_to_expr_ring_of(_random_terms(gens, seed), gens)
    reference = _ring_terms(expr, gens, "f")
    reader = PackedReader(gens)
    packed = reader.read(expr)
    assert packed is not None
    assert packed_to_terms(packed, 6) == _unpacked(packed, 6) == reference
    place = [3, 0, 5, 1, 2, 4]  # variable k becomes variable place[k]
    moved = {tuple(m[place.index(p)] for p in range(6)): c for m, c in reference.items()}
    assert _unpacked(reader.permuted(place).read(expr), 6) == moved


def _terms_to_expr_ring_of(terms, gens):
    from polyapprox.exact._poly import _terms_to_expr_ring

    return _terms_to_expr_ring(terms, gens)


def test_packed_reader_shapes_it_refuses_or_merges():
    """Non-canonical products are merged exactly; floats, big powers and unknown symbols are refused (None)."""
    from polyapprox.exact._poly import PackedReader

    gens = token_gens(2, 1)
    a, b = gens
    reader = PackedReader(gens)
    unevaluated = sympy.Add(sympy.Mul(a, a**2, evaluate=False), a**3, sympy.Mul(0, b, evaluate=False), evaluate=False)
    assert _unpacked(reader.read(unevaluated), 2) == {(3, 0): 2}
    big = sympy.Mul(a**200, a**200, evaluate=False)  # digits stay below 2**16: no carry into b's digit
    assert _unpacked(reader.read(big), 2) == {(400, 0): 1}
    assert reader.read(sympy.Integer(0)) == {} and _unpacked(reader.read(sympy.Rational(3, 4)), 2) == {
        (0, 0): Fraction(3, 4)
    }
    for bad in (a + sympy.Float(0.5) * b, a**300, a * sympy.Symbol("z"), sympy.sqrt(2) * a, (a + 1) ** 2, a * (b + 1)):
        assert reader.read(bad) is None
    assert expr_to_terms(a**300 * b, gens, "f") == {(300, 1): 1}  # the general reader takes over
    # equal coefficients of different entries are one Fraction object (dict equality is then an identity test)
    one, two = reader.read(sympy.Rational(2, 3) * a), reader.read(sympy.Rational(2, 3) * b)
    assert next(iter(one.values())) is next(iter(two.values()))
