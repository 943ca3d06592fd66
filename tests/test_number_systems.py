"""One formula per target over three number systems (numpy, Interval, Jet); expressions share it.

Checked against: a table of numpy values and enclosures frozen from the implementation before the
targets were rewritten (tests/data/targets_reference.npz), closed forms on tiny inputs, sympy's
exact derivatives at rational points, sampled points inside random boxes, and the registered
targets against their target-expression twins (same values, same enclosures, same certificate).
"""

from fractions import Fraction
from math import exp
from pathlib import Path

import numpy as np
import pytest
import sympy

from constructions import continuous, targets, verify
from constructions._common.interval import Interval, Jet
from constructions._targets.formulas import softmax_attention_weights
from polyapprox import PolyapproxError
from polyapprox.internal import NotSmoothError

REFERENCE = np.load(Path(__file__).parent / "data" / "targets_reference.npz")
TWINS = dict(targets.FORMULAS)  # registered name -> its target expression
SMOOTH = ["gaussian-kernel-sum", "times-mean", "centered", "poly-mean-field", "softmax-attention"]

# expressions that use every operation of the language (each on a box where it is defined)
EXPRESSIONS = [
    "exp(x_i) * sin(x_i) + log(1 + x_i**2) - sqrt(1 + x_i) / 3",
    "cos(mean_j(x_j)) + tanh(2 * x_i - 1) + abs(x_i - 0.5)",
    "(norm(x_i), norm2(x_i - mean_j(x_j)), dot(x_i, x_i) ** 0.5)",
    "min_j(norm2(x_i - x_j) + x_j[0]) - max_j(x_j[0] * pi) / e",
    "sum_j(x_j[0] * sum_k(x_k[0] * x_j[0])) + x_i ** -1 * 0.25",
    "mean_j(exp(-norm(x_i - x_j))) * (x_i + 1) ** 1.5",
]


def _reference_keys():
    return sorted({tuple(k.split("|")[:4]) for k in REFERENCE.files if k.split("|")[0] not in ("X", "W")})


def _boxes(rng, b, n, d, touch=True):
    """Random boxes in [0, 1]^(n x d); with ``touch``, some sides at 0 and at 1 and some points."""
    lo = rng.uniform(0, 1, size=(b, n, d))
    hi = np.minimum(lo + rng.uniform(0, 0.4, size=lo.shape), 1.0)
    if touch:
        lo[0::4] = 0.0
        hi[1::4] = 1.0
        hi[2::4] = lo[2::4]  # degenerate boxes: points
    return lo, hi


def _points(rng, lo, hi, k):
    """k points of each box, the two corners first."""
    t = rng.uniform(size=(k - 2, *lo.shape))
    return np.concatenate([lo[None], hi[None], lo[None] + t * (hi - lo)[None]])


def _enc(target, X):
    """The target's enclosure of X (every registered target and expression has one)."""
    assert target.interval is not None
    return target.interval(X)


def _same(a, b):
    return np.array_equal(a.lo, b.lo) and np.array_equal(a.hi, b.hi)


# -- the registered targets against the frozen table ------------------------------------------


@pytest.mark.parametrize("key", _reference_keys(), ids="|".join)
def test_numpy_values_bit_for_bit_as_before(key):
    name, n, d, kind = key
    X = REFERENCE[f"X|{n}|{d}|{kind}"]
    assert np.array_equal(targets.get(name)(X), REFERENCE["|".join(key)])


