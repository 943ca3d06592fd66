"""Implementation of :mod:`constructions.performer` (private; import from there)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from polyapprox.internal import PolyapproxError, check_choice, check_int, check_seed, check_size

from .._sumformers.sumformer import Sumformer
from . import attention as _attention
from .kinds import AttentionKind, CliOption
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
    ff: str = "exact",
    *,
    features: str = "positive",
    seed: int = 0,
    m_relu: int = 8,
    random_query: bool = False,
    d_k: int = 1,
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
    ff : str, default 'exact'
        ``"exact"`` (the FF blocks compute phi and psi exactly) or ``"relu"`` (Yarotsky ReLU networks).
    features : str, default 'positive'
        ``"positive"`` (FAVOR+ positive features) or ``"trig"`` (trigonometric).
    seed : int, default 0
        Seed of every random choice (reproducible).
    m_relu : int, default 8
        Yarotsky parameter m of the ReLU blocks (``ff="relu"``).
    random_query : bool, default False
        Draw W_Q at random (seeded) instead of 0; W_K = 0 keeps the attention uniform.
    d_k : int, default 1
        Width of the query/key space.

    Returns
    -------
    Network
        Callable on (n, d) or (b, n, d); ``.weights`` holds the labelled weight blocks.

    Examples
    --------
    >>> import numpy as np
    >>> from constructions import Sumformer
    >>> S = Sumformer(lambda x: x, lambda x, s: x * s, latent_dim=1, d=1, d_out=1)
    >>> P = from_sumformer(S, n=3, m=4, features="trig", seed=7)
    >>> X = np.array([[0.1], [0.2], [0.3]])
    >>> bool(np.allclose(P(X), S(X), atol=1e-15))
    True
    """
    m = check_int("m", m)
    check_size(f"the Performer feature matrices (m = {m:,} features x n = {n} tokens)", m * max(check_int("n", n), 1))
    seed = check_seed(seed)
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
    config = NetworkConfig(ff=ff, m_relu=m_relu, d_k=d_k, random_query=random_query, seed=seed + 1)
    return build_network(S, n, block, config)


def _torch_module(weights, params, trainable: bool):
    require_torch()
    from .torch_modules import FavorAttention

    return FavorAttention(weights, params["omega"], params["features"], trainable)


_RECIPE = {"n", "m", "ff", "features", "seed", "m_relu", "random_query", "d_k"}


def _decode(S: Sumformer, recipe: object, tensors: object, path: str) -> Network:
    args = checked_recipe(recipe, _RECIPE, "performer", path)
    n, m = args.pop("n"), args.pop("m")
    return from_sumformer(S, n, m, **args)


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
            o["ff"],
            features=o["features"],
            seed=o["seed"],
            m_relu=o["m_relu"],
            random_query=o["random_query"],
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
    )
)
