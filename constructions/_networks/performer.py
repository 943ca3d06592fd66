"""Implementation of :mod:`constructions.performer` (private; import from there)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np

from polyapprox.internal import PolyapproxError, check_choice, check_int, check_size

from .._sumformers.sumformer import Sumformer
from . import attention as _attention
from .kinds import AttentionKind, CliOption, uniform_weights
from .network import (
    AttentionBlock,
    LabelledArray,
    Network,
    NetworkConfig,
    build_network,
    checked_recipe,
    recipe_parameters,
    register_attention_kind,
)
from .torch_support import require_torch


def from_sumformer(
    S: Sumformer,
    n: int,
    m: int,
    *,
    features: str = "positive",
    config: NetworkConfig | None = None,
) -> Network:
    """Performer with m random features (omega ~ N(0, I), seeded) equal to S on n tokens.

    Shapes: the network maps X (n, d) or (b, n, d) to (n, d_out) or (b, n, d_out).

    Parameters
    ----------
    S : Sumformer
        The Sumformer to realise.
    n : int
        Number of tokens n.
    m : int
        Number of random features.
    features : str, default 'positive'
        ``"positive"`` (FAVOR+ positive features) or ``"trig"`` (trigonometric).
    config : NetworkConfig or None, default None
        The options every attention kind shares: FF blocks (exact or ReLU), ``m_relu``, ``d_k``,
        random query, and the seed (of the features; the network's weights use seed + 1); None:
        ``NetworkConfig()``.

    Returns
    -------
    Network
        Callable on (n, d) or (b, n, d); ``.weights`` holds the labelled weight blocks.

    Examples
    --------
    >>> import numpy as np
    >>> from constructions import Sumformer
    >>> S = Sumformer(lambda x: x, lambda x, s: x * s, latent_dim=1, d=1, d_out=1)
    >>> from constructions import NetworkConfig
    >>> P = from_sumformer(S, n=3, m=4, features="trig", config=NetworkConfig(seed=7))
    >>> X = np.array([[0.1], [0.2], [0.3]])
    >>> bool(np.allclose(P(X), S(X), atol=1e-15))
    True
    """
    m = check_int("m", m)
    check_size(f"the Performer feature matrices (m = {m:,} features x n = {n} tokens)", m * max(check_int("n", n), 1))
    config = NetworkConfig() if config is None else config
    if not isinstance(config, NetworkConfig):
        raise PolyapproxError(f"config must be a NetworkConfig; got {type(config).__name__}")
    ff, m_relu, d_k, random_query, seed = config.ff, config.m_relu, config.d_k, config.random_query, config.seed
    features = check_choice("features", features, ["positive", "trig"])
    if random_query and features == "trig":
        raise PolyapproxError(
            "trigonometric features need W_Q = W_K = 0 (Phi_trig(q) . Phi_trig(0) depends on q); "
            "use features='positive' with random_query=True"
        )
    omega = np.random.default_rng(seed).normal(size=(m, check_int("d_k", d_k)))
    extra = {
        "omega": LabelledArray(omega, [("feature", r) for r in range(1, m + 1)], [("qk", j) for j in range(1, d_k + 1)])
    }
    block = AttentionBlock(
        KIND,
        formula=f"Z + D^-1 Phi(Q)(Phi(K)^T V) W_O, {features} features, m={m}, W_K = 0",
        params={"omega": omega, "features": features},
        extra_weights=extra,
        details={"m": m, "features": features, "seed": seed},
        recipe={
            "kind": "performer",
            "n": n,
            "m": m,
            "ff": ff,
            "features": features,
            "seed": seed,
            "m_relu": m_relu,
            "random_query": random_query,
            "d_k": d_k,
        },
    )
    return build_network(S, n, block, dataclasses.replace(config, seed=seed + 1))


def _torch_module(weights, params, trainable: bool):
    require_torch()
    from .torch_modules import FavorAttention

    return FavorAttention(weights, params["omega"], params["features"], trainable)


_RECIPE = {"n", "m", "ff", "features", "seed", "m_relu", "random_query", "d_k"}


def _decode(S: Sumformer, recipe: object, tensors: object, path: str) -> Network:
    args = checked_recipe(recipe, _RECIPE, "performer", path)
    n, m, features = args.pop("n"), args.pop("m"), args.pop("features")
    return from_sumformer(S, n, m, features=features, config=NetworkConfig(**args))


def _cost(n: int, d_k: int, d_v: int, params: Mapping[str, Any]) -> int:
    width = params["omega"].shape[0] * (2 if params["features"] == "trig" else 1)
    return 2 * n * width * (d_k + d_v)


KIND = register_attention_kind(
    AttentionKind(
        name="performer",
        network="performer",
        description="Performer with m random features (Choromanski et al. 2021)",
        forward=lambda Z, heads, params: _attention.performer_attention(Z, heads, params["omega"], params["features"]),
        torch_module=_torch_module,
        cost=_cost,
        timing_params=lambda n, d_k, rng, k, m: {"omega": rng.normal(size=(m, d_k)), "features": "positive"},
        build=lambda S, n, o: from_sumformer(
            S,
            n,
            o["m"],
            features=o["features"],
            config=NetworkConfig(ff=o["ff"], m_relu=o["m_relu"], random_query=o["random_query"], seed=o["seed"]),
        ),
        encode=recipe_parameters,
        decode=_decode,
        cli_options=(
            CliOption("--m", {"type": int, "default": 16, "help": "number of random features"}),
            CliOption(
                "--features",
                {
                    "choices": ["positive", "trig"],
                    "default": "positive",
                    "help": "random feature map of the kernel approximation",
                },
            ),
        ),
        labels={"omega": ("feature", "qk")},
        exact_weights=uniform_weights,
    )
)