@pytest.mark.parametrize("key", _reference_keys(), ids="|".join)
def test_enclosures_as_before(key):
    """Unchanged, except (1) max-inner on boxes reaching below 0: its diagonal <x_i, x_i> was enclosed by
    a square there and is now the product of the generic dot (the same formula as its expression twin),
    so wider; (2) n = 1: the mean of one token is no longer divided by 1 (one outward rounding less);
    (3) exp, now computed the same way on every machine, moves the ends by a relative 2^-40 at most."""
    name, n, d, kind = key
    X = REFERENCE[f"X|{n}|{d}|{kind}"]
    box = _enc(targets.get(name), Interval(X, X + REFERENCE[f"W|{n}|{d}|{kind}"]))
    old = Interval(REFERENCE["|".join(key) + "|lo"], REFERENCE["|".join(key) + "|hi"])
    if name in ("gaussian-kernel-sum", "softmax-attention"):  # (3) exp: the interval module's own, machine-
        # independent exp replaced numpy's (the table's); both are widened by 2^-40, so the ends move by less
        np.testing.assert_allclose(box.lo, old.lo, rtol=2.0**-36, atol=2.0**-1000)
        np.testing.assert_allclose(box.hi, old.hi, rtol=2.0**-36, atol=2.0**-1000)
    elif name == "max-inner" and kind == "wide":
        assert np.all(box.lo <= old.lo) and np.all(box.hi == old.hi)
    elif n == "1" and name in ("times-mean", "centered", "poly-mean-field"):
        assert np.all(box.lo >= old.lo) and np.all(box.hi <= old.hi)
    else:
        assert _same(box, old)


def test_closed_forms_on_tiny_inputs():
    X = np.array([[0.0], [1.0]])
    assert targets.get("gaussian-kernel-sum")(X).tolist() == [[1 + exp(-1)], [1 + exp(-1)]]
    assert targets.get("times-mean")(X).tolist() == [[0.0], [0.5]]
    assert targets.get("centered")(X).tolist() == [[-0.5], [0.5]]
    assert targets.get("poly-mean-field")(X).tolist() == [[0.5], [1.0]]  # x^2 - x/2 + 1/2
    assert targets.get("max-inner")(np.array([[1.0, 2.0], [3.0, -1.0]])).tolist() == [[5.0], [10.0]]
    assert targets.get("rank")(np.array([[0.5], [0.1], [0.5], [0.9]])).tolist() == [[1.0], [0.0], [1.0], [3.0]]
    # softmax-attention at d = 1 with equal tokens: every weight 1/n, output x W_V
    W_V = softmax_attention_weights(1)[2]
    assert targets.get("softmax-attention")(np.array([[0.5], [0.5]])).tolist() == [[0.5 * W_V[0, 0]]] * 2
    # enclosures on point boxes of these inputs contain exactly the values above
    for name, value in [("times-mean", [[0.0], [0.5]]), ("rank", [[1.0], [0.0], [1.0], [3.0]])]:
        Y = np.array([[0.5], [0.1], [0.5], [0.9]]) if name == "rank" else X
        box = _enc(targets.get(name), Interval(Y[None]))
        assert np.all(box.lo[0] <= value) and np.all(np.asarray(value) <= box.hi[0])


# -- registered targets and their expression twins --------------------------------------------


@pytest.mark.parametrize("name", sorted(TWINS))
def test_twin_values_equal_exactly(name, rng):
    f, g = targets.get(name), targets.from_expression(TWINS[name])
    for n, d in [(1, 1), (2, 1), (3, 2), (5, 3)]:
        X = rng.uniform(-1, 2, size=(9, n, d))
        assert np.array_equal(f(X), g(X))


@pytest.mark.parametrize("name", sorted(TWINS))
def test_twin_enclosures_equal(name, rng):
    f, g = targets.get(name), targets.from_expression(TWINS[name])
    for n, d in [(1, 1), (2, 1), (3, 2), (4, 3)]:
        lo, hi = _boxes(rng, 12, n, d)
        assert _same(_enc(f, Interval(lo, hi)), _enc(g, Interval(lo, hi)))
        wide_lo = rng.uniform(-2, 1, size=(6, n, d))
        wide = Interval(wide_lo, wide_lo + rng.uniform(0, 1, size=wide_lo.shape))
        assert _same(_enc(f, wide), _enc(g, wide))
        assert _same(_enc(f, Interval(lo)), _enc(g, Interval(lo)))  # point boxes


