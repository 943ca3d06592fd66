"""Continuous Sumformer (issue: continuous): forward pass linear in n; vectorised psi vs per-point sympy;
fitting memory at degree 8, n = 4, d = 2. Ratios are measured in this run.

Fits (issue 17), Gaussian kernel sum, seed 0, each in a fresh process: (n, d, D) = (6, 3, 6) with
the default samples (goal: under 30 s and 1 GB, test error no worse than the previous code) and
(4, 2, 8) with 2 x coefficients / n samples and 200 test sequences (goal: under 300 MB traced).
The previous least-squares code (tagged commit 0e3988d, temporary git worktree) runs the same
fits in the same run, cut off after --previous-timeout seconds. Wall and CPU seconds are both
printed: the machine is shared, so wall time depends on the load.
Run: python benchmarks/bench_continuous.py [--fits-only] [--skip-previous]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import sympy

sys.path.insert(0, str(Path(__file__).parent))
from _common import best_time, one_blas_thread, peak_memory_mb

from constructions import MonomialFeatures, Sumformer, continuous, targets
from polyapprox import (
    count_candidates,
    own_symbols,
    power_sum_indices,
    power_sum_symbol,
)


def forward_scaling() -> None:
    model, _ = continuous.approximate(targets.get("gaussian-kernel-sum"), 3, 2, 4, samples=2000)
    # the same phi (d' = 9) and psi, without the fixed n: a Sumformer runs on any sequence length
    free = Sumformer(model.phi, model.psi, model.latent_dim, 2, 1)
    rng = np.random.default_rng(0)
    times = {}
    for n in (1024, 4096):
        X = rng.uniform(size=(8, n, 2))
        times[n] = best_time(lambda X=X: free(X)) / 8
        print(f"  n = {n:5d}: {times[n] * 1e3:.2f} ms per sequence (d' = {model.latent_dim})")
    print(f"  ratio n=4096 / n=1024: {times[4096] / times[1024]:.2f} (linear: 4, quadratic: 16)")
    return model


def psi_vectorised_vs_sympy(model) -> None:
    rep = model.representation
    symbols = own_symbols(rep.d) + [power_sum_symbol(a) for a in rep.indices]
    Psi = rep.Psi[0, 0]
    X = np.random.default_rng(1).uniform(size=(200, 3, 2))
    y = X.reshape(-1, 2)
    s = np.repeat(MonomialFeatures(rep.indices).sums(X), 3, axis=0)

    def per_point():
        return [
            float(Psi.xreplace(dict(zip(symbols, map(sympy.Float, np.concatenate([yi, si])))))) for yi, si in zip(y, s)
        ]

    t_vec = best_time(lambda: model.psi(y, s), repeat=5)
    t_sym = best_time(per_point, repeat=1)
    np.testing.assert_allclose(model.psi(y, s)[:, 0], per_point(), rtol=1e-9)
    print(
        f"  psi on {len(y)} tokens: vectorised {t_vec * 1e3:.2f} ms, per-point sympy {t_sym * 1e3:.0f} ms, "
        f"ratio {t_sym / t_vec:.0f}x"
    )


def fitting_memory() -> None:
    n, d, degree = 4, 2, 8
    count = count_candidates(d, power_sum_indices(n, d), degree)
    samples = 2 * count // n + 1
    peak = peak_memory_mb(
        lambda: continuous.approximate(
            targets.get("gaussian-kernel-sum"),
            n,
            d,
            degree,
            samples=samples,
            config=continuous.FitConfig(test_samples=200),
        )
    )
    print(
        f"  fit n={n}, d={d}, degree {degree}: {count} coefficients, {samples} x {n} rows, "
        f"design matrix {samples * n * count * 8 / 1e6:.0f} MB, peak traced memory {peak:.0f} MB"
    )


PREVIOUS = "0e3988d"
ROOT = Path(__file__).resolve().parent.parent


def _fit_child(args: list[str], pythonpath: str | None, timeout: float) -> dict:
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    cmd = [sys.executable, str(Path(__file__).parent / "_fit_child.py"), *args]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"timeout": timeout}
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        return {"error": (done.stderr.strip().splitlines() or ["?"])[-1][:200]}
    return lines[-1]


def fits(skip_previous: bool, previous_timeout: float) -> bool:
    count = count_candidates(2, power_sum_indices(4, 2), 8)
    cases = [  # (label, child args, wall goal s, memory goal MB, which memory)
        ("(6,3,6) defaults", ["6", "3", "6", "default", "default"], 30.0, 1024.0, "rss_peak_mb"),
        (
            "(4,2,8) 2c/n samples",
            ["4", "2", "8", str(2 * count // 4 + 1), "200", "--trace"],
            None,
            300.0,
            "traced_peak_mb",
        ),
    ]
    tmp = Path(tempfile.mkdtemp(prefix="bench-fit-"))
    old_tree = tmp / "previous"
    if not skip_previous:
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(old_tree), PREVIOUS],
            check=True,
            capture_output=True,
        )
    ok = True
    print(
        f"{'case':>22} {'tree':>9} {'coef.':>6} {'rank':>5} {'cond.':>8} {'wall s':>7} {'CPU s':>7} "
        f"{'RSS MB':>7} {'traced MB':>9} {'test sup':>9} {'fit sup':>9}  goal"
    )
    try:
        for label, args, wall_goal, memory_goal, memory_key in cases:
            runs = [("current", _fit_child(args, None, 1800))]
            if not skip_previous:
                runs.append((PREVIOUS, _fit_child(args, str(old_tree), previous_timeout)))
            for tree, r in runs:
                if "seconds" not in r:
                    print(f"{label:>22} {tree:>9}  {r}")
                    continue
                traced = "-" if r["traced_peak_mb"] is None else f"{r['traced_peak_mb']:.0f}"
                goal = ""
                if tree == "current":
                    met = r[memory_key] <= memory_goal and (wall_goal is None or r["seconds"] <= wall_goal)
                    if len(runs) > 1 and "test_sup" in runs[1][1]:
                        met = met and r["test_sup"] <= runs[1][1]["test_sup"] * 1.001
                    goal = (
                        ("met" if met else "MISSED")
                        + (f" (< {wall_goal:g} s" if wall_goal else " (")
                        + f", < {memory_goal:g} MB {memory_key.split('_')[0]}, error <= previous)"
                    )
                    ok = ok and met
                print(
                    f"{label:>22} {tree:>9} {r['coefficients']:>6} {r['rank']:>5} {r['condition']:>8.1e} "
                    f"{r['seconds']:>7.1f} {r['cpu_seconds']:>7.1f} {r['rss_peak_mb']:>7.0f} {traced:>9} "
                    f"{r['test_sup']:>9.2e} {r['fit_sup']:>9.2e}  {goal}",
                    flush=True,
                )
    finally:
        if not skip_previous:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old_tree)], capture_output=True
            )
    return ok


if __name__ == "__main__":
    one_blas_thread()  # every benchmark times on one BLAS (and torch) thread
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fits-only", action="store_true")
    parser.add_argument("--skip-previous", action="store_true")
    parser.add_argument("--previous-timeout", type=float, default=600.0)
    args = parser.parse_args()
    if not args.fits_only:
        print("forward pass, fixed d':")
        model = forward_scaling()
        print("psi evaluation:")
        psi_vectorised_vs_sympy(model)
        print("fitting memory:")
        fitting_memory()
    print("least-squares fits, current tree vs previous:")
    sys.exit(0 if fits(args.skip_previous, args.previous_timeout) else 1)
