"""BLAS threads in the numpy forwards: default thread count vs the library's bound (one thread).

CPU time (user + system of this process, every thread counted) of one forward on one sequence,
median of REPEAT calls after a warm-up, at n = 256, 1024, 4096: a Sumformer (d' = 8), the
one-layer Transformer and the Linformer (k = 4) built from it. "default" runs with BLAS's own thread
count (``set_blas_threads(None)``), "bounded" with the library default (one thread; the plain
Sumformer forward is not bounded, it is the control: ratio about 1). The figures
are written next to the code in ``constructions/_common/blas.py``.
Run: PYTHONPATH=. python benchmarks/bench_blas.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from constructions import Sumformer, linformer, set_blas_threads, transformer

sys.path.insert(0, str(Path(__file__).parent))
from _common import median_cpu


def features(x: np.ndarray) -> np.ndarray:
    return np.hstack([x**p for p in range(1, 9)])


def main() -> None:
    parser = argparse.ArgumentParser(description="BLAS threads in the numpy forwards")
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    S = Sumformer(features, lambda x, s: x * s[:, :1] + s[:, 1:2], latent_dim=8, d=1, d_out=1)
    rng = np.random.default_rng(0)
    print(f"{'forward':12} {'n':>5} {'default ms':>11} {'bounded ms':>11} {'ratio':>7}")
    for n in (256, 1024, 4096):
        X = rng.uniform(size=(n, 1))
        nets = {
            "sumformer": S,
            "transformer": transformer.from_sumformer(S, n),
            "linformer": linformer.from_sumformer(S, n, 4),
        }
        for name, net in nets.items():
            call = lambda net=net: net(X)
            previous = set_blas_threads(None)
            default = median_cpu(call, repeat)
            set_blas_threads(previous)
            one = median_cpu(call, repeat)
            print(f"{name:12} {n:>5} {default * 1e3:11.2f} {one * 1e3:11.2f} {default / one:7.1f}x")


if __name__ == "__main__":
    main()
