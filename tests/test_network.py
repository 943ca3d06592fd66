import numpy as np
import pytest
from _networks import fitted, hand_made

from constructions import transformer
from constructions.transformer import LabelledArray, assert_weights_equal
from polyapprox import PolyapproxError, ShapeError
from polyapprox.exact._errors import DomainError


def test_layout_labels_and_row_convention():
    S = fitted()
    T = transformer.from_sumformer(S, 5)
    # a fit of degree 2 reads the 5 power sums of degree <= 2 of the 20 (|alpha| <= n = 5): only they are carried
    assert S.indices == ((1, 0), (0, 1), (2, 0), (1, 1), (0, 2)) and S.representation.latent_dim == 20
    assert T.width == 2 + 2 * 5 + 2 == 14
    assert T.layout == {"x": slice(0, 2), "phi": slice(2, 7), "sum": slice(7, 12), "out": slice(12, 14)}
    assert T.labels[:3] == (("x", 1), ("x", 2), ("phi", (1, 0)))
    assert T.labels[2:7] == tuple(("phi", a) for a in S.indices)  # graded-lex, never sorted by name
    W_V, W_O = T.weights["attn.W_V"], T.weights["attn.W_O"]
    assert W_V[("phi", (1, 0)), ("sum", (1, 0))] == 1 and W_V[("phi", (1, 0)), ("sum", (0, 1))] == 0
    assert W_O[("sum", (1, 1)), ("sum", (1, 1))] == 5  # n x writer
    assert np.asarray(T.weights["attn.W_K"]).any() == False  # noqa: E712  (W_K = 0)
    assert T.weights["embed.W"].shape == (2, 14)  # (d_in, d_out): a layer computes X @ W


def test_describe_and_parameters():
    T = transformer.from_sumformer(fitted(), 5)
    text = T.describe()
    assert "ONE attention layer" in text and "W_V 14x5" in text and "W_O 5x14" in text
    assert "carries 5 of the 20 power sums of degree <= n (those Psi reads): p_(1, 0), p_(0, 1), p_(2, 0)" in text
    assert T.parameter_count() == 2 * 14 + 2 * 14 + 2 * 14 * 5 + 14 * 2  # embed, W_Q, W_K, W_V, W_O, readout


def test_labelled_array():
    W = LabelledArray(np.arange(6.0).reshape(2, 3), [("a", 1), ("a", 2)], [("b", 1), ("b", 2), ("b", 3)])
    assert W[("a", 2), ("b", 1)] == 3.0 and W[1, 2] == 5.0 and np.array_equal(np.asarray(W), W.values)
    with pytest.raises(PolyapproxError, match="no weight label"):
        W[("a", 3), ("b", 1)]
    with pytest.raises(ShapeError):
        LabelledArray(np.zeros((2, 2)), [("a", 1)], [("b", 1), ("b", 2)])
    other = LabelledArray(W.values, W.rows, W.cols[::-1])
    with pytest.raises(AssertionError, match="labels differ"):
        assert_weights_equal(W, other)
    assert_weights_equal(W, LabelledArray(W.values.copy(), W.rows, W.cols))


def test_bad_input():
    S = fitted()
    T = transformer.from_sumformer(S, 5)
    X = np.random.default_rng(0).uniform(size=(4, 2))
    with pytest.raises(ShapeError, match="n = 5 baked into W_O .* length 4"):
        T(X)
    with pytest.raises(ShapeError, match=r"\(5, 2\)"):
        T(np.zeros((5, 3)))
    with pytest.raises(DomainError, match="outside the domain"):
        T(np.full((5, 2), 1.5))
    with pytest.raises(ShapeError, match="built for n = 5"):
        transformer.from_sumformer(S, 4)
    with pytest.raises(PolyapproxError, match="unknown ff"):
        transformer.from_sumformer(S, 5, ff="gelu")
    with pytest.raises(PolyapproxError, match="needs a polynomial Sumformer"):
        transformer.from_sumformer(hand_made(), 3, ff="relu")
    with pytest.raises(PolyapproxError, match="must be a constructions.Sumformer"):
        transformer.from_sumformer(lambda X: X, 3)


def test_labelled_arrays_behave_as_arrays():
    T = transformer.from_sumformer(fitted(), 5)
    W_O = T.weights["attn.W_O"]
    assert isinstance(W_O, np.ndarray) and (T.weights["attn.W_K"] == 0).all()
    assert np.count_nonzero(W_O) == 5 and W_O.sum() == 25 and type(W_O.sum()) is not type(W_O)
    Z = np.ones((3, 5))
    np.testing.assert_array_equal(Z @ W_O, Z @ W_O.values)
    assert W_O.T.shape == (14, 5) and type(W_O.T) is np.ndarray and type(W_O + 1) is np.ndarray
    assert W_O[0, 7] == 5 and W_O[("sum", (1, 0))].shape == (14,)


@pytest.mark.parametrize("encoding", ["integer", "histogram"])
def test_discontinuous_sumformers_are_refused_with_one_line(encoding):
    from constructions import discontinuous, targets, transformer
    from polyapprox import PolyapproxError

    S = discontinuous.build(targets.get("centered"), 2, 1, 4, encoding=encoding)
    with pytest.raises(PolyapproxError, match="discontinuous Sumformer"):
        transformer.from_sumformer(S, 2)
