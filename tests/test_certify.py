"""Certified sup-norm bounds: rigour against independent references (closed forms, arb, brute force)."""

from fractions import Fraction

import flint
import numpy as np
import pytest
import sympy

from constructions import continuous, targets
from constructions._common.interval import Interval, Jet, check_float_environment, rational_enclosure
from constructions.verify import CertificationBudget, SearchConfig, certified_sup_error, sup_error
from polyapprox import EquivariantRepresentation, PolyapproxError, power_sum_symbol
from polyapprox.internal import DomainError


def _rep_from_psi(n: int, psi: sympy.Expr) -> EquivariantRepresentation:
    indices = tuple((k,) for k in range(1, n + 1))
    return EquivariantRepresentation(n, 1, 1, indices, sympy.Matrix([[psi]]))


def _zero_target() -> targets.Target:
    zero = lambda X: np.zeros(X.shape[:2] + (1,))
    return targets.Target("zero", "f = 0", zero, lambda d: 1, interval=lambda X: X[:, :, 0:1] * 0.0)


# -- interval arithmetic -----------------------------------------------------------------------


def test_outward_rounding_encloses_where_round_to_nearest_underestimates():
    # 0.1 + 0.2 rounds to nearest BELOW the exact sum of the two doubles? check exactly with Fractions
    a, b = 0.1, 0.7
    exact = Fraction(a) * Fraction(b)
    nearest = a * b
    assert Fraction(nearest) != exact  # round-to-nearest lost information
    z = Interval(np.array(a)) * Interval(np.array(b))
    assert Fraction(float(z.lo)) <= exact <= Fraction(float(z.hi))
    # a case where the nearest float is below the exact value: the bare product would under-estimate
    under = next(
        (x, y)
        for x in np.linspace(0.1, 0.9, 97)
        for y in np.linspace(0.1, 0.9, 89)
        if Fraction(float(x * y)) < Fraction(float(x)) * Fraction(float(y))
    )
    z = Interval(np.array(under[0])) * Interval(np.array(under[1]))
    assert (
        Fraction(float(z.hi))
        >= Fraction(float(under[0])) * Fraction(float(under[1]))
        > Fraction(float(under[0] * under[1]))
    )


def test_sum_of_many_terms_encloses_exact_sum_where_nearest_rounding_is_low():
    x = np.full(1000, 0.1)
    exact = sum(Fraction(0.1) for _ in range(1000))
    assert Fraction(float(np.sum(x))) != exact
    s = Interval(x).sum(0)
    assert Fraction(float(s.lo)) <= exact <= Fraction(float(s.hi))


@pytest.mark.parametrize("seed", range(5))
def test_interval_ops_agree_with_arb(seed):
    rng = np.random.default_rng(seed)
    lo = rng.uniform(-2, 2, size=40)
    hi = lo + rng.uniform(0, 0.5, size=40)
    x, y = Interval(lo, hi), Interval(lo[::-1], hi[::-1])
    ours = {"add": x + y, "mul": x * y, "sq": x.square(), "exp": (x * y).exp(), "rec": (x.square() + 1.0).reciprocal()}
    ops = {
        "add": lambda a, b: a + b,
        "mul": lambda a, b: a * b,
        "sq": lambda a, b: a**2,
        "exp": lambda a, b: (a * b).exp(),
        "rec": lambda a, b: 1 / (a**2 + 1),
    }
    old = flint.ctx.prec
    flint.ctx.prec = 200
    try:
        for j in range(40):
            # arb balls spanning the inputs (radius stored to ~30 bits) and near-exact point values
            ax = flint.arb(flint.arf(lo[j])).union(flint.arb(flint.arf(hi[j])))
            ay = flint.arb(flint.arf(lo[39 - j])).union(flint.arb(flint.arf(hi[39 - j])))
            for key, op in ops.items():
                ball = op(ax, ay)
                z = ours[key]
                # ours lies inside arb's ball (midpoint-radius balls are never tighter than endpoints)
                assert float(z.lo[j]) >= float(ball.lower()) - 1e-12 * (1 + abs(float(ball.lower()))), key
                assert float(z.hi[j]) <= float(ball.upper()) + 1e-12 * (1 + abs(float(ball.upper()))), key
                for t in np.linspace(0, 1, 7):
                    px = flint.arb(flint.arf(lo[j] + t * (hi[j] - lo[j])))
                    py = flint.arb(flint.arf(hi[39 - j] - t * (hi[39 - j] - lo[39 - j])))
                    value = op(px, py)  # a ball of radius ~1e-60 around the exact value
                    assert float(z.lo[j]) <= float(value.lower()) and float(value.upper()) <= float(z.hi[j]), key
    finally:
        flint.ctx.prec = old


