"""The gathered masked-attention kernel equals the dense masked SDPA, forward and gradients."""

from __future__ import annotations

import logging

import numpy as np
import pytest

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402

from constructions._networks.sparse_attention import MaskedAttention  # noqa: E402
from constructions.sparse import patterns  # noqa: E402
from constructions.training.copying import copy_masks, random_mask  # noqa: E402
from polyapprox.internal import PolyapproxError, ShapeError  # noqa: E402


def _families(n: int) -> dict[str, np.ndarray]:
    """One mask per pattern family (each step of a cycle, and unions), every row non-empty."""
    w = max(2, round(n**0.5))
    masks = {
        "dense": patterns.dense(n)[0],
        "tridiagonal": patterns.tridiagonal(n)[0],
        "sliding_window": patterns.sliding_window(n, w)[0],
        "star": patterns.star(n)[0],
        "star-ring": patterns.star(n, ring=True)[0],
        "strided-1": patterns.strided(n, w)[0],
        "strided-2": patterns.strided(n, w)[1],
        "strided-union": np.logical_or.reduce(patterns.strided(n, w)),
        "fixed-1": patterns.fixed(n, w)[0],
        "fixed-2": patterns.fixed(n, w)[1],
        "fixed-union": np.logical_or.reduce(patterns.fixed(n, w)),
        "longformer": patterns.longformer(n, w)[0],
        "bigbird": patterns.bigbird(n, w, 2, 1, seed=n)[0],
        "random": random_mask(n, min(3, n - 1), seed=n),
        "self-only": np.eye(n, dtype=bool),
        "one-key-not-self": np.roll(np.eye(n, dtype=bool), 1, axis=1),  # no self-loop: not needed
    }
    rows = np.random.default_rng(n).random((n, n)) < 0.3  # irregular degrees
    rows[np.arange(n), np.random.default_rng(n + 1).integers(0, n, n)] = True
    masks["irregular"] = rows
    return masks


def _qkv(shape: tuple[int, ...], n: int, d_k: int, d_v: int, dtype, seed: int):
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(*shape, n, d_k, dtype=dtype, generator=g)
    k = torch.randn(*shape, n, d_k, dtype=dtype, generator=g)
    v = torch.randn(*shape, n, d_v, dtype=dtype, generator=g)
    return q, k, v


@pytest.mark.parametrize("n", [5, 16, 37, 64])
@pytest.mark.parametrize("shape", [(1,), (3,), (2, 3)], ids=lambda s: "batch" + "x".join(map(str, s)))
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=str)
def test_forward_equals_dense_masked_sdpa(n, shape, dtype):
    tolerance = 1e-12 if dtype == torch.float64 else 2e-5
    for index, (name, mask) in enumerate(_families(n).items()):
        q, k, v = _qkv(shape, n, 3, 5, dtype, seed=1000 * n + index)
        reference = F.scaled_dot_product_attention(q, k, v, attn_mask=torch.tensor(mask), scale=0.7)
        kernel = MaskedAttention(mask)
        out = kernel(q, k, v, 0.7)
        assert out.dtype == dtype and out.shape == reference.shape
        assert float((out - reference).abs().max()) <= tolerance, (name, kernel.strategy)
        default = F.scaled_dot_product_attention(q, k, v, attn_mask=torch.tensor(mask))  # scale 1/sqrt(d_k)
        assert float((kernel(q, k, v) - default).abs().max()) <= tolerance, name


def test_strategies_cover_gather_hub_rows_and_dense_fallback(caplog):
    n = 64
    families = _families(n)
    assert MaskedAttention(families["strided-union"]).strategy == "gather"
    star = MaskedAttention(families["star"])
    assert star.strategy == "gather+dense rows" and len(star.inference.dense_rows) == 1  # the hub row only
    with caplog.at_level(logging.INFO, logger="constructions._networks.sparse_attention"):
        dense = MaskedAttention(families["dense"])
    assert dense.strategy == "dense" and "dense in practice" in dense.reason
    assert any("dense kernel" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("name", ["strided-union", "star", "dense", "irregular", "fixed-2"])
def test_gradcheck_small(name):
    n = 7
    mask = _families(n)[name]
    kernel = MaskedAttention(mask, gradient_gather_cost=1.0)  # the gathered backward, not the dense fallback
    assert (kernel.training_strategy == "dense") == (name == "dense")
    q, k, v = (t.requires_grad_() for t in _qkv((1,), n, 2, 3, torch.float64, seed=7))
    assert torch.autograd.gradcheck(lambda a, b, c: kernel(a, b, c, 0.9), (q, k, v))


@pytest.mark.parametrize("n", [48, 128])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=str)
def test_gradients_equal_dense_on_larger_cases(n, dtype):
    tolerance = 1e-11 if dtype == torch.float64 else 1e-4
    for index, (name, mask) in enumerate(_families(n).items()):
        q, k, v = _qkv((2, 2), n, 4, 6, dtype, seed=n + index)
        weights = torch.randn(2, 2, n, 6, dtype=dtype, generator=torch.Generator().manual_seed(index))
        grads = []
        for attend in (
            lambda a, b, c, mask=mask: MaskedAttention(mask, gradient_gather_cost=1.0)(a, b, c),
            lambda a, b, c, mask=mask: F.scaled_dot_product_attention(a, b, c, attn_mask=torch.tensor(mask)),
        ):
            inputs = [t.clone().requires_grad_() for t in (q, k, v)]
            (attend(*inputs) * weights).sum().backward()
            grads.append([t.grad for t in inputs])
        for ours, reference in zip(*grads):
            assert float((ours - reference).abs().max()) <= tolerance * max(1.0, float(reference.abs().max())), name


