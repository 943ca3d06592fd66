"""Target expressions (constructions._targets.expression): values against per-token Python loops,
equivariance, nested reductions, the injection catalogue of the polynomial parser, size guards."""

from __future__ import annotations

import builtins
import math

import numpy as np
import pytest

from constructions import targets
from constructions._targets.expression import MAX_LENGTH, compile_expression, estimate_lipschitz, from_expression
from constructions.verify import assert_equivariant
from polyapprox import ParseError, PolyapproxError
from polyapprox.internal import DomainError, ShapeError, SizeError


def _loop(X: np.ndarray, token_fn) -> np.ndarray:
    """Reference: an explicit loop over sequences and tokens, token_fn(X_s, i) -> list of outputs."""
    return np.array([[token_fn(Xs, i) for i in range(len(Xs))] for Xs in X], dtype=float)


def _gauss(Xs, i):
    return [sum(math.exp(-sum((a - b) ** 2 for a, b in zip(Xs[i], Xs[j]))) for j in range(len(Xs)))]


def _nested(Xs, i):  # sum_j x_j0 * max_k (x_k1 - x_j0)^2 + x_i0
    n = len(Xs)
    return [sum(Xs[j][0] * max((Xs[k][1] - Xs[j][0]) ** 2 for k in range(n)) for j in range(n)) + Xs[i][0]]


def _tuple(Xs, i):
    n = len(Xs)
    mean = [sum(Xs[j][c] for j in range(n)) / n for c in range(len(Xs[i]))]
    return [Xs[i][c] - mean[c] for c in range(len(Xs[i]))] + [
        math.sqrt(sum(v * v for v in Xs[i])),
        min(sum(a * b for a, b in zip(Xs[i], Xs[j])) for j in range(n)),
    ]


def _misc(Xs, i):
    n = len(Xs)
    return [
        math.tanh(Xs[i][1]) * math.cos(math.pi * Xs[i][0]) / (1 + sum(abs(Xs[j][0] - 0.5) for j in range(n)) / n)
        + math.sqrt(1 + Xs[i][0] ** 2) ** -1.5
        + math.log(2 + math.sin(Xs[i][1])) * math.e
    ]


CASES = {
    "sum_j(exp(-norm2(x_i - x_j)))": _gauss,
    "sum_j(x_j[0] * max_k((x_k[1] - x_j[0])**2)) + x_i[0]": _nested,
    "(x_i - mean_j(x_j), norm(x_i), min_j(dot(x_i, x_j)))": _tuple,
    "tanh(x_i[1]) * cos(pi * x_i[0]) / (1 + mean_j(abs(x_j[0] - 0.5))) + sqrt(1 + x_i[0]**2)**-1.5 "
    "+ log(2 + sin(x_i[1])) * e": _misc,
}


@pytest.mark.parametrize("text", list(CASES), ids=range(len(CASES)))
@pytest.mark.parametrize("n, d", [(1, 2), (3, 2), (5, 3)])
def test_vectorised_value_equals_a_per_token_loop(text, n, d):
    X = np.random.default_rng(n * 10 + d).uniform(size=(7, n, d))
    f = from_expression(text)
    got = f(X)
    want = _loop(X, CASES[text])
    assert got.shape == want.shape == (7, n, f.output_dim(d))
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(f(X[0]), want[0], rtol=1e-12, atol=1e-13)  # unbatched (n, d)


@pytest.mark.parametrize("text", list(CASES), ids=range(len(CASES)))
def test_equivariant_under_random_permutations(text):
    assert_equivariant(from_expression(text), 6, 3, samples=5, seed=1, atol=1e-11)


@pytest.mark.parametrize("name", list(targets.FORMULAS))
def test_formulas_of_registered_targets_match_their_numpy(name):
    X = np.random.default_rng(2).uniform(size=(9, 4, 3))
    np.testing.assert_allclose(from_expression(targets.FORMULAS[name])(X), targets.get(name)(X), rtol=1e-12, atol=1e-14)
    assert targets.formula(name) == targets.FORMULAS[name]
    assert targets.formula("rank") == targets.get("rank").description