def test_rational_enclosure_is_tight_and_correct():
    q = Fraction(1, 3)
    lo, hi = rational_enclosure(q)
    assert Fraction(lo) < q < Fraction(hi) and np.nextafter(lo, 1) == hi
    assert rational_enclosure(Fraction(1, 4)) == (0.25, 0.25)
    with pytest.raises(PolyapproxError, match="too large"):
        rational_enclosure(Fraction(10**400))


def test_jets_enclose_sympy_derivatives_of_the_gaussian_target():
    rng = np.random.default_rng(3)
    c = rng.uniform(size=(1, 3))
    box = Interval(c - 0.01, c + 0.01)
    J = targets.get("gaussian-kernel-sum").interval(Jet.variables(box, order=2).reshape((1, 3, 1)))
    xs = sympy.symbols("x0:3")
    f0 = sum(sympy.exp(-((xs[0] - xj) ** 2)) for xj in xs)
    k, l = Jet.pair_index(3)
    for point in c + rng.uniform(-0.01, 0.01, size=(20, 3)):
        sub = dict(zip(xs, point))
        assert J.value[0, 0, 0].contains(float(f0.subs(sub)))
        for q in range(3):
            assert J.grad[0, 0, 0, q].contains(float(sympy.diff(f0, xs[q]).subs(sub)))
        for p, (a, b) in enumerate(zip(k, l)):
            assert J.hess[0, 0, 0, p].contains(float(sympy.diff(f0, xs[a], xs[b]).subs(sub)))


def test_float_environment_is_default():
    check_float_environment()


# -- certification against known maxima -------------------------------------------------------


def test_closed_form_polynomial_sup_is_contained_and_tight():
    # n = 2, d = 1: S(X)_i = x_i (x_1 + x_2) - x_i^2 / 2 vs f = 0. |S_1| = |x_1 x_2 + x_1^2 / 2|, sup at X = (1, 1): 3/2
    n = 2
    y, s1 = sympy.Symbol("y_1"), power_sum_symbol((1,))
    model = continuous.from_representation(_rep_from_psi(n, y * s1 - y**2 / 2))
    r = certified_sup_error(model, _zero_target(), CertificationBudget(ratio=1 + 1e-3, max_boxes=50_000))
    assert r.reached and r.lower <= 1.5 <= r.upper <= 1.5 * (1 + 1e-3)
    assert r.lower == pytest.approx(1.5, rel=1e-9) and Fraction(r.lower) <= Fraction(3, 2)


def test_planted_interior_bump_is_contained_and_tight():
    # n = 1, d = 1 (no power sums): S(x) = 4 x (1 - x) peaks at x = 1/2 with value 1, inside the box;
    # shifted by the planted maximum of a cubic: psi = 27/4 y^2 (1 - y) has max 1 at y = 2/3
    y = sympy.Symbol("y_1")
    rep = EquivariantRepresentation(1, 1, 1, (), sympy.Matrix([[sympy.Rational(27, 4) * y**2 * (1 - y)]]), refined=True)
    model = continuous.from_representation(rep)
    r = certified_sup_error(model, _zero_target(), CertificationBudget(ratio=1 + 1e-4, max_boxes=50_000))
    assert r.reached and r.lower <= 1.0 <= r.upper <= 1.0 + 1e-4
    np.testing.assert_allclose(r.witness, [[2 / 3]], atol=1e-3)


