"""The block kernel of MaskedAttention (calls with gradients) equals the dense masked SDPA, forward and gradients."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402

from constructions._networks.sparse_attention import MaskedAttention, _permuted, _residue_order, block_plan  # noqa: E402
from constructions.sparse import patterns  # noqa: E402
from constructions.training.copying import random_mask  # noqa: E402
from polyapprox.internal import PolyapproxError  # noqa: E402


def _families(n: int, w: int) -> dict[str, np.ndarray]:
    masks = {
        "dense": patterns.dense(n)[0],
        "sliding_window": patterns.sliding_window(n, w)[0],
        "star": patterns.star(n)[0],
        "strided-1": patterns.strided(n, w)[0],
        "strided-2": patterns.strided(n, w)[1],
        "strided-union": np.logical_or.reduce(patterns.strided(n, w)),
        "fixed-1": patterns.fixed(n, w)[0],
        "fixed-2": patterns.fixed(n, w)[1],
        "random": random_mask(n, 3, seed=n),
        "self-only": np.eye(n, dtype=bool),
    }
    rows = np.random.default_rng(n).random((n, n)) < 0.2
    rows[np.arange(n), np.random.default_rng(n + 1).integers(0, n, n)] = True
    masks["irregular"] = rows
    return masks


def _forced(mask: np.ndarray, B: int) -> MaskedAttention:
    kernel = MaskedAttention(mask, block_size=B, block_cost=1e-9)  # the block kernel whatever its cost
    assert kernel.training_strategy == "blocks" and kernel.blocks is not None
    return kernel


def test_residue_order_and_permutation():
    n, s = 12, 3
    order = _residue_order(n, s)
    assert order.tolist() == [0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11]
    M = np.random.default_rng(0).random((n, n)) < 0.5
    assert (_permuted(M, s) == M[np.ix_(order, order)]).all()
    assert (_permuted(_permuted(M, s), n // s) == M).all()  # the inverse order


@pytest.mark.parametrize("name", list(_families(64, 8)))
def test_plan_parts_are_disjoint_and_cover_the_mask(name):
    M = _families(64, 8)[name]
    parts = block_plan(M, 8)
    total = np.zeros_like(M, dtype=int)
    for _, A in parts:
        total += A
    assert (total == M).all()  # every connection in exactly one part


def test_a_stride_runs_in_its_residue_order_one_block_per_query_block():
    M = patterns.strided(64, 8)[1]  # (i - j) mod 8 == 0: eight groups of eight
    (s, A), *rest = block_plan(M, 8)
    assert not rest and s in (8,) and (A == M).all()
    kernel = _forced(M, 8)
    assert kernel.blocks is not None
    assert [part.m for part in kernel.blocks.part_list] == [1] and "residue mod 8" in kernel.training_reason


@pytest.mark.parametrize(("n", "B"), [(32, 4), (64, 8)])
@pytest.mark.parametrize("shape", [(1,), (2, 3)], ids=lambda s: "batch" + "x".join(map(str, s)))
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=str)
def test_forward_and_gradients_equal_dense_masked_sdpa(n, B, shape, dtype):
    tolerance = 1e-12 if dtype == torch.float64 else 3e-5
    for index, (name, mask) in enumerate(_families(n, max(2, round(n**0.5))).items()):
        g = torch.Generator().manual_seed(1000 * n + index)
        q, k, v = (torch.randn(*shape, n, d, dtype=dtype, generator=g) for d in (3, 3, 5))
        weights = torch.randn(*shape, n, 5, dtype=dtype, generator=g)
        results = []
        kernel = _forced(mask, B)
        for attend in (
            lambda a, b, c, kernel=kernel: kernel(a, b, c, 0.8),
            lambda a, b, c, mask=mask: F.scaled_dot_product_attention(a, b, c, attn_mask=torch.tensor(mask), scale=0.8),
        ):
            inputs = [t.clone().requires_grad_() for t in (q, k, v)]
            out = attend(*inputs)
            results.append((out, torch.autograd.grad((out * weights).sum(), inputs)))
        (ours, our_grads), (reference, reference_grads) = results
        assert float((ours - reference).detach().abs().max()) <= tolerance, name
        for a, b in zip(our_grads, reference_grads):
            assert float((a - b).abs().max()) <= 10 * tolerance * max(1.0, float(b.abs().max())), name


@pytest.mark.parametrize("name", ["strided-union", "fixed-2", "star", "irregular"])
def test_gradcheck(name):
    n = 16
    kernel = _forced(_families(n, 4)[name], 4)
    g = torch.Generator().manual_seed(3)
    q, k, v = (torch.randn(1, n, d, dtype=torch.float64, generator=g).requires_grad_() for d in (2, 2, 3))
    assert torch.autograd.gradcheck(lambda a, b, c: kernel(a, b, c, 0.9), (q, k, v))


@pytest.mark.parametrize("size", [0, -1, 10**9, 3, 2.5, True, "8"])
def test_bad_block_sizes_are_refused(size):
    with pytest.raises(PolyapproxError, match="block_size") as info:
        MaskedAttention(patterns.sliding_window(64, 8)[0], block_size=size)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("cost", [0, -2.0, float("nan"), True])
def test_bad_block_costs_are_refused(cost):
    with pytest.raises(PolyapproxError):
        MaskedAttention(patterns.sliding_window(64, 8)[0], block_cost=cost)