def test_nested_reductions_bind_their_own_letters():
    # sum_j sum_k x_j x_k = (sum x)^2, independent of i; sum_k of a body without x_k is n x body
    X = np.array([[[1.0], [2.0], [4.0]]])
    np.testing.assert_array_equal(from_expression("sum_j(sum_k(x_j * x_k))")(X)[0, :, 0], [49.0] * 3)
    np.testing.assert_array_equal(from_expression("sum_k(x_i)")(X)[0, :, 0], [3.0, 6.0, 12.0])
    np.testing.assert_array_equal(from_expression("mean_j(2)")(X)[0, :, 0], [2.0] * 3)
    np.testing.assert_array_equal(from_expression("max_j(x_j) - min_k(x_k)")(X)[0, :, 0], [3.0] * 3)
    with pytest.raises(ParseError, match="already bound"):
        from_expression("sum_j(sum_j(x_j))")
    with pytest.raises(ParseError, match="not equivariant: x_k"):
        from_expression("sum_j(x_j * x_k)")
    with pytest.raises(ParseError, match="cannot bind i"):
        from_expression("sum_i(x_i)")


def test_constant_output_broadcasts_and_d_out():
    f = from_expression("(1, x_i, x_i[0])")
    Y = f(np.zeros((2, 3, 2)))
    assert Y.shape == (2, 3, 4) and f.output_dim(2) == 4
    np.testing.assert_array_equal(Y[..., 0], 1.0)


def test_target_records_its_expression():
    f = from_expression("  x_i * mean_j(x_j) ")
    assert f.expression == "x_i * mean_j(x_j)" and f.name == f.expression
    assert isinstance(f, targets.Target) and f.continuous


@pytest.mark.parametrize(
    "text, match",
    [
        ("x_j", "not equivariant: x_j"),
        ("x_i + x_k", "not equivariant: x_k"),
        ("sum_j(x_j) + x_j", "not equivariant: x_j"),
        ("__import__('os').system('echo hi')", "function '__import__' is not allowed|only the listed"),
        ("foo(x_i)", "function 'foo' is not allowed"),
        ("x_i.conjugate", "attribute"),
        ("np.exp(x_i)", "attribute|plain names"),
        ("x_i[0:1]", "non-negative integer literal"),
        ("x_i[-1]", "non-negative integer literal|out of range"),
        ("x_i[0][0]", "scalar"),
        ("lambda: 1", "lambdas"),
        ("'x_i'", "literal"),
        ("x_i^2", r"\*\*"),
        ("x_i < 2", "comparisons"),
        ("x_i and x_i", "boolean"),
        ("x_i if 1 else 2", "conditionals"),
        ("[x_i]", "lists"),
        ("{1: 2}", "dicts"),
        ("{x_i}", "sets"),
        ("f'{x_i}'", "f-strings"),
        ("(y := 1)", "assignments"),
        ("(x_i, (x_i, 1))", "tuple"),
        ("x_i + (", "invalid syntax"),
        ("x_i $ 2", "invalid syntax"),
        ("sum_j exp(x_j)", "reductions as calls"),
        ("z", "unknown name 'z'"),
        ("X_i", "unknown name"),
        ("x_1", "unknown name"),
        ("exp", "is a function"),
        ("sum_j", "is a function"),
        ("True", "literal"),
        ("None", "literal"),
        ("1j", "literal"),
        ("b'1'", "literal"),
        ("not x_i", "unary operator"),
        ("~x_i", "unary operator"),
        ("x_i % 2", "'%'"),
        ("x_i // 2", "'//'"),
        ("x_i @ x_i", "'@'"),
        ("x_i << 1", "'<<'"),
        ("x_i | 1", r"'\|'"),
        ("x_i & 1", "'&'"),
        ("x_i ** x_i", "exponent must be a numeric constant"),
        ("2 ** (1/2)", "exponent must be a numeric constant"),
        ("", "empty"),
        ("   ", "empty"),
        ("()", "empty tuple"),
        ("*x_i", "invalid syntax|starred"),
        ("exp(x_i, 2)", "takes 1 argument"),
        ("dot(x_i)", "takes 2 arguments"),
        ("sum_j(x_j, x_i)", "takes one argument"),
        ("exp(x=x_i)", "positional"),
        ("exp(*x_i)", "positional"),
        ("norm(x_i[0])", "needs vector arguments"),
        ("[c for c in x_i]", "comprehensions"),
        ("(c for c in x_i)", "generators"),
    ],
    ids=str,
)
def test_rejected_with_a_clear_error(text, match):
    with pytest.raises(ParseError, match=match):
        from_expression(text)


