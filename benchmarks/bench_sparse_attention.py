"""Masked attention: the kernel that gathers each query's keys vs the dense masked SDPA (torch, CPU).

Per pattern of ``constructions.sparse.patterns`` (STRIDED and FIXED: the union of their two steps
with w = sqrt(n), about 2 sqrt(n) keys per query; STAR; SLIDING_WINDOW of width sqrt(n); RANDOM
with sqrt(n) keys; DENSE, which the kernel runs densely and says so): CPU time of one forward
(float64, one sequence, d_k = 4, d_v = 8, as the constructed masked module), median of REPEAT
calls after a warm-up, at n = 1024, 2048, 4096. Printed: the kernel's strategy, keys per
query, ms dense / kernel, their ratio, and the log-log slope of time vs n (least squares over the
three n; dense attention: 2.0). One torch thread, one BLAS thread.
Run: PYTHONPATH=. python benchmarks/bench_sparse_attention.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from constructions._networks.sparse_attention import MaskedAttention
from constructions.sparse import patterns
from constructions.training.copying import random_mask

sys.path.insert(0, str(Path(__file__).parent))
from _common import median_cpu, one_blas_thread

NS = (1024, 2048, 4096)


def masks(n: int) -> dict[str, np.ndarray]:
    w = math.isqrt(n)
    return {
        "strided (union)": np.logical_or.reduce(patterns.strided(n, w)),
        "fixed (union)": np.logical_or.reduce(patterns.fixed(n, w)),
        "star": patterns.star(n)[0],
        "sliding_window": patterns.sliding_window(n, w)[0],
        "random": random_mask(n, w, seed=0),
        "dense": patterns.dense(n)[0],
    }


def slope(ns, times) -> float:
    return float(np.polyfit(np.log(ns), np.log(times), 1)[0])


def main() -> None:
    parser = argparse.ArgumentParser(description="masked attention: gathered kernel vs dense masked SDPA")
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    g = torch.Generator().manual_seed(0)
    table: dict[str, dict[int, tuple[float, float, str, float]]] = {}
    for n in NS:
        q, k = (torch.randn(1, n, 4, dtype=torch.float64, generator=g) for _ in range(2))
        v = torch.randn(1, n, 8, dtype=torch.float64, generator=g)
        for name, mask in masks(n).items():
            kernel, dense_mask = MaskedAttention(mask), torch.tensor(mask)
            reference = F.scaled_dot_product_attention(q, k, v, attn_mask=dense_mask)
            assert float((kernel(q, k, v) - reference).abs().max()) <= 1e-12, name
            dense = median_cpu(lambda m=dense_mask: F.scaled_dot_product_attention(q, k, v, attn_mask=m), repeat)
            ours = median_cpu(lambda kernel=kernel: kernel(q, k, v), repeat)
            table.setdefault(name, {})[n] = (dense, ours, kernel.strategy, mask.sum() / n)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, float64, repeat {repeat}; CPU ms")
    print("| pattern | strategy | keys/query | n | dense ms | kernel ms | dense / kernel |")
    print("|---|---|---|---|---|---|---|")
    for name, rows in table.items():
        for n, (dense, ours, strategy, keys) in rows.items():
            print(
                f"| {name} | {strategy} | {keys:.0f} | {n} | {dense * 1e3:.2f} | {ours * 1e3:.2f} | {dense / ours:.1f}x |"
            )
    print("\n| pattern | slope dense | slope kernel |\n|---|---|---|")
    for name, rows in table.items():
        ns = list(rows)
        print(f"| {name} | {slope(ns, [rows[n][0] for n in ns]):.2f} | {slope(ns, [rows[n][1] for n in ns]):.2f} |")


if __name__ == "__main__":
    one_blas_thread()  # every benchmark times on one BLAS (and torch) thread
    main()
