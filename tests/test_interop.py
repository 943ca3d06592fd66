import dataclasses

import numpy as np
import pytest
from _networks import fitted

from constructions import NetworkConfig, interop, linformer, masked, performer, sparse, transformer
from constructions._networks.network import LabelledArray
from constructions.attention import Head
from polyapprox import PolyapproxError

pytestmark = pytest.mark.torch  # needs the torch extra: skipped without it, run by CI after the CPU pin (-m torch)

INTEROP = 'needs the interop extra: pip install torch==2.13.0, then pip install -e ".[torch,interop]"'
torch = pytest.importorskip(
    "torch", reason='needs the torch extra: pip install torch==2.13.0, then pip install -e ".[torch]"'
)


@pytest.fixture(scope="module")
def S():
    return fitted(n=3, d=2, degree=2)


def with_random_qk(net, seed, d_k=2, scale=0.5):
    """The same network with random W_Q and W_K (no longer the construction; tests the mapping)."""
    rng = np.random.default_rng(seed)
    block = net.blocks[2]
    W = {k: np.asarray(v) for k, v in block.weights.items()}
    D = net.width
    W["W_Q"], W["W_K"] = rng.normal(size=(D, d_k)) * scale, rng.normal(size=(D, d_k)) * scale
    qk = [("qk", j) for j in range(1, d_k + 1)]
    labelled = dict(
        block.weights, W_Q=LabelledArray(W["W_Q"], net.labels, qk), W_K=LabelledArray(W["W_K"], net.labels, qk)
    )
    head = Head(W["W_Q"], W["W_K"], W["W_V"], W["W_O"])
    kind = net.attention_kind
    new = dataclasses.replace(block, weights=labelled, apply=lambda Z: kind.forward(Z, [head], net.attention_params))
    return dataclasses.replace(net, blocks=net.blocks[:2] + (new,) + net.blocks[3:])


def update(net, Z):
    """The numpy attention update Attn(Z) - Z of the network's attention block."""
    return net.blocks[2].apply(Z) - Z


@pytest.mark.parametrize("random_qk", [False, True])
@pytest.mark.parametrize("kind", ["softmax", "masked-softmax"])
def test_multihead_attention(S, kind, random_qk, rng):
    net = (
        transformer.from_sumformer(S, 3)
        if kind == "softmax"
        else masked.from_sumformer(S, 3, sparse.patterns.tridiagonal(3), allow_partial=True)
    )
    net = with_random_qk(net, 1) if random_qk else net
    mha = interop.to_multihead_attention(net)
    assert isinstance(mha, torch.nn.MultiheadAttention)
    Z = rng.normal(size=(4, 3, net.width))
    mask = net.attention_params.get("mask")
    T = torch.tensor(Z)
    out = mha(T, T, T, attn_mask=None if mask is None else ~torch.tensor(mask), need_weights=False)[0]
    assert np.abs(out.detach().numpy() - update(net, Z)).max() <= 1e-12


@pytest.mark.parametrize("random_qk", [False, True])
def test_linformer_package(S, random_qk, rng):
    pytest.importorskip("linformer", reason=INTEROP)
    net = linformer.from_sumformer(S, 3, 2, E=rng.normal(size=(2, 3)))
    net = with_random_qk(net, 2) if random_qk else net
    module = interop.to_linformer(net)
    assert type(module).__name__ == "LinformerSelfAttention"
    Z = rng.normal(size=(4, 3, net.width))
    assert np.abs(module(torch.tensor(Z)).detach().numpy() - update(net, Z)).max() <= 1e-12


def _performer_pytorch_reference(net, Z, eps=1e-4):
    """Independent numpy model of performer_pytorch's softmax kernel (eps, running maxima) with our head."""
    W = net.blocks[2].weights
    omega = net.attention_params["omega"]
    d_k = np.asarray(W["W_Q"]).shape[1]
    c = d_k**-0.25
    Q, K, V = c * (Z @ W["W_Q"]), c * (Z @ W["W_K"]), Z @ W["W_V"]
    m = omega.shape[0]

    def dash(U):
        return U @ omega.T, (U**2).sum(-1, keepdims=True) / 2

    qd, qn = dash(Q)
    kd, kn = dash(K)
    phi_q = (np.exp(qd - qn - qd.max(-1, keepdims=True)) + eps) / np.sqrt(m)
    phi_k = (np.exp(kd - kn - kd.max(axis=(-1, -2), keepdims=True)) + eps) / np.sqrt(m)
    out = (phi_q @ (np.swapaxes(phi_k, 1, 2) @ V)) / (phi_q @ phi_k.sum(1)[..., None])
    return out @ W["W_O"]