def test_size_guards():
    with pytest.raises(SizeError, match="exponent"):
        from_expression("x_i**100000")
    with pytest.raises(SizeError, match="exponent"):
        from_expression("x_i**-65")
    with pytest.raises(SizeError, match="exponent"):
        from_expression("x_i**" + "9" * 200)
    with pytest.raises(SizeError, match="characters"):
        from_expression("1" * (MAX_LENGTH + 1))
    with pytest.raises(SizeError, match="overflows|too large"):
        from_expression("1e999 * x_i")
    with pytest.raises(SizeError, match="too large"):
        from_expression("9" * 400 + " * x_i")
    with pytest.raises(SizeError, match="nests 4 reductions"):
        from_expression("sum_j(sum_k(sum_l(sum_m(x_m))))")
    with pytest.raises(SizeError, match="nested more than"):
        from_expression("-" * 300 + "x_i")
    with pytest.raises(SizeError, match="nested more than"):
        from_expression("+".join(["x_i"] * 300))
    balanced = "x_i"
    for _ in range(9):  # 512 leaves, depth 9: about 1,500 nodes in about 3,000 characters
        balanced = f"({balanced}+{balanced})"
    with pytest.raises(SizeError, match="syntax nodes"):
        from_expression(balanced)
    deep = from_expression("+".join(["x_i"] * 150))  # within the limits: evaluates without recursion errors
    np.testing.assert_allclose(deep(np.ones((2, 1))), 150.0)
    with pytest.raises(PolyapproxError):
        from_expression("(" * 3000 + "x_i" + ")" * 3000)


def test_evaluation_memory_is_bounded_before_allocating():
    f = from_expression("sum_j(sum_k(sum_l(x_j * x_k * x_l)))")
    with pytest.raises(SizeError, match="per sequence"):
        f(np.zeros((1, 400, 2)))
    small = f(np.full((3000, 3, 1), 0.5))  # evaluated in chunks, same values
    np.testing.assert_allclose(small, 27 * 0.125)


def test_coordinates_need_enough_dimensions():
    with pytest.raises(ShapeError, match="needs d >= 3"):
        from_expression("x_i[2]")(np.zeros((2, 2)))


def test_nan_is_reported_with_where():
    f = from_expression("sum_j(x_j) + log(x_i[0] - 0.5)")
    X = np.array([[[0.9], [0.7]], [[0.9], [0.2]]])
    with pytest.raises(DomainError, match=r"output \(1, 0\) of sequence 1; first at its part 'log\(x_i\[0\] - 0.5\)'"):
        f(X)
    with pytest.raises(DomainError, match="part '1 / x_i'"):
        from_expression("sqrt(1 / x_i)")(np.zeros((2, 1)))


def test_lipschitz_estimate_and_given():
    # centered: the Jacobian of x_i - mean x_j has max abs row sum 2 (n - 1)/n for n tokens
    f = from_expression("x_i - mean_j(x_j)")
    assert f.lipschitz_estimated
    assert f.lipschitz_constant(4, 2) == pytest.approx(2 * 3 / 4, rel=1e-6)
    g = from_expression("x_i - mean_j(x_j)", lipschitz=2.0)
    assert not g.lipschitz_estimated and g.lipschitz_constant(4, 2) == 2.0
    # gaussian kernel sum: the sampled estimate stays below the proven constant of the registry
    est = estimate_lipschitz(targets.get("gaussian-kernel-sum"), 3, 2)
    assert 0 < est <= targets.get("gaussian-kernel-sum").lipschitz_constant(3, 2)
    with pytest.raises(PolyapproxError, match="lipschitz"):
        from_expression("x_i", lipschitz=-1.0)


def test_nothing_is_evaluated(monkeypatch, tmp_path):
    def forbidden(*args, **kwargs):
        raise AssertionError("eval/exec must never be called")

    marker = tmp_path / "created"
    payloads = [
        f"__import__('pathlib').Path({str(marker)!r}).touch()",
        f"exp(__import__('pathlib').Path({str(marker)!r}).touch())",
        f"sum_j(x_j + __import__('pathlib').Path({str(marker)!r}).touch())",
        f"(x_i, open({str(marker)!r}, 'w'))",
        f"x_i[__import__('pathlib').Path({str(marker)!r}).touch()]",
        f"x_i ** __import__('pathlib').Path({str(marker)!r}).touch()",
        "().__class__.__bases__[0].__subclasses__()",
        "[x for x in ().__class__.__mro__]",
    ]
    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    for text in payloads:
        with pytest.raises(ParseError):
            from_expression(text)
    assert not marker.exists()
    assert compile_expression("x_i")(np.ones((1, 2, 1))).shape == (1, 2, 1)
