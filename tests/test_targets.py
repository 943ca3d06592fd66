from math import exp

import numpy as np
import pytest

from constructions import targets
from constructions.verify import assert_equivariant
from polyapprox import PolyapproxError, ShapeError, UnknownNameError
from polyapprox.exact._errors import DomainError


def _loop_reference(name, X):
    """Direct, loop-based definitions of the targets (independent of the vectorised code)."""
    n, d = X.shape
    rows = []
    for i in range(n):
        xi = X[i]
        mean = [sum(X[j, c] for j in range(n)) / n for c in range(d)]
        if name == "gaussian-kernel-sum":
            rows.append([sum(exp(-sum((xi[c] - X[j, c]) ** 2 for c in range(d))) for j in range(n))])
        elif name == "times-mean":
            rows.append([xi[c] * mean[c] for c in range(d)])
        elif name == "centered":
            rows.append([xi[c] - mean[c] for c in range(d)])
        elif name == "poly-mean-field":
            rows.append([xi[c] ** 2 - xi[c] / 2 + sum(X[j, c] ** 2 for j in range(n)) / n for c in range(d)])
        elif name == "max-inner":
            rows.append([max(sum(xi[c] * X[j, c] for c in range(d)) for j in range(n))])
        elif name == "rank":
            rows.append([sum(1 for j in range(n) if X[j, 0] < xi[0])])
        else:
            return None
    return np.array(rows, dtype=float)


@pytest.mark.parametrize("name", targets.names())
def test_values_against_loop_definition(name, rng):
    d = 1 if name == "rank" else 3
    X = rng.uniform(size=(5, d))
    reference = _loop_reference(name, X)
    target = targets.get(name)
    out = target(X)
    assert out.shape == (5, target.output_dim(d))
    if reference is not None:
        np.testing.assert_allclose(out, reference, rtol=1e-13, atol=1e-14)


def test_softmax_attention_against_loops(rng):
    from constructions._targets.formulas import softmax_attention_weights as _softmax_attention_weights

    X = rng.uniform(size=(4, 2))
    W_Q, W_K, W_V = _softmax_attention_weights(2)
    out = targets.get("softmax-attention")(X)
    for i in range(4):
        scores = [float((X[i] @ W_Q) @ (X[j] @ W_K)) for j in range(4)]
        weights = [exp(s) for s in scores]
        expected = sum(w * (X[j] @ W_V) for j, w in enumerate(weights)) / sum(weights)
        np.testing.assert_allclose(out[i], expected, rtol=1e-12)


@pytest.mark.parametrize("name", targets.names())
def test_equivariant(name):
    d = 1 if name == "rank" else 2
    for n in (2, 4, 5):
        assert_equivariant(targets.get(name), n, d, atol=0.0 if name == "rank" else 1e-13)


@pytest.mark.parametrize("name", [t for t in targets.names() if targets.get(t).lipschitz is not None])
def test_lipschitz_constant_respected(name, rng):
    n, d = 4, 2
    f = targets.get(name)
    L = f.lipschitz_constant(n, d)
    X = rng.uniform(size=(2000, n, d))
    t = 1e-3
    Y = np.clip(X + rng.uniform(-t, t, size=X.shape), 0, 1)
    ratio = np.abs(f(X) - f(Y)).max(axis=(1, 2)) / np.abs(X - Y).max(axis=(1, 2))
    assert ratio.max() <= L * (1 + 1e-9)


def test_batched_shapes(rng):
    out = targets.get("gaussian-kernel-sum")(rng.uniform(size=(7, 3, 2)))
    assert out.shape == (7, 3, 1)


def test_bad_input(rng):
    with pytest.raises(UnknownNameError, match="unknown target 'nope'"):
        targets.get("nope")
    with pytest.raises(PolyapproxError, match="d in \\(1,\\)"):
        targets.get("rank")(rng.uniform(size=(3, 2)))
    with pytest.raises(DomainError, match="NaN"):
        targets.get("centered")(np.array([[np.nan], [0.0]]))
    with pytest.raises(ShapeError):
        targets.get("centered")(np.zeros(3))
    assert targets.get("rank").lipschitz_constant(3, 1) is None and not targets.get("rank").continuous
