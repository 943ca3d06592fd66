"""End to end: equivariant polynomial F -> exact Psi -> Sumformer -> Transformer/Linformer/Performer == F."""

import numpy as np
import sympy

from constructions import continuous, linformer, performer, transformer
from polyapprox import represent_equivariant, sequence_symbols


def test_chain_equals_the_polynomial(rng):
    n, d = 3, 2
    X = sequence_symbols(n, d)
    F1 = [X[1, 0] * X[2, 0] + X[0, 1] * (X[1, 1] + X[2, 1]), X[1, 0] * X[1, 1] + X[2, 0] * X[2, 1]]
    rep = represent_equivariant(F1, n, d)
    S = continuous.from_representation(rep)
    f = sympy.lambdify(list(X), rep.F, "numpy")  # F is our own trusted sympy object here
    Xn = rng.uniform(size=(25, n, d))
    expected = np.stack([np.asarray(f(*Xn[b].ravel()), dtype=float) for b in range(25)])
    for net in (
        transformer.from_sumformer(S, n),
        linformer.from_sumformer(S, n, 2),
        performer.from_sumformer(S, n, 5, features="trig"),
    ):
        assert np.abs(net(Xn) - expected).max() <= 1e-13
    relu_net = transformer.from_sumformer(S, n, ff="relu", m_relu=6)
    assert np.abs(relu_net(Xn) - expected).max() <= relu_net.error_bound