@pytest.mark.parametrize("random_query", [False, True])
def test_performer_package_exact_when_w_k_is_zero(S, random_query, rng):
    pytest.importorskip("performer_pytorch", reason=INTEROP)
    net = performer.from_sumformer(S, 3, 5, config=NetworkConfig(random_query=random_query, d_k=2))
    module = interop.to_performer(net)
    Z = rng.normal(size=(4, 3, net.width))
    assert np.abs(module(torch.tensor(Z)).detach().numpy() - update(net, Z)).max() <= 1e-12


def test_performer_package_random_qk_matches_its_eps_model(S, rng):
    pytest.importorskip("performer_pytorch", reason=INTEROP)
    net = with_random_qk(performer.from_sumformer(S, 3, 5, config=NetworkConfig(d_k=2)), 3)
    module = interop.to_performer(net)
    Z = rng.normal(size=(4, 3, net.width)) / 2
    out = module(torch.tensor(Z)).detach().numpy()
    assert np.abs(out - _performer_pytorch_reference(net, Z)).max() <= 1e-12  # the mapping is exact
    # the package's eps (added after subtracting running maxima) separates it from FAVOR: measured 0.11 here
    assert np.abs(out - update(net, Z)).max() > 1e-6


@pytest.mark.parametrize("scale, low, high", [(0.1, 1e-6, 1e-3), (0.7, 1e-2, 10.0)])
def test_performer_package_eps_gap_grows_with_weight_scale(S, scale, low, high):
    """The interop docstring said "0.1 off"; it is 8e-5 at weight scale 0.1 and up to 0.78 at 0.7."""
    pytest.importorskip("performer_pytorch")
    net = with_random_qk(performer.from_sumformer(S, 3, 5, config=NetworkConfig(d_k=2)), 3, scale=scale)
    Z = np.random.default_rng(100).normal(size=(4, 3, net.width)) / 2
    out = interop.to_performer(net)(torch.tensor(Z)).detach().numpy()
    assert np.abs(out - _performer_pytorch_reference(net, Z)).max() <= 1e-12
    assert low < np.abs(out - update(net, Z)).max() < high


def test_performer_trig_refused(S):
    with pytest.raises(PolyapproxError, match="positive random features only"):
        interop.to_performer(performer.from_sumformer(S, 3, 4, features="trig"))


@pytest.mark.parametrize(
    "build",
    [
        lambda S: transformer.from_sumformer(S, 3, "relu", m_relu=2),
        lambda S: linformer.from_sumformer(S, 3, 2, config=NetworkConfig(ff="relu", m_relu=2)),
        lambda S: performer.from_sumformer(S, 3, 4, config=NetworkConfig(ff="relu", m_relu=2)),
        lambda S: masked.from_sumformer(
            S, 3, sparse.patterns.star(3), allow_partial=True, config=NetworkConfig(ff="relu", m_relu=2)
        ),
    ],
)
def test_sequential_of_standard_layers(S, build, rng):
    net = build(S)
    seq = interop.to_sequential(net)
    assert isinstance(seq, torch.nn.Sequential)
    for name, module in seq.named_children():
        if name != "attn":
            assert type(module) in (torch.nn.Linear, torch.nn.ReLU), name
    X = rng.uniform(size=(5, 3, 2))
    assert np.abs(seq(torch.tensor(X)).detach().numpy() - net(X)).max() <= 1e-12


def test_wrong_kind_and_mode_refused(S):
    net = transformer.from_sumformer(S, 3)
    with pytest.raises(PolyapproxError, match="holds linformer attention; this network's attention is 'softmax'"):
        interop.to_linformer(net)
    with pytest.raises(PolyapproxError, match="holds performer"):
        interop.to_performer(net)
    with pytest.raises(PolyapproxError, match="needs a network built with ff='relu'"):
        interop.to_sequential(net)
    with pytest.raises(PolyapproxError, match="expected a constructed Network"):
        interop.to_multihead_attention("softmax")
