"""The softmax and masked torch modules run SDPA's fused kernel: same values and gradients as the math path."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = [pytest.mark.torch, pytest.mark.filterwarnings("ignore:.*(kernel not used|4 dimensional).*:UserWarning")]
torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402
from torch.nn.attention import SDPBackend, sdpa_kernel  # noqa: E402

from constructions._networks.attention import Head, softmax_attention  # noqa: E402
from constructions._networks.masked import masked_softmax_attention  # noqa: E402
from constructions._networks.sparse_attention import MaskedAttention, SdpaMask, fused_sdpa  # noqa: E402
from constructions._networks.torch_modules import Residual, SoftmaxAttention, SparseSoftmaxAttention  # noqa: E402
from constructions.sparse import patterns  # noqa: E402


def _math(q, k, v, mask=None, scale=None):
    """The reference: SDPA forced onto its math path (materialises the scores)."""
    with sdpa_kernel(SDPBackend.MATH):
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=scale)


def _tensors(shape, n, d_k, d_v, dtype, seed):
    g = torch.Generator().manual_seed(seed)
    return (
        torch.randn(*shape, n, d_k, dtype=dtype, generator=g),
        torch.randn(*shape, n, d_k, dtype=dtype, generator=g),
        torch.randn(*shape, n, d_v, dtype=dtype, generator=g),
    )


@pytest.mark.parametrize("n", [1, 7, 130])
@pytest.mark.parametrize("shape", [(), (1,), (3,), (2, 3)], ids=lambda s: "lead" + "x".join(map(str, s)))
@pytest.mark.parametrize(("d_k", "d_v"), [(1, 14), (4, 8), (8, 3), (5, 5)])
@pytest.mark.parametrize("masked", [False, True])
def test_fused_equals_math_path_forward_and_gradients(n, shape, d_k, d_v, masked):
    q, k, v = (t.requires_grad_() for t in _tensors(shape, n, d_k, d_v, torch.float64, seed=n * 100 + d_k))
    mask = None
    if masked:
        M = np.random.default_rng(n).random((n, n)) < 0.4
        M[np.arange(n), np.arange(n)] = True
        mask = torch.tensor(M)
    weights = torch.randn(*shape, n, d_v, dtype=torch.float64, generator=torch.Generator().manual_seed(n))
    results = []
    for attend in (fused_sdpa, _math):
        out = attend(q, k, v, mask, 0.6)
        grads = torch.autograd.grad((out * weights).sum(), (q, k, v))
        results.append((out, grads))
    (ours, our_grads), (reference, reference_grads) = results
    assert ours.shape == reference.shape == (*shape, n, d_v)
    assert float((ours - reference).abs().max()) <= 1e-12
    for a, b in zip(our_grads, reference_grads):
        assert a.shape == b.shape and float((a - b).abs().max()) <= 1e-11


def test_default_scale_is_that_of_the_unpadded_width():
    q, k, v = _tensors((2,), 9, 3, 11, torch.float64, seed=5)
    assert float((fused_sdpa(q, k, v) - _math(q, k, v)).abs().max()) <= 1e-13


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=str)
@pytest.mark.parametrize("masked", [False, True])
def test_the_fused_kernel_runs(dtype, masked):
    """Only the flash kernel allowed: the 3-D call of unequal widths has no kernel, the fused call runs."""
    q, k, v = _tensors((2,), 32, 1, 14, dtype, seed=1)
    mask = torch.tensor(patterns.sliding_window(32, 4)[0]) if masked else None
    with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
        with pytest.raises(RuntimeError):
            F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        fused_sdpa(q, k, v, mask)


def _weights(D, d_k, d_v, seed):
    rng = np.random.default_rng(seed)
    return {
        "W_Q": rng.normal(size=(D, d_k)),
        "W_K": rng.normal(size=(D, d_k)),
        "W_V": rng.normal(size=(D, d_v)),
        "W_O": rng.normal(size=(d_v, D)),
    }


@pytest.mark.parametrize("n", [3, 50, 257])
@pytest.mark.parametrize("b", [1, 4])
def test_softmax_module_equals_numpy_forward(n, b):
    weights = _weights(6, 1, 14, seed=n + b)
    Z = np.random.default_rng(n * b).uniform(-1, 1, size=(b, n, 6))
    reference = softmax_attention(Z, [Head(**weights)])
    module = Residual(SoftmaxAttention(weights))
    with torch.no_grad():
        out = module(torch.tensor(Z)).numpy()
    assert np.abs(out - reference).max() <= 1e-12


@pytest.mark.parametrize(("d_k", "d_v"), [(1, 14), (8, 3), (5, 5)])
@pytest.mark.parametrize("batched", [False, True])
def test_softmax_module_runs_the_fused_kernel_on_its_packed_projection(d_k, d_v, batched):
    """q, k and v are views of one product with padded weights: the flash kernel alone runs it, same values."""
    n = 37
    weights = _weights(6, d_k, d_v, seed=d_k * d_v)
    Z = np.random.default_rng(d_k).uniform(-1, 1, size=(2, n, 6) if batched else (n, 6))
    Zb = Z if batched else Z[None]  # the numpy forwards take (b, n, D)
    for mask in (None, patterns.sliding_window(n, 4)[0]):
        with_residual = (
            softmax_attention(Zb, [Head(**weights)])
            if mask is None
            else masked_softmax_attention(Zb, [Head(**weights)], mask)
        )
        reference = (with_residual - Zb).reshape(Z.shape)
        with sdpa_kernel(SDPBackend.FLASH_ATTENTION), torch.no_grad():
            out = SoftmaxAttention(weights, mask=mask)(torch.tensor(Z)).numpy()
        assert out.shape == Z.shape and np.abs(out - reference).max() <= 1e-12


@pytest.mark.parametrize("n", [16, 90])
@pytest.mark.parametrize("b", [1, 3])
def test_masked_modules_equal_numpy_forward_and_each_other(n, b):
    weights = _weights(5, 2, 7, seed=n)
    Z = np.random.default_rng(n + b).uniform(-1, 1, size=(b, n, 5))
    for M in (np.logical_or.reduce(patterns.strided(n, 4)), patterns.dense(n)[0], patterns.star(n)[0]):
        reference = masked_softmax_attention(Z, [Head(**weights)], M)
        for body in (SoftmaxAttention(weights, mask=M), SparseSoftmaxAttention(weights, mask=M)):
            with torch.no_grad():
                out = Residual(body)(torch.tensor(Z)).numpy()
            assert np.abs(out - reference).max() <= 1e-12


def test_module_gradients_equal_the_math_path():
    n, b = 40, 2
    weights = _weights(5, 1, 14, seed=3)
    M = np.logical_or.reduce(patterns.fixed(n, 5))
    Z = torch.tensor(np.random.default_rng(0).uniform(-1, 1, size=(b, n, 5)))
    grads = []
    for backend in (SDPBackend.FLASH_ATTENTION, SDPBackend.MATH):
        module = SoftmaxAttention(weights, mask=M)
        with sdpa_kernel(backend):
            module(Z).square().sum().backward()
        grads.append([p.grad for p in module.parameters()])
    assert len(grads[0]) == 4
    for a, c in zip(*grads):
        assert float((a - c).abs().max()) <= 1e-10 * max(1.0, float(c.abs().max()))


def test_masked_attention_dense_fallback_runs_fused():
    n = 24
    kernel = MaskedAttention(patterns.dense(n)[0])
    assert kernel.strategy == "dense"
    q, k, v = _tensors((2,), n, 2, 6, torch.float64, seed=9)
    with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
        out = kernel(q, k, v)
    assert float((out - _math(q, k, v, torch.tensor(patterns.dense(n)[0]))).abs().max()) <= 1e-12


def test_sdpa_mask_forms():
    assert SdpaMask(None)(torch.float64) is None
    assert SdpaMask(torch.ones(4, 4, dtype=torch.bool))(torch.float32) is None  # all True: plain SDPA
    M = torch.tensor(patterns.tridiagonal(5)[0])
    for dtype in (torch.float32, torch.float64):
        additive = SdpaMask(M)(dtype)
        assert additive is not None and additive.dtype == dtype
        assert bool((additive[M] == 0).all()) and bool((additive[~M] == -torch.inf).all())


def test_a_mask_loaded_into_the_module_is_used():
    n = 12
    weights = _weights(4, 2, 3, seed=1)
    Z = torch.tensor(np.random.default_rng(1).uniform(-1, 1, size=(2, n, 4)))
    module = SoftmaxAttention(weights, mask=patterns.dense(n)[0])
    with torch.no_grad():
        module(Z)  # caches "all True"
        other = SoftmaxAttention(weights, mask=patterns.tridiagonal(n)[0])
        module.load_state_dict(other.state_dict())
        assert float((module(Z) - other(Z)).abs().max()) == 0.0
        assert float((module(Z) - SoftmaxAttention(weights)(Z)).abs().max()) > 1e-3


def test_the_packed_projection_follows_changed_weights():
    """Without gradients the packed [W_Q | W_K | W_V] is kept; an in-place change, a loaded state or a new
    dtype is seen at the next call."""
    n = 10
    weights = _weights(4, 2, 3, seed=2)
    Z = torch.tensor(np.random.default_rng(2).uniform(-1, 1, size=(2, n, 4)))
    module = SoftmaxAttention(weights)
    moved = {name: value + 0.25 for name, value in weights.items()}
    with torch.no_grad():
        before = module(Z)  # packs and keeps
        module.W_K.weight.add_(0.25)  # in place, as an optimiser step
        module.W_Q.weight.add_(0.25)
        module.W_V.weight.add_(0.25)
        module.W_O.weight.add_(0.25)
        assert float((module(Z) - SoftmaxAttention(moved)(Z)).abs().max()) == 0.0
        module.load_state_dict(SoftmaxAttention(weights).state_dict())
        assert float((module(Z) - before).abs().max()) == 0.0
        single = module.float()(Z.float())
        assert single.dtype == torch.float32 and float((single.double() - before).abs().max()) <= 1e-5
