"""Discontinuous Sumformer (issue: discontinuous): b = 10^4 sequences, n = 8, d = 2, k = 32.
Sequences per second, f-calls, peak memory; ratio against decoding the big-int code digit by digit
per token, measured in this run. Run: python benchmarks/bench_discontinuous.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))  # the reference decoder lives with the tests
from _common import peak_memory_mb
from _discontinuous_reference import decode_digit_by_digit

from constructions import discontinuous, targets
from constructions._sumformers.discontinuous import decode


def main(b: int = 10_000, n: int = 8, d: int = 2, k: int = 32) -> None:
    f = targets.get("gaussian-kernel-sum")
    X = np.random.default_rng(0).uniform(size=(b, n, d))
    model = discontinuous.build(f, n, d, k)
    start = time.perf_counter()
    out = model(X)
    seconds = time.perf_counter() - start
    peak = peak_memory_mb(lambda: discontinuous.build(f, n, d, k)(X))
    print(
        f"b={b}, n={n}, d={d}, k={k}: {b / seconds:,.0f} sequences/s ({seconds:.2f} s), "
        f"f evaluated on {model.f_calls} distinct multisets in {model.f_batches} batch(es), peak {peak:.0f} MB"
    )

    codes = model.latent(X[:200])[:, 0]
    start = time.perf_counter()
    fast = [decode(code, n, k, d) for code in codes]
    t_fast = (time.perf_counter() - start) / len(codes)
    start = time.perf_counter()
    slow = [decode_digit_by_digit(code, n, k, d) for code in codes[:20]]
    t_slow = (time.perf_counter() - start) / 20
    assert fast[:20] == slow
    print(
        f"decode one code: top-down {t_fast * 1e6:.0f} us, digit by digit {t_slow * 1e6:.0f} us "
        f"(x{n} tokens per sequence if done per token): ratio {t_slow * n / t_fast:.0f}x per sequence"
    )
    assert out.shape == (b, n, 1)


if __name__ == "__main__":
    main()
