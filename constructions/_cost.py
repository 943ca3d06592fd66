"""Timing of one attention layer of each kind against the plain Sumformer sum (theory/attention, cost)."""

from __future__ import annotations

import time

import numpy as np

from . import attention as _attention


def time_attention_kinds(n: int, *, width: int = 16, latent: int = 8, k: int = 32, m: int = 32,
                         repeat: int = 3, seed: int = 0, kinds=("softmax", "linformer", "performer", "sumformer")
                         ) -> dict[str, float]:
    """Best-of-``repeat`` seconds for one layer on one sequence of length n (width D, d_v = latent)."""
    rng = np.random.default_rng(seed)
    Z = rng.uniform(size=(1, n, width))
    head = _attention.Head(rng.normal(size=(width, 4)) / 4, rng.normal(size=(width, 4)) / 4,
                           rng.normal(size=(width, latent)), rng.normal(size=(latent, width)))
    E, F = rng.normal(size=(k, n)) / n, np.full((k, n), 1.0 / k)
    omega = rng.normal(size=(m, 4))
    calls = {
        "softmax": lambda: _attention.softmax_attention(Z, [head]),
        "linformer": lambda: _attention.linformer_attention(Z, [head], E, F),
        "performer": lambda: _attention.performer_attention(Z, [head], omega),
        "sumformer": lambda: Z + (Z @ head.W_V).sum(axis=1, keepdims=True) @ head.W_O,
    }
    times = {}
    for kind in kinds:
        best = np.inf
        for _ in range(repeat):
            start = time.perf_counter()
            calls[kind]()
            best = min(best, time.perf_counter() - start)
        times[kind] = best
    return times
