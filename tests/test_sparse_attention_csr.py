"""The compressed-sparse-row kernel of MaskedAttention (calls with gradients) equals the dense masked SDPA,
forward and gradients, and runs where the cost model says it is the cheapest."""

from __future__ import annotations

from typing import cast

import numpy as np
import pytest

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402

from constructions._networks.sparse_attention import MaskedAttention  # noqa: E402
from constructions.sparse import patterns  # noqa: E402
from constructions.training._common import deterministic  # noqa: E402
from constructions.training.copying import SparseCopyTransformer, copy_masks, random_mask  # noqa: E402
from polyapprox.internal import PolyapproxError  # noqa: E402


def _masks(n: int) -> dict[str, np.ndarray]:
    """Masks of equal and unequal key counts per row, single-key rows, a hub row, and dense."""
    w = max(2, round(n**0.5))
    masks = {
        "random": random_mask(n, min(3, n - 1), seed=n),  # every row the same count: the reshaped softmax
        "strided-union": np.logical_or.reduce(patterns.strided(n, w)),
        "fixed-2": patterns.fixed(n, w)[1],
        "star": patterns.star(n)[0],  # one row of n keys, the others 2 or 3
        "self-only": np.eye(n, dtype=bool),  # one key per row
        "one-key-not-self": np.roll(np.eye(n, dtype=bool), 1, axis=1),
        "dense": patterns.dense(n)[0],
    }
    rng = np.random.default_rng(n)
    irregular = rng.random((n, n)) < 0.3
    irregular[np.arange(n), rng.integers(0, n, n)] = True
    irregular[1] = False
    irregular[1, n - 1] = True  # a row with a single key
    irregular[2] = True  # and a full one
    masks["irregular"] = irregular
    return masks


def _forced(mask: np.ndarray) -> MaskedAttention:
    kernel = MaskedAttention(mask, csr_cost=1e-9)  # the CSR kernel whatever its cost
    assert kernel.training_strategy == "csr" and kernel.csr is not None
    return kernel


def _compare(kernel, mask, q, k, v, weights, scale, tolerance, grads=(0, 1, 2)):
    """max |ours - SDPA| of the output and of the gradients of the inputs in ``grads``."""
    results = []
    for attend in (
        lambda a, b, c: kernel(a, b, c, scale),
        lambda a, b, c: F.scaled_dot_product_attention(a, b, c, attn_mask=torch.tensor(mask), scale=scale),
    ):
        inputs = [t.clone().requires_grad_(i in grads) for i, t in enumerate((q, k, v))]
        out = attend(*inputs)
        wanted = [inputs[i] for i in grads]
        results.append((out.detach(), torch.autograd.grad((out * weights).sum(), wanted)))
    (ours, our_grads), (reference, reference_grads) = results
    assert ours.dtype == reference.dtype and ours.shape == reference.shape
    assert float((ours - reference).abs().max()) <= tolerance
    for a, b in zip(our_grads, reference_grads):
        assert a.shape == b.shape
        assert float((a - b).abs().max()) <= 10 * tolerance * max(1.0, float(b.abs().max()))


@pytest.mark.parametrize("n", [5, 16, 48])
@pytest.mark.parametrize("shape", [(1,), (3,), (2, 3)], ids=lambda s: "batch" + "x".join(map(str, s)))
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=str)
def test_forward_and_gradients_equal_dense_masked_sdpa(n, shape, dtype):
    tolerance = 1e-12 if dtype == torch.float64 else 3e-5
    for index, (name, mask) in enumerate(_masks(n).items()):
        g = torch.Generator().manual_seed(100 * n + index)
        q, k, v = (torch.randn(*shape, n, d, dtype=dtype, generator=g) for d in (3, 3, 5))  # d_k != d_v
        weights = torch.randn(*shape, n, 5, dtype=dtype, generator=g)
        try:
            _compare(_forced(mask), mask, q, k, v, weights, 0.8, tolerance)
        except AssertionError as error:
            raise AssertionError(f"{name}: {error}") from error


@pytest.mark.parametrize("grads", [(0,), (1,), (2,), (0, 2)], ids=str)
def test_only_the_inputs_that_need_gradients_get_them(grads):
    n = 24
    mask = _masks(n)["irregular"]
    g = torch.Generator().manual_seed(5)
    q, k, v = (torch.randn(2, n, 4, dtype=torch.float64, generator=g) for _ in range(3))
    _compare(_forced(mask), mask, q, k, v, torch.randn(2, n, 4, dtype=torch.float64, generator=g), 0.5, 1e-12, grads)


