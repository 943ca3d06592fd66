import itertools

import pytest

from polyapprox import SizeError, multi_indices, power_sum_indices
from polyapprox.app.report.cases import CASES
from polyapprox.exact._candidates import candidate_terms, count_candidates, weighted_degree

# Reproduction case P1: (n, d, D, K) -> number of candidates (the table the report reads too).
MATH_SIZES = list(CASES["P1"].expected.items())


@pytest.mark.parametrize("case, expected", MATH_SIZES, ids=str)
def test_counts_match_math_md(case, expected):
    _n, d, D, K = case
    indices = multi_indices(d, K)
    assert len(candidate_terms(d, indices, D)) == count_candidates(d, indices, D) == expected


def _brute_force(d, indices, D):
    """Every (beta, m) with weighted degree <= D, sorted into the canonical order by a key."""
    betas = multi_indices(d, D, min_degree=0)
    beta_rank = {b: i for i, b in enumerate(betas)}
    found = [
        (beta, m)
        for beta in betas
        for m in itertools.product(range(D + 1), repeat=len(indices))
        if weighted_degree((beta, m), indices) <= D
    ]
    return sorted(found, key=lambda c: (beta_rank[c[0]], c[1]))


@pytest.mark.parametrize("n, d, D", [(2, 1, 4), (3, 1, 3), (2, 2, 3), (3, 2, 2)])
def test_order_and_contents_against_brute_force(n, d, D):
    indices = power_sum_indices(n, d)
    assert candidate_terms(d, indices, D) == _brute_force(d, indices, D)


def test_math_md_example_seven_candidates():
    # n=2, d=1, K=2, D=2: 7 candidates (MATH.md section 4, non-uniqueness example)
    assert len(candidate_terms(1, power_sum_indices(2, 1), 2)) == 7


def test_too_many_refused():
    with pytest.raises(SizeError, match="more than the limit"):
        candidate_terms(3, power_sum_indices(6, 3), 20)  # 921,591,628 terms


def _exponent_tuples_recursive(weights, budget):
    if not weights:
        yield ()
        return
    for m in range(budget // weights[0] + 1):
        for tail in _exponent_tuples_recursive(weights[1:], budget - m * weights[0]):
            yield (m, *tail)


@pytest.mark.parametrize("weights, budget", [((), 3), ((1,), 0), ((1, 1), 2), ((1, 2, 3), 6), ((2, 2, 1, 3), 7)])
def test_iterative_exponent_tuples_equal_the_recursive_reference(weights, budget):
    from polyapprox.exact._candidates import _exponent_tuples

    assert list(_exponent_tuples(weights, budget)) == list(_exponent_tuples_recursive(weights, budget))


def test_many_power_sums_have_no_recursion_limit():
    indices = power_sum_indices(1000, 1)
    assert len(candidate_terms(1, indices, 3)) == count_candidates(1, indices, 3)


def test_counting_an_absurd_degree_is_refused_quickly():
    """Hostile-input issue, item 3: count_candidates was O(degree^2) before any check (hung at 10^9)."""
    with pytest.raises(SizeError, match="count_candidates"):
        count_candidates(1, power_sum_indices(2, 1), 10**9)
    with pytest.raises(SizeError):
        candidate_terms(1, power_sum_indices(2, 1), 10**8)
