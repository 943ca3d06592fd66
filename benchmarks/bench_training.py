"""Training speed: steps per second per model at the quick settings, the training loop's overhead over a
plain Adam loop, and the copying task with sparse masks vs dense at n = 64, 256 and 1024.

Overhead: CPU time of ``fit`` (the loop every training function runs: Adam, the losses kept,
the test errors evaluated every ``eval_every`` steps) divided by a plain loop (zero_grad,
forward, backward, step) on the same module, data and seed, for eval_every = 1, 10, 50; "before"
is the previous loop (test errors through numpy after every step). Goal: under 1.15.

Step rate: S steps divided by the run's own loop time (``history.seconds``: the optimisation
steps and the per-step test evaluation the experiments record; sampling, the constructed
reference and the model set-up are outside it). Copying: seconds per training step (batch 16, width 32, 2 heads, 4 layers)
for each mask, ratio dense / pattern in the same run. The masks go through
``MaskedAttention`` with the copying model's measured gather cost (``COPY_GATHER_COST``): with
gradients each mask runs the cheapest of the block kernel, the compressed sparse rows and the dense
masked SDPA (``training_strategy``).
Every cell: median over REPEAT repetitions, with the spread (min - max). One torch thread.
``--copying``: per pattern, CPU seconds of one training step (forward, backward, Adam; batch 16,
width 32, 2 heads, 4 layers) with the kernels ``MaskedAttention`` chooses with gradients (its
``training_strategy``) against the same model whose masks run the plan they had before the
compressed-sparse-row kernel (blocks, STAR's gathered rows or dense) and against the dense masked
kernel, steps interleaved in one process, median.
Run: python benchmarks/bench_training.py [--repeat 3] [--copying]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path
from typing import cast

import torch

from constructions import training

sys.path.insert(0, str(Path(__file__).parent))
from _common import one_blas_thread, process_cpu


def step_rate(run, steps: int, repeat: int) -> tuple[float, float, float]:
    """(median, min, max) steps per second of ``run(steps)``, timed by the run itself (its training loop,
    the per-step evaluation included; sampling, the constructed reference and the model set-up excluded)."""
    rates = [steps / run(steps).seconds for _ in range(repeat)]
    return statistics.median(rates), min(rates), max(rates)


def _config(steps: int, reference: bool = True) -> training.TrainingConfig:
    return training.TrainingConfig(steps=steps, samples=256, test_samples=256, reference=reference)


MODELS = {
    "MLP Sumformer": lambda s: training.train_sumformer(
        "gaussian-kernel-sum", 3, 1, model=training.SumformerModelConfig(degree=6), config=_config(s, reference=False)
    ),
    "polynomial Sumformer (psi polynomial)": lambda s: training.train_sumformer(
        "gaussian-kernel-sum",
        3,
        1,
        model=training.SumformerModelConfig(kind="polynomial", degree=6),
        config=_config(s, reference=False),
    ),
    "polynomial Sumformer (psi MLP)": lambda s: training.train_sumformer(
        "gaussian-kernel-sum",
        3,
        1,
        model=training.SumformerModelConfig(kind="polynomial", psi="mlp", degree=6),
        config=_config(s, reference=False),
    ),
    **{
        f"one-layer {kind}": (
            lambda s, kind=kind: training.train_one_layer(
                "gaussian-kernel-sum", 3, 1, model=training.OneLayerModelConfig(kind=kind, degree=4), config=_config(s)
            )
        )
        for kind in training.one_layer_kinds()
    },
    "copying (dense, n=16)": lambda s: training.train_copying(
        "dense", 16, width=32, heads=2, config=training.CopyingConfig(steps=s, eval_every=10, test_batch=128)
    ),
}


def overhead(repeat: int, steps: int = 60) -> None:
    """CPU seconds of fit (eval_every = 1, 10, 50) and of the previous per-step numpy evaluation, over a
    plain Adam loop on the same module."""
    from constructions.training._common import errors, fit, sample
    from constructions.training.sumformers import MLPSumformer

    n, d = 3, 1
    X, Xv = (torch.from_numpy(sample(n, d, 512, seed)) for seed in (0, 1))
    Y, Yv = X - X.mean(dim=1, keepdim=True), Xv - Xv.mean(dim=1, keepdim=True)

    def run(loop) -> float:
        torch.manual_seed(0)
        model = MLPSumformer(d, d, 9, 32).double()
        start = process_cpu()
        loop(model)
        return process_cpu() - start

    def plain(model) -> None:
        optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
        for _ in range(steps):
            optimiser.zero_grad(set_to_none=True)
            loss = ((model(X) - Y) ** 2).mean()
            loss.backward()
            optimiser.step()

    def library(k: int, numpy_eval: bool = False):
        from constructions.training._common import eval_errors

        def loop(model) -> None:
            def evaluate() -> torch.Tensor:
                with torch.no_grad():
                    if numpy_eval:
                        return torch.tensor(errors(model(Xv).numpy(), Yv.numpy()))
                    return eval_errors(model(Xv), Yv)

            fit(
                model,
                lambda: ((model(X) - Y) ** 2).mean(),
                evaluate,
                steps,
                1e-2,
                name="bench",
                target="centered",
                reference=None,
                settings={},
                eval_every=k,
            )

        return loop

    rows = {"plain Adam loop": plain, "before: numpy evaluation every step": library(1, numpy_eval=True)}
    rows.update({f"fit, eval_every = {k}": library(k) for k in (1, 10, 50)})
    times: dict[str, list[float]] = {name: [] for name in rows}
    for _ in range(repeat):  # interleaved
        for name, loop in rows.items():
            times[name].append(run(loop))
    base = statistics.median(times["plain Adam loop"])
    print(f"\n| MLP Sumformer, {steps} steps, 512 samples | CPU ms median | / plain loop |\n|---|---|---|")
    for name, values in times.items():
        print(f"| {name} | {statistics.median(values) * 1e3:.1f} | {statistics.median(values) / base:.2f} |")


def copy_step(pattern: str, n: int, steps: int, repeat: int) -> tuple[float, float, float]:
    run = lambda s: training.train_copying(
        pattern, n, width=32, heads=2, config=training.CopyingConfig(steps=s, batch=16, eval_every=10**6, test_batch=1)
    )
    rates = step_rate(run, steps, repeat)
    return (1 / rates[0], 1 / rates[2], 1 / rates[1])  # seconds per step: median, min, max


def copying_kernels(ns=(512, 1024), repeat: int = 5) -> None:
    """Training step with the kernel chosen with gradients vs the plan before CSR vs dense, interleaved (CPU time)."""
    import time

    import torch.nn.functional as F

    from constructions._networks.sparse_attention import MaskedAttention
    from constructions.training._copying import COPY_GATHER_COST
    from constructions.training.copying import SparseCopyTransformer, copy_batch, copy_masks

    variants = {  # the attention of every block: as the model builds it, before CSR, always dense
        "chosen": {},
        "before": {"csr_cost": 1e12, "block_cost": 8.0},  # the previous plan (block cost 8 then)
        "dense": {"csr_cost": 1e12, "block_cost": 1e12, "gradient_gather_cost": 1e12},
    }
    print(
        "\n| n | pattern | kernels with gradients | ms/step | before: kernels | ms/step | dense ms/step "
        "| before / chosen | dense / chosen |\n|---|---|---|---|---|---|---|---|---|"
    )
    for n in ns:
        for pattern in ("strided", "fixed", "sliding_window", "union", "star", "random", "dense"):
            masks = copy_masks(pattern, n)
            models = {}
            for name, costs in variants.items():
                torch.manual_seed(0)
                model = SparseCopyTransformer(8, masks, width=32, heads=2)
                for block, mask in zip(model.blocks, masks):
                    block.attention = MaskedAttention(
                        mask, gather_cost=COPY_GATHER_COST, **{"gradient_gather_cost": COPY_GATHER_COST, **costs}
                    )
                models[name] = (model, torch.optim.Adam(model.parameters(), lr=1e-3))
            kernels = {
                name: " / ".join(dict.fromkeys(cast(MaskedAttention, b.attention).training_strategy for b in m.blocks))
                for name, (m, _) in models.items()
            }
            generator = torch.Generator().manual_seed(0)
            times: dict[str, list[float]] = {name: [] for name in models}
            for rep in range(repeat + 1):
                inputs, targets = copy_batch(16, n, 8, generator)
                for name, (model, optimiser) in models.items():
                    start = time.process_time()
                    optimiser.zero_grad(set_to_none=True)
                    F.cross_entropy(model(inputs).flatten(0, 1), targets.flatten()).backward()
                    optimiser.step()
                    if rep:  # the first step warms up
                        times[name].append(time.process_time() - start)
            ms = {name: statistics.median(t) * 1e3 for name, t in times.items()}
            print(
                f"| {n} | {pattern} | {kernels['chosen']} | {ms['chosen']:.0f} | {kernels['before']} | "
                f"{ms['before']:.0f} | {ms['dense']:.0f} | {ms['before'] / ms['chosen']:.2f}x | "
                f"{ms['dense'] / ms['chosen']:.2f}x |",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--steps", type=int, default=30, help="steps per timed run (default 30)")
    parser.add_argument("--copying", action="store_true", help="only the copying kernels with gradients")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.copying:
        copying_kernels(repeat=max(args.repeat, 5))
        return
    print(f"torch {torch.__version__}, 1 thread, repeat {args.repeat}\n")
    print("| model (quick settings) | steps/s median | spread |\n|---|---|---|")
    for name, run in MODELS.items():
        median, low, high = step_rate(run, args.steps, args.repeat)
        print(f"| {name} | {median:.1f} | {low:.1f} - {high:.1f} |", flush=True)
    overhead(args.repeat)
    print("\n| n | pattern | ms/step median | spread | dense / pattern |\n|---|---|---|---|---|")
    for n in (64, 256, 1024):
        steps = max(2, args.steps // {64: 2, 256: 4, 1024: 10}[n])
        dense = copy_step("dense", n, steps, args.repeat)
        for pattern in ("dense", "strided", "fixed", "union", "star", "sliding_window", "random"):
            t = dense if pattern == "dense" else copy_step(pattern, n, steps, args.repeat)
            print(
                f"| {n} | {pattern} | {1e3 * t[0]:.1f} | {1e3 * t[1]:.1f} - {1e3 * t[2]:.1f} | {dense[0] / t[0]:.2f} |",
                flush=True,
            )


if __name__ == "__main__":
    one_blas_thread()  # every benchmark times on one BLAS (and torch) thread
    main()
