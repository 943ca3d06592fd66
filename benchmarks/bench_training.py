"""Training speed: steps per second per model at the quick settings, and the copying task with sparse
masks vs dense at n = 64 and 256.

Step rate: S steps divided by the run's own loop time (``history.seconds``: the optimisation
steps and the per-step test evaluation the experiments record; sampling, the constructed
reference and the model set-up are outside it). Copying: seconds per training step (batch 16, width 32, 2 heads, 4 layers)
for each mask, ratio dense / pattern in the same run. The masks go through
``F.scaled_dot_product_attention`` as boolean ``attn_mask``: the CPU kernel still computes all
n x n scores, so a mask is not expected to save time; this benchmark measures whether it does.
Every cell: median over REPEAT repetitions, with the spread (min - max). One torch thread.
Run: python benchmarks/bench_training.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics

import torch

from constructions import training


def step_rate(run, steps: int, repeat: int) -> tuple[float, float, float]:
    """(median, min, max) steps per second of ``run(steps)``, timed by the run itself (its training loop,
    the per-step evaluation included; sampling, the constructed reference and the model set-up excluded)."""
    rates = [steps / run(steps).seconds for _ in range(repeat)]
    return statistics.median(rates), min(rates), max(rates)


def _config(steps: int, reference: bool = True) -> training.TrainingConfig:
    return training.TrainingConfig(steps=steps, samples=256, test_samples=256, reference=reference)


MODELS = {
    "MLP Sumformer": lambda s: training.train_sumformer(
        "gaussian-kernel-sum", 3, 1, degree=6, config=_config(s, reference=False)
    ),
    "polynomial Sumformer (psi polynomial)": lambda s: training.train_sumformer(
        "gaussian-kernel-sum", 3, 1, kind="polynomial", degree=6, config=_config(s, reference=False)
    ),
    "polynomial Sumformer (psi MLP)": lambda s: training.train_sumformer(
        "gaussian-kernel-sum", 3, 1, kind="polynomial", psi="mlp", degree=6, config=_config(s, reference=False)
    ),
    **{
        f"one-layer {kind}": (
            lambda s, kind=kind: training.train_one_layer(
                "gaussian-kernel-sum", 3, 1, kind=kind, degree=4, config=_config(s)
            )
        )
        for kind in training.one_layer_kinds()
    },
    "copying (dense, n=16)": lambda s: training.train_copying(
        "dense", 16, steps=s, width=32, heads=2, eval_every=10, test_batch=128
    ),
}


def copy_step(pattern: str, n: int, steps: int, repeat: int) -> tuple[float, float, float]:
    run = lambda s: training.train_copying(
        pattern, n, steps=s, width=32, heads=2, batch=16, eval_every=10**6, test_batch=1
    )
    rates = step_rate(run, steps, repeat)
    return tuple(1 / r for r in (rates[0], rates[2], rates[1]))  # seconds per step: median, min, max


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--steps", type=int, default=30, help="steps per timed run (default 30)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, 1 thread, repeat {args.repeat}\n")
    print("| model (quick settings) | steps/s median | spread |\n|---|---|---|")
    for name, run in MODELS.items():
        median, low, high = step_rate(run, args.steps, args.repeat)
        print(f"| {name} | {median:.1f} | {low:.1f} - {high:.1f} |", flush=True)
    print("\n| n | pattern | ms/step median | spread | dense / pattern |\n|---|---|---|---|---|")
    for n in (64, 256):
        steps = max(3, args.steps // (4 if n == 256 else 2))
        dense = copy_step("dense", n, steps, args.repeat)
        for pattern in ("dense", "strided", "star", "sliding_window", "random"):
            t = dense if pattern == "dense" else copy_step(pattern, n, steps, args.repeat)
            print(
                f"| {n} | {pattern} | {1e3 * t[0]:.1f} | {1e3 * t[1]:.1f} - {1e3 * t[2]:.1f} | {dense[0] / t[0]:.2f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
