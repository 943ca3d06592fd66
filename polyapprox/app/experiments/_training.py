"""The five training experiments, each returning a results table, a figure and notes.

- :func:`sumformer_curves`: learning curves of the three Sumformer variants of
  :data:`SUMFORMER_MODELS` (Alberti et al. 2023 report that the polynomial Sumformer trains
  better at first and the MLP one catches up);
- :func:`latent_sweep`: MLP Sumformers with d' below, at and above C(n+d,d) - 1 and 2nd + 1,
  beside the constructed least-squares Sumformers (d' = C(n+d,d) - 1 and C(n-1+d,d) - 1);
- :func:`init_comparison`: one-layer Transformer, Linformer, Performer from the constructed
  weights vs from random weights;
- :func:`sparse_copying`: the copying task with dense, STAR, STRIDED, FIXED, sliding-window,
  RANDOM and UNION masks, beside the dense baseline and Yun et al. 2020's qualitative findings;
- :func:`sparsity_sweep`: the copying task's accuracy against the number of connections per
  layer, for every pattern family at several sparsity levels.

Every variant runs once per seed of the :class:`ExperimentConfig`; a row reports the mean and
the 95% Student-t interval over seeds, every verdict is decided on an interval ("inconclusive"
when it allows both answers), and figures draw the mean with the interval as a band. Runs go
through the config's ``map`` (``map(fn, items)``, default: in this process), so a caller can pass
a process pool or Dask client; ``fn`` is module-level and items are plain dicts carrying their
seed, so every run is bitwise the same under every executor.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from constructions.training import (
    LEVELS,
    PATTERNS,
    ResultsTable,
    assumption_table,
    check_level,
    check_target,
    constructed_references,
    one_layer_kinds,
    run_copying,
    run_one_layer,
    run_sumformer,
)
from polyapprox import latent_dimension
from polyapprox.internal import PolyapproxError, SizeError, check_choice, check_int

from ._config import ExperimentConfig
from ._stats import SeedInterval, compare, paper_verdict, t_interval


@dataclass(frozen=True)
class ExperimentResult:
    """What an experiment returns: the results table, the figure, every run's record, and notes.

    Parameters
    ----------
    name : str
        The experiment's name.
    table : ResultsTable
        The results table (interval cells are :class:`SeedInterval`: mean [low, high]).
    figure : matplotlib.figure.Figure
        The figure.
    runs : list of dict
        Every run's record.
    notes : list of str, optional
        Each sets a result beside the paper and says "agrees", "differs" or "inconclusive".
    extra : dict, optional
        Further numbers of the experiment.

    Examples
    --------
    >>> result = sparse_copying(ExperimentConfig(steps=2), patterns=("dense", "star"))
    >>> result.name, len(result.runs), result.figure is not None
    ('sparse-copying', 6, True)
    """

    name: str
    table: ResultsTable
    figure: Figure
    runs: list[dict] = field(repr=False)
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def __iter__(self):
        return iter((self.table, self.figure))

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "table": _plain(self.table.to_dict()),
            "notes": list(self.notes),
            "extra": {k: _plain(v.to_dict()) if hasattr(v, "to_dict") else v for k, v in self.extra.items()},
            "runs": self.runs,
        }


def _plain(value: Any) -> Any:
    """``value`` with every :class:`SeedInterval` replaced by its dict (for JSON records)."""
    if isinstance(value, SeedInterval):
        return value.to_dict()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _config(config: ExperimentConfig | None) -> ExperimentConfig:
    if config is None:
        return ExperimentConfig()
    if not isinstance(config, ExperimentConfig):
        raise PolyapproxError(f"config must be an ExperimentConfig; got {type(config).__name__}")
    return config


def _steps(config: ExperimentConfig, quick_steps: int, full_steps: int) -> int:
    return (quick_steps if config.quick else full_steps) if config.steps is None else config.steps


def _rate(config: ExperimentConfig) -> dict[str, float]:
    """{"lr": lr} when the caller set a learning rate, else {} (the model's default)."""
    return {} if config.lr is None else {"lr": float(config.lr)}


def _log_ratios(numerators: Sequence[float], denominators: Sequence[float], base: float = 10.0) -> SeedInterval:
    """The interval of log_base(numerator / denominator), paired by seed."""
    return t_interval([math.log(a / b, base) for a, b in zip(numerators, denominators)])


def _word(side: str, above: str, below: str) -> str:
    """``above``, ``below`` or "inconclusive" for a :func:`compare` result."""
    return {"above": above, "below": below}.get(side, "inconclusive")


def _verdict(verdict: str, statement: str) -> str:
    """``statement`` is the paper's finding with this run's numbers; prefix the interval's verdict."""
    prefix = {"agrees": "agrees with the paper", "differs": "differs from the paper"}.get(
        verdict, "inconclusive (the 95% interval allows both)"
    )
    return f"{prefix}: {statement}"


def _band(ax, steps: Sequence[float], curves: Sequence[Sequence[float]], colour: str, label: str, floor: float) -> None:
    """The geometric mean over seeds per step, with the 95% t-interval of log10 values as a band.

    For the log-scale panels: values below ``floor`` count as ``floor`` (a raw-value interval of
    positive errors that span decades reaches below 0 and says nothing on a log axis).
    """
    values = np.log10(np.maximum(np.asarray(curves, dtype=float), floor))
    intervals = [t_interval(values[:, j].tolist()) for j in range(values.shape[1])]
    mean = 10.0 ** np.array([iv.mean for iv in intervals])
    low, high = 10.0 ** np.array([iv.low for iv in intervals]), 10.0 ** np.array([iv.high for iv in intervals])
    ax.plot(steps, mean, color=colour, label=label, linewidth=1.4)
    ax.fill_between(steps, low, high, color=colour, alpha=0.2, linewidth=0)


def _seeds_text(config: ExperimentConfig) -> str:
    seeds = config.seed_list
    return f"{len(seeds)} seeds ({', '.join(map(str, seeds))})"


BAND = "lines: geometric mean over seeds; bands: 95% t-interval of log10 values over seeds"


# ---------------------------------------------------------------------------------------------
# 1. the Sumformer variants' learning curves


#: The Sumformer variants, one label each (used in tables, figures and notes): label -> (kind, psi).
#: "polynomial phi + MLP psi" is the polynomial Sumformer of Alberti et al. 2023.
SUMFORMER_MODELS: dict[str, tuple[str, str]] = {
    "polynomial phi + polynomial psi": ("polynomial", "polynomial"),
    "polynomial phi + MLP psi": ("polynomial", "mlp"),
    "MLP phi + MLP psi": ("mlp", "mlp"),
}
_PAPER_POLY, _MLP = "polynomial phi + MLP psi", "MLP phi + MLP psi"


def sumformer_curves(
    config: ExperimentConfig | None = None,
    *,
    target: Any = "gaussian-kernel-sum",
    n: int = 3,
    d: int = 1,
    degree: int = 6,
) -> ExperimentResult:
    """Record learning curves of the Sumformer variants of :data:`SUMFORMER_MODELS` over seeds.

    Parameters
    ----------
    config : ExperimentConfig or None, default None
        Quick or full, seeds, steps (default 150 quick, 1,500 full), learning rate, map.
    target : str, Target or callable, default 'gaussian-kernel-sum'
        The target.
    n : int, default 3
        Number of tokens n.
    d : int, default 1
        Token dimension d.
    degree : int, default 6
        Degree of the polynomial Sumformers and the reference.

    Returns
    -------
    ExperimentResult
        Table (mean and 95% interval over seeds per variant), figure, runs and notes.

    Examples
    --------
    >>> result = sumformer_curves(ExperimentConfig(steps=2, seeds=(0, 1)), target="centered", n=2, degree=1)
    >>> result.name, len(result.runs), result.table.column("model")[:3] == list(SUMFORMER_MODELS)
    ('sumformer-curves', 6, True)
    """
    config = _config(config)
    target, label = check_target(target, n, d)
    steps, seeds = _steps(config, 150, 1500), config.seed_list
    variants = [{"kind": kind, "psi": psi, "degree": degree} for kind, psi in SUMFORMER_MODELS.values()]
    items = _run_items(target, n, d, steps, 256 if config.quick else 512, config, variants)
    for item in items:  # the constructed reference is fitted once, with the first seed
        item["reference"] = item["seed"] == seeds[0] and item["kind"] == "polynomial" and item["psi"] == "polynomial"
    runs = config.run(run_sumformer, items)
    for item, run in zip(items, runs):
        run["label"] = next(k for k, v in SUMFORMER_MODELS.items() if v == (item["kind"], item["psi"]))
    reference = next(r["reference"] for r in runs if r.get("reference"))
    early = _early_step(steps)
    groups = {name: [r for r in runs if r["label"] == name] for name in SUMFORMER_MODELS}
    rows = _sumformer_rows(groups, reference, early, degree)
    lrs = ", ".join(f"{name} {groups[name][0]['settings']['lr']:g}" for name in groups)
    table = ResultsTable(
        ["model", "parameters", "seeds", f"test MSE @ {early}", "final test MSE", "final test max"],
        rows,
        f"Sumformers on {label}, n={n}, d={d}, {steps} steps x {_seeds_text(config)}; Adam lr: {lrs}; "
        "cells: mean [95% t-interval] over seeds",
    )
    notes = _sumformer_notes(groups, reference, early)
    figure = _curves_figure(groups, reference, label, n, d, lrs)
    return ExperimentResult("sumformer-curves", table, figure, runs, notes)


#: Points per learning curve: runs evaluate every ``steps // CURVE_POINTS``-th step (at least every step).
CURVE_POINTS = 50


def _eval_every(steps: int) -> int:
    """The evaluation interval of a curve of ``steps`` steps: about CURVE_POINTS points (every step below).

    >>> _eval_every(150), _eval_every(1500), _eval_every(60)
    (3, 30, 1)
    """
    return max(1, steps // CURVE_POINTS)


def _early_step(steps: int) -> int:
    """The evaluated step nearest a tenth of the run (at least the first evaluated one).

    >>> _early_step(150), _early_step(1500), _early_step(60), _early_step(2)
    (15, 150, 6, 1)
    """
    every = _eval_every(steps)
    return every * max(1, round(steps / 10 / every))


def _at_step(run: dict, key: str, step: int) -> float:
    """The run's record ``key`` (``"test_mse"``...) after ``step`` updates (an evaluated step)."""
    return run[key][run["steps"].index(step)]


def _run_items(target: Any, n: int, d: int, steps: int, samples: int, config: ExperimentConfig, variants: list[dict]):
    """One run per (variant, seed): the experiment's shared settings, then the variant's own keys."""
    shared = {"target": target, "n": n, "d": d, "steps": steps, "samples": samples, "test_samples": samples}
    shared["eval_every"] = _eval_every(steps)
    return [{**shared, **variant, "seed": s, **_rate(config)} for variant in variants for s in config.seed_list]


def _sumformer_rows(groups: dict[str, list[dict]], reference: dict, early: int, degree: int) -> list[dict]:
    """One row per variant (mean and interval over seeds), then the constructed least-squares Sumformer."""
    rows: list[dict] = [
        {
            "model": name,
            "parameters": group[0]["parameters"],
            "seeds": len(group),
            f"test MSE @ {early}": t_interval([_at_step(r, "test_mse", early) for r in group]),
            "final test MSE": t_interval([r["test_mse"][-1] for r in group]),
            "final test max": t_interval([r["test_max"][-1] for r in group]),
        }
        for name, group in groups.items()
    ]
    rows.append(
        {
            "model": f"constructed least squares (d'={reference['latent_dim']}, D={degree})",
            "parameters": reference["coefficients"],
            "seeds": 1,
            "final test MSE": reference["test_mse"],
            "final test max": reference["test_max"],
        }
    )
    return rows


def _sumformer_notes(groups: dict[str, list[dict]], reference: dict, early: int) -> list[str]:
    """The paper's two findings checked on paired per-seed ratios (the same seed, the same samples)."""
    mlp = groups[_MLP]
    notes = []
    for name in (_PAPER_POLY, "polynomial phi + polynomial psi"):
        ratio = _log_ratios(
            [_at_step(r, "test_mse", early) for r in mlp], [_at_step(r, "test_mse", early) for r in groups[name]]
        )
        notes.append(
            _verdict(
                paper_verdict(ratio, 0.0, paper_above=True),
                f"{name} trains better at first than {_MLP}: log10({_MLP} / {name}) test MSE at step {early} "
                f"is {ratio.format()} (paper: > 0)",
            )
        )
    catch = _log_ratios([r["test_mse"][-1] for r in mlp], [r["test_mse"][-1] for r in groups[_PAPER_POLY]], 2.0)
    notes.append(
        _verdict(
            paper_verdict(catch, 1.0, paper_above=False),
            f"{_MLP} catches up with {_PAPER_POLY}: log2 of their final test MSE ratio is {catch.format()} "
            "(catching up: below 1, within a factor 2)",
        )
    )
    sides = {
        name: compare(t_interval([r["test_mse"][-1] for r in g]), reference["test_mse"]) for name, g in groups.items()
    }
    notes.append(
        f"constructed least-squares Sumformer (test MSE {reference['test_mse']:.3g}) vs learned final test MSE: "
        + "; ".join(f"{name} {_word(side, 'worse', 'better')}" for name, side in sides.items())
    )
    return notes


def _curves_figure(groups: dict[str, list[dict]], reference: dict, target: str, n: int, d: int, lrs: str) -> Figure:
    fig = Figure(figsize=(11, 4.4))
    axes = fig.subplots(1, 2)
    for ax, key, what in zip(axes, ("test_mse", "test_max"), ("test mean-square error", "test max error")):
        floor = reference[key] / 10 if reference[key] > 0 else 1e-12
        for i, (name, group) in enumerate(groups.items()):
            _band(ax, group[0]["steps"], [r[key] for r in group], f"C{i}", name, floor)
        ax.axhline(
            reference[key],
            color="k",
            linestyle="--",
            linewidth=1,
            label=f"constructed least squares (d'={reference['latent_dim']})",
        )
        log_axes(ax, what, "training step", what)
    axes[0].legend(fontsize=8)
    seeds = len(next(iter(groups.values())))
    fig.suptitle(f"Sumformer variants on {target} (n={n}, d={d}), {seeds} seeds\nAdam lr: {lrs}\n{BAND}", fontsize=10)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------
# 2. latent-dimension sweep


def latent_sweep(
    config: ExperimentConfig | None = None,
    *,
    target: Any = "gaussian-kernel-sum",
    n: int = 3,
    d: int = 2,
    degree: int = 4,
) -> ExperimentResult:
    """Measure the final errors of MLP Sumformers against d' (below, at and above C(n+d,d)-1 and 2nd+1).

    Parameters
    ----------
    config : ExperimentConfig or None, default None
        Quick or full, seeds, steps (default 150 quick, 1,000 full), learning rate, map.
    target : str, Target or callable, default 'gaussian-kernel-sum'
        The target.
    n : int, default 3
        Number of tokens n.
    d : int, default 2
        Token dimension d.
    degree : int, default 4
        Degree of the constructed references.

    Returns
    -------
    ExperimentResult
        Table, figure, runs and notes.

    Examples
    --------
    >>> result = latent_sweep(ExperimentConfig(steps=2, seeds=(0, 1)), target="centered", n=2, d=1, degree=1)
    >>> result.table.column("d'")
    [1, 2, 5]
    """
    config = _config(config)
    target, label = check_target(target, n, d)
    steps = _steps(config, 150, 1000)
    full, refined, injective = latent_dimension(n, d), latent_dimension(n, d, "continuous-refined"), 2 * n * d + 1
    dims = sorted({1, refined, full, injective} if config.quick else {1, 2, refined, full, injective, 2 * injective})
    samples = 256 if config.quick else 512
    variants = [{"kind": "mlp", "latent_dim": dp, "reference": False} for dp in dims]
    runs = config.run(run_sumformer, _run_items(target, n, d, steps, samples, config, variants))
    refs = constructed_references(target, n, d, degree, samples, config.seed_list[0])
    marks = ((refined, "C(n-1+d,d)-1"), (full, "C(n+d,d)-1"), (injective, "2nd+1"))
    groups = {dp: [r for r in runs if r["settings"]["latent_dim"] == dp] for dp in dims}
    rows = [_latent_row(dp, groups[dp], refs, marks) for dp in dims]
    lr = runs[0]["settings"]["lr"]
    table = ResultsTable(
        list(rows[0]),
        rows,
        f"MLP phi + MLP psi Sumformer vs d' on {label}, n={n}, d={d}, {steps} steps x {_seeds_text(config)}, "
        f"Adam lr {lr:g}; cells: mean [95% t-interval] over seeds",
    )
    notes = _latent_notes(groups, refs, full)
    fig = _latent_figure(groups, refs, label, n, d, (refined, full, injective), lr)
    return ExperimentResult("latent-sweep", table, fig, runs, notes, {"constructed": refs})


def _latent_row(dp: int, group: list[dict], refs: dict[int, dict], marks: tuple[tuple[int, str], ...]) -> dict:
    """The learned errors at latent dimension d' (intervals over seeds) beside the constructed one there."""
    return {
        "d'": dp,
        "marks": ", ".join(name for value, name in marks if value == dp),
        "learned final test MSE": t_interval([r["test_mse"][-1] for r in group]),
        "learned best test MSE": t_interval([min(r["test_mse"]) for r in group]),
        "learned final test max": t_interval([r["test_max"][-1] for r in group]),
        "constructed test MSE": refs.get(dp, {}).get("test_mse"),
        "constructed test max": refs.get(dp, {}).get("test_max"),
    }


def _latent_notes(groups: dict[int, list[dict]], refs: dict, full: int) -> list[str]:
    """Where the learned error stops improving, decided per d' on paired ratios to the best d'."""
    final = {dp: [r["test_mse"][-1] for r in g] for dp, g in groups.items()}
    best = min(final, key=lambda dp: float(np.mean(final[dp])))
    within = {dp: compare(_log_ratios(final[dp], final[best], 2.0), 1.0) for dp in final if dp != best}
    gap = t_interval([v / refs[full]["test_mse"] for v in final[best]])
    return [
        f"best mean learned test MSE at d' = {best}; against it (log2 ratio paired by seed vs 1, within a factor 2): "
        + "; ".join(f"d' = {dp} {_word(side, 'worse by more than 2x', 'within 2x')}" for dp, side in within.items()),
        f"learned test MSE at d' = {best} is {gap.format()} x the constructed one at d' = {full}",
    ]


def _latent_figure(groups: dict[int, list[dict]], refs, target, n, d, marks, lr) -> Figure:
    fig = Figure(figsize=(7.5, 4.8))
    ax = fig.subplots()
    dims = list(groups)
    for pick, style, what in (
        (lambda r: r["test_mse"][-1], "-o", "final"),
        (lambda r: min(r["test_mse"]), ":o", "best over the run"),
    ):
        intervals = [t_interval([math.log10(pick(r)) for r in groups[dp]]) for dp in dims]
        mean = np.array([10.0**iv.mean for iv in intervals])
        low = mean - np.array([10.0**iv.low for iv in intervals])
        high = np.array([10.0**iv.high for iv in intervals]) - mean
        ax.errorbar(dims, mean, yerr=[low, high], fmt=style, capsize=3, label=f"MLP phi + MLP psi, {what}")
    ax.plot(list(refs), [r["test_mse"] for r in refs.values()], "ks", markersize=8, label="constructed least squares")
    for value, label, style in zip(marks, ("C(n-1+d,d)-1", "C(n+d,d)-1", "2nd+1"), (":", "--", "-.")):
        ax.axvline(value, color="grey", linestyle=style, linewidth=1, label=f"{label} = {value}")
    log_axes(
        ax,
        f"Test MSE vs latent dimension d' ({target}, n={n}, d={d}), Adam lr {lr:g}\n"
        "points: geometric mean over seeds; bars: 95% t-interval of log10 values",
        "latent dimension d'",
        "test mean-square error",
    )
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------
# 3. constructed vs random initialisation of the one-layer networks


def _init_row(kind: str, init: str, group: list[dict]) -> dict:
    """One row of the init comparison: a kind and a start, with intervals over its seeds."""
    return {
        "network": kind,
        "init": init,
        "parameters": group[0]["parameters"],
        "lr": group[0]["settings"]["lr"],
        "start test MSE": t_interval([r["test_mse"][0] for r in group]),
        "final test MSE": t_interval([r["test_mse"][-1] for r in group]),
        "best test MSE": t_interval([min(r["test_mse"]) for r in group]),
        "final test max": t_interval([r["test_max"][-1] for r in group]),
        "constructed test MSE": t_interval([r["reference"]["test_mse"] for r in group]),
    }


def init_comparison(
    config: ExperimentConfig | None = None,
    *,
    target: Any = "gaussian-kernel-sum",
    n: int = 3,
    d: int = 1,
    degree: int = 4,
) -> ExperimentResult:
    """Compare the one-layer network of every registered attention kind fine-tuned from the constructed weights and from random ones.

    Parameters
    ----------
    config : ExperimentConfig or None, default None
        Quick or full, seeds, steps (default 60 quick, 500 full), learning rate (default: 1e-5
        from the constructed weights, 0.03 from random ones), map.
    target : str, Target or callable, default 'gaussian-kernel-sum'
        The target.
    n : int, default 3
        Number of tokens n.
    d : int, default 1
        Token dimension d.
    degree : int, default 4
        Degree of the constructed Sumformer the networks are built from.

    Returns
    -------
    ExperimentResult
        Table, figure, runs and notes.

    Examples
    --------
    >>> result = init_comparison(ExperimentConfig(steps=2, seeds=(0, 1)), target="centered", n=2, degree=1)
    >>> result.table.column("network")
    ['linformer', 'linformer', 'masked-transformer', 'masked-transformer', 'performer', 'performer', 'transformer', 'transformer']
    """
    config = _config(config)
    target, label = check_target(target, n, d)
    steps = _steps(config, 60, 500)
    variants = [
        {"kind": kind, "init": init, "degree": degree}
        for kind in one_layer_kinds()
        for init in ("constructed", "random")
    ]
    items = _run_items(target, n, d, steps, 256 if config.quick else 512, config, variants)
    runs = config.run(run_one_layer, items)
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in runs:
        groups.setdefault((r["settings"]["kind"], r["settings"]["init"]), []).append(r)
    rows = [_init_row(kind, init, group) for (kind, init), group in groups.items()]
    lrs = _init_rates(runs)
    table = ResultsTable(
        list(rows[0]),
        rows,
        f"one attention layer on {label}, n={n}, d={d}, {steps} steps x {_seeds_text(config)}; Adam lr {lrs}; "
        "cells: mean [95% t-interval] over seeds",
    )
    rates = {r["settings"]["init"]: r["settings"]["lr"] for r in runs}
    moved = max(
        abs(r["test_mse"][-1] - r["test_mse"][0]) / r["test_mse"][0]
        for r in runs
        if r["settings"]["init"] == "constructed"
    )
    start_gap = max(
        abs(r["test_mse"][0] - r["reference"]["test_mse"]) for r in runs if r["settings"]["init"] == "constructed"
    )
    lower = {
        kind: compare(
            _log_ratios(
                [r["test_mse"][-1] for r in groups[kind, "random"]],
                [r["test_mse"][-1] for r in groups[kind, "constructed"]],
            ),
            0.0,
        )
        for kind in dict.fromkeys(k for k, _ in groups)
    }
    notes = [
        f"fine-tuning starts at the constructed error (largest gap over seeds {start_gap:.2g})",
        "final test MSE from constructed vs from random weights (log10 ratio paired by seed vs 0): "
        + "; ".join(f"{kind} {_word(side, 'constructed lower', 'random lower')}" for kind, side in lower.items()),
        f"fine-tuning from the constructed weights (lr {rates['constructed']:g}) moves the test MSE by at most "
        f"{moved:.2g} of its start (largest over networks and seeds): the constructed psi is already the least-squares "
        f"optimum on the training sample; from random weights (lr {rates['random']:g}) no network gets near it "
        "in this budget",
    ]
    extra = {"start_gap": start_gap, "constructed_lower": lower}
    return ExperimentResult("init", table, _init_figure(groups, label, n, d, lrs), runs, notes, extra)


def _init_rates(runs: list[dict]) -> str:
    """The learning rates by start, e.g. "1e-05 from constructed weights, 0.03 from random weights"."""
    rates = {r["settings"]["init"]: r["settings"]["lr"] for r in runs}
    return ", ".join(f"{rate:g} from {init} weights" for init, rate in rates.items())


def _init_figure(groups: dict[tuple[str, str], list[dict]], target, n, d, lrs: str) -> Figure:
    kinds = ("transformer", "linformer", "performer")
    fig = Figure(figsize=(13, 4.4))
    axes = fig.subplots(1, len(kinds), sharey=True)
    reference = next(iter(groups.values()))[0]["reference"]["test_mse"]
    for ax, kind in zip(axes, kinds):
        for colour, init in (("C0", "constructed"), ("C1", "random")):
            group = groups.get((kind, init), [])
            if group:
                lr = group[0]["settings"]["lr"]
                _band(
                    ax,
                    group[0]["steps"],
                    [r["test_mse"] for r in group],
                    colour,
                    f"from {init} weights (lr {lr:g})",
                    reference / 100,
                )
        ax.axhline(
            reference,
            color="grey",
            linestyle="--",
            linewidth=2.5,
            alpha=0.6,
            zorder=0,
            label="constructed (least squares)",
        )
        log_axes(ax, kind, "training step", "test mean-square error")
    axes[0].legend(fontsize=8)
    seeds = len(next(iter(groups.values())))
    fig.suptitle(
        f"One attention layer on {target} (n={n}, d={d}): constructed vs random initialisation, {seeds} seeds\n"
        f"Adam lr {lrs}\n{BAND}",
        fontsize=10,
    )
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------
# 4. sparse patterns on the copying task


#: Yun et al. 2020, copying with four sparse layers: every pattern but STAR and RANDOM learns it.
PAPER_LEARNS = {
    "dense": True,
    "star": False,
    "strided": True,
    "fixed": True,
    "sliding_window": None,
    "random": False,
    "union": True,
}
#: A pattern learns copying when its final token accuracy's interval lies above this.
LEARNS = 0.9
#: The copying model and optimiser (the dense baseline reaches token accuracy 1.0 by step 60 on seeds 0-4).
COPY_MODEL = {"quick": {"width": 32, "heads": 2}, "full": {"width": 64, "heads": 4}}
COPY_LR, COPY_LAYERS, COPY_BATCH = 3e-3, 4, 32


def _copy_items(config: ExperimentConfig, n: int, steps: int, cells: list[tuple[str, int | None]]) -> list[dict]:
    size = COPY_MODEL["quick" if config.quick else "full"]
    rate = _rate(config) or {"lr": COPY_LR}
    return [
        {
            "pattern": p,
            "n": n,
            "steps": steps,
            "seed": s,
            "eval_every": max(1, steps // 15),
            "test_batch": 128 if config.quick else 512,
            "layers": COPY_LAYERS,
            "batch": COPY_BATCH,
            **({} if LEVELS[p] is None else {"level": check_level(p, n, level)}),
            **size,
            **rate,
        }
        for p, level in cells
        for s in config.seed_list
    ]


def _copy_model(config: ExperimentConfig) -> str:
    """The copying set-up in one line: model, positions, optimiser."""
    size = COPY_MODEL["quick" if config.quick else "full"]
    lr = COPY_LR if config.lr is None else config.lr
    return (
        f"{COPY_LAYERS} pre-LayerNorm blocks, width {size['width']}, {size['heads']} heads, "
        f"fixed sinusoidal positional encoding, Adam lr {lr:g}, batch {COPY_BATCH}"
    )


def _copy_setup(config: ExperimentConfig, n: int, steps: int) -> str:
    return f"copying, n={n}: {_copy_model(config)}, {steps} steps x {_seeds_text(config)}"


def _check_length(n: int | None, quick: bool) -> int:
    n = (16 if quick else 32) if n is None else check_int("n", n, minimum=4)
    if n % 2 or n > 256:
        raise PolyapproxError(f"the copying experiments take an even n from 4 to 256; got {n}")
    return n


def sparse_copying(
    config: ExperimentConfig | None = None,
    *,
    n: int | None = None,
    patterns: tuple[str, ...] | None = None,
) -> ExperimentResult:
    """Measure accuracy vs steps per pattern on the copying task, beside the dense baseline and the paper.

    Parameters
    ----------
    config : ExperimentConfig or None, default None
        Quick or full, seeds, steps (default 150 quick, 400 full), learning rate (default 0.003), map.
    n : int or None, default None
        Sequence length; default 16 quick, 32 full.
    patterns : tuple of str or None, default None
        Patterns to compare; default all of ``PATTERNS``.

    Returns
    -------
    ExperimentResult
        Table (ranked; the set-up in its title), figure, runs and notes.

    Examples
    --------
    >>> sorted(sparse_copying(ExperimentConfig(steps=2, seeds=(0, 1))).table.column("pattern"))
    ['dense', 'fixed', 'random', 'sliding_window', 'star', 'strided', 'union']
    """
    config = _config(config)
    steps, n = _steps(config, 150, 400), _check_length(n, config.quick)
    chosen = PATTERNS if patterns is None else tuple(check_choice("pattern", p, PATTERNS) for p in patterns)
    if not chosen:
        raise PolyapproxError("patterns must name at least one pattern")
    chosen = tuple(dict.fromkeys(chosen))
    runs = config.run(run_copying, _copy_items(config, n, steps, [(p, None) for p in chosen]))
    assumption = assumption_table(n, seed=config.seed_list[0])
    by_pattern = {r["pattern"]: r for r in assumption.rows}
    groups = {p: [r for r in runs if r["pattern"] == p] for p in chosen}
    rows = [_copy_row(p, groups[p], by_pattern[p], groups.get("dense")) for p in chosen]
    ranked = sorted(rows, key=lambda r: (-r["final accuracy"].mean, r["steps to 90%"] or math.inf))
    for rank, row in enumerate(ranked, 1):
        row["rank"] = rank
    columns = ["rank", "pattern", "connections per layer", "assumption 1", "s", "final accuracy"]
    columns += ["final sequence accuracy", "steps to 90%", "vs dense", "learns", "paper: learns", "agrees"]
    title = f"{_copy_setup(config, n, steps)}; cells: mean [95% t-interval] over seeds; learns: interval above {LEARNS}"
    extra = {
        "assumption": assumption,
        "dense_min": min(r["accuracy"][-1] for r in groups["dense"]) if "dense" in groups else None,
    }
    notes = _copy_notes(ranked, groups)
    return ExperimentResult(
        "sparse-copying",
        ResultsTable(columns, ranked, title),
        _copy_figure(groups, n, _copy_model(config)),
        runs,
        notes,
        extra,
    )


def _copy_row(pattern: str, group: list[dict], assumption: dict, dense: list[dict] | None) -> dict:
    accuracy = t_interval([r["accuracy"][-1] for r in group])
    reach = [next((s for s, a in zip(r["eval_steps"], r["accuracy"]) if a >= LEARNS), None) for r in group]
    learns = compare(accuracy, LEARNS)
    paper = PAPER_LEARNS[pattern]
    versus = None
    if dense is not None and pattern != "dense":
        gap = t_interval([r["accuracy"][-1] - b["accuracy"][-1] for r, b in zip(group, dense)])
        versus = "equal" if gap.low == gap.high == 0 else _word(compare(gap, 0.0), "better", "worse")
    return {
        "pattern": pattern,
        "connections per layer": group[0]["connections"],
        "assumption 1": assumption["assumption 1"],
        "s": assumption["s"],
        "final accuracy": accuracy,
        "final sequence accuracy": t_interval([r["sequence_accuracy"][-1] for r in group]),
        "steps to 90%": None if None in reach else int(np.median([s for s in reach if s is not None])),
        "vs dense": versus,
        "learns": _word(learns, "yes", "no"),
        "paper: learns": "not tested" if paper is None else paper,
        "agrees": "-" if paper is None else paper_verdict(accuracy, LEARNS, paper),
    }


def _copy_notes(ranked: list[dict], groups: dict[str, list[dict]]) -> list[str]:
    by = {r["pattern"]: r for r in ranked}
    notes = []
    if "dense" in groups:
        lowest = min(r["accuracy"][-1] for r in groups["dense"])
        notes.append(
            f"dense baseline: final token accuracy {by['dense']['final accuracy'].format('.4g')}, lowest seed {lowest:.4g}"
        )
    notes += [
        _verdict(
            r["agrees"],
            f"{r['pattern']}: final accuracy {r['final accuracy'].format()}; learns (interval above {LEARNS}): "
            f"{r['learns']}; paper: {'learns' if r['paper: learns'] is True else 'does not learn'}",
        )
        for r in ranked
        if r["agrees"] != "-"
    ]
    compared = [p for p in ("strided", "fixed", "union") if p in groups]  # the paper's patterns that learn copying
    if "random" in groups and compared:
        # worse = lower or slower: the area under the accuracy curve (mean accuracy over the evaluations)
        area = {p: [float(np.mean(r["accuracy"])) for r in groups[p]] for p in ("random", *compared)}
        sides = {}
        for p in compared:
            gap = t_interval([a - b for a, b in zip(area[p], area["random"])])
            sides[p] = "equal" if gap.low == gap.high == 0 else compare(gap, 0.0)
        if all(v == "above" for v in sides.values()):
            verdict = "agrees"
        elif any(v in ("below", "equal") for v in sides.values()):
            verdict = "differs"
        else:
            verdict = "inconclusive"
        shown = "; ".join(
            f"{p} {_word(side, 'higher', 'lower') if side != 'equal' else 'equal'}" for p, side in sides.items()
        )
        notes.append(
            _verdict(
                verdict,
                f"RANDOM is worse than {', '.join(compared).upper()} (area under the accuracy curve, "
                f"paired by seed: {shown})",
            )
        )
    notes.append(
        "highest mean accuracy on this task: " + ranked[0]["pattern"] + " (the paper: the best pattern depends on "
        "the task; only one task is run here, so that finding is not tested)"
    )
    return notes


def _copy_figure(groups: dict[str, list[dict]], n: int, setup: str) -> Figure:
    fig = Figure(figsize=(9, 5.4))
    ax = fig.subplots()
    for i, (pattern, group) in enumerate(groups.items()):
        error = [[max(1 - a, 1e-3) for a in r["accuracy"]] for r in group]
        _band(ax, group[0]["eval_steps"], error, f"C{i}", pattern, 1e-3)
    log_axes(
        ax,
        f"Copying task (n={n}): token error vs steps, {len(next(iter(groups.values())))} seeds\n" + f"{setup}\n{BAND}",
        "training step",
        "token error 1 - accuracy (floor 1e-3)",
    )
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------
# 5. sparsity levels on the copying task


#: Levels of the sweep per pattern family at n = 16 (quick) and n = 32 (full): strides of STRIDED,
#: FIXED and UNION, window widths of the sliding window, other keys of RANDOM; STAR has none.
SWEEP_LEVELS: dict[str, dict[str, tuple[int, ...]]] = {
    "quick": {
        "strided": (2, 4, 8),
        "fixed": (2, 4, 8),
        "union": (2, 4, 8),
        "sliding_window": (4, 8, 16),
        "random": (1, 4, 8),
    },
    "full": {
        "strided": (2, 4, 8, 16),
        "fixed": (2, 4, 8, 16),
        "union": (2, 4, 8, 16),
        "sliding_window": (4, 8, 16, 32),
        "random": (1, 2, 4, 8, 16),
    },
}
#: Most (family, level) cells a sweep accepts.
MAX_CELLS = 200


def check_levels(levels: Any, n: int) -> dict[str, tuple[int, ...]]:
    """Sparsity levels by pattern family, each checked at length n (one-line errors).

    Parameters
    ----------
    levels : dict
        Family name -> levels (see ``LEVELS`` of :mod:`constructions.training`); STAR and dense
        take an empty tuple (they have no level).
    n : int
        Sequence length.

    Returns
    -------
    dict
        The levels, each family's sorted and without repeats.

    Examples
    --------
    >>> check_levels({"random": (4, 1), "star": ()}, 16)
    {'random': (1, 4), 'star': ()}
    """
    if not isinstance(levels, dict) or not levels:
        raise PolyapproxError(f"levels must be a non-empty dict of pattern family -> levels; got {levels!r}")
    checked: dict[str, tuple[int, ...]] = {}
    for family, values in levels.items():
        family = check_choice("pattern", family, PATTERNS)
        if isinstance(values, str | bytes) or not isinstance(values, Sequence):
            raise PolyapproxError(f"{family}'s levels must be a list of integers; got {values!r}")
        values = tuple(values)
        if LEVELS[family] is None:
            if values:
                raise PolyapproxError(f"pattern {family} has no sparsity level; got levels {values}")
        elif not values:
            raise PolyapproxError(f"{family} needs at least one level ({LEVELS[family]})")
        checked[family] = tuple(sorted({check_level(family, n, v) for v in values}))  # type: ignore[type-var]
    cells = sum(max(1, len(v)) for v in checked.values())
    if cells > MAX_CELLS:
        raise SizeError(f"{cells} (pattern, level) cells exceed the sweep's limit of {MAX_CELLS}")
    return checked


def sparsity_sweep(
    config: ExperimentConfig | None = None,
    *,
    n: int | None = None,
    levels: dict[str, Sequence[int]] | None = None,
) -> ExperimentResult:
    """Copying-task accuracy against the number of connections per layer, per pattern family and level.

    Parameters
    ----------
    config : ExperimentConfig or None, default None
        Quick or full, seeds, steps (default 150 quick, 400 full), learning rate (default 0.003), map.
    n : int or None, default None
        Sequence length; default 16 quick, 32 full.
    levels : dict or None, default None
        Family -> levels (:func:`check_levels`); default ``SWEEP_LEVELS`` for ``quick``, plus STAR
        and the dense baseline.

    Returns
    -------
    ExperimentResult
        Table (one row per family and level), figure (accuracy vs connections, intervals), runs, notes.

    Examples
    --------
    >>> result = sparsity_sweep(ExperimentConfig(steps=2, seeds=(0, 1)), levels={"random": (1, 4)})
    >>> result.table.column("level"), len(result.runs)
    ([1, 4], 4)
    """
    config = _config(config)
    steps, n = _steps(config, 150, 400), _check_length(n, config.quick)
    if levels is None:
        default = SWEEP_LEVELS["quick" if config.quick and n == 16 else "full"]
        fits = lambda f, v: v <= (n - 1 if f == "random" else n) and (f != "fixed" or n % v == 0)
        levels = {"dense": (), "star": (), **{f: tuple(v for v in vs if fits(f, v)) for f, vs in default.items()}}
        levels = {f: vs for f, vs in levels.items() if vs or LEVELS[f] is None}
    chosen = check_levels(levels, n)
    cells = [(family, level) for family, values in chosen.items() for level in (values or (None,))]
    runs = config.run(run_copying, _copy_items(config, n, steps, cells))
    rows = []
    for family, level in cells:
        group = [r for r in runs if r["pattern"] == family and r["settings"]["level"] == check_level(family, n, level)]
        accuracy = t_interval([r["accuracy"][-1] for r in group])
        rows.append(
            {
                "family": family,
                "level": level,
                "level is": LEVELS[family] or "-",
                "connections per layer": group[0]["connections"],
                "final accuracy": accuracy,
                "final sequence accuracy": t_interval([r["sequence_accuracy"][-1] for r in group]),
                "learns": _word(compare(accuracy, LEARNS), "yes", "no"),
            }
        )
    title = f"sparsity levels, {_copy_setup(config, n, steps)}; cells: mean [95% t-interval]; learns: interval above {LEARNS}"
    columns = [
        "family",
        "level is",
        "level",
        "connections per layer",
        "final accuracy",
        "final sequence accuracy",
        "learns",
    ]
    return ExperimentResult(
        "sparsity-sweep",
        ResultsTable(columns, rows, title),
        _sweep_figure(rows, n, _copy_model(config)),
        runs,
        _sweep_notes(rows),
    )


def _sweep_notes(rows: list[dict]) -> list[str]:
    """Per family: the fewest connections at which it learns, the most at which it does not."""
    notes = []
    for family in dict.fromkeys(r["family"] for r in rows):
        own = [r for r in rows if r["family"] == family]
        learns = [r["connections per layer"] for r in own if r["learns"] == "yes"]
        fails = [r["connections per layer"] for r in own if r["learns"] == "no"]
        unsure = [r["connections per layer"] for r in own if r["learns"] == "inconclusive"]
        parts = [
            f"learns from {min(learns)} connections per layer" if learns else "learns at no level tested",
            f"does not learn at {', '.join(map(str, fails))}" if fails else "",
            f"inconclusive at {', '.join(map(str, unsure))}" if unsure else "",
        ]
        notes.append(f"{family}: " + "; ".join(p for p in parts if p))
    return notes


def _sweep_figure(rows: list[dict], n: int, setup: str) -> Figure:
    """One panel per family with levels (points labelled by level), one for the families without."""
    families = list(dict.fromkeys(r["family"] for r in rows))
    panels = [[f] for f in families if LEVELS[f] is not None]
    plain = [f for f in families if LEVELS[f] is None]
    if plain:
        panels.append(plain)
    columns = min(3, len(panels))
    grid = math.ceil(len(panels) / columns)
    fig = Figure(figsize=(4.2 * columns, 3.4 * grid + 0.9))
    axes = np.atleast_1d(fig.subplots(grid, columns, sharex=True, sharey=True, squeeze=False)).ravel()
    xs = [r["connections per layer"] for r in rows]
    for ax, panel in zip(axes, panels):
        for family in panel:
            own = sorted((r for r in rows if r["family"] == family), key=lambda r: r["connections per layer"])
            x = [r["connections per layer"] for r in own]
            mean = np.array([r["final accuracy"].mean for r in own])
            low = mean - np.clip([r["final accuracy"].low for r in own], 0, 1)
            high = np.clip([r["final accuracy"].high for r in own], 0, 1) - mean
            colour = f"C{PATTERNS.index(family)}"
            style = "-o" if LEVELS[family] is not None else "s"
            ax.errorbar(x, mean, yerr=[low, high], fmt=style, color=colour, capsize=3, markersize=6, label=family)
            for i, r in enumerate(own):
                if r["level"] is not None:  # staggered: neighbouring levels can have close connection counts
                    ax.annotate(
                        f"{LEVELS[family].split()[-1]}={r['level']}",
                        (r["connections per layer"], r["final accuracy"].mean),
                        textcoords="offset points",
                        xytext=(2, -12 - 10 * (i % 3) if r["final accuracy"].mean > 0.5 else 6),
                        fontsize=8,
                    )
        ax.axhline(LEARNS, color="grey", linestyle="--", linewidth=1)
        title = panel[0] if len(panel) == 1 else " and ".join(panel)
        ax.set_title(title + (f" (by {LEVELS[panel[0]]})" if LEVELS[panel[0]] else ", no level"), fontsize=10)
        ax.set_xscale("log", base=2)
        ax.set_xlim(min(xs) / 1.3, max(max(xs), n * n) * 1.3)
        ax.set_ylim(0, 1.08)
        ax.grid(True, which="both", alpha=0.3)
        ax.tick_params(labelsize=8)
        if len(panel) > 1:
            ax.legend(fontsize=8, loc="center right")
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    for ax in axes:
        ax.set_xlabel("connections per layer (mask entries)", fontsize=9)
        ax.set_ylabel("final token accuracy", fontsize=9)
    seeds = rows[0]["final accuracy"].count
    fig.suptitle(
        f"Copying task (n={n}, dense = n^2 = {n * n} connections): final accuracy vs sparsity level, {seeds} seeds\n"
        f"{setup}\npoints: mean over seeds; bars: 95% t-interval (clipped to [0, 1]); dashed: accuracy {LEARNS}",
        fontsize=10,
    )
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------


def log_axes(ax, title: str, xlabel: str, ylabel: str) -> None:
    """Common look of the learning-curve panels: log y, grid, labels, readable ticks."""
    ax.set_yscale("log")
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, which="both", alpha=0.3)
    ax.tick_params(labelsize=8)
