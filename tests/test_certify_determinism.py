"""Certified bounds are the same bits on every executor and under load; both ends are rigorous.

The models here are exact (built from rational Psi), so every worker certifies the same
polynomial; the certification is then compared bit for bit (lower, upper, witness, boxes).
"""

import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest
import sympy

from constructions import continuous, targets
from constructions.verify import CertificationBudget, certified_network_error, certified_sup_error
from polyapprox import EquivariantRepresentation, PolyapproxError, power_sum_symbol
from polyapprox.app.report.executor import make_executor


def _bump(k: int) -> EquivariantRepresentation:
    """n = 3, d = 1: Psi = y p1/3 + (1/10) (4y(1-y))^k (4(p1 - p2)/3)^k, weighted degree 4k.

    Against ``times-mean`` (f_i = x_i p1/3) the error is (1/10) (4x_i(1-x_i))^k (4 sum_j x_j(1-x_j)/3)^k:
    each factor is <= 1 with equality exactly at x = 1/2, so the sup is exactly 1/10, attained only at
    X = (1/2, 1/2, 1/2).
    """
    y, p1, p2 = sympy.Symbol("y_1"), power_sum_symbol((1,)), power_sum_symbol((2,))
    psi = y * p1 / 3 + sympy.Rational(1, 10) * (4 * y * (1 - y)) ** k * (sympy.Rational(4, 3) * (p1 - p2)) ** k
    return EquivariantRepresentation(3, 1, 1, ((1,), (2,), (3,)), sympy.Matrix([[sympy.expand(psi)]]))


def certify_item(item: tuple) -> tuple:
    """A sweep item (module level, picklable): certify the planted model; the result as exact bytes."""
    k, max_boxes, batch = item
    model = continuous.from_representation(_bump(k))
    r = certified_sup_error(model, "times-mean", CertificationBudget(max_boxes=max_boxes, ratio=1.01, batch=batch))
    return (r.lower.hex(), r.upper.hex(), r.witness.tobytes().hex(), r.boxes, r.pending, r.reached)


ITEMS = [(2, 2000, 256), (2, 150, 64), (1, 400, 128)]


def test_exact_model_is_tight_and_the_witness_attains_the_sup():
    r = certified_sup_error(continuous.from_representation(_bump(2)), "times-mean", CertificationBudget(ratio=1.01))
    true = Fraction(1, 10)
    assert r.reached and Fraction(r.lower) <= true <= Fraction(r.upper) and r.upper / 0.1 <= 1.01
    np.testing.assert_allclose(r.witness.ravel(), 0.5, atol=1e-6)
    assert 0.1 - r.lower < 1e-12


@pytest.mark.slow
@pytest.mark.parametrize("k", [6, 8])  # degrees 24 and 32: float64 once put lower at 0.10000000004692
def test_high_degree_lower_bound_never_exceeds_the_exact_sup(k):
    model = continuous.from_representation(_bump(k))
    r = certified_sup_error(model, "times-mean", CertificationBudget(max_boxes=64, batch=64, ratio=1.01), samples=64)
    assert Fraction(r.lower) <= Fraction(1, 10) <= Fraction(r.upper)
    assert r.lower > 0.0999


def test_serial_processes_and_dask_give_the_same_bits(process_executor, dask_scheduler):
    """Serial, two local processes and a Dask cluster (the session's pool and cluster, tests/conftest.py)."""
    serial = [certify_item(item) for item in ITEMS]
    assert process_executor.map(certify_item, ITEMS) == serial
    with make_executor(jobs=2, scheduler=dask_scheduler) as ex:
        assert ex.map(certify_item, ITEMS) == serial


def test_a_busy_processor_changes_nothing():
    quiet = certify_item(ITEMS[0])
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        loaded = certify_item(ITEMS[0])
    finally:
        for p in busy:
            p.kill()
            p.wait()
    assert loaded == quiet


def test_relu_network_certification_is_reproducible():
    from constructions import transformer

    S, _ = continuous.approximate(targets.get("times-mean"), 2, 1, 2, samples=200, seed=0)
    T = transformer.from_sumformer(S, 2, ff="relu", m_relu=2)
    budget = CertificationBudget(max_boxes=300, batch=64)
    a, b = certified_network_error(T, S, budget), certified_network_error(T, S, budget)
    assert (a.lower, a.upper, a.boxes, a.witness.tobytes()) == (b.lower, b.upper, b.boxes, b.witness.tobytes())


