import numpy as np
import pytest
from _networks import fitted

from constructions import NetworkConfig, performer
from polyapprox import PolyapproxError, UnknownNameError


@pytest.mark.parametrize("features", ["positive", "trig"])
def test_independent_of_draw_and_m_t4(features, rng):
    S = fitted()
    X = rng.uniform(size=(30, 5, 2))
    outputs = [
        performer.from_sumformer(S, 5, m, features=features, config=NetworkConfig(seed=seed))(X)
        for seed in (0, 1, 17)
        for m in (1, 4, 16)
    ]
    reference = S(X)
    for out in outputs:
        assert np.abs(out - reference).max() <= 1e-13


def test_positive_features_with_random_query(rng):
    S = fitted()
    P = performer.from_sumformer(S, 5, 16, config=NetworkConfig(random_query=True, seed=2))
    X = rng.uniform(size=(20, 5, 2))
    assert np.abs(P(X) - S(X)).max() <= 1e-13
    assert np.asarray(P.weights["attn.W_Q"]).any()


def test_bad_input():
    S = fitted()
    with pytest.raises(PolyapproxError, match="m must be an integer >= 1"):
        performer.from_sumformer(S, 5, 0)
    with pytest.raises(UnknownNameError, match="unknown features"):
        performer.from_sumformer(S, 5, 4, features="cos")
    with pytest.raises(PolyapproxError, match="trigonometric features need W_Q = W_K = 0"):
        performer.from_sumformer(S, 5, 4, features="trig", config=NetworkConfig(random_query=True))


def test_absurd_feature_counts_and_bad_seeds_are_refused():
    """Hostile-input issue, items 3-4: m = 10^12 was a MemoryError, seed = -1 a numpy ValueError."""
    from polyapprox import SizeError

    S = fitted()
    with pytest.raises(SizeError, match="Performer feature matrices"):
        performer.from_sumformer(S, 5, 10**12)
    with pytest.raises(PolyapproxError, match="seed must be an integer >= 0"):
        performer.from_sumformer(S, 5, 4, config=NetworkConfig(seed=-1))
