"""The one numeric check of a target's output (constructions._sumformers.target_checks), shared by the
least-squares fit, the equivariance check, the training runs and the sparse universal network."""

from __future__ import annotations

import numpy as np
import pytest

from constructions._sumformers.target_checks import check_equivariant, target_values
from polyapprox import DomainError, NotEquivariantError, PolyapproxError, ShapeError

X = np.random.default_rng(0).uniform(size=(5, 3, 2))


def test_a_b_by_n_output_reads_as_one_output_coordinate():
    f = lambda X: X.sum(axis=2)
    Y = target_values(f, X, "samples")
    assert Y.shape == (5, 3, 1)
    np.testing.assert_array_equal(Y[..., 0], X.sum(axis=2))
    np.testing.assert_array_equal(target_values(lambda X: X, X, "samples", d_out=2), X)


@pytest.mark.parametrize(
    "f, error, words",
    [
        (lambda X: X[:, :2], ShapeError, "(b, n, d_out)"),
        (lambda X: X, ShapeError, "(5, 3, 3)"),  # d_out = 3 asked, 2 given
        (lambda X: np.where(X > 0.5, np.nan, X), DomainError, "NaN or inf"),
        (lambda X: 1 / 0, PolyapproxError, "ZeroDivisionError"),
        (lambda X: X + 1j, PolyapproxError, "complex"),
        (lambda X: np.full(X.shape, "a"), PolyapproxError, "real numbers"),
    ],
)
def test_bad_target_outputs_are_refused_with_one_line(f, error, words):
    with pytest.raises(error) as info:
        target_values(f, X, "samples", d_out=3 if words == "(5, 3, 3)" else None)
    assert words in str(info.value) and "\n" not in str(info.value)


def test_nan_is_located_by_sample():
    f = lambda X: np.where(np.arange(5)[:, None, None] == 3, np.nan, X)
    with pytest.raises(DomainError, match="sample 3"):
        target_values(f, X, "samples")


def test_equivariance_check_finds_a_witness_and_passes_an_equivariant_map():
    check_equivariant(lambda X: X - X.mean(axis=1, keepdims=True), 3, 2)
    with pytest.raises(NotEquivariantError):
        check_equivariant(lambda X: np.cumsum(X, axis=1), 3, 2)
