"""Learned vs constructed, explained: fine-tuning the constructed one-layer Transformer over a range
of learning rates, with the first-step loss jump and the sharpness of the constructed minimum,
beside a randomly initialised network trained first (95% intervals over seeds).

Ratios (the jump L_1 / L_0, the largest Hessian eigenvalue) span orders of magnitude, so their
intervals are t intervals of log10 over seeds, shown back on the ratio scale (geometric mean
[low, high]). "The loss rises at the first step" is decided on that interval: above 0 in log10.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from constructions.training import FINETUNE_RATES, ResultsTable, check_rate, check_target, run_finetune
from polyapprox.internal import PolyapproxError

from ._config import ExperimentConfig
from ._stats import SeedInterval, compare, t_interval
from ._training import ExperimentResult, log_axes

#: Most learning rates one sweep accepts.
MAX_RATES = 12
#: Largest learning rate accepted (Adam moves every parameter by about lr at its first step).
MAX_RATE = 10.0

FINETUNE_SETTINGS = {
    True: {"steps": 50, "random_steps": 300, "samples": 256, "iterations": 200, "directions": 8},
    False: {"steps": 300, "random_steps": 2000, "samples": 512, "iterations": 500, "directions": 16},
}
#: The one-layer problem fine-tuned (the init experiment's): tokens, token dimension, degree of the Sumformer.
PROBLEM = {"n": 3, "d": 1, "degree": 4}
#: The random start's training rate (the one-layer runs' default from random weights).
RANDOM_LR = 3e-2


def check_rates(rates: Any) -> list[float]:
    """1 to 12 distinct learning rates, each in (0, 10], in increasing order.

    Parameters
    ----------
    rates : sequence of float
        The learning rates.

    Returns
    -------
    list of float
        The rates, checked and sorted.

    Examples
    --------
    >>> check_rates([1e-3, 1e-5])
    [1e-05, 0.001]
    """
    if isinstance(rates, (str, bytes)) or not isinstance(rates, Sequence) or not rates:
        raise PolyapproxError(f"learning rates must be a non-empty list of numbers > 0; got {rates!r}")
    if len(rates) > MAX_RATES:
        raise PolyapproxError(f"at most {MAX_RATES} learning rates; got {len(rates)}")
    checked = sorted(check_rate(r) for r in rates)
    if checked[-1] > MAX_RATE:
        raise PolyapproxError(f"learning rates must be at most {MAX_RATE:g}; got {checked[-1]:g}")
    if len(set(checked)) != len(checked):
        raise PolyapproxError(f"the learning rates must be distinct; got {checked}")
    return checked


def log_interval(values: Sequence[float]) -> SeedInterval:
    """t interval of log10 of positive per-seed ratios (a geometric mean and its interval, in log10).

    Examples
    --------
    >>> log_interval([10.0, 10.0, 10.0]).format(".1f")
    '1.0 [1.0, 1.0]'
    """
    if not all(v > 0 and math.isfinite(v) for v in values):
        raise PolyapproxError(f"ratios over seeds must be finite and > 0; got {list(values)}")
    return t_interval([math.log10(v) for v in values])


def _ratio(interval: SeedInterval) -> str:
    return f"{10**interval.mean:.5g} [{10**interval.low:.5g}, {10**interval.high:.5g}]"


def fine_tuning(
    config: ExperimentConfig | None = None,
    *,
    target: str = "gaussian-kernel-sum",
    rates: Sequence[float] = FINETUNE_RATES,
) -> ExperimentResult:
    """Fine-tune the constructed one-layer Transformer at every rate and measure the sharpness of its minimum.

    The network is the one of ``init_comparison``: n = 3 tokens, d = 1, built from the least-squares
    Sumformer of degree 4 (:data:`PROBLEM`). Each seed draws its own training sample, hence its own
    constructed network.

    Parameters
    ----------
    config : ExperimentConfig or None, default None
        Quick (50 fine-tuning steps per rate, random start trained 300 steps) or full (300 and
        2,000), seeds, steps (fine-tuning steps per rate), map; a learning rate is refused (this
        experiment sweeps ``rates``).
    target : str, default 'gaussian-kernel-sum'
        The target.
    rates : sequence of float, default (1e-5, 1e-4, 1e-3, 1e-2)
        Adam learning rates.

    Returns
    -------
    ExperimentResult
        Table (one row per start and rate), figure, per-seed records, the sentence of what was found.

    Examples
    --------
    >>> result = fine_tuning(ExperimentConfig(steps=1, seeds=(0, 1)), target="centered", rates=[1e-3])
    >>> result.table.column("start")
    ['constructed', 'random, trained']
    """
    config = ExperimentConfig() if config is None else config
    if config.lr is not None:
        raise PolyapproxError("a learning rate does not apply to fine-tuning: it sweeps the learning rates (rates)")
    n, d, degree = PROBLEM["n"], PROBLEM["d"], PROBLEM["degree"]
    target, label = check_target(target, n, d)
    settings = dict(FINETUNE_SETTINGS[bool(config.quick)])
    if config.steps is not None:
        settings["steps"] = config.steps
    seeds = list(config.seed_list)
    rates = check_rates(rates)
    shared = {key: settings[key] for key in ("steps", "random_steps", "iterations", "directions")}
    items = [
        {
            "target": target,
            "n": n,
            "d": d,
            "degree": degree,
            "rates": tuple(rates),
            "random_lr": RANDOM_LR,
            "samples": settings["samples"],
            "test_samples": settings["samples"],
            "seed": s,
            **shared,
        }
        for s in seeds
    ]
    runs = config.run(run_finetune, items)
    rows, sharp = _rows(runs, rates)
    caption = (
        f"fine-tuning the one-layer Transformer on {label} (n={n}, d={d}, degree {degree}) with Adam, "
        f"{settings['steps']} steps per learning rate; 'random, trained': random weights trained "
        f"{settings['random_steps']} steps at lr {RANDOM_LR:g} first; {len(seeds)} seeds, geometric mean [95% interval]"
    )
    table = ResultsTable(list(rows[0]), rows, caption)
    sharpness = ResultsTable(
        list(sharp[0]), sharp, "sharpness at the start of fine-tuning (largest Hessian eigenvalue)"
    )
    finding = _finding(runs, rates, settings)
    figure = _figure(runs, rates, settings, label)
    return ExperimentResult("fine-tuning", table, figure, runs, [finding], {"sharpness": sharpness})


def _rows(runs: list[dict], rates: list[float]) -> tuple[list[dict], list[dict]]:
    rows = []
    for start, name in (("constructed", "constructed"), ("random", "random, trained")):
        for i, lr in enumerate(rates):
            per_seed = [r[start]["runs"][i] for r in runs]
            jump = log_interval([p["first_step_jump"] for p in per_seed])
            rows.append(
                {
                    "start": name,
                    "lr": lr,
                    "start loss": f"{_geo([r[start]['loss'] for r in runs]):.3g}",
                    "first-step jump L1/L0": _ratio(jump),
                    "first step": {"above": "rises", "below": "falls"}.get(compare(jump, 0.0), "inconclusive"),
                    "predicted jump (2nd order)": _ratio(log_interval([p["predicted_jump"] for p in per_seed])),
                    "final / start": _ratio(log_interval([p["losses"][-1] / p["losses"][0] for p in per_seed])),
                    "peak / start": _ratio(log_interval([max(p["losses"]) / p["losses"][0] for p in per_seed])),
                    "best / start": _ratio(log_interval([p["best"] / p["losses"][0] for p in per_seed])),
                }
            )
    sharp = []
    for start, name in (("constructed", "constructed"), ("random", "random, trained")):
        lam = log_interval([r[start]["lambda_max"] for r in runs])
        sharp.append(
            {
                "start": name,
                "parameters": runs[0][start]["parameters"],
                "training loss": _ratio(log_interval([r[start]["loss"] for r in runs])),
                "largest Hessian eigenvalue": _ratio(lam),
                "eigenvalue / loss": _ratio(log_interval([r[start]["lambda_max"] / r[start]["loss"] for r in runs])),
                "power iterations (max)": max(r[start]["power_iterations"] for r in runs),
            }
        )
    return rows, sharp


def _geo(values: list[float]) -> float:
    return float(10 ** np.mean(np.log10(values)))


def _finding(runs: list[dict], rates: list[float], settings: dict) -> str:
    """The sentence the report states: sharpness, the jumps and their second-order prediction."""
    c, r = (
        {key: _geo([run[start][key] for run in runs]) for key in ("loss", "lambda_max")}
        for start in ("constructed", "random")
    )
    parts = []
    for i, lr in enumerate(rates):
        jump = log_interval([run["constructed"]["runs"][i]["first_step_jump"] for run in runs])
        random_jump = log_interval([run["random"]["runs"][i]["first_step_jump"] for run in runs])
        predicted = _geo([run["constructed"]["runs"][i]["predicted_jump"] for run in runs])
        losses = [run["constructed"]["runs"][i]["losses"] for run in runs]
        peak, end = _geo([max(v) / v[0] for v in losses]), _geo([v[-1] / v[0] for v in losses])
        parts.append(
            f"lr {lr:g}: x{10**jump.mean:.4g} ({_word(jump)}; 2nd-order prediction x{predicted:.4g}; "
            f"peak x{peak:.3g} and end x{end:.3g} of the start within {settings['steps']} steps; "
            f"random start x{10**random_jump.mean:.4g}, {_word(random_jump)})"
        )
    factor = max(
        _geo([run["constructed"]["runs"][i]["predicted_jump"] for run in runs])
        / _geo([run["constructed"]["runs"][i]["first_step_jump"] for run in runs])
        for i in range(len(rates))
    )
    factor = max(factor, 1 / factor)
    return (
        f"found: largest Hessian eigenvalue {c['lambda_max']:.3g} at the constructed weights (training loss "
        f"{c['loss']:.3g}, ratio {c['lambda_max'] / c['loss']:.3g}) against {r['lambda_max']:.3g} for random weights "
        f"trained {settings['random_steps']} steps at lr {RANDOM_LR:g} (loss {r['loss']:.3g}, ratio "
        f"{r['lambda_max'] / r['loss']:.3g}). Adam's first step moves every parameter by about lr; the loss after it "
        "(geometric mean over seeds, rises/falls decided on the 95% interval): "
        + "; ".join(parts)
        + f". The second-order model g.delta + delta^T H delta / 2 of that step predicts the constructed start's jump "
        f"within a factor {factor:.3g} at every rate"
        + (
            ": the jump is the curvature of the constructed minimum against its tiny loss."
            if factor <= 2
            else ", so the curvature alone does not explain it."
        )
    )


def _word(interval: SeedInterval) -> str:
    return {"above": "rises", "below": "falls"}.get(compare(interval, 0.0), "inconclusive")


def _figure(runs: list[dict], rates: list[float], settings: dict, label: str) -> Figure:
    fig = Figure(figsize=(14, 4.4))
    jump_ax, curve_ax, line_ax = fig.subplots(1, 3)
    for start, colour, name in (("constructed", "C0", "constructed"), ("random", "C1", "random, trained")):
        intervals = [log_interval([r[start]["runs"][i]["first_step_jump"] for r in runs]) for i in range(len(rates))]
        means = [10**iv.mean for iv in intervals]
        jump_ax.plot(rates, means, "-o", color=colour, label=f"{name}: measured")
        jump_ax.fill_between(
            rates, [10**iv.low for iv in intervals], [10**iv.high for iv in intervals], color=colour, alpha=0.2
        )
        predicted = [_geo([r[start]["runs"][i]["predicted_jump"] for r in runs]) for i in range(len(rates))]
        jump_ax.plot(rates, predicted, "--", color=colour, label=f"{name}: 2nd-order prediction")
        lengths = [runs[0][start]["runs"][i]["step_length"] for i in range(len(rates))]
        worst = [
            _geo([max(r[start]["runs"][i]["random_directions"]) / r[start]["loss"] for r in runs])
            for i in range(len(rates))
        ]
        line_ax.plot(lengths, worst, "-s", color=colour, label=f"{name}")
    jump_ax.axhline(1.0, color="grey", linewidth=1)
    jump_ax.set_xscale("log")
    log_axes(jump_ax, "Adam's first step: loss after / before", "learning rate", "L1 / L0 (bands: 95% over seeds)")
    jump_ax.legend(fontsize=7)
    for i, lr in enumerate(rates):
        curves = np.array([r["constructed"]["runs"][i]["losses"] for r in runs])
        relative = np.log10(curves / curves[:, :1])
        mean, low, high = relative.mean(0), relative.min(0), relative.max(0)
        steps = np.arange(curves.shape[1])
        curve_ax.plot(steps, 10**mean, color=f"C{i}", label=f"lr {lr:g}")
        curve_ax.fill_between(steps, 10**low, 10**high, color=f"C{i}", alpha=0.2)
    log_axes(
        curve_ax,
        "fine-tuning from the constructed weights",
        "Adam step",
        "loss / constructed loss (band: seeds' range)",
    )
    curve_ax.legend(fontsize=7)
    line_ax.set_xscale("log")
    log_axes(
        line_ax,
        "loss along random directions at one Adam step's length",
        "distance lr * sqrt(P) (lr " + ", ".join(f"{lr:g}" for lr in rates) + ")",
        "worst of the directions / start loss",
    )
    line_ax.legend(fontsize=7)
    fig.suptitle(
        f"Learned vs constructed on {label}: fine-tuning at learning rates {', '.join(f'{lr:g}' for lr in rates)}; "
        f"random start trained {settings['random_steps']} steps at lr {RANDOM_LR:g}",
        fontsize=10,
    )
    fig.tight_layout()
    return fig