@pytest.mark.parametrize("name", sorted(TWINS))
def test_twin_jets_equal(name, rng):
    f, g = targets.get(name), targets.from_expression(TWINS[name])
    n, d = 3, 2
    lo, hi = _boxes(rng, 5, n, d, touch=False)
    for order in (1, 2):
        X = Jet.variables(Interval(lo.reshape(5, -1), hi.reshape(5, -1)), order=order).reshape((5, n, d))
        if name not in SMOOTH:
            for t in (f, g):
                with pytest.raises(NotSmoothError):
                    _enc(t, X)
            continue
        a, b = _enc(f, X), _enc(g, X)
        assert _same(a.value, b.value) and _same(a.grad, b.grad)
        assert (a.hess is None and b.hess is None) or _same(a.hess, b.hess)


@pytest.mark.parametrize("name", sorted(TWINS))
def test_twin_certifies_identically(name):
    n, d = (3, 1) if name == "gaussian-kernel-sum" else (2, 2)
    S, _ = continuous.approximate(targets.get(name), n=n, d=d, degree=3, samples=300)
    by_name = verify.certified_sup_error(S, name, verify.CertificationBudget(max_boxes=1500))
    by_text = verify.certified_sup_error(S, TWINS[name], verify.CertificationBudget(max_boxes=1500))
    assert (by_text.lower, by_text.upper, by_text.boxes, by_text.reached) == (
        by_name.lower,
        by_name.upper,
        by_name.boxes,
        by_name.reached,
    )
    assert by_text.lower <= by_text.upper and by_text.target == TWINS[name]


@pytest.mark.parametrize("name", ["gaussian-kernel-sum", "max-inner"])
def test_twin_certifies_a_discontinuous_sumformer_identically(name):
    from constructions import discontinuous

    S = discontinuous.build(targets.get(name), 3, 1, 4)
    a = verify.certified_sup_error(S, name, verify.CertificationBudget(max_boxes=4000))
    b = verify.certified_sup_error(S, TWINS[name], verify.CertificationBudget(max_boxes=4000))
    assert (a.lower, a.upper, a.boxes, a.reached) == (b.lower, b.upper, b.boxes, b.reached) and a.lower <= a.upper


def test_module_function_targets_cannot_be_certified():
    S, _ = continuous.approximate(targets.get("centered"), n=2, d=1, degree=1, samples=50)
    code = targets.from_callable("numpy:negative")
    with pytest.raises(PolyapproxError, match=r"^target 'numpy:negative' has no interval evaluation \(only [^\n]*$"):
        verify.certified_sup_error(S, code)
    with pytest.raises(PolyapproxError, match="names Python code to import and run"):
        verify.certified_sup_error(S, "numpy:negative")


# -- soundness: enclosures contain the values at points of the box ----------------------------


@pytest.mark.parametrize("spec", targets.names() + EXPRESSIONS)
def test_enclosures_contain_sampled_values(spec, rng):
    f = targets.resolve(spec)
    for n, d in [(1, 1), (2, 1), (3, 2), (4, 1)]:
        if f.dims is not None and d not in f.dims:
            continue
        lo, hi = _boxes(rng, 16, n, d)
        if spec in EXPRESSIONS:  # keep x away from 0 where x ** -1 is taken
            lo, hi = 0.05 + 0.95 * lo, 0.05 + 0.95 * hi
        box = _enc(f, Interval(lo, hi))
        for P in _points(rng, lo, hi, 12):
            Y = f(P)
            assert np.all(box.lo <= Y) and np.all(box.hi >= Y), spec


@pytest.mark.parametrize("spec", [s for s in EXPRESSIONS if "abs" not in s and "min_j" not in s])
def test_jet_enclosures_contain_sampled_values(spec, rng):
    f = targets.resolve(spec)
    n, d = 3, 1
    lo, hi = _boxes(rng, 8, n, d, touch=False)
    lo, hi = 0.05 + 0.95 * lo, 0.05 + 0.95 * hi
    try:
        J = _enc(f, Jet.variables(Interval(lo.reshape(8, -1), hi.reshape(8, -1))).reshape((8, n, d)))
    except NotSmoothError:  # norm at 0 (x_i - x_i) has no derivative
        assert "norm(" in spec
        return
    for P in _points(rng, lo, hi, 6):
        Y = f(P)
        assert np.all(J.value.lo <= Y) and np.all(J.value.hi >= Y)


