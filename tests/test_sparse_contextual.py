"""Exact contextual mapping (MATH.md 9.5 Step 2; cases S2, S3, S5): every grid input, exact rationals."""

from __future__ import annotations

import itertools
from fractions import Fraction

import pytest

from constructions import sparse
from polyapprox import DomainError, SizeError
from polyapprox.app.report.cases import CASES

P = sparse.patterns
F = Fraction

# Reproduction case S2: (masks, n, d, delta) -> (Phase A, Phase B, M, c_B), from the table the report reads.
_BUILDERS = {"star": P.star, "tridiagonal": P.tridiagonal, "strided": P.strided, "fixed": P.fixed}
S2 = [
    (name, _BUILDERS[kind](*args), n, d, delta, counts)
    for name, (((kind, *args), n, d, delta), counts) in CASES["S2"].expected.items()
]


def reference_codes(L, n, d, q):
    """g_i of MATH.md 9.5 (c) for gamma = identity, by the definitions (loops, Fractions)."""
    U = sum(F(q) ** c for c in range(d))
    codes = []
    for i in range(n):
        offset = (n - 1) * U if i == 0 else (i - 1) * U
        codes.append(offset + sum(L[i][c] * F(q) ** c for c in range(d)))
    return codes


def reference_tilde(L, n, d, q):
    g = reference_codes(L, n, d, q)
    Q = q**d
    tilde = [g[0]]
    for i in range(1, n):
        tilde.append(Q * tilde[-1] - (Q - 1) * g[i])
    return tilde


@pytest.mark.parametrize("name, masks, n, d, delta, expected", S2, ids=[c[0] for c in S2])
def test_s2_cases(name, masks, n, d, delta, expected):
    cm = sparse.contextual_mapping(masks, n, d, delta)
    assert (cm.phase_a, cm.phase_b, cm.M, cm.c_B) == expected
    assert cm.gamma == tuple(range(n)) and len(cm.layers) == cm.phase_a + cm.phase_b
    q = F(delta).denominator
    assert len(cm.inputs) == q ** (n * d)
    check = cm.verify()
    assert check.holds and check.witness is None
    assert check.margin_within >= F(1, q) and check.margin_across >= F(1, q)
    # S3, independently of the network: recursion, closed form, injectivity
    tops = {}
    for L in cm.inputs:
        tilde = reference_tilde(L, n, d, q)
        assert cm.phase_a_codes[L] == tilde
        assert cm.closed_form(L) == tilde[-1]
        tops[tilde[-1]] = L
    assert len(tops) == len(cm.inputs)
    assert max(max(reference_tilde(L, n, d, q)) for L in cm.inputs) == expected[2]
    # contextual mapping, by brute force over all pairs
    finals = [cm.final_codes[L] for L in cm.inputs]
    assert all(len(set(f)) == n for f in finals)
    for a, b in itertools.combinations(finals, 2):
        assert not set(a) & set(b)
    assert check.margin_within == min(y - x for f in finals for x, y in zip(sorted(f), sorted(f)[1:]))
    assert check.margin_across == min(abs(x - y) for a, b in itertools.combinations(finals, 2) for x in a for y in b)


def test_leading_coefficient_is_g_tilde_n_after_s_layers():
    cm = sparse.contextual_mapping(P.tridiagonal(4), 4, 1, "1/2")
    for L in cm.inputs[:5]:
        final = cm.final_codes[L]
        tilde_n = cm.phase_a_codes[L][-1]
        for k in range(4):  # after s = 3 layers every token's leading digit is g~_n
            assert (final[k] / cm.delta) // cm.c_B**3 == tilde_n / cm.delta


def test_min_code_gap_and_call():
    cm = sparse.contextual_mapping(P.star(3), 3, 1, "1/2")
    assert cm.verify().margin_within == F(3, 2)  # MATH.md 11 S5: minimum code gap 1.5
    L = cm.inputs[5]
    assert cm(L) == cm.final_codes[L]
    assert cm.summary()["c_B"] == 73 and cm.M0 == 12


@pytest.mark.parametrize("t, expected, rel", [(t, CASES["S5"].expected["deviation"][t], 0.05) for t in (10, 50)])
def test_s5_softmax_deviation(t, expected, rel):
    cm = sparse.contextual_mapping(P.star(3), 3, 1, "1/2")
    assert cm.numeric_deviation(t) == pytest.approx(expected, rel=rel)


def test_s5_large_t():
    cm = sparse.contextual_mapping(P.star(3), 3, 1, "1/2")
    assert cm.numeric_deviation(200) < 1e-7
    assert cm.numeric_deviation(200) == pytest.approx(5.1e-9, rel=0.05)
    assert cm.numeric_deviation(1000) == 0.0
    assert cm.numeric_deviation(1.0, "hardmax") == 0.0


def test_other_path_and_ring():
    cm = sparse.contextual_mapping(P.tridiagonal(4), 4, 1, "1/2", gamma=[3, 2, 1, 0])
    assert cm.gamma == (3, 2, 1, 0) and cm.verify().holds
    assert cm.E[3] == [F(3)] and cm.E[2] == [F(0)] and cm.E[0] == [F(2)]
    assert sparse.contextual_mapping(P.star(4, ring=True), 4, 1, "1/3").verify().holds


def test_wrong_shift_factor_breaks_the_properties():
    bad = sparse.contextual_mapping(P.star(3), 3, 1, "1/2", shift_factor=1).verify()
    assert not bad.holds and not bad.injective and not bad.distinct_within and not bad.separated
    assert "closed form" in bad.witness
    off = sparse.contextual_mapping(P.star(3), 3, 1, "1/2", shift_factor=3).verify()
    assert not off.closed_form and not off.holds


def test_too_small_c_B_breaks_separation():
    check = sparse.contextual_mapping(P.tridiagonal(3), 3, 1, "1/2", c_B=3).verify()
    assert not check.separated and not check.leading and check.closed_form


def test_bad_input():
    with pytest.raises(DomainError, match="do not satisfy Assumption 1"):
        sparse.contextual_mapping(P.fixed(5, 2), 5, 1, "1/2")
    with pytest.raises(DomainError, match="patterns are for n = 4 tokens; got n = 3"):
        sparse.contextual_mapping(P.star(4), 3, 1, "1/2")
    with pytest.raises(SizeError, match="grid inputs"):
        sparse.contextual_mapping(P.star(9), 9, 2, "1/4")
    with pytest.raises(DomainError, match="delta must be 1/q"):
        sparse.contextual_mapping(P.star(3), 3, 1, "2/3")


@pytest.mark.slow
def test_larger_cases():
    for masks, n, d, delta in [
        (P.strided(4, 2), 4, 1, "1/3"),
        (P.tridiagonal(4), 4, 2, "1/2"),
        (P.fixed(4, 2), 4, 1, "1/3"),
    ]:
        assert sparse.contextual_mapping(masks, n, d, delta).verify().holds
