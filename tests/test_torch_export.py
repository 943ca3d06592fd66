import numpy as np
import pytest

from constructions import linformer, performer, transformer

from _networks import fitted

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("build", [
    lambda S: transformer.from_sumformer(S, 3, ff="relu", m_relu=3),
    lambda S: transformer.from_sumformer(S, 3),
    lambda S: linformer.from_sumformer(S, 3, 2, ff="relu", m_relu=2),
    lambda S: performer.from_sumformer(S, 3, 8, features="trig", ff="relu", m_relu=2),
    lambda S: performer.from_sumformer(S, 3, 8, random_query=True),
])
def test_torch_parity_float64(build, rng):
    S = fitted(n=3, d=2, degree=2)
    net = build(S)
    module = net.to_torch()
    X = rng.uniform(size=(9, 3, 2))
    out = module(torch.tensor(X, dtype=torch.float64))
    assert out.dtype == torch.float64
    assert np.abs(out.detach().numpy() - net(X)).max() <= 1e-12
    assert np.abs(module(torch.tensor(X[0])).detach().numpy() - net(X[0])).max() <= 1e-12
    assert isinstance(module, torch.nn.Module)
