"""Implementation of :mod:`constructions.masked` (private; import from there)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from polyapprox.internal import ModelFileError, PolyapproxError, ShapeError, check_int

from .._sumformers.sumformer import Sumformer
from ..sparse import patterns as _patterns
from . import attention as _attention
from .kinds import AttentionKind, CliOption
from .network import AttentionBlock, Network, NetworkConfig, build_network, checked_recipe, register_attention_kind
from .torch_support import require_torch


def as_mask(masks: object, n: int | None = None, layer: int = 0) -> np.ndarray:
    """One boolean (n, n) mask from a mask or a list of masks (a pattern cycle: masks[layer % p]).

    Every query must attend to at least one key.

    Shapes: one (n, n) mask, or a cycle of p of them -> (n, n).

    Parameters
    ----------
    masks : array_like or list of array_like
        One boolean (n, n) mask ``mask[query, key]`` or a pattern cycle.
    n : int or None, default None
        Number of tokens n, checked when given.
    layer : int, default 0
        Which mask of a cycle: ``masks[layer % p]``.

    Returns
    -------
    numpy.ndarray
        The boolean mask.

    Examples
    --------
    >>> as_mask(_patterns.tridiagonal(3)).astype(int)
    array([[1, 1, 0],
           [1, 1, 1],
           [0, 1, 1]])
    """
    array = np.asarray(masks) if not isinstance(masks, (list, tuple)) else None
    cycle = _patterns.from_masks([array] if array is not None and array.ndim == 2 else masks)
    mask = cycle[check_int("layer", layer, minimum=0) % len(cycle)]
    if n is not None and mask.shape != (n, n):
        raise ShapeError(f"mask must have shape (n, n) = ({n}, {n}); got {mask.shape}")
    empty = np.flatnonzero(~mask.any(axis=1))
    if empty.size:
        raise PolyapproxError(f"mask row {int(empty[0])} is all False: every query must attend to at least one key")
    return mask


def masked_softmax_attention(Z: np.ndarray, heads: Sequence[_attention.Head], mask: np.ndarray) -> np.ndarray:
    """Z + sum_h softmax over the allowed keys of (Q K^T / sqrt(d_k)) V W_O; mask (n, n), mask[query, key].

    Shapes: Z (b, n, D), mask (n, n) -> (b, n, D).

    Parameters
    ----------
    Z : numpy.ndarray
        The residual stream.
    heads : sequence of Head
        The attention heads.
    mask : numpy.ndarray
        Boolean, True where the query attends to the key.

    Returns
    -------
    numpy.ndarray
        The new residual stream.

    Examples
    --------
    >>> Z = np.arange(6.0).reshape(1, 3, 2)
    >>> zero = _attention.Head(np.zeros((2, 1)), np.zeros((2, 1)), np.eye(2), np.eye(2))
    >>> masked_softmax_attention(Z, [zero], np.eye(3, dtype=bool))[0, 1]    # token 1 sees only itself
    array([4., 6.])
    """
    _attention._check(Z, heads)
    mask = as_mask(mask, Z.shape[1])
    out = Z.copy()
    for h in heads:
        out += _attention.attend(Z @ h.W_Q, Z @ h.W_K, Z @ h.W_V, mask) @ h.W_O  # queries in bounded blocks
    return out


def from_sumformer(
    S: Sumformer,
    n: int,
    masks: object,
    *,
    layer: int = 0,
    allow_partial: bool = False,
    config: NetworkConfig | None = None,
) -> Network:
    """One masked softmax attention layer (W_K = 0, W_O = n x writer) between the two FF blocks.

    With W_K = 0 each query averages the values of the keys its mask lets it see, so the layer
    computes the Sumformer's sum, and the network equals S, iff every query sees every key.
    Shapes: the network maps X (n, d) or (b, n, d) to (n, d_out) or (b, n, d_out).

    Parameters
    ----------
    S : Sumformer
        The Sumformer to realise.
    n : int
        Number of tokens n.
    masks : array_like or list of array_like
        One boolean (n, n) mask ``mask[query, key]`` or a pattern cycle from
        ``constructions.sparse.patterns``.
    layer : int, default 0
        Which mask of the cycle: ``masks[layer % p]``.
    allow_partial : bool, default False
        Build even when some query does not see every key (then not equal to S).
    config : NetworkConfig or None, default None
        The options every attention kind shares: FF blocks (exact or ReLU), ``m_relu``, ``d_k``,
        random query, seed; None: ``NetworkConfig()``.

    Returns
    -------
    Network
        Callable on (n, d) or (b, n, d); ``.weights`` holds the labelled weight blocks.

    Examples
    --------
    >>> import numpy as np
    >>> from constructions import Sumformer, sparse
    >>> S = Sumformer(lambda x: x, lambda x, s: x * s, latent_dim=1, d=1, d_out=1)
    >>> M = from_sumformer(S, 3, sparse.patterns.dense(3))
    >>> X = np.array([[0.1], [0.2], [0.3]])
    >>> bool(np.allclose(M(X), S(X), atol=1e-15))
    True
    """
    n = check_int("n", n)
    if not isinstance(allow_partial, bool):
        raise PolyapproxError(f"allow_partial must be True or False; got {allow_partial!r:.60}")
    config = NetworkConfig() if config is None else config
    if not isinstance(config, NetworkConfig):
        raise PolyapproxError(f"config must be a NetworkConfig; got {type(config).__name__}")
    mask = as_mask(masks, n, layer)
    partial = np.flatnonzero(~mask.all(axis=1))
    if partial.size and not allow_partial:
        raise PolyapproxError(
            f"query {int(partial[0])} does not attend to every key: one masked attention layer "
            "writes the sum only for a dense pattern (sparse patterns need several layers, "
            "Yun et al. 2020); pass allow_partial=True for the negative control"
        )
    block = AttentionBlock(
        KIND,
        formula=f"Z + masked softmax(QK^T/sqrt(d_k)) V W_O, {int(mask.sum())} of {n * n} connections, W_K = 0",
        params={"mask": mask},
        details={"connections": int(mask.sum()), "partial_queries": int(partial.size)},
        recipe={
            "n": n,
            "ff": config.ff,
            "m_relu": config.m_relu,
            "d_k": config.d_k,
            "random_query": config.random_query,
            "seed": config.seed,
            "allow_partial": allow_partial,
        },
    )
    return build_network(S, n, block, config)


def _exact_weights(mask: np.ndarray, n: int) -> list[list[Fraction]]:
    """a_ij = 1/|M_i| for the keys j that query i sees (softmax of equal logits over them), else 0."""
    rows = np.asarray(mask, dtype=bool)
    return [[Fraction(int(rows[i, j]), int(rows[i].sum())) for j in range(n)] for i in range(n)]


def _cli_build(S: Sumformer, n: int, o: Mapping[str, Any]) -> Network:
    masks = _patterns.by_name(o["pattern"], n, window=o["window"])
    return from_sumformer(
        S,
        n,
        masks,
        config=NetworkConfig(ff=o["ff"], m_relu=o["m_relu"], random_query=o["random_query"], seed=o["seed"]),
        allow_partial=o["allow_partial"],
    )


def _torch_module(weights: Mapping[str, Any], params: Mapping[str, Any], trainable: bool) -> Any:
    require_torch()
    from .torch_modules import (
        SparseSoftmaxAttention,  # gathers each query's keys: costs what the mask's connections cost
    )

    return SparseSoftmaxAttention(weights, trainable, mask=params["mask"])


def _encode(network: Network) -> tuple[dict, dict[str, np.ndarray]]:
    """The builder arguments and the mask (as 0/1 float64: model files hold float64 arrays only)."""
    return dict(network.recipe), {"attn.mask": np.asarray(network.attention_params["mask"], dtype=float)}


def _decode(S: Sumformer, recipe: object, tensors: Mapping[str, np.ndarray], path: str) -> Network:
    allowed = {"n", "ff", "m_relu", "random_query", "seed", "allow_partial"}
    if isinstance(recipe, dict) and "d_k" in recipe:  # files written before d_k was recorded hold none (it was 1)
        allowed.add("d_k")
    args = checked_recipe(recipe, allowed, "masked", path)
    stored = tensors.get("attn.mask")
    n = args.pop("n")
    if stored is None or stored.shape != (n, n) or not np.isin(stored, (0.0, 1.0)).all():
        raise ModelFileError(f"{path!r}: a masked-transformer file needs attn.mask, an (n, n) array of 0 and 1")
    allow_partial = args.pop("allow_partial")
    return from_sumformer(S, n, stored == 1.0, allow_partial=allow_partial, config=NetworkConfig(**args))


KIND = register_attention_kind(
    AttentionKind(
        name="masked-softmax",
        network="masked-transformer",
        description="Transformer with ONE masked (sparse-pattern) softmax attention layer (Yun et al. 2020 patterns)",
        forward=lambda Z, heads, params: masked_softmax_attention(Z, heads, params["mask"]),
        torch_module=_torch_module,
        cost=lambda n, d_k, d_v, params: int(np.asarray(params["mask"]).sum()) * (d_k + d_v),
        timing_params=lambda n, d_k, rng, k, m: {"mask": _patterns.sliding_window(n, max(2, min(n, 2 * k)))[0]},
        build=_cli_build,
        encode=_encode,
        decode=_decode,
        cli_options=(
            CliOption(
                "--pattern",
                {
                    "choices": sorted(_patterns.NAMES),
                    "default": "dense",
                    "help": "sparsity pattern of the attention layer",
                },
            ),
            CliOption("--window", {"type": int, "default": 3, "help": "window of window-based patterns"}),
            CliOption(
                "--allow-partial",
                {"action": "store_true", "help": "build even if some query misses keys (negative control)"},
            ),
        ),
        exact_weights=lambda params, n: _exact_weights(params["mask"], n),
    )
)
