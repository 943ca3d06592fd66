"""Implementation of :mod:`constructions.interop` (private; import from there)."""

from __future__ import annotations

import importlib
import math
from collections import OrderedDict
from typing import Any

import numpy as np

from polyapprox.internal import PolyapproxError

from .kinds import BlockKind
from .network import Network
from .torch_support import import_torch_module


def _attention_block(network: Network, allowed: tuple[str, ...], target: str):
    if not isinstance(network, Network):
        raise PolyapproxError(f"expected a constructed Network; got {type(network).__name__}")
    if network.attention not in allowed:
        raise PolyapproxError(
            f"{target} holds {' or '.join(allowed)} attention; this network's attention is {network.attention!r}"
        )
    block = next(b for b in network.blocks if b.kind is BlockKind.ATTENTION)
    return {k: np.asarray(v) for k, v in block.weights.items()}


def _package(name: str, pip_name: str):
    import_torch_module()
    try:
        return importlib.import_module(name)
    except ImportError:
        raise PolyapproxError(
            f"this needs the package {name!r}: pip install {pip_name} "
            "(install torch==2.13.0 first on machines that keep that CPU build)"
        ) from None


def to_multihead_attention(network: Network):
    """Export the attention block of a network to ``torch.nn.MultiheadAttention`` (float64).

    The module is ``nn.MultiheadAttention(D, 1, bias=False, batch_first=True)``.

    W_Q, W_K, W_V are zero-padded to D columns, W_O to D rows, W_Q scaled by sqrt(D / d_k).
    Call as ``mha(Z, Z, Z, attn_mask=~mask, need_weights=False)[0]`` (masked kind: the mask is
    ``network.attention_params["mask"]``, negated because True blocks in this module).

    Shapes: Z (b, n, D) -> (b, n, D), the update without the residual.

    Parameters
    ----------
    network : Network
        A network with softmax attention (``transformer`` or ``masked``).

    Returns
    -------
    torch.nn.MultiheadAttention
        The attention block's weights.

    Examples
    --------
    >>> import torch
    >>> from constructions import continuous, targets
    >>> S, _ = continuous.approximate(targets.get("centered"), n=3, d=1, degree=1, samples=50)
    >>> from constructions import transformer
    >>> network = transformer.from_sumformer(S, 3)
    >>> mha = to_multihead_attention(network)
    >>> Z = torch.zeros(1, 3, network.width, dtype=torch.float64)
    >>> tuple(mha(Z, Z, Z, need_weights=False)[0].shape)
    (1, 3, 4)
    """
    torch = import_torch_module().torch
    weights = _attention_block(network, ("softmax", "masked-softmax"), "nn.MultiheadAttention")
    D = network.width
    Q, K, V, O = import_torch_module().padded_head(weights, D, q_factor=math.sqrt(D / weights["W_Q"].shape[1]))
    mha = torch.nn.MultiheadAttention(D, 1, bias=False, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        mha.in_proj_weight.copy_(torch.tensor(np.concatenate([Q.T, K.T, V.T]), dtype=torch.float64))
        mha.out_proj.weight.copy_(torch.tensor(O.T, dtype=torch.float64))
    return mha


def to_linformer(network: Network):
    """Export the attention block of a Linformer network to the ``linformer`` package.

    The module is ``linformer.LinformerSelfAttention(dim=D, seq_len=n, k=k, heads=1, dim_head=h)``.

    h = max(d_k, d_v); proj_k = E^T, proj_v = F^T (the package multiplies keys by (n, k)
    matrices); W_Q scaled by sqrt(h / d_k); ``to_out`` bias zero. Float64.

    Shapes: Z (b, n, D) -> (b, n, D), the update without the residual.

    Parameters
    ----------
    network : Network
        A Linformer network (``linformer.from_sumformer``).

    Returns
    -------
    linformer.LinformerSelfAttention
        The attention block's weights.

    Examples
    --------
    >>> import torch
    >>> from constructions import continuous, targets
    >>> S, _ = continuous.approximate(targets.get("centered"), n=3, d=1, degree=1, samples=50)
    >>> from constructions import linformer
    >>> network = linformer.from_sumformer(S, n=3, k=2)
    >>> Z = torch.zeros(1, 3, network.width, dtype=torch.float64)
    >>> tuple(to_linformer(network)(Z).shape)
    (1, 3, 4)
    """
    weights = _attention_block(network, ("linformer",), "linformer.LinformerSelfAttention")
    linformer = _package("linformer", "linformer")
    torch = import_torch_module().torch
    d_k, d_v = weights["W_Q"].shape[1], weights["W_V"].shape[1]
    h = max(d_k, d_v)
    Q, K, V, O = import_torch_module().padded_head(weights, h, q_factor=math.sqrt(h / d_k))
    E, F = network.attention_params["E"], network.attention_params["F"]
    module = linformer.LinformerSelfAttention(
        dim=network.width, seq_len=network.n, k=E.shape[0], heads=1, dim_head=h
    ).to(torch.float64)
    with torch.no_grad():
        for layer, W in ((module.to_q, Q), (module.to_k, K), (module.to_v, V), (module.to_out, O)):
            layer.weight.copy_(torch.tensor(W.T))
        module.to_out.bias.zero_()
        module.proj_k.copy_(torch.tensor(E.T))
        module.proj_v.copy_(torch.tensor(F.T))
    return module


def to_performer(network: Network):
    """Export the attention block of a Performer network to the ``performer_pytorch`` package.

    The module is ``performer_pytorch.SelfAttention(dim=D, heads=1, dim_head=h, nb_features=m)``.

    h = max(d_k, d_v); projection_matrix = omega zero-padded to h columns; W_Q and W_K scaled by
    (h / d_k)^(1/4) (the package scales q, k by h^(-1/4)); ``to_out`` without bias. Positive
    features only (trigonometric features are refused). Exact when W_K = 0; see the module
    notes for the package's eps.

    Shapes: Z (b, n, D) -> (b, n, D), the update without the residual.

    Parameters
    ----------
    network : Network
        A Performer network with positive features (``performer.from_sumformer``).

    Returns
    -------
    performer_pytorch.SelfAttention
        The attention block's weights.

    Examples
    --------
    >>> import torch
    >>> from constructions import continuous, targets
    >>> S, _ = continuous.approximate(targets.get("centered"), n=3, d=1, degree=1, samples=50)
    >>> from constructions import performer
    >>> network = performer.from_sumformer(S, n=3, m=4)
    >>> Z = torch.zeros(1, 3, network.width, dtype=torch.float64)
    >>> tuple(to_performer(network)(Z).shape)
    (1, 3, 4)
    """
    weights = _attention_block(network, ("performer",), "performer_pytorch.SelfAttention")
    if network.attention_params["features"] != "positive":
        raise PolyapproxError(
            "performer_pytorch's softmax kernel has positive random features only; this network "
            "uses trigonometric features (build with features='positive')"
        )
    _package("performer_pytorch", "performer-pytorch")
    from performer_pytorch import SelfAttention

    torch = import_torch_module().torch
    omega = network.attention_params["omega"]
    d_k, d_v = weights["W_Q"].shape[1], weights["W_V"].shape[1]
    h = max(d_k, d_v)
    factor = (h / d_k) ** 0.25
    Q, K, V, O = import_torch_module().padded_head(weights, h, q_factor=factor, k_factor=factor)
    module = SelfAttention(dim=network.width, heads=1, dim_head=h, nb_features=omega.shape[0], attn_out_bias=False).to(
        torch.float64
    )
    with torch.no_grad():
        for layer, W in ((module.to_q, Q), (module.to_k, K), (module.to_v, V), (module.to_out, O)):
            layer.weight.copy_(torch.tensor(W.T))
        padded = np.zeros((omega.shape[0], h))
        padded[:, :d_k] = omega
        # a registered buffer, which torch's stubs type as Tensor | Module
        module.fast_attention.projection_matrix.copy_(torch.tensor(padded))  # pyright: ignore[reportCallIssue]
    return module


def to_sequential(network: Network):
    """Export a whole ReLU-mode network as ``torch.nn.Sequential`` (float64).

    Layers: Linear, Linear/ReLU..., attention, ..., Linear.

    Each residual feed-forward block z + MLP(z W_in) W_out becomes plain ``nn.Linear``/``nn.ReLU``
    layers that carry z through the ReLUs as ReLU(z) - ReLU(-z) (Alberti et al. 2023 use the
    same identity). The attention block is ``constructions._networks.torch_modules.Residual`` around
    ``nn.MultiheadAttention`` (softmax kinds, via :class:`MultiheadSelfAttention`) or around the
    kind's own torch module (Linformer, Performer).

    Shapes: X (b, n, d) -> (b, n, d_out).

    Parameters
    ----------
    network : Network
        A network built with ``ff="relu"``.

    Returns
    -------
    torch.nn.Sequential
        The network, layer by layer.

    Examples
    --------
    >>> import torch
    >>> from constructions import continuous, targets
    >>> S, _ = continuous.approximate(targets.get("centered"), n=3, d=1, degree=1, samples=50)
    >>> import numpy as np
    >>> from constructions import transformer
    >>> network = transformer.from_sumformer(S, 3, ff="relu", m_relu=2)
    >>> X = np.array([[[0.1], [0.2], [0.3]]])
    >>> bool(np.allclose(to_sequential(network)(torch.tensor(X)).detach().numpy(), network(X)))
    True
    """
    tm = import_torch_module()
    torch = tm.torch
    if not isinstance(network, Network) or network.ff != "relu":
        raise PolyapproxError(
            "to_sequential needs a network built with ff='relu': exact phi and psi are "
            "polynomials, not standard layers (use network.to_torch() for those)"
        )
    layers: list[tuple[str, Any]] = []
    for block in network.blocks:
        if block.kind in (BlockKind.EMBEDDING, BlockKind.READOUT):
            layers.append((block.name, tm._linear(block.weights["W"])))
        elif block.kind is BlockKind.FF_RELU:
            layers += [
                (f"{block.name}_{k}", layer) for k, layer in enumerate(tm.carried_relu_stack(block, network.width))
            ]
        elif block.kind is BlockKind.ATTENTION:
            if network.attention in ("softmax", "masked-softmax"):
                mask = network.attention_params.get("mask")
                inner = tm.MultiheadSelfAttention(to_multihead_attention(network), mask)
            else:
                inner = tm.to_torch_module(network).stages["attn"].body
            layers.append((block.name, tm.Residual(inner)))
        elif block.kind is BlockKind.FF_EXACT and block.spec["write"].start == block.spec["write"].stop:
            continue  # phi = () when d' = 0: the block is the identity
        else:  # pragma: no cover - ReLU networks have no other exact blocks
            raise PolyapproxError(f"block {block.name} has no standard-layer form")
    return torch.nn.Sequential(OrderedDict(layers))