# -- jets against sympy's exact derivatives ---------------------------------------------------

POLYNOMIAL = "x_i[0] ** 3 * mean_j(x_j[1] ** 2) - 2 * dot(x_i, x_i) * sum_j(x_j[0]) + x_i / 4"


def _sympy_rows(n, d):
    """The polynomial above and poly-mean-field as sympy expressions of the flat variables v_{j*d + c}."""
    v = sympy.symbols(f"v0:{n * d}")
    x = [[v[j * d + c] for c in range(d)] for j in range(n)]
    rows = {}
    for i in range(n):
        mean_sq = sum(x[j][1] ** 2 for j in range(n)) / n
        dot = sum(x[i][c] ** 2 for c in range(d))
        s0 = sum(x[j][0] for j in range(n))
        rows[(POLYNOMIAL, i)] = [x[i][0] ** 3 * mean_sq - 2 * dot * s0 + x[i][c] / 4 for c in range(d)]
        rows[("poly-mean-field", i)] = [
            x[i][c] ** 2 - x[i][c] / 2 + sum(x[j][c] ** 2 for j in range(n)) / n for c in range(d)
        ]
    return v, rows


def _inside(interval_lo, interval_hi, exact):
    return Fraction(float(interval_lo)) <= exact <= Fraction(float(interval_hi))


@pytest.mark.parametrize("spec", [POLYNOMIAL, "poly-mean-field"])
def test_jets_contain_exact_derivatives_at_rational_points(spec, rng):
    n, d = 3, 2
    N = n * d
    v, rows = _sympy_rows(n, d)
    f = targets.resolve(spec)
    point = rng.integers(-16, 17, size=(4, N)) / 8.0  # dyadic rationals: the floats are the points
    J = _enc(f, Jet.variables(Interval(point), order=2).reshape((4, n, d)))
    k, l = Jet.pair_index(N)
    for b in range(4):
        at = {v[m]: sympy.Rational(Fraction(point[b, m])) for m in range(N)}
        for i in range(n):
            for c in range(d):
                expr = rows[(spec, i)][c]
                value = Fraction(str(expr.subs(at)))
                assert _inside(J.value.lo[b, i, c], J.value.hi[b, i, c], value)
                for m in range(N):
                    g = Fraction(str(sympy.diff(expr, v[m]).subs(at)))
                    assert _inside(J.grad.lo[b, i, c, m], J.grad.hi[b, i, c, m], g)
                for p, (a, a2) in enumerate(zip(k, l)):
                    h = Fraction(str(sympy.diff(expr, v[a], v[a2]).subs(at)))
                    assert _inside(J.hess.lo[b, i, c, p], J.hess.hi[b, i, c, p], h)


def test_transcendental_jets_contain_exact_derivatives():
    """exp, log, sqrt, sin, cos, tanh, powers: jet enclosures at a point contain sympy's derivatives (50 digits)."""
    text = "exp(x_i[0]) * sin(x_i[0]) + log(1 + x_i[0] ** 2) - sqrt(1 + x_i[0]) + tanh(x_i[0]) * cos(x_i[0]) + x_i[0] ** 1.5"
    f = targets.from_expression(text)
    y = sympy.Symbol("y")
    expr = sympy.exp(y) * sympy.sin(y) + sympy.log(1 + y**2) - sympy.sqrt(1 + y) + sympy.tanh(y) * sympy.cos(y) + y**1.5
    for x0 in (0.125, 0.5, 0.8125):
        J = _enc(f, Jet.variables(Interval(np.array([[x0]])), order=2).reshape((1, 1, 1)))
        for got_lo, got_hi, want in [
            (J.value.lo, J.value.hi, expr),
            (J.grad.lo, J.grad.hi, sympy.diff(expr, y)),
            (J.hess.lo, J.hess.hi, sympy.diff(expr, y, 2)),
        ]:
            exact = sympy.N(want.subs(y, sympy.Rational(Fraction(x0))), 50)
            assert sympy.Float(float(got_lo.ravel()[0]), 60) <= exact <= sympy.Float(float(got_hi.ravel()[0]), 60)


