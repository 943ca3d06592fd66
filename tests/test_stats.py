"""The interval over seeds against closed forms (Student t with 1 and 2 degrees of freedom)."""

from __future__ import annotations

import math

import pytest

from polyapprox.app.experiments._stats import SeedInterval, compare, t_interval
from polyapprox.internal import PolyapproxError


def test_two_values_use_the_cauchy_quantile() -> None:
    # 1 degree of freedom: the t distribution is Cauchy, quantile tan(pi (p - 1/2)).
    iv = t_interval([1.0, 3.0], level=0.95)
    s = math.sqrt(2.0)
    half = math.tan(math.pi * (0.975 - 0.5)) * s / math.sqrt(2)
    assert iv.mean == 2.0 and iv.count == 2
    assert iv.low == pytest.approx(2.0 - half, rel=1e-12)
    assert iv.high == pytest.approx(2.0 + half, rel=1e-12)


@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_three_values_use_the_closed_form_for_two_degrees(level: float) -> None:
    # 2 degrees of freedom: quantile (2p - 1) / sqrt(2 p (1 - p)).
    p = (1 + level) / 2
    q = (2 * p - 1) / math.sqrt(2 * p * (1 - p))
    iv = t_interval([1.0, 2.0, 6.0], level=level)
    s = math.sqrt(((1 - 3) ** 2 + (2 - 3) ** 2 + (6 - 3) ** 2) / 2)
    assert iv.mean == 3.0
    assert iv.half_width == pytest.approx(q * s / math.sqrt(3), rel=1e-12)


def test_equal_values_give_a_point() -> None:
    iv = t_interval([0.25] * 5)
    assert (iv.low, iv.mean, iv.high) == (0.25, 0.25, 0.25)


def test_one_seed_agreeing_is_inconclusive_on_the_interval() -> None:
    # Planted: one of three seeds clears the threshold 0.9, but the interval straddles it.
    accuracies = [0.95, 0.60, 0.70]
    assert max(accuracies) > 0.9
    assert compare(t_interval(accuracies), 0.9) == "inconclusive"
    assert compare(t_interval([0.99, 0.995, 0.992]), 0.9) == "above"
    assert compare(t_interval([0.1, 0.12, 0.11]), 0.9) == "below"


@pytest.mark.parametrize(
    ("values", "level", "words"),
    [
        ([1.0], 0.95, "at least 2"),
        ([1.0, math.nan], 0.95, "finite"),
        ([1.0, 2.0], 1.0, "level"),
        ([1.0, 2.0], 0.0, "level"),
    ],
)
def test_bad_input_is_named(values: list[float], level: float, words: str) -> None:
    with pytest.raises(PolyapproxError, match=words):
        t_interval(values, level)


def test_compare_is_strict_at_the_ends() -> None:
    iv = SeedInterval(1.0, 0.5, 1.5, 3, 0.95)
    assert compare(iv, 0.5) == "inconclusive" and compare(iv, 1.5) == "inconclusive"


# ------------------------------------------------------------------ verdicts and seeds (no torch needed)


def test_one_agreeing_seed_does_not_make_an_agreeing_verdict() -> None:
    from polyapprox.app.experiments._stats import paper_verdict

    # seed 0 alone reaches 0.95 >= 0.9 (a one-seed run said "agrees"); the three seeds' interval
    # 0.6833 +- 4.303 * 0.2363 / sqrt(3) = [0.096, 1.270] contains 0.9
    accuracies = [0.95, 0.5, 0.6]
    assert accuracies[0] >= 0.9
    assert paper_verdict(t_interval(accuracies), 0.9, paper_above=True) == "inconclusive"
    assert paper_verdict(t_interval(accuracies), 0.9, paper_above=False) == "inconclusive"
    assert paper_verdict(t_interval([0.99, 1.0, 0.995]), 0.9, paper_above=True) == "agrees"
    assert paper_verdict(t_interval([0.99, 1.0, 0.995]), 0.9, paper_above=False) == "differs"
    assert paper_verdict(t_interval([0.3, 0.31, 0.32]), 0.9, paper_above=False) == "agrees"


def test_interval_cells_print_and_serialise() -> None:
    iv = SeedInterval(1.0, 0.5, 1.5, 3, 0.95)
    assert str(iv) == "1 [0.5, 1.5]"
    assert iv.to_dict() == {"mean": 1.0, "low": 0.5, "high": 1.5, "count": 3, "level": 0.95}


@pytest.mark.parametrize(
    "seeds, fragment",
    [
        ([], "at least 2 seeds"),
        ([4], "at least 2 seeds"),
        ([0, -1], "seed must be an integer >= 0"),
        ([1, 2, 1], "1 appears more than once"),
        (list(range(101)), "exceed the limit of 100 seeds"),
        ([0, 2**32], "at most 4,294,967,295"),
        ([0, 1.5], "seed must be an integer"),
        ("012", "list of integers"),
    ],
)
def test_bad_seed_lists_are_one_line_errors(seeds, fragment) -> None:
    from polyapprox.app.experiments import ExperimentConfig

    with pytest.raises(PolyapproxError) as info:
        ExperimentConfig(seeds=seeds)
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_default_seeds_are_three_quick_and_five_full() -> None:
    from polyapprox.app.experiments import ExperimentConfig

    assert ExperimentConfig().seed_list == (0, 1, 2)
    assert ExperimentConfig(quick=False).seed_list == (0, 1, 2, 3, 4)
    assert ExperimentConfig.from_first_seed(5, quick=False).seed_list == (5, 6, 7, 8, 9)
    assert ExperimentConfig(seeds=[3, 1]).seed_list == (3, 1)
