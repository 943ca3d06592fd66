"""check_assumption (bitset / product-graph reachability) vs a brute-force set-based BFS reference (issue 8).

n = 1024 and 4096; patterns with small s (STAR, STRIDED w=sqrt(n), FIXED w=sqrt(n), BigBird), where the
reference finishes; for n = 4096 the reference is timed on STAR and STRIDED only (it is O(s n^2) set
unions). Also prints check_assumption alone for tridiagonal (s = n-1). Run: python benchmarks/bench_sparse.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _common import best_time, one_blas_thread

from constructions import sparse

P = sparse.patterns


def reference_s(masks: list[np.ndarray]) -> int | None:
    """The recursion S^1 = A^1, S^t_k = union_{j in A^{l_t}_k} S^{t-1}_j with Python sets."""
    n, p = masks[0].shape[0], len(masks)
    adjacency = [[np.flatnonzero(m[k]).tolist() for k in range(n)] for m in masks]
    S = [set(a) for a in adjacency[0]]
    sizes, t = [sum(map(len, S))], 1
    while True:
        if all(len(x) == n for x in S):
            return t
        if len(sizes) > p and sizes[-1] == sizes[-1 - p]:
            return None
        A = adjacency[t % p]
        S = [set().union(*(S[j] for j in A[k])) for k in range(n)]
        sizes.append(sum(map(len, S)))
        t += 1


def main() -> None:
    for n in (1024, 4096):
        root = round(n**0.5)
        cases = {
            "STAR": P.star(n),
            f"STRIDED w={root}": P.strided(n, root),
            f"FIXED w={root}": P.fixed(n, root),
            "BigBird w=3 r=2 g=1": P.bigbird(n, 3, 2, 1, seed=0),
        }
        if n == 4096:
            cases = {k: v for k, v in cases.items() if k.startswith(("STAR", "STRIDED"))}
        for name, masks in cases.items():
            report = sparse.check_assumption(masks)
            t_fast = best_time(lambda masks=masks: sparse.check_assumption(masks), repeat=3)
            start = time.perf_counter()
            s_ref = reference_s(masks)
            t_ref = time.perf_counter() - start
            assert s_ref == report.s, (name, s_ref, report.s)
            print(
                f"n={n:5d} {name:22s} s={report.s} ({report.method}): check_assumption {t_fast:.3f} s, "
                f"brute-force BFS {t_ref:.2f} s, ratio {t_ref / t_fast:.0f}x"
            )
    for n in (1024, 4096):
        masks = P.tridiagonal(n)
        t_fast = best_time(lambda masks=masks: sparse.check_assumption(masks), repeat=1)
        r = sparse.check_assumption(masks)
        print(
            f"n={n:5d} tridiagonal s={r.s} ({r.method}): check_assumption {t_fast:.2f} s "
            "(brute force not run: O(n^3) set work)"
        )


if __name__ == "__main__":
    one_blas_thread()  # every benchmark times on one BLAS (and torch) thread
    main()
