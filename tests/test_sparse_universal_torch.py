"""Torch module of the sparse universal network (constructions.sparse._universal_torch): parity with numpy."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from constructions import sparse, targets
from polyapprox import PolyapproxError

P = sparse.patterns


def centered(X):
    return X - X.mean(axis=1, keepdims=True)


CASES = [
    ("star hardmax", P.star(3), 3, 1, "1/2", dict()),
    ("strided softmax", P.strided(4, 2), 4, 1, "1/2", dict(rho="softmax", t=60)),
    ("fixed softmax", P.fixed(4, 2), 4, 1, "1/2", dict(rho="softmax", t=500)),
    ("star softmax eps", P.star(3), 3, 1, "1/2", dict(rho="softmax", t=150, eps=0.01)),
    ("window sparsemax", P.sliding_window(3, 3), 3, 1, "1/3", dict(rho="sparsemax", t=3)),
    ("dense d=2 softmax", P.dense(2), 2, 2, "1/2", dict(rho="softmax", t=40, eps=0.02)),
    ("star d=2 hardmax", P.star(3), 3, 2, "1/2", dict()),
]


@pytest.mark.torch
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_torch_matches_numpy_float64(case):
    torch = pytest.importorskip(
        "torch", reason='needs the torch extra: pip install torch==2.13.0, then pip install -e ".[torch]"'
    )
    name, masks, n, d, delta, kwargs = case
    net = sparse.universal_network(targets.get("centered"), n, d, delta, masks, **kwargs)
    assert net.arithmetic == "float64"
    module = net.to_torch()
    assert module.attn_mask.dtype == torch.bool and tuple(module.attn_mask.shape) == (len(masks), n, n)
    X = np.random.default_rng(0).uniform(size=(64, n, d))
    expected = net(X, "float64")
    got = module(torch.tensor(X)).numpy()
    scale = np.abs(expected).max()
    assert np.abs(got - expected).max() <= 1e-9 * scale
    # unbatched input keeps its shape
    assert tuple(module(torch.tensor(X[0])).shape) == (n, net.d_out)


def test_torch_missing_gives_one_line_error(monkeypatch):
    net = sparse.universal_network(centered, 2, 1, "1/2", P.dense(2))
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(PolyapproxError, match=r'torch==2\.13\.0, then pip install -e "\.\[torch\]"'):
        net.to_torch()


@pytest.mark.torch
def test_module_class_is_module_level_and_round_trips(tmp_path):
    torch = pytest.importorskip(
        "torch", reason='needs the torch extra: pip install torch==2.13.0, then pip install -e ".[torch]"'
    )
    net = sparse.universal_network(centered, 3, 1, "1/2", P.star(3))
    module = net.to_torch()
    path = tmp_path / "net.pt"
    torch.save(module, path)
    back = torch.load(path, weights_only=False)
    X = torch.tensor(np.random.default_rng(1).uniform(size=(5, 3, 1)))
    assert torch.equal(back(X), module(X)) and type(back).__qualname__ == "UniversalSparseTransformer"
