from math import comb

import pytest

from polyapprox import PolyapproxError, SizeError, multi_indices, power_sum_indices
from polyapprox.exact._indices import count_multi_indices


@pytest.mark.parametrize("d", range(1, 9))
@pytest.mark.parametrize("K", range(0, 9))
def test_counts_match_stars_and_bars(d, K):
    indices = multi_indices(d, K)
    assert len(indices) == comb(K + d, d) - 1 == count_multi_indices(d, K)
    assert len(set(indices)) == len(indices)
    assert all(len(a) == d and 1 <= sum(a) <= K and min(a) >= 0 for a in indices)


def test_order_d2_k2_by_hand():
    assert multi_indices(2, 2) == [(1, 0), (0, 1), (2, 0), (1, 1), (0, 2)]


def test_order_d3_k3_by_hand():
    assert multi_indices(3, 3) == [
        (1, 0, 0),
        (0, 1, 0),
        (0, 0, 1),
        (2, 0, 0),
        (1, 1, 0),
        (1, 0, 1),
        (0, 2, 0),
        (0, 1, 1),
        (0, 0, 2),
        (3, 0, 0),
        (2, 1, 0),
        (2, 0, 1),
        (1, 2, 0),
        (1, 1, 1),
        (1, 0, 2),
        (0, 3, 0),
        (0, 2, 1),
        (0, 1, 2),
        (0, 0, 3),
    ]


@pytest.mark.parametrize("d", range(1, 5))
def test_graded_lex_is_degree_then_lex_descending(d):
    indices = multi_indices(d, 4)
    assert indices == sorted(indices, key=lambda a: (sum(a), tuple(-x for x in a)))


def test_min_degree():
    assert multi_indices(2, 2, min_degree=2) == [(2, 0), (1, 1), (0, 2)]
    assert multi_indices(2, 1, min_degree=0) == [(0, 0), (1, 0), (0, 1)]
    assert multi_indices(2, 1, min_degree=2) == []


@pytest.mark.parametrize("n", range(1, 7))
@pytest.mark.parametrize("d", range(1, 5))
def test_power_sum_indices(n, d):
    assert power_sum_indices(n, d) == multi_indices(d, n)
    assert len(power_sum_indices(n, d, refined=True)) == comb(n - 1 + d, d) - 1


@pytest.mark.parametrize(
    "call, fragment",
    [
        (lambda: multi_indices(0, 2), "d must be an integer >= 1"),
        (lambda: multi_indices(2, -1), "max_degree"),
        (lambda: multi_indices(2.0, 2), "d must be an integer"),
        (lambda: multi_indices(True, 2), "d must be an integer"),
        (lambda: multi_indices(2, "3"), "max_degree must be an integer"),
        (lambda: power_sum_indices(0, 2), "n must be an integer >= 1"),
        (lambda: power_sum_indices(2, None), "d must be an integer"),
    ],
)
def test_bad_input(call, fragment):
    with pytest.raises(PolyapproxError, match=fragment):
        call()


def test_absurd_size_refused_with_estimate():
    with pytest.raises(SizeError, match="more than the limit"):
        multi_indices(30, 30)


def _compositions_recursive(total, parts):
    """The straightforward recursive enumeration (a reference for the iterative one)."""
    if parts == 1:
        yield (total,)
        return
    for first in range(total, -1, -1):
        for rest in _compositions_recursive(total - first, parts - 1):
            yield (first, *rest)


@pytest.mark.parametrize("total, parts", [(0, 1), (3, 1), (0, 3), (2, 3), (4, 4), (5, 2), (3, 6)])
def test_iterative_compositions_equal_the_recursive_reference(total, parts):
    from polyapprox.exact._indices import _compositions

    assert list(_compositions(total, parts)) == list(_compositions_recursive(total, parts))


def test_large_d_has_no_recursion_limit():
    """d past Python's default recursion limit (1000); degree 1 keeps the list at d entries."""
    alphas = multi_indices(1500, 1)
    assert len(alphas) == comb(1501, 1) - 1 and alphas[0] == (1,) + (0,) * 1499 and alphas[-1] == (0,) * 1499 + (1,)
    with pytest.raises(SizeError, match="about 10"):
        multi_indices(10**6, 10**6)


@pytest.mark.slow
def test_large_d_degree_two_is_complete():
    """The half-million degree-<=2 indices at d = 1000 (several GB of tuples: slow stage)."""
    alphas = multi_indices(1000, 2)
    assert len(alphas) == comb(1002, 2) - 1 and alphas[0] == (1,) + (0,) * 999
