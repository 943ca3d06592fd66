"""Implementation of :mod:`constructions.linformer` (private; import from there)."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

import numpy as np
from numpy.typing import ArrayLike

from polyapprox.internal import ModelFileError, PolyapproxError, ShapeError, check_int, check_nonnegative, check_size

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


def _projection(name: str, value, k: int, n: int) -> np.ndarray:
    if isinstance(value, str):
        if value == "mean":
            return np.full((k, n), 1.0 / k)
        if value == "first":
            P = np.zeros((k, n))
            P[0] = 1.0
            return P
        raise PolyapproxError(f"unknown {name} {value!r}; allowed: 'mean' (J/k), 'first' (e_1 1^T) or a (k, n) array")
    P = np.asarray(value, dtype=float)
    if P.shape != (k, n):
        raise ShapeError(f"{name} must have shape (k, n) = ({k}, {n}); got {P.shape}")
    if not np.all(np.isfinite(P)):
        raise PolyapproxError(f"{name} contains NaN or inf")
    return P


def from_sumformer(
    S: Sumformer,
    n: int,
    k: int,
    *,
    E: str | ArrayLike = "mean",
    F: str | ArrayLike = "mean",
    config: NetworkConfig | None = None,
    allow_unequal_columns: bool = False,
    column_tol: float = 1e-12,
) -> Network:
    """Linformer (one attention layer with projections E, F of shape (k, n)) equal to S.

    With W_K = 0 the attention is uniform over the k projected tokens, so F V sums the values
    with weights F's column sums: when they share one non-zero value c, W_O = (k/c) x writer
    recovers the Sumformer's sum exactly (theory/attention). Unequal column sums make the sum
    weighted and the network no longer equivariant (the negative control).
    Shapes: the network maps X (n, d) or (b, n, d) to (n, d_out) or (b, n, d_out).

    Parameters
    ----------
    S : Sumformer
        The Sumformer to realise.
    n : int
        Number of tokens n.
    k : int
        Projected length: E and F are (k, n).
    E : str or array_like, default 'mean'
        Key projection: ``"mean"``, ``"first"`` or a (k, n) array.
    F : str or array_like, default 'mean'
        Value projection, same choices; its column sums must be equal and non-zero.
    config : NetworkConfig or None, default None
        The options every attention kind shares: FF blocks (exact or ReLU), ``m_relu``, ``d_k``,
        random query, seed; None: ``NetworkConfig()``.
    allow_unequal_columns : bool, default False
        Build anyway when F's column sums differ (negative control).
    column_tol : float, default 1e-12
        Tolerance of the equal-column-sums check.

    Returns
    -------
    Network
        Callable on (n, d) or (b, n, d); ``.weights`` holds the labelled weight blocks.

    Examples
    --------
    >>> import numpy as np
    >>> from constructions import Sumformer
    >>> S = Sumformer(lambda x: x, lambda x, s: x * s, latent_dim=1, d=1, d_out=1)
    >>> L = from_sumformer(S, n=4, k=2)
    >>> X = np.array([[0.1], [0.2], [0.3], [0.4]])
    >>> bool(np.allclose(L(X), S(X), atol=1e-15))
    True
    """
    n, k = check_int("n", n), check_int("k", k)
    config = NetworkConfig() if config is None else config
    if not isinstance(config, NetworkConfig):
        raise PolyapproxError(f"config must be a NetworkConfig; got {type(config).__name__}")
    column_tol = check_nonnegative("column_tol", column_tol)  # a string, None or list from a file: one line
    if not isinstance(allow_unequal_columns, bool):
        raise PolyapproxError(f"allow_unequal_columns must be True or False; got {allow_unequal_columns!r:.60}")
    check_size(f"the Linformer projections E, F of shape (k, n) = ({k:,}, {n:,})", k * n)
    E_p, F_p = _projection("E", E, k, n), _projection("F", F, k, n)
    sums = F_p.sum(axis=0)
    c = float(sums.mean())
    spread = float(np.abs(sums - sums[0]).max())
    if abs(c) <= column_tol:
        raise PolyapproxError("F must have non-zero column sums (their common value c is 0)")
    if spread > column_tol * max(1.0, abs(c)) and not allow_unequal_columns:
        raise PolyapproxError(
            f"F must have equal column sums for the Linformer to compute the sum exactly; "
            f"they differ by up to {spread:.3g} (pass allow_unequal_columns=True for the "
            "negative control)"
        )
    tokens = [("token", j) for j in range(n)]
    projections = [("proj", r) for r in range(1, k + 1)]
    extra = {"E": LabelledArray(E_p, projections, tokens), "F": LabelledArray(F_p, projections, tokens)}
    block = AttentionBlock(
        KIND,
        formula=f"Z + softmax(Q (E K)^T) (F V) W_O, k={k}, W_K = 0, W_O = (k/c) writer",
        params={"E": E_p, "F": F_p},
        extra_weights=extra,
        scale=k / c,
        details={"k": k, "column_sum": c, "column_spread": spread},
        recipe={
            "kind": "linformer",
            "n": n,
            "k": k,
            "ff": config.ff,
            "m_relu": config.m_relu,
            "d_k": config.d_k,
            "random_query": config.random_query,
            "seed": config.seed,
            "allow_unequal_columns": allow_unequal_columns,
            "column_tol": column_tol,
        },
    )
    return build_network(S, n, block, config)


def _exact_weights(F: np.ndarray, n: int) -> list[list[Fraction]]:
    """a_ij = (1/k) sum_r F_rj: with W_K = 0 each query weighs the k projected tokens 1/k, and
    projected token r is sum_j F_rj v_j (F's float entries read as exact rationals)."""
    k = F.shape[0]
    column = [sum((Fraction(float(F[r, j])) for r in range(k)), Fraction(0)) / k for j in range(n)]
    return [list(column) for _ in range(n)]


def _torch_module(weights, params, trainable: bool):
    require_torch()
    from .torch_modules import LinformerAttention

    return LinformerAttention(weights, params["E"], params["F"], trainable)


_RECIPE = {"n", "k", "ff", "m_relu", "random_query", "seed", "allow_unequal_columns", "column_tol"}
_NETWORK_FIELDS = ("ff", "m_relu", "d_k", "random_query", "seed")


def _decode(S: Sumformer, recipe: object, tensors: Mapping[str, np.ndarray], path: str) -> Network:
    # files written before d_k was recorded hold no d_k (it was 1)
    allowed = _RECIPE | {"d_k"} if isinstance(recipe, dict) and "d_k" in recipe else _RECIPE
    args = checked_recipe(recipe, allowed, "linformer", path)
    E, F = tensors.get("weights.attn.E"), tensors.get("weights.attn.F")
    if E is None or F is None:
        raise ModelFileError(f"{path!r}: a Linformer file needs the projections weights.attn.E and weights.attn.F")
    n, k = args.pop("n"), args.pop("k")
    config = NetworkConfig(**{name: args.pop(name) for name in _NETWORK_FIELDS if name in args})
    return from_sumformer(S, n, k, E=E, F=F, config=config, **args)


KIND = register_attention_kind(
    AttentionKind(
        name="linformer",
        network="linformer",
        description="Linformer with projections E, F of shape (k, n) (Wang et al. 2020)",
        forward=lambda Z, heads, params: _attention.linformer_attention(Z, heads, params["E"], params["F"]),
        torch_module=_torch_module,
        cost=lambda n, d_k, d_v, params: 2 * n * params["E"].shape[0] * (d_k + d_v),
        timing_params=lambda n, d_k, rng, k, m: {"E": rng.normal(size=(k, n)) / n, "F": np.full((k, n), 1.0 / k)},
        build=lambda S, n, o: from_sumformer(
            S,
            n,
            o["k"],
            config=NetworkConfig(ff=o["ff"], m_relu=o["m_relu"], random_query=o["random_query"], seed=o["seed"]),
        ),
        encode=recipe_parameters,
        decode=_decode,
        cli_options=(CliOption("--k", {"type": int, "default": 2, "help": "projected length k"}),),
        labels={"E": ("proj", "token"), "F": ("proj", "token")},
        exact_weights=lambda params, n: _exact_weights(params["F"], n),
    )
)
