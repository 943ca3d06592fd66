"""Implementation of :mod:`constructions.transformer` (private; import from there)."""

from __future__ import annotations

from .._sumformers.sumformer import Sumformer
from . import attention as _attention
from .kinds import AttentionKind, uniform_weights
from .network import (
    AttentionBlock,
    Network,
    NetworkConfig,
    build_network,
    checked_recipe,
    recipe_parameters,
    register_attention_kind,
)
from .torch_support import require_torch


def from_sumformer(
    S: Sumformer, n: int, ff: str = "exact", *, m_relu: int = 8, d_k: int = 1, random_query: bool = False, seed: int = 0
) -> Network:
    """Transformer (embed, FF, ONE softmax attention layer, FF, readout) equal to S on n tokens.

    With W_K = 0 the attention averages phi over the tokens and W_O = n x writer turns the
    average into the Sumformer's sum. With exact FF blocks the network equals S up to rounding
    (reproduction case T1: <= 1e-13); with ReLU blocks ``.error_bound`` is L_psi n eta_1 + eta_2
    (section 7).
    Shapes: the network maps X (n, d) or (b, n, d) to (n, d_out) or (b, n, d_out).

    Parameters
    ----------
    S : Sumformer
        The Sumformer to realise.
    n : int
        Number of tokens n.
    ff : str, default 'exact'
        ``"exact"`` (the FF blocks compute phi and psi exactly) or ``"relu"`` (Yarotsky ReLU networks).
    m_relu : int, default 8
        Yarotsky parameter m of the ReLU blocks (``ff="relu"``).
    d_k : int, default 1
        Width of the query/key space.
    random_query : bool, default False
        Draw W_Q at random (seeded) instead of 0; W_K = 0 keeps the attention uniform.
    seed : int, default 0
        Seed of every random choice (reproducible).

    Returns
    -------
    Network
        Callable on (n, d) or (b, n, d); ``.weights`` holds the labelled weight blocks.

    Examples
    --------
    >>> import numpy as np
    >>> from constructions import Sumformer
    >>> S = Sumformer(lambda x: x, lambda x, s: x * s, latent_dim=1, d=1, d_out=1)
    >>> T = from_sumformer(S, n=3)
    >>> X = np.array([[0.1], [0.2], [0.3]])
    >>> bool(np.allclose(T(X), S(X), atol=1e-15))
    True
    """
    config = NetworkConfig(ff=ff, m_relu=m_relu, d_k=d_k, random_query=random_query, seed=seed)
    block = AttentionBlock(
        KIND,
        formula="Z + softmax(QK^T/sqrt(d_k)) V W_O, W_K = 0: n x mean of phi into sum",
        recipe={
            "kind": "transformer",
            "n": n,
            "ff": ff,
            "m_relu": m_relu,
            "d_k": d_k,
            "random_query": random_query,
            "seed": seed,
        },
    )
    return build_network(S, n, block, config)


def _torch_module(weights, params, trainable: bool):
    require_torch()
    from .torch_modules import SoftmaxAttention

    return SoftmaxAttention(weights, trainable)


def _decode(S: Sumformer, recipe: object, tensors: object, path: str) -> Network:
    args = checked_recipe(recipe, {"n", "ff", "m_relu", "d_k", "random_query", "seed"}, "transformer", path)
    return from_sumformer(S, **args)


KIND = register_attention_kind(
    AttentionKind(
        name="softmax",
        network="transformer",
        description="standard Transformer with ONE softmax attention layer (Alberti et al. 2023)",
        forward=lambda Z, heads, params: _attention.softmax_attention(Z, heads),
        torch_module=_torch_module,
        cost=lambda n, d_k, d_v, params: n * n * (d_k + d_v),
        timing_params=lambda n, d_k, rng, k, m: {},
        build=lambda S, n, o: from_sumformer(
            S, n, o["ff"], m_relu=o["m_relu"], random_query=o["random_query"], seed=o["seed"]
        ),
        encode=recipe_parameters,
        decode=_decode,
        exact_weights=uniform_weights,
    )
)
