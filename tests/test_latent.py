from math import comb

import pytest

from polyapprox import PolyapproxError, SizeError, UnknownNameError, latent_dimension, latent_dimension_table
from polyapprox.app.report.cases import CASES

# Reproduction case L1 (rows n = 1..6, columns d = 1..5), from the one table the report reads too.
MATH_TABLE = CASES["L1"].expected


@pytest.mark.parametrize("n", range(1, 9))
@pytest.mark.parametrize("d", range(1, 9))
def test_formulas(n, d):
    assert latent_dimension(n, d) == comb(n + d, d) - 1
    assert latent_dimension(n, d, "continuous-refined") == comb(n - 1 + d, d) - 1
    assert latent_dimension(n, d, "discontinuous") == 1
    assert latent_dimension(n, d, "histogram", k=3) == 3**d


def test_math_md_table():
    assert [[latent_dimension(n, d) for d in range(1, 6)] for n in range(1, 7)] == MATH_TABLE


def test_refined_cases_l2():
    assert latent_dimension(3, 2, "continuous-refined") == 5
    assert latent_dimension(2, 1, "continuous-refined") == 1
    assert all(latent_dimension(1, d, "continuous-refined") == 0 for d in range(1, 6))


@pytest.mark.parametrize(
    "kwargs, error, fragment",
    [
        (dict(n=0, d=2), PolyapproxError, "n must be an integer >= 1; got 0"),
        (dict(n=2, d=0), PolyapproxError, "d must be an integer >= 1"),
        (dict(n=2.0, d=1), PolyapproxError, "n must be an integer"),
        (dict(n=True, d=1), PolyapproxError, "n must be an integer"),
        (dict(n="3", d=1), PolyapproxError, "n must be an integer"),
        (dict(n=2, d=2, construction="magic"), UnknownNameError, "unknown construction 'magic'"),
        (dict(n=2, d=2, construction="histogram"), PolyapproxError, "needs the grid parameter k="),
        (dict(n=2, d=2, construction="histogram", k=0), PolyapproxError, "k must be an integer >= 1"),
        (dict(n=2, d=2, construction="continuous", k=3), PolyapproxError, "unknown parameter"),
    ],
)
def test_bad_input(kwargs, error, fragment):
    with pytest.raises(error, match=fragment):
        latent_dimension(**kwargs)


def test_table_columns_and_sources():
    table = latent_dimension_table([1, 2, 3], [1, 2], k=2)
    names = [c.name for c in table.columns]
    for required in [
        "continuous",
        "continuous-refined",
        "discontinuous",
        "histogram",
        "wagstaff-d1",
        "generic-separation",
        "injective-2nd+1",
        "tabaghi-wang-2nd",
        "multiset-lower-bound",
    ]:
        assert required in names
    assert all(c.source and c.kind in {"explicit", "existence", "lower bound"} for c in table.columns)
    for row in table.rows:
        n, d = row["n"], row["d"]
        assert row["wagstaff-d1"] == (n if d == 1 else None)
        assert (row["generic-separation"], row["injective-2nd+1"], row["tabaghi-wang-2nd"]) == (
            n * d + 1,
            2 * n * d + 1,
            2 * n * d,
        )
        assert row["histogram"] == 2**d
        # MATH.md section 3: d + d'_ref >= nd (the refined construction meets the Sumformer bound)
        assert d + row["continuous-refined"] >= n * d
    assert "histogram" not in [c.name for c in latent_dimension_table([2], [2]).columns]


def test_crossover():
    rows = {(r["n"], r["d"]): r for r in latent_dimension_table([2, 3, 10], [2, 3, 10]).rows}
    assert rows[(2, 2)]["continuous"] < rows[(2, 2)]["injective-2nd+1"]
    assert rows[(3, 3)]["continuous"] == rows[(3, 3)]["injective-2nd+1"] == 19
    assert (rows[(10, 10)]["continuous"], rows[(10, 10)]["injective-2nd+1"]) == (184755, 201)


def test_table_markdown_and_dict():
    table = latent_dimension_table([2], [1])
    text = table.to_markdown()
    assert "| 2 | 1 | 2 | 1 | 1 |" in text and "Wagstaff" in text
    assert table.to_dict()["rows"][0]["continuous"] == 2


@pytest.mark.parametrize(
    "ns, ds, error",
    [
        ([0], [1], PolyapproxError),
        ([1], [], PolyapproxError),
        ("12", [1], PolyapproxError),
        (range(1, 10**4), range(1, 100), SizeError),
    ],
)
def test_table_bad_input(ns, ds, error):
    with pytest.raises(error):
        latent_dimension_table(ns, ds)


@pytest.mark.parametrize(
    "n, d, construction, params",
    [
        (10**9, 10**9, "continuous", {}),
        (10**6, 10**6, "continuous-refined", {}),
        (2, 10**6, "histogram", {"k": 10}),
    ],
)
def test_huge_results_refused_before_computing(n, d, construction, params):
    # computing C(2 * 10^9, 10^9) would not finish: the refusal comes from the log-gamma estimate
    with pytest.raises(SizeError, match="decimal digits"):
        latent_dimension(n, d, construction, **params)


def test_large_but_allowed_results_are_exact():
    assert latent_dimension(200, 200) == comb(400, 200) - 1


def test_table_refuses_huge_entries_before_computing():
    with pytest.raises(SizeError, match="decimal digits"):
        latent_dimension_table([10**6], [10**6])
    assert latent_dimension_table([300], [300]).rows[0]["continuous"] == comb(600, 300) - 1
