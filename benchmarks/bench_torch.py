"""Forward time of one attention layer per registered kind: numpy vs torch module vs torch.compile.

The layer is the kind's own numpy forward and its torch module (from the same registry entry,
float64, residual included), on one sequence of length n = 1024 and 4096, width D = 16,
d_k = 4, d_v = 8, Linformer k = 32, Performer m = 32 positive features, masked softmax on a
sliding window of width 64. Each cell: median over REPEAT timed calls after one warm-up call
(torch.compile: after compiling), with the spread (min - max). Ratios are against numpy in
the same run. Torch runs on the threads it is given (printed).
Run: python benchmarks/bench_torch.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import numpy as np
import torch

from constructions import attention_kinds
from constructions._networks.torch_modules import Residual
from constructions.attention import Head

WIDTH, D_K, D_V, K, M = 16, 4, 8, 32, 32


def timings(fn, repeat: int) -> list[float]:
    fn()  # warm-up (and compilation for torch.compile)
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def cell(times: list[float]) -> str:
    return f"{statistics.median(times) * 1e3:8.2f} ms ({min(times) * 1e3:.2f}-{max(times) * 1e3:.2f})"


def main(ns=(1024, 4096), repeat: int = 7) -> None:
    print(
        f"torch {torch.__version__}, threads {torch.get_num_threads()}, repeat {repeat}; "
        "median ms (min-max); ratio = numpy median / torch median"
    )
    print(f"{'kind':>15} {'n':>5} {'numpy':>28} {'torch':>28} {'torch.compile':>28} {'x torch':>8} {'x compile':>9}")
    for name, kind in attention_kinds().items():
        for n in ns:
            rng = np.random.default_rng(0)
            Z = rng.uniform(size=(1, n, WIDTH))
            weights = {
                "W_Q": rng.normal(size=(WIDTH, D_K)) / 4,
                "W_K": rng.normal(size=(WIDTH, D_K)) / 4,
                "W_V": rng.normal(size=(WIDTH, D_V)),
                "W_O": rng.normal(size=(D_V, WIDTH)),
            }
            head = Head(**weights)
            params = kind.timing_params(n, D_K, rng, K, M)
            module = Residual(kind.torch_module(weights, params, False)).eval()
            compiled = torch.compile(module)
            Zt = torch.tensor(Z)
            with torch.no_grad():
                reference = kind.forward(Z, [head], params)
                gap = max(
                    float(np.abs(module(Zt).numpy() - reference).max()),
                    float(np.abs(compiled(Zt).numpy() - reference).max()),
                )
                t_np = timings(lambda: kind.forward(Z, [head], params), repeat)
                t_torch = timings(lambda: module(Zt), repeat)
                t_comp = timings(lambda: compiled(Zt), repeat)
            ratio = statistics.median(t_np) / statistics.median(t_torch)
            ratio_c = statistics.median(t_np) / statistics.median(t_comp)
            print(
                f"{name:>15} {n:>5} {cell(t_np):>28} {cell(t_torch):>28} {cell(t_comp):>28} {ratio:>8.2f} "
                f"{ratio_c:>9.2f}   max|torch - numpy| {gap:.1e}"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    main(repeat=parser.parse_args().repeat)