def test_permuted_views_as_the_copying_model_passes_them():
    n, heads, width = 32, 2, 8
    mask = _masks(n)["strided-union"]
    g = torch.Generator().manual_seed(9)
    qkv = torch.randn(3, n, 3, heads, width // heads, dtype=torch.float64, generator=g).permute(2, 0, 3, 1, 4)
    q, k, v = qkv  # (3, heads, n, width / heads) views, not contiguous
    assert not q.is_contiguous()
    weights = torch.randn(3, heads, n, width // heads, dtype=torch.float64, generator=g)
    _compare(_forced(mask), mask, q, k, v, weights, None, 1e-12)


@pytest.mark.parametrize("name", ["random", "star", "irregular", "one-key-not-self"])
def test_gradcheck(name):
    n = 12
    kernel = _forced(_masks(n)[name])
    g = torch.Generator().manual_seed(3)
    q, k, v = (torch.randn(2, n, d, dtype=torch.float64, generator=g).requires_grad_() for d in (2, 2, 3))
    assert torch.autograd.gradcheck(lambda a, b, c: kernel(a, b, c, 0.9), (q, k, v))


def test_other_dtypes_and_calls_without_gradients_do_not_run_it(monkeypatch):
    import constructions._networks.sparse_attention as kernels

    n = 64
    mask = random_mask(n, 4, seed=1)
    kernel = _forced(mask)
    g = torch.Generator().manual_seed(2)
    q, k, v = (torch.randn(2, n, 4, dtype=torch.float64, generator=g) for _ in range(3))
    reference = F.scaled_dot_product_attention(q, k, v, attn_mask=torch.tensor(mask))
    monkeypatch.setattr(kernels._CsrAttention, "apply", None)  # calling it would raise
    assert float((kernel(q, k, v) - reference).abs().max()) <= 1e-12  # no gradients: the gather plan
    low = [t.to(torch.bfloat16).requires_grad_() for t in (q, k, v)]  # bfloat16: the plan before CSR
    assert float((kernel(*low).detach().double() - reference).abs().max()) <= 0.05


def test_reruns_are_bitwise_equal_under_deterministic_algorithms():
    n = 40
    mask = _masks(n)["irregular"]
    kernel = _forced(mask)
    runs = []
    for _ in range(2):
        with deterministic(0) as g:
            q, k, v = (torch.randn(3, n, 4, generator=g).requires_grad_() for _ in range(3))
            out = kernel(q, k, v)
            out.square().sum().backward()
            runs.append([out.detach(), q.grad, k.grad, v.grad])
    assert all(torch.equal(a, b) for a, b in zip(*runs))


def test_the_cheapest_kernel_runs_and_the_reason_gives_every_cost():
    n = 1024
    chosen = {}
    for pattern in ("strided", "fixed", "sliding_window", "union", "random", "star", "dense"):
        model = SparseCopyTransformer(4, copy_masks(pattern, n, layers=2), width=8, heads=2)
        chosen[pattern] = [cast(MaskedAttention, block.attention) for block in model.blocks]
    strategy = {p: [a.training_strategy for a in attentions] for p, attentions in chosen.items()}
    # blocks that are full (one key block of 32 per query block) run the block kernel; half-full ones,
    # RANDOM, STRIDED's union and STAR (5 connections per query, one hub row) the compressed sparse rows
    assert strategy["strided"] == ["csr", "blocks"] and strategy["fixed"] == ["blocks", "csr"]
    for pattern in ("sliding_window", "union", "random", "star"):
        assert set(strategy[pattern]) == {"csr"}, (pattern, strategy[pattern])
    assert set(strategy["dense"]) == {"dense"} and "dense in practice" in chosen["dense"][0].training_reason
    for attentions in chosen.values():
        for attention in attentions:
            reason = attention.training_reason
            assert "csr " in reason and "the dense kernel" in reason, reason
    union = chosen["union"][0].training_reason
    assert "as compressed sparse rows" in union and "blocks 1.00x" in union and "csr 0.70x" in union
    # at n = 512 FIXED's first step fills half of its blocks (16 keys in 32 scores): the sparse rows
    # run although the block kernel's cost is lower (BLOCK_FILL)
    fixed = MaskedAttention(copy_masks("fixed", 512, layers=1)[0])
    assert fixed.training_strategy == "csr" and "blocks 0.50x" in fixed.training_reason
    assert "csr 0.55x" in fixed.training_reason
    # at n = 512 STRIDED's union (48 keys per query) costs as much as dense, and so does every
    # pattern but STAR at n = 256 and every one at n = 128 (a row costs 140 dense scores): they stay dense
    assert MaskedAttention(copy_masks("union", 512, layers=1)[0]).training_strategy == "dense"
    for pattern in ("strided", "fixed", "sliding_window", "union", "random", "star"):
        for length in (128, 256):
            expected = "csr" if (pattern, length) == ("star", 256) else "dense"
            assert MaskedAttention(copy_masks(pattern, length, layers=1)[0]).training_strategy == expected


@pytest.mark.parametrize("cost", [0, -1.0, float("inf"), float("nan"), "2", True])
def test_bad_csr_costs_are_refused(cost):
    with pytest.raises(PolyapproxError, match="cost") as info:
        MaskedAttention(np.eye(8, dtype=bool), csr_cost=cost)
    assert "\n" not in str(info.value)
