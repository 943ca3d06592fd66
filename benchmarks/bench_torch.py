"""Forward time of one attention layer per registered kind: numpy vs torch module vs torch.compile.

The layer is the kind's own numpy forward and its torch module (from the same registry entry,
float64, residual included), on one sequence of length n = 1024 and 4096, width D = 16,
d_k = 4, d_v = 8, Linformer k = 32, Performer m = 32 positive features, masked softmax on a
sliding window of width 64. Each cell: median CPU time over REPEAT timed calls after one warm-up call
(torch.compile: after compiling), with the spread (min - max). Ratios are against numpy in
the same run. Torch runs on the threads it is given (printed).

``--fused``: the softmax module (construction widths d_k = 1, d_v = 14, D = 16) and the masked
module on a dense mask (its dense fallback), each against plain ``scaled_dot_product_attention``
on 4-D (1, 1, n, 14) tensors (equal width), n = 1024 ... 16384, float32 and float64, CPU time
of one thread, repetitions interleaved in one process in a seeded random order per round (in a
fixed order the call right after the masked SDPA, whose 4 MB mask evicts the caches, paid
0.1-0.15 ms more at n = 1024), median; then the peak RSS above the
inputs of one softmax-module forward per n, each in a fresh child process.
Run: python benchmarks/bench_torch.py [--repeat 7] [--fused]
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import numpy as np
import torch
from _common import one_blas_thread, peak_rss_mb, reset_peak_rss

from constructions import attention_kinds
from constructions._networks.torch_modules import Residual
from constructions.attention import Head

WIDTH, D_K, D_V, K, M = 16, 4, 8, 32, 32


def timings(fn, repeat: int) -> list[float]:
    fn()  # warm-up (and compilation for torch.compile)
    out = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        out.append(time.process_time() - start)
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


FUSED_D, FUSED_DK, FUSED_DV = 16, 1, 14
FUSED_NS = (1024, 2048, 4096, 8192, 16384)


def _fused_case(n: int, dtype: torch.dtype, masked: bool):
    from constructions._networks.torch_modules import SoftmaxAttention, SparseSoftmaxAttention

    rng = np.random.default_rng(n)
    weights = {
        "W_Q": rng.normal(size=(FUSED_D, FUSED_DK)),
        "W_K": rng.normal(size=(FUSED_D, FUSED_DK)),
        "W_V": rng.normal(size=(FUSED_D, FUSED_DV)),
        "W_O": rng.normal(size=(FUSED_DV, FUSED_D)),
    }
    mask = np.ones((n, n), dtype=bool) if masked else None
    module = (SparseSoftmaxAttention if masked else SoftmaxAttention)(weights, False, mask).to(dtype).eval()
    return module, torch.tensor(rng.uniform(-1, 1, size=(1, n, FUSED_D)), dtype=dtype)


def fused(repeat: int) -> None:
    """Softmax and masked modules vs plain SDPA at equal width (interleaved, CPU time)."""
    import torch.nn.functional as F
    from torch.nn.attention import SDPBackend, sdpa_kernel

    from constructions._networks.torch_modules import SparseSoftmaxAttention

    print(
        f"fused path: module CPU time / plain SDPA on (1, 1, n, {FUSED_DV}) tensors; median of at least {repeat}, "
        "interleaved; masked = the masked module on a dense mask (all True), masked 70% = on a random mask "
        "with 70% of the keys per query (dense in practice: the dense kernel with an additive mask), its ratio against "
        "plain SDPA given the same additive mask; "
        "math = the softmax module forced onto SDPA's math path (the path it took before), n <= 4096"
    )
    print(
        f"{'n':>6} {'dtype':>8} {'SDPA ms':>9} {'softmax':>8} {'ratio':>6} {'masked':>8} {'ratio':>6} "
        f"{'masked 70%':>10} {'ratio':>6} {'math':>8} {'ratio':>6}"
    )
    for n in FUSED_NS:
        for dtype in (torch.float32, torch.float64):
            softmax, Z = _fused_case(n, dtype, False)
            masked, _ = _fused_case(n, dtype, True)
            M = np.random.default_rng(n).random((n, n)) < 0.7
            M[np.arange(n), np.arange(n)] = True
            weights = {
                name: getattr(softmax, name).weight.detach().T.double().numpy() for name in ("W_Q", "W_K", "W_V", "W_O")
            }
            partial = SparseSoftmaxAttention(weights, False, M).to(dtype).eval()
            g = torch.Generator().manual_seed(n)
            q, k, v = (torch.randn(1, 1, n, FUSED_DV, dtype=dtype, generator=g) for _ in range(3))

            def math(m=softmax, Z=Z):
                with sdpa_kernel(SDPBackend.MATH):
                    return m(Z)

            additive = torch.zeros(n, n, dtype=dtype).masked_fill(~torch.from_numpy(M), float("-inf"))
            calls = {
                "sdpa": lambda q=q, k=k, v=v: F.scaled_dot_product_attention(q, k, v),
                "sdpa_mask": lambda q=q, k=k, v=v, a=additive: F.scaled_dot_product_attention(q, k, v, attn_mask=a),
                "softmax": lambda m=softmax, Z=Z: m(Z),
                "masked": lambda m=masked, Z=Z: m(Z),
                "partial": lambda m=partial, Z=Z: m(Z),
            }
            if n <= 4096:
                calls["math"] = math
            times: dict[str, list[float]] = {name: [] for name in calls}
            with torch.no_grad():
                for call in calls.values():
                    call()  # warm-up
                order = random.Random(n)  # a seeded new order every round: whatever runs right after the
                for _ in range(max(repeat, (4096 // n) ** 2 * repeat // 2)):  # masked calls starts cold
                    names = list(calls)
                    order.shuffle(names)
                    for name in names:
                        start = time.process_time()
                        calls[name]()
                        times[name].append(time.process_time() - start)
            med = {name: statistics.median(t) * 1e3 for name, t in times.items()}
            row = f"{n:>6} {str(dtype)[6:]:>8} {med['sdpa']:>9.1f}"
            for name, width in (("softmax", 8), ("masked", 8), ("partial", 10), ("math", 8)):
                base = med["sdpa_mask"] if name == "partial" else med["sdpa"]  # the masked one: SDPA with its mask
                row += (
                    f" {med[name]:>{width}.1f} {med[name] / base:>6.2f}" if name in med else f" {'-':>{width}} {'-':>6}"
                )
            print(row, flush=True)
    print("peak RSS of one softmax-module forward above its inputs (fresh child process each):")
    for n in FUSED_NS:
        for dtype in ("float32", "float64"):
            out = subprocess.run(
                [sys.executable, __file__, "--memory-child", str(n), dtype], check=True, capture_output=True, text=True
            )
            print(
                f"  n = {n:>5} {dtype}: {out.stdout.strip()} MB (an n x n {dtype} matrix: {n * n * (4 if dtype == 'float32' else 8) / 1e6:.0f} MB)"
            )


def memory_child(n: int, dtype_name: str) -> None:
    module, Z = _fused_case(n, getattr(torch, dtype_name), False)
    with torch.no_grad():
        module(Z[:, :16])  # warm-up: load the kernels on a short sequence
        before = reset_peak_rss()
        module(Z)
    print(f"{peak_rss_mb() - before:.1f}")


if __name__ == "__main__":
    one_blas_thread()  # every benchmark times on one BLAS (and torch) thread
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--fused", action="store_true", help="only the fused-path ratios and peak memory")
    parser.add_argument("--memory-child", nargs=2, metavar=("N", "DTYPE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(int(args.memory_child[0]), args.memory_child[1])
    elif args.fused:
        fused(args.repeat)
    else:
        main(repeat=args.repeat)
