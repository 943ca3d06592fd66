"""Masked attention: the kernel that gathers each query's keys vs the dense masked SDPA (torch, CPU).

Per pattern of ``constructions.sparse.patterns`` (STRIDED and FIXED: the union of their two steps
with w = sqrt(n), about 2 sqrt(n) keys per query; STAR; SLIDING_WINDOW of width sqrt(n); RANDOM
with sqrt(n) keys; DENSE, which the kernel runs densely and says so): CPU time of one forward
(float64, one sequence, d_k = 4, d_v = 8, as the constructed masked module), median of REPEAT
calls after a warm-up, at n = 1024, 2048, 4096. Printed: the kernel's strategy, keys per
query, ms dense / kernel, their ratio, and the log-log slope of time vs n (least squares over the
three n; dense attention: 2.0). One torch thread, one BLAS thread.
``--gradients``: forward and backward (as a training step runs them; float32, batch 4, 2 heads of
width 16) at n = 1024 and 4096, RANDOM with 2 sqrt(n) other keys and the masks above: CPU ms of the
kernel ``MaskedAttention`` chooses with gradients, of the plan it chose before the compressed
sparse rows (``csr_cost`` huge: blocks, gathered rows or dense) and of the dense masked SDPA,
interleaved in one process, median of REPEAT after a warm-up.
Run: PYTHONPATH=. python benchmarks/bench_sparse_attention.py [--repeat 5] [--gradients]
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


def gradients(repeat: int, ns=(1024, 4096)) -> None:
    """Forward and backward: the kernel chosen with gradients vs the plan before CSR vs dense (CPU ms)."""
    import statistics
    import time

    from constructions._networks.sparse_attention import SdpaMask, fused_sdpa

    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, float32, batch 4, 2 heads of width 16")
    print(
        "| n | pattern | keys/query | kernel | ms | before: kernel | ms | dense ms | before / kernel | dense / kernel |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for n in ns:
        cases = masks(n)
        cases["random (2 sqrt(n))"] = random_mask(n, 2 * math.isqrt(n), seed=0)
        cases["strided (step 1)"] = patterns.strided(n, math.isqrt(n))[0]
        g = torch.Generator().manual_seed(n)
        q, k, v = (torch.randn(4, 2, n, 16, generator=g, requires_grad=True) for _ in range(3))
        weights = torch.randn(4, 2, n, 16, generator=g)
        for name, mask in cases.items():
            chosen, before = MaskedAttention(mask), MaskedAttention(mask, csr_cost=1e12, block_cost=8.0)
            additive = SdpaMask(torch.tensor(mask))
            runs = {
                "chosen": lambda a=chosen: a(q, k, v),
                "before": lambda a=before: a(q, k, v),
                "dense": lambda m=additive: fused_sdpa(q, k, v, m(q.dtype)),
            }
            times: dict[str, list[float]] = {key: [] for key in runs}
            for rep in range(repeat + 1):  # interleaved; the first round warms up
                for key, run in runs.items():
                    start = time.process_time()
                    (run() * weights).sum().backward()
                    if rep:
                        times[key].append(time.process_time() - start)
                    q.grad = k.grad = v.grad = None
            ms = {key: statistics.median(values) * 1e3 for key, values in times.items()}
            print(
                f"| {n} | {name} | {mask.sum() / n:.0f} | {chosen.training_strategy} | {ms['chosen']:.1f} | "
                f"{before.training_strategy} | {ms['before']:.1f} | {ms['dense']:.1f} | "
                f"{ms['before'] / ms['chosen']:.2f}x | {ms['dense'] / ms['chosen']:.2f}x |",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description="masked attention: gathered kernel vs dense masked SDPA")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--gradients", action="store_true", help="forward and backward, float32 (training)")
    args = parser.parse_args()
    repeat = args.repeat
    if args.gradients:
        gradients(repeat)
        return
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