def test_chunking_does_not_change_the_result(monkeypatch):
    import constructions._networks.sparse_attention as kernel_module

    n = 50
    mask = _families(n)["irregular"]
    q, k, v = _qkv((3,), n, 4, 4, torch.float64, seed=3)
    whole = MaskedAttention(mask)(q, k, v)
    monkeypatch.setattr(kernel_module, "CHUNK_ELEMENTS", 1)  # one query per step
    assert float((MaskedAttention(mask)(q, k, v) - whole).abs().max()) <= 1e-15


def test_the_copying_masks_have_no_empty_row():
    for pattern in ("dense", "star", "strided", "fixed", "sliding_window", "random", "union"):
        for mask in copy_masks(pattern, 16):
            assert mask.any(axis=1).all() and mask.diagonal().all(), pattern


def test_the_training_plan_falls_back_to_dense_where_gathering_loses():
    mask = np.logical_or.reduce(patterns.strided(64, 8))  # 16 keys per query of 64: gathering loses with gradients
    kernel = MaskedAttention(mask)
    assert kernel.strategy == "gather" and kernel.training_strategy == "dense"
    assert "with gradients" in kernel.training_reason
    q, k, v = (t.requires_grad_() for t in _qkv((2,), 64, 4, 4, torch.float64, seed=11))
    reference = F.scaled_dot_product_attention(q, k, v, attn_mask=torch.tensor(mask))
    assert float((kernel(q, k, v) - reference).abs().max()) <= 1e-12


@pytest.mark.parametrize("cost", [0, -1.0, float("inf"), "2", True])
def test_bad_costs_are_refused(cost):
    with pytest.raises(PolyapproxError, match="positive number"):
        MaskedAttention(np.eye(3, dtype=bool), gather_cost=cost)


@pytest.mark.parametrize(
    "mask, error, fragment",
    [
        (np.zeros((3, 3), dtype=bool), PolyapproxError, "row 0 is all False"),
        (np.ones((3, 4), dtype=bool), ShapeError, "(n, n)"),
        (np.ones((3, 3)), ShapeError, "boolean"),
    ],
)
def test_bad_masks_are_refused(mask, error, fragment):
    with pytest.raises(error, match=None) as info:
        MaskedAttention(mask)
    assert fragment in str(info.value)


def test_wrong_length_is_refused():
    q, k, v = _qkv((1,), 5, 2, 2, torch.float64, seed=0)
    with pytest.raises(ShapeError, match="n = 4"):
        MaskedAttention(np.eye(4, dtype=bool))(q, k, v)


def test_masked_kind_torch_module_uses_the_kernel_and_matches_numpy():
    from constructions import masked, targets
    from constructions.continuous import approximate

    S, _ = approximate(targets.get("poly-mean-field"), n=12, d=1, degree=2, samples=64, seed=0)
    net = masked.from_sumformer(S, 12, patterns.strided(12, 3), allow_partial=True)
    module = net.to_torch()
    kernels = [m for m in module.modules() if isinstance(m, MaskedAttention)]
    assert len(kernels) == 1 and kernels[0].strategy in ("gather", "gather+dense rows")
    X = np.random.default_rng(5).uniform(size=(4, 12, 1))
    out = module(torch.tensor(X)).detach().numpy()
    assert np.abs(out - net(X)).max() <= 1e-12
    keys = set(module.state_dict())
    assert not any(key.split(".")[-1] in ("index", "valid", "rows", "inverse") for key in keys)
