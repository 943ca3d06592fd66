"""Cost of one attention layer vs n (issue: one attention layer): softmax O(n^2), Linformer O(nk),
Performer O(nm), Sumformer sum O(n d'). Prints times and growth ratios per 4x n, measured in this run.
Softmax stops where its budget rule (``softmax_memory_bytes``: the numpy softmax forwards take the
queries in blocks, so the rule grows linearly in n) would exceed the memory budget below.
``--memory``: peak RSS of one numpy softmax forward (full and masked) above its inputs, each in a
fresh child process, against the rule, n = 4096 ... 16384.
Run: python benchmarks/bench_attention.py [--memory]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import numpy as np
from _common import one_blas_thread, peak_rss_mb, reset_peak_rss

from constructions._networks.attention import softmax_memory_bytes
from polyapprox.app.experiments import time_attention_kinds

SOFTMAX_MEMORY_BUDGET = 4e9  # bytes the numpy softmax forward may allocate (its rule: softmax_memory_bytes)
WIDTH, D_K, LATENT = 16, 4, 8  # time_attention_kinds' defaults


def main(ns=(256, 1024, 4096, 16384)) -> None:
    table = {}
    for n in ns:
        kinds = ["linformer", "performer", "sumformer"]
        if softmax_memory_bytes(1, n, WIDTH, D_K, LATENT) <= SOFTMAX_MEMORY_BUDGET:
            kinds.insert(0, "softmax")
        table[n] = time_attention_kinds(n, kinds=kinds)
    print(f"{'n':>6} " + " ".join(f"{k:>12}" for k in ("softmax", "linformer", "performer", "sumformer")))
    for n, row in table.items():
        print(
            f"{n:>6} "
            + " ".join(
                f"{row[k] * 1e3:>10.2f}ms" if k in row else f"{'(memory)':>12}"
                for k in ("softmax", "linformer", "performer", "sumformer")
            )
        )
    print("growth ratio per 4x n (quadratic: 16, linear: 4):")
    for a, b in zip(ns, ns[1:]):
        ratios = {k: table[b][k] / table[a][k] for k in table[b] if k in table[a]}
        print(f"  {a:>5} -> {b:>5}: " + ", ".join(f"{k} {r:.1f}x" for k, r in ratios.items()))


def memory(ns=(4096, 8192, 16384)) -> None:
    """Peak RSS above the inputs of one numpy softmax forward (fresh child per case) vs the rule."""
    print(
        "numpy softmax forward, one sequence, D = 16, d_k = 4, d_v = 8: peak RSS above the inputs (MiB) against the rule softmax_memory_bytes"
    )
    print(f"{'n':>6} {'softmax':>9} {'rule':>9} {'masked':>9} {'rule':>9} {'n x n float64':>14}")
    for n in ns:
        measured = [
            float(
                subprocess.run(
                    [sys.executable, __file__, "--memory-child", str(n), kind],
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
            )
            for kind in ("softmax", "masked")
        ]
        rules = [softmax_memory_bytes(1, n, WIDTH, D_K, LATENT, masked) / 2**20 for masked in (False, True)]
        print(
            f"{n:>6} {measured[0]:>9.1f} {rules[0]:>9.1f} {measured[1]:>9.1f} {rules[1]:>9.1f} {8 * n * n / 2**20:>14.0f}"
        )


def memory_child(n: int, kind: str) -> None:
    from constructions._networks.attention import Head, softmax_attention
    from constructions._networks.masked import masked_softmax_attention

    rng = np.random.default_rng(0)
    Z = rng.uniform(size=(1, n, WIDTH))
    head = Head(
        rng.normal(size=(WIDTH, D_K)) / 4,
        rng.normal(size=(WIDTH, D_K)) / 4,
        rng.normal(size=(WIDTH, LATENT)),
        rng.normal(size=(LATENT, WIDTH)),
    )
    mask = None
    if kind == "masked":  # the sliding window of width 64, built without n x n temporaries
        mask, rows = np.zeros((n, n), dtype=bool), np.arange(n)
        for offset in range(-32, 33):
            keys = rows + offset
            inside = (keys >= 0) & (keys < n)
            mask[rows[inside], keys[inside]] = True
    small = Z[:, :8]
    if mask is None:
        softmax_attention(small, [head])  # warm-up on a short sequence (BLAS buffers, code paths)
        before = reset_peak_rss()
        softmax_attention(Z, [head])
    else:
        masked_softmax_attention(small, [head], np.ones((8, 8), dtype=bool))
        before = reset_peak_rss()
        masked_softmax_attention(Z, [head], mask)
    print(f"{peak_rss_mb() - before:.1f}")


if __name__ == "__main__":
    one_blas_thread()  # every benchmark times on one BLAS (and torch) thread
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--memory", action="store_true", help="only the peak memory of the numpy softmax forward")
    parser.add_argument("--memory-child", nargs=2, metavar=("N", "KIND"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(int(args.memory_child[0]), args.memory_child[1])
    elif args.memory:
        memory()
    else:
        main()
