"""Cost of one attention layer vs n (issue: one attention layer): softmax O(n^2), Linformer O(nk),
Performer O(nm), Sumformer sum O(n d'). Prints times and growth ratios per 4x n, measured in this run.
Softmax stops where its n x n score matrix would exceed the memory budget below.
Run: python benchmarks/bench_attention.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from polyapprox.app.experiments import time_attention_kinds

SOFTMAX_MEMORY_BUDGET = 4e9  # bytes for the (n, n) float64 score and weight matrices


def main(ns=(256, 1024, 4096, 16384)) -> None:
    table = {}
    for n in ns:
        kinds = ["linformer", "performer", "sumformer"]
        if 3 * 8 * n * n <= SOFTMAX_MEMORY_BUDGET:
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


if __name__ == "__main__":
    main()
