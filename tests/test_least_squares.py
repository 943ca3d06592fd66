"""The least-squares fit's numerics: Chebyshev basis, blockwise normal equations, budget, SVD route."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from numpy.polynomial import chebyshev

from constructions import continuous, targets
from constructions._sumformers.least_squares import (
    _chebyshev_tables,
    _chebyshev_to_monomials,
    _memory_bytes,
    _normal_equations,
    _Plan,
)
from polyapprox import DomainError, PolyapproxError, SizeError, candidate_terms, power_sum_indices


def test_chebyshev_tables_and_monomial_coefficients_match_numpy():
    z = np.linspace(-1, 1, 7)
    tables = _chebyshev_tables(z, 6)
    for k, coeffs in enumerate(_chebyshev_to_monomials(6)):
        unit = np.zeros(k + 1)
        unit[k] = 1
        np.testing.assert_allclose(tables[k], chebyshev.chebval(z, unit), atol=1e-14)
        assert coeffs == [int(c) for c in chebyshev.cheb2poly(unit)]


@pytest.mark.parametrize("n, d, degree", [(3, 1, 4), (2, 2, 3), (3, 2, 2)])
def test_blockwise_normal_equations_equal_the_design_matrix_ones(n, d, degree):
    """A^T A (upper triangle) and A^T B from per-beta blocks with tokens summed first equal the dense products."""
    indices = tuple(power_sum_indices(n, d))
    plan = _Plan(candidate_terms(d, indices, degree))
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(50, n, d))
    B = rng.normal(size=(50, n, 2))
    width = d + len(indices)
    scale, shift = np.full(width, 0.3), np.full(width, -0.2)
    Y, S = plan.features(X, indices, scale, shift, degree)
    A = plan.design(Y, S)
    G = np.zeros((plan.count, plan.count))
    R = np.zeros((plan.count, 2))
    _normal_equations(plan, Y[:20], S[:20], B[:20], G, R)  # two chunks
    _normal_equations(plan, Y[20:], S[20:], B[20:], G, R)
    upper = np.triu(np.ones_like(G, dtype=bool))
    np.testing.assert_allclose(G[upper], (A.T @ A)[upper], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(R, A.T @ B.reshape(-1, 2), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("n, d, degree", [(3, 1, 6), (3, 2, 3)])
def test_normal_equations_and_svd_routes_agree(n, d, degree):
    f = targets.get("gaussian-kernel-sum")
    X = np.random.default_rng(5).uniform(size=(300, n, d))
    (Sn, rn), (Ss, rs) = (
        continuous.approximate(f, n, d, degree, samples=800, config=continuous.FitConfig(solver=s))
        for s in ("normal", "svd")
    )
    assert rn.rank == rs.rank and rn.coefficients == rs.coefficients
    np.testing.assert_allclose(Sn(X), Ss(X), atol=1e-8)
    assert abs(rn.test_sup_error - rs.test_sup_error) <= 1e-8


def test_memory_budget_refused_before_allocating():
    f = targets.get("gaussian-kernel-sum")
    tracemalloc.start()
    try:
        with pytest.raises(SizeError, match=r"needs about [0-9,]+ MB .* more than memory_mb = 20"):
            continuous.approximate(f, 4, 2, 8, config=continuous.FitConfig(memory_mb=20))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20e6
    with pytest.raises(SizeError, match="solver 'svd'"):
        continuous.approximate(f, 3, 2, 4, config=continuous.FitConfig(solver="svd", memory_mb=5))
    with pytest.raises(PolyapproxError, match="solver"):
        continuous.approximate(f, 3, 1, 2, config=continuous.FitConfig(solver="qr"))
    with pytest.raises(PolyapproxError, match="memory_mb"):
        continuous.approximate(f, 3, 1, 2, config=continuous.FitConfig(memory_mb=float("nan")))


@pytest.mark.parametrize("solver", ["auto", "normal", "svd"])
def test_the_budget_is_checked_against_the_memory_estimate_exactly(solver):
    """A budget just below the estimate refuses, one at the estimate runs: the guard and the estimate are one number."""
    f = targets.get("gaussian-kernel-sum")
    n, d, degree, samples = 3, 2, 3, 300
    indices = power_sum_indices(n, d)
    plan = _Plan(candidate_terms(d, indices, degree))

    def need(memory_mb: float) -> int:
        config = continuous.FitConfig(solver=solver, memory_mb=memory_mb)
        return _memory_bytes(plan.count, samples, n, d, degree, len(indices), 1, config, len(plan.ms))

    estimate = need(1024.0)
    assert estimate == need(1024.0)  # deterministic
    assert estimate > 8 * plan.count**2 + 8 * samples * n * d  # at least A^T A and the samples
    public = continuous.fit_memory_bytes(
        plan.count, samples, n, d, degree, len(indices), config=continuous.FitConfig(solver=solver)
    )
    assert public >= estimate  # without the plan: every candidate counted as its own product of power sums
    below = (estimate - 1) / 1e6
    assert need(below) == estimate  # the chunks of this small fit do not depend on the budget
    with pytest.raises(SizeError, match=f"needs about {estimate / 1e6:,.0f} MB .* solver '{solver}'"):
        continuous.approximate(
            f, n, d, degree, samples=samples, config=continuous.FitConfig(solver=solver, memory_mb=below)
        )
    config = continuous.FitConfig(solver=solver, memory_mb=estimate / 1e6)
    _, report = continuous.approximate(f, n, d, degree, samples=samples, config=config)
    assert report.coefficients == plan.count


def test_the_memory_estimate_grows_with_the_sizes_and_follows_the_route():
    est = continuous.fit_memory_bytes
    assert est(820, 4000, 4, 2, 6, 14) < est(820, 8000, 4, 2, 6, 14) < est(1640, 8000, 4, 2, 6, 14)
    # the SVD route holds the design matrix (rows x terms) twice; the normal equations hold terms^2 twice
    svd, normal = continuous.FitConfig(solver="svd"), continuous.FitConfig(solver="normal")
    assert est(141, 4000, 3, 2, 4, 9, config=svd) >= 2 * 8 * 4000 * 3 * 141
    assert est(3978, 4000, 5, 2, 8, 20, config=normal) >= 2 * 8 * 3978**2


@pytest.mark.parametrize("r", [5, 100, 200])
def test_condition_estimate_against_svd(r):
    import scipy.linalg

    from constructions._sumformers.least_squares import _triangular_condition

    rng = np.random.default_rng(r)
    A = rng.normal(size=(r + 20, r)) @ np.diag(np.logspace(0, -5, r))
    U = np.asfortranarray(scipy.linalg.qr(A, mode="r")[0][:r])
    U[np.tril_indices(r, -1)] = 7.0  # garbage below the diagonal is never read
    s = np.linalg.svd(A, compute_uv=False)
    assert 0.8 * s[0] / s[-1] <= _triangular_condition(U) <= 1.0001 * s[0] / s[-1]


def _progress_calls(solver: str, **kwargs):
    calls = []
    config = continuous.FitConfig(solver=solver, progress=lambda done, total: calls.append((done, total)))
    model, report = continuous.approximate(targets.get("gaussian-kernel-sum"), **kwargs, config=config)
    return calls, model, report


@pytest.mark.parametrize("solver", ["normal", "svd"])
def test_progress_is_monotone_and_reaches_the_total(solver):
    calls, _, _ = _progress_calls(n=3, d=2, degree=4, samples=300, solver=solver)
    done = [c[0] for c in calls]
    assert len(calls) >= 4
    assert all(a <= b for a, b in zip(done, done[1:])), "done must never decrease"
    assert all(0 <= d <= t for d, t in calls)
    assert calls[-1][0] == calls[-1][1] > 0
    if solver == "normal":  # one call per block row of A^T A (one chunk here), then solve, expansion, evaluation
        betas = {beta for beta, _ in candidate_terms(2, power_sum_indices(3, 2), 4)}
        assert len(calls) == len(betas) + 4


def test_progress_does_not_change_the_fit():
    _, with_bar, _ = _progress_calls(n=3, d=1, degree=3, samples=200, solver="normal")
    without, _ = continuous.approximate(
        targets.get("gaussian-kernel-sum"),
        n=3,
        d=1,
        degree=3,
        samples=200,
        config=continuous.FitConfig(solver="normal"),
    )
    assert with_bar.representation.to_dict() == without.representation.to_dict()


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"n": 3, "samples": 10**12}, SizeError, "samples alone"),
        ({"n": 10**6}, SizeError, "samples alone"),
        ({"n": 3, "domain": (-1e308, 1e308)}, PolyapproxError, "finite width"),
        ({"n": 3, "domain": (0.0, 1e120)}, DomainError, "past float64"),
    ],
)
def test_absurd_sizes_and_domains_are_refused_before_allocating(kwargs, error, words):
    """Hostile sizes end in one-line errors before anything large is allocated (was MemoryError/OverflowError)."""
    f = lambda X: X  # the identity: finite on any box, so only the fit's own checks can refuse
    with pytest.raises(error, match=words) as info:
        continuous.approximate(f, d=1, degree=4, **kwargs)
    assert "\n" not in str(info.value)


def test_a_huge_n_is_refused_before_the_power_sums_are_enumerated(monkeypatch):
    """n = 10**6: the sizes are checked in closed form; enumerating the 10**6 power sums took seconds."""
    from constructions._sumformers import least_squares
    from polyapprox.internal import SizeError

    def enumerate_all(*args, **kwargs):
        raise AssertionError("the power sums were enumerated before the size check")

    monkeypatch.setattr(least_squares, "power_sum_indices", enumerate_all)
    monkeypatch.setattr(least_squares, "check_equivariant", enumerate_all)
    with pytest.raises(SizeError, match="8,000 sequences of 1000000 x 1"):
        continuous.approximate(targets.get("centered"), 10**6, 1, 2)


@pytest.mark.parametrize(
    "n, d, degree, refined", [(1, 2, 3, False), (2, 1, 5, True), (3, 2, 2, False), (5, 1, 8, True), (4, 3, 6, False)]
)
def test_the_closed_form_sizes_equal_the_enumerated_ones(n, d, degree, refined, monkeypatch):
    """The count the size check uses (low-degree power sums only) is the enumerated candidate count."""
    from constructions._sumformers import least_squares
    from polyapprox import candidate_terms, latent_dimension, power_sum_indices

    class Counted(Exception):
        pass

    def record(samples, test_samples, count, n):
        raise Counted(count)

    monkeypatch.setattr(least_squares, "_sample_counts", record)
    with pytest.raises(Counted) as counted:
        continuous.approximate(targets.get("centered"), n, d, degree, config=continuous.FitConfig(refined=refined))
    seen = {"count": counted.value.args[0]}
    indices = power_sum_indices(n, d, refined=refined)
    assert seen["count"] == len(candidate_terms(d, indices, degree))
    assert len(indices) == latent_dimension(n, d, "continuous-refined" if refined else "continuous")


def test_a_fit_is_the_same_whatever_the_blas_thread_count():
    """OpenBLAS sums in an order that depends on its threads (by default the core count): before the fit ran with
    one thread, (3, 1, 8) and (4, 2, 4) differed between 1 and 2 threads in the last bits of their outputs."""
    from threadpoolctl import threadpool_limits

    X = np.random.default_rng(0).uniform(size=(20, 4, 2))
    outputs = []
    for threads in (1, 2):
        with threadpool_limits(threads, "blas"):
            S, report = continuous.approximate(targets.get("gaussian-kernel-sum"), 4, 2, 4)
        outputs.append((S(X), report.test_sup_error, report.condition_number))
    assert np.array_equal(outputs[0][0], outputs[1][0]) and outputs[0][1:] == outputs[1][1:]