@pytest.mark.parametrize(
    "name,degree",
    [
        ("gaussian-kernel-sum", 2),
        ("gaussian-kernel-sum", 4),
        ("softmax-attention", 2),
        ("times-mean", 1),
        ("max-inner", 2),
    ],
)
def test_bound_holds_the_sampled_maximum(name, degree):
    f = targets.get(name)
    model, _ = continuous.approximate(f, 3, 1, degree, samples=400, seed=0)
    r = certified_sup_error(model, name, CertificationBudget(max_boxes=20_000), samples=256)
    dense = sup_error(model, f, 3, 1, search=SearchConfig(samples=20_000), seed=1)
    assert r.upper >= dense.error >= 0 and r.upper >= r.lower
    err = np.abs(model(r.witness[None]) - f(r.witness[None])).max()
    assert err == pytest.approx(r.lower, rel=1e-9)
    if name != "max-inner":
        assert r.reached and r.upper <= 1.5 * r.lower


def test_two_dimensional_tokens_bound_holds_the_sampled_maximum():
    f = targets.get("gaussian-kernel-sum")
    model, _ = continuous.approximate(f, 2, 2, 2, samples=400, seed=0)
    r = certified_sup_error(model, f, CertificationBudget(ratio=2.0, max_boxes=20_000), samples=256)
    dense = sup_error(model, f, 2, 2, search=SearchConfig(samples=20_000), seed=2)
    assert r.reached and r.upper >= dense.error and r.upper <= 2 * r.lower


def test_exhausted_budget_returns_a_rigorous_bound_flagged_not_reached():
    f = targets.get("gaussian-kernel-sum")
    model, _ = continuous.approximate(f, 3, 1, 6, samples=400, seed=0)
    tight = certified_sup_error(model, f, CertificationBudget(max_boxes=200_000), samples=256)
    short = certified_sup_error(model, f, CertificationBudget(max_boxes=40), samples=256)
    assert not short.reached and short.pending > 0
    assert short.upper >= tight.lower and short.upper >= short.lower
    assert short.boxes <= 41  # a split makes two boxes, so at most one over


# -- bad input --------------------------------------------------------------------------------


def test_target_without_interval_evaluation_is_refused_by_name():
    model, _ = continuous.approximate(targets.get("times-mean"), 2, 1, 2, samples=100)
    plain = targets.Target("plain", "no intervals", targets.get("times-mean").fn, lambda d: 1)
    with pytest.raises(PolyapproxError, match="'plain' has no interval evaluation"):
        certified_sup_error(model, plain)


def test_bad_model_target_and_domain_are_refused():
    model, _ = continuous.approximate(targets.get("times-mean"), 2, 1, 2, samples=100)
    with pytest.raises(PolyapproxError, match="polynomial Sumformer"):
        certified_sup_error(lambda X: X, "times-mean")
    with pytest.raises(PolyapproxError, match="target"):
        certified_sup_error(model, "no-such-target")
    with pytest.raises(DomainError, match="outside the model's domain"):
        certified_sup_error(model, "times-mean", domain=(0.0, 2.0))
    with pytest.raises(PolyapproxError, match="budget must be a CertificationBudget"):
        certified_sup_error(model, "times-mean", 1.5)
    with pytest.raises(PolyapproxError, match="d_out"):
        certified_sup_error(model, "gaussian-kernel-sum") if model.d_out != 1 else certified_sup_error(
            continuous.approximate(targets.get("times-mean"), 2, 2, 1, samples=100)[0], "gaussian-kernel-sum"
        )


def test_non_finite_coefficients_are_refused():
    y = sympy.Symbol("y_1")
    rep = EquivariantRepresentation(1, 1, 1, (), sympy.Matrix([[sympy.Integer(10) ** 400 * y]]), refined=True)
    with pytest.raises(PolyapproxError, match="too large for float64"):
        continuous.from_representation(rep)