def test_budget_is_counted_in_boxes():
    model = continuous.from_representation(_bump(2))
    r = certified_sup_error(model, "times-mean", CertificationBudget(max_boxes=100, ratio=1.0001, batch=32))
    assert not r.reached and 100 <= r.boxes <= 100 + 32 and r.pending > 0
    assert Fraction(r.upper) >= Fraction(1, 10) and not r.stopped_by_time


def test_time_limit_is_looked_at_between_pieces_of_work(monkeypatch):
    """``time_limit`` is a safety stop looked at between pieces of work that shrink as the limit nears, the first
    pass over the grid included. No wall time is measured: the clock advances one second per box bounded, so a
    limit of T seconds must stop the search after more than T and at most 1.01 T + 1 boxes (benchmarks/
    bench_certify.py times the real clock); a limit that never expires changes no bit of the result."""
    from constructions._verify import certify

    clock, box_upper = [0.0], certify.box_upper

    def counted(bounder, lo, hi):
        clock[0] += len(lo)
        return box_upper(bounder, lo, hi)

    monkeypatch.setattr(certify, "_clock", lambda: clock[0])
    monkeypatch.setattr(certify, "box_upper", counted)
    model = continuous.from_representation(_bump(2))

    def run(limit):
        clock[0] = 0.0
        budget = CertificationBudget(max_boxes=2000, ratio=1.0001, batch=256, time_limit=limit)
        return certified_sup_error(model, "times-mean", budget)

    free, never = run(None), run(1e9)
    assert not free.stopped_by_time and free.boxes > 400
    assert (never.lower, never.upper, never.boxes, never.witness.tobytes(), never.stopped_by_time) == (
        free.lower,
        free.upper,
        free.boxes,
        free.witness.tobytes(),
        False,
    )
    edges = certify._grid_edges(3, (0.0, 1.0), 256)
    assert len(certify._initial_boxes(3, 1, edges)[0]) > 40  # the first pass bounds these grid cells
    for limit in [40.0, 300.0]:  # inside the first pass over the grid, and in a bisection round
        r = run(limit)
        assert r.stopped_by_time and limit < r.boxes <= 1.01 * limit + 1
        # still rigorous: cells the first pass did not reach keep the bound +inf
        assert Fraction(r.lower) <= Fraction(1, 10) <= r.upper and (r.upper == np.inf) == (limit == 40.0)


def test_time_limit_running_out_while_the_model_is_expanded(monkeypatch, tmp_path):
    """Expanding a high-degree model's Taylor coefficients can take longer than the limit: it is interrupted too,
    and the result is the rigorous [0, inf] with no box bounded (a certificate is refused). The clock here moves
    one second per look, so the limit runs out at the first look."""
    from constructions._verify import certify

    ticks = iter(range(10**6))
    monkeypatch.setattr(certify, "_clock", lambda: float(next(ticks)))
    model = continuous.from_representation(_bump(2))
    r = certified_sup_error(model, "times-mean", CertificationBudget(time_limit=0.5))
    assert (r.lower, r.upper, r.boxes, r.reached, r.stopped_by_time) == (0.0, np.inf, 0, False, True)
    assert r.witness.shape == (3, 1)
    with pytest.raises(PolyapproxError, match="time_limit ran out while the model was expanded"):
        certified_sup_error(model, "times-mean", CertificationBudget(time_limit=0.5), certificate=tmp_path / "c.json")


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"max_boxes": 0}, "max_boxes must be between 1"),
        ({"max_boxes": -5}, "max_boxes must be between 1"),
        ({"max_boxes": 10**12}, "max_boxes must be between 1"),
        ({"max_boxes": 2.5}, "max_boxes must be an integer"),
        ({"ratio": float("nan")}, "ratio must be a finite number >= 1"),
        ({"ratio": 0.5}, "ratio must be a finite number >= 1"),
        ({"ratio": "x"}, "ratio must be a number"),
        ({"atol": -1.0}, "atol must be a finite number >= 0"),
        ({"atol": float("inf")}, "atol must be a finite number >= 0"),
        ({"batch": 0}, "batch must be between 1"),
        ({"batch": 2**40}, "batch must be between 1"),
        ({"time_limit": 0}, "time_limit must be None or a finite number of seconds > 0"),
        ({"time_limit": float("nan")}, "time_limit must be None or a finite number of seconds > 0"),
        ({"max_boxes": True}, "max_boxes must be an integer"),
    ],
)
def test_bad_budgets_are_refused_in_one_line(kwargs, match):
    with pytest.raises(PolyapproxError, match=match) as info:
        CertificationBudget(**kwargs)
    assert "\n" not in str(info.value)
