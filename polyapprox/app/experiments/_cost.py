"""Cost of one attention layer of each registered kind: a multiply-add model and measured time.

Both read the attention-kind registry (theory/attention, cost): softmax O(n^2 (d_k + d_v)),
Linformer O(nk(d_k + d_v)), Performer O(nm(d_k + d_v)), masked softmax O(nnz(mask)(d_k + d_v));
the plain Sumformer sum is O(n d_v).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from constructions import attention_kinds, get_attention_kind
from constructions.attention import Head
from polyapprox.internal import UnknownNameError


def attention_cost(kind: str, n: int, d_k: int, d_v: int, params: Mapping[str, Any] | None = None) -> int:
    """Multiply-adds of one head of the registered ``kind`` (its cost model).

    >>> attention_cost("softmax", 4, 1, 2)
    48
    """
    return int(get_attention_kind(kind).cost(n, d_k, d_v, params or {}))


def time_attention_kinds(
    n: int,
    *,
    width: int = 16,
    latent: int = 8,
    k: int = 32,
    m: int = 32,
    repeat: int = 3,
    seed: int = 0,
    kinds=("softmax", "linformer", "performer", "sumformer"),
) -> dict[str, float]:
    """Best-of-``repeat`` seconds for one layer on one sequence of length n (width D, d_v = latent).

    ``kinds``: registered attention kinds, or 'sumformer' for the plain sum.
    """
    rng = np.random.default_rng(seed)
    Z = rng.uniform(size=(1, n, width))
    head = Head(
        rng.normal(size=(width, 4)) / 4,
        rng.normal(size=(width, 4)) / 4,
        rng.normal(size=(width, latent)),
        rng.normal(size=(latent, width)),
    )
    calls = {}
    for name in kinds:
        if name == "sumformer":
            calls[name] = lambda: Z + (Z @ head.W_V).sum(axis=1, keepdims=True) @ head.W_O
            continue
        if name not in attention_kinds():
            get_attention_kind(name)  # raises UnknownNameError naming the registered kinds
            raise UnknownNameError(f"unknown attention kind {name!r}")
        kind = get_attention_kind(name)
        params = kind.timing_params(n, 4, rng, k, m)
        calls[name] = lambda kind=kind, params=params: kind.forward(Z, [head], params)
    times = {}
    for name, call in calls.items():
        best = np.inf
        for _ in range(repeat):
            start = time.perf_counter()
            call()
            best = min(best, time.perf_counter() - start)
        times[name] = best
    return times