# -- the elementwise enclosures on their own, over wide ranges (peaks of sin and cos included) --


@pytest.mark.parametrize("op", ["exp", "log", "sqrt", "sin", "cos", "tanh", "abs", "power 1.5", "power -3", "power 4"])
def test_elementwise_enclosures_contain_dense_samples(op, rng):
    positive = op in ("log", "sqrt", "power 1.5", "power -3")
    lo = rng.uniform(0.01 if positive else -20, 20, size=400)
    hi = lo + np.concatenate([rng.uniform(0, 0.1, 100), rng.uniform(0, 3, 100), rng.uniform(0, 8, 100), np.zeros(100)])
    box = Interval(lo, hi)
    name, _, p = op.partition(" ")
    got = box.power(float(p)) if p else getattr(box, name)()
    t = np.linspace(0, 1, 2001)[:, None]
    x = lo + t * (hi - lo)
    with np.errstate(all="ignore"):
        y = np.power(x, float(p)) if p else getattr(np, name)(x)
    assert np.all(got.lo <= y) and np.all(got.hi >= y)
    if name in ("sin", "cos"):  # a box containing a peak reaches 1 exactly, one without stays below
        peak = np.pi / 2 if name == "sin" else 0.0
        k = np.ceil((lo - peak) / (2 * np.pi))
        surely_in = peak + 2 * np.pi * k < hi - 1e-6
        assert np.all(got.hi[surely_in] == 1.0)
        assert np.all(got.hi[y.max(axis=0) < 1 - 1e-3] < 1.0)


def test_division_by_a_constant_is_exact_for_powers_of_two():
    x = Interval(np.array([0.1, -3.0]), np.array([0.3, 5.0]))
    assert _same(x / 2, x * 0.5) and _same(x / 2.0, x / Interval(np.float64(2.0)))
    third = x / 3
    assert np.all(third.lo <= np.array([0.1, -3.0]) / 3) and np.all(third.hi >= np.array([0.3, 5.0]) / 3)


def test_jets_refuse_exactly_where_the_derivatives_are_unbounded():
    def jets(lo, hi):
        return Jet.variables(Interval(np.array([[lo]]), np.array([[hi]])), order=2).reshape((1, 1, 1))

    f = targets.from_expression("abs(x_i - 0.5) + x_i ** 1.5")
    away = _enc(f, jets(0.625, 0.75))  # x - 1/2 > 0 and x > 0: |x - 1/2| = x - 1/2, derivative 1 + 1.5 x^0.5
    assert away.grad.lo[0, 0, 0, 0] <= 1 + 1.5 * 0.625**0.5 and away.grad.hi[0, 0, 0, 0] >= 1 + 1.5 * 0.75**0.5
    below = _enc(targets.from_expression("abs(x_i - 0.5)"), jets(0.125, 0.25))  # |x - 1/2| = 1/2 - x
    assert below.grad.lo[0, 0, 0, 0] == below.grad.hi[0, 0, 0, 0] == -1.0
    for text, box in [("abs(x_i - 0.5)", (0.25, 0.75)), ("x_i ** 1.5", (0.0, 0.5)), ("sqrt(x_i)", (0.0, 0.5))]:
        with pytest.raises(NotSmoothError):
            _enc(targets.from_expression(text), jets(*box))
        plain = _enc(targets.from_expression(text), Interval(np.array([[[box[0]]]]), np.array([[[box[1]]]])))
        assert plain.lo[0, 0, 0] <= plain.hi[0, 0, 0]
