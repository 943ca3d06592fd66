import numpy as np
import pytest
from _networks import fitted

from constructions import masked, sparse, transformer
from constructions._networks.masked import as_mask
from constructions.attention import Head, softmax_attention
from polyapprox import PolyapproxError, ShapeError


def brute_force(Z, head, mask):
    """Per query, softmax over its allowed keys only, by explicit loops."""
    b, n, D = Z.shape
    out = Z.copy()
    for s in range(b):
        for i in range(n):
            keys = np.flatnonzero(mask[i])
            logits = np.array([(Z[s, i] @ head.W_Q) @ (Z[s, j] @ head.W_K) for j in keys]) / np.sqrt(head.W_Q.shape[1])
            w = np.exp(logits - logits.max())
            w /= w.sum()
            out[s, i] += sum(wj * (Z[s, j] @ head.W_V) for wj, j in zip(w, keys)) @ head.W_O
    return out


def test_forward_against_brute_force(rng):
    head = Head(rng.normal(size=(5, 2)), rng.normal(size=(5, 2)), rng.normal(size=(5, 3)), rng.normal(size=(3, 5)))
    Z = rng.normal(size=(2, 7, 5))
    mask = sparse.patterns.strided(7, 3)[1]
    np.testing.assert_allclose(
        masked.masked_softmax_attention(Z, [head], mask), brute_force(Z, head, mask), atol=1e-13, rtol=0
    )
    dense = np.ones((7, 7), dtype=bool)
    np.testing.assert_allclose(
        masked.masked_softmax_attention(Z, [head], dense), softmax_attention(Z, [head]), atol=1e-13, rtol=0
    )


def test_dense_pattern_equals_the_sumformer_and_the_softmax_network(rng):
    S = fitted(n=4, d=2, degree=2)
    M = masked.from_sumformer(S, 4, sparse.patterns.dense(4))
    X = rng.uniform(size=(6, 4, 2))
    assert np.abs(M(X) - S(X)).max() <= 1e-12
    assert np.abs(M(X) - transformer.from_sumformer(S, 4)(X)).max() <= 1e-13


def test_partial_pattern_is_the_negative_control(rng):
    S = fitted(n=4, d=2, degree=2)
    mask = sparse.patterns.tridiagonal(4)
    with pytest.raises(PolyapproxError, match="query 0 does not attend to every key"):
        masked.from_sumformer(S, 4, mask)
    M = masked.from_sumformer(S, 4, mask, allow_partial=True)
    X = rng.uniform(size=(3, 4, 2))
    # token i receives (n / |A_i|) sum_{j in A_i} phi(x_j) in slot sum
    Z = M.blocks[2].apply(M.blocks[1].apply(M.blocks[0].apply(X)))
    phi = S.phi(X.reshape(-1, 2)).reshape(3, 4, -1)
    expected = 4 * (mask[0] @ phi) / mask[0].sum(axis=1)[:, None]
    np.testing.assert_allclose(Z[..., M.layout["sum"]], expected, atol=1e-12, rtol=0)
    assert np.abs(M(X) - S(X)).max() > 1e-3


def test_mask_forms_and_bad_masks():
    cycle = sparse.patterns.strided(4, 2)
    np.testing.assert_array_equal(as_mask(cycle, 4, layer=1), cycle[1])
    np.testing.assert_array_equal(as_mask(cycle[0], 4), cycle[0])
    with pytest.raises(ShapeError, match=r"\(n, n\) = \(5, 5\)"):
        as_mask(cycle, 5)
    empty = np.eye(3, dtype=bool)
    empty[1, 1] = False
    with pytest.raises(PolyapproxError, match="row 1 is all False"):
        as_mask(empty)
