"""layer_counts (MATH.md 9.5 table, case S4) and delta parsing."""

from __future__ import annotations

from fractions import Fraction

import pytest

from constructions import sparse
from constructions.sparse._layers import as_delta
from polyapprox import DomainError, PolyapproxError


def test_s4_strided_formula():
    c = sparse.layer_counts(4, 1, "1/2", p=2, s=2)
    assert c.contextual == 2 * 3 * 2 + 2 == 14 and (c.phase_a, c.phase_b) == (12, 2)


@pytest.mark.parametrize("n, d, q, p, s", [(3, 1, 2, 1, 1), (5, 2, 3, 2, 3), (7, 3, 2, 2, 2), (16, 1, 4, 1, 15)])
def test_counts_against_formulas(n, d, q, p, s):
    c = sparse.layer_counts(n, d, Fraction(1, q), p, s)
    assert c.quantisation == d * n * q
    assert c.contextual == p * (n - 1) * q**d + s
    assert c.value == n * q ** (n * d)
    assert c.dense_contextual == (n - 1) * q**d + 1
    assert (c.y19_quantisation, c.y19_contextual) == (d * q + d, q**d + 1)
    assert c.total == c.quantisation + c.contextual + c.value and c.padding == p - 1
    assert c == sparse.layer_counts(n, d, p=p, s=s, q=q)


def test_s2_layer_counts_match_the_table():
    # MATH.md 11 S2: attention layers per case = p(n-1)delta^-d + s
    for (n, d, q, p, s), (a, b) in {
        (3, 1, 2, 1, 1): (4, 1),
        (4, 1, 2, 2, 2): (12, 2),
        (3, 2, 2, 1, 1): (8, 1),
        (3, 1, 3, 1, 2): (6, 2),
        (4, 1, 2, 1, 3): (6, 3),
    }.items():
        c = sparse.layer_counts(n, d, q=q, p=p, s=s)
        assert (c.phase_a, c.phase_b) == (a, b)


def test_markdown_and_dict():
    c = sparse.layer_counts(4, 1, "1/2", 2, 2)
    text = c.to_markdown()
    assert "| sparse (p=2, s=2) (reconstruction) | 8 | 14 | 64 |" in text
    assert "| dense (p=s=1) (reconstruction) | 8 | 7 | 64 |" in text
    assert c.to_dict()["delta"] == "1/2" and c.to_dict()["contextual"] == 14


def test_delta_parsing_and_errors():
    assert as_delta(Fraction(1, 5)) == as_delta("1/5") == as_delta(0.2) == Fraction(1, 5)
    for bad in ("2/3", 0.3, "1", 0, -0.5, "x", 1.0):
        with pytest.raises(DomainError, match="delta must be 1/q"):
            as_delta(bad)
    with pytest.raises(DomainError, match="exactly one of delta or q"):
        as_delta("1/2", 2)
    with pytest.raises(DomainError, match="exactly one of delta or q"):
        sparse.layer_counts(3, 1, p=1, s=1)
    with pytest.raises(PolyapproxError, match="q must be an integer >= 2; got 1"):
        as_delta(q=1)
    with pytest.raises(PolyapproxError, match="s must be an integer >= 1; got 0"):
        sparse.layer_counts(3, 1, "1/2", 1, 0)


def test_y19_value_estimate_is_printed_as_whole_layers():
    counts = sparse.layer_counts(6, 1, "1/2")  # n q^(nd) / n! = 6 * 64 / 720 = 8/15 < 1
    assert counts.y19_value == Fraction(8, 15) and counts.y19_value_layers == 1
    assert "O(1)" in counts.to_markdown() and "8/15" not in counts.to_markdown()
    assert sparse.layer_counts(4, 1, "1/2").y19_value_layers == 3  # 4 * 16 / 24 = 8/3 -> 3
