"""The four training experiments, each returning a results table, a figure (log-scale curves) and notes.

- :func:`sumformer_curves`: polynomial vs MLP Sumformer learning curves (Alberti et al. 2023 report
  that the polynomial Sumformer trains better at first and the MLP one catches up);
- :func:`latent_sweep`: MLP Sumformers with d' below, at and above C(n+d,d) - 1 and 2nd + 1,
  beside the constructed least-squares Sumformers (d' = C(n+d,d) - 1 and C(n-1+d,d) - 1);
- :func:`init_comparison`: one-layer Transformer, Linformer, Performer from the constructed
  weights vs from random weights;
- :func:`sparse_copying`: the copying task with dense, STAR, STRIDED, FIXED, sliding-window,
  RANDOM and UNION masks, ranked beside Yun et al. 2020's qualitative findings.

Sweeps over seeds and d' go through ``map`` (``map(fn, items)``, default: in this process), so a
caller can pass a process pool or Dask client; ``fn`` is module-level and items are plain dicts.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from constructions.training import (
    PATTERNS,
    ResultsTable,
    assumption_table,
    check_rate,
    check_steps,
    check_target,
    constructed_references,
    one_layer_kinds,
    run_copying,
    run_one_layer,
    run_sumformer,
)
from polyapprox import latent_dimension
from polyapprox.internal import check_choice, check_int

Mapper = Callable[[Callable[[Any], Any], list], list]


@dataclass(frozen=True)
class ExperimentResult:
    """What an experiment returns: the results table, the figure, every run's record, and notes.

    Parameters
    ----------
    name : str
        The experiment's name.
    table : ResultsTable
        The results table.
    figure : matplotlib.figure.Figure
        The figure.
    runs : list of dict
        Every run's record.
    notes : list of str, optional
        Each sets a result beside the paper and says "agrees" or "differs".
    extra : dict, optional
        Further numbers of the experiment.

    Examples
    --------
    >>> result = sparse_copying(steps=2)
    >>> result.name, len(result.runs), result.figure is not None
    ('sparse-copying', 7, True)
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
            "table": self.table.to_dict(),
            "notes": list(self.notes),
            "extra": {k: v.to_dict() if hasattr(v, "to_dict") else v for k, v in self.extra.items()},
            "runs": self.runs,
        }


def _serial(fn, items):
    return [fn(item) for item in items]


def _settings(quick: bool, steps: int | None, quick_steps: int, full_steps: int) -> int:
    return (quick_steps if quick else full_steps) if steps is None else check_steps(steps)


def _rate(lr: float | None) -> dict[str, float]:
    """{"lr": lr} when the caller set a learning rate (checked here, before any run), else {}."""
    return {} if lr is None else {"lr": check_rate(lr)}


def _median(values: list[float]) -> float:
    return float(np.median(values))


# ---------------------------------------------------------------------------------------------
# 1. polynomial vs MLP Sumformer


SUMFORMER_MODELS = (("polynomial", "polynomial"), ("polynomial", "mlp"), ("mlp", "mlp"))


def sumformer_curves(
    *,
    quick: bool = True,
    seed: int = 0,
    steps: int | None = None,
    map: Mapper | None = None,
    target: str = "gaussian-kernel-sum",
    n: int = 3,
    d: int = 1,
    degree: int = 6,
    lr: float | None = None,
) -> ExperimentResult:
    """Record learning curves of the polynomial Sumformer (psi polynomial or MLP) and the MLP Sumformer.

    Parameters
    ----------
    quick : bool, default True
        The small settings; False for the full run.
    seed : int, default 0
        Seed of every random choice (reproducible).
    steps : int or None, default None
        Optimiser steps per run; default by ``quick``.
    map : callable or None, default None
        A ``map(function, items)`` to run the runs with (a process pool, Dask); default serial.
    target : str, default 'gaussian-kernel-sum'
        The target.
    n : int, default 3
        Number of tokens n.
    d : int, default 1
        Token dimension d.
    degree : int, default 6
        Degree of the polynomial Sumformers and the reference.
    lr : float or None, default None
        Learning rate; default per model.

    Returns
    -------
    ExperimentResult
        Table, figure, runs and notes.

    Examples
    --------
    >>> result = sumformer_curves(steps=2, target="centered", n=2, degree=1)
    >>> result.name, len(result.runs)
    ('sumformer-curves', 3)
    """
    target, label = check_target(target, n, d)
    steps = _settings(quick, steps, 150, 1500)
    seeds = [seed] if quick else [seed, seed + 1, seed + 2]
    variants = [{"kind": kind, "psi": psi, "degree": degree} for kind, psi in SUMFORMER_MODELS]
    items = _run_items(target, n, d, steps, 256 if quick else 512, lr, variants, seeds)
    for item in items:  # the constructed reference is fitted once per model, with the first seed
        item["reference"] = item["seed"] == seeds[0]
    runs = (map or _serial)(run_sumformer, items)
    reference = runs[0]["reference"]
    early = max(1, steps // 10)
    rows = _sumformer_rows(runs, reference, early, degree)
    table = ResultsTable(
        ["model", "parameters", "seeds", f"test MSE @ {early}", "final test MSE", "final test max"],
        rows,
        f"Sumformers on {label}, n={n}, d={d}, {steps} steps",
    )
    notes = _sumformer_notes(rows, reference, early)
    return ExperimentResult("sumformer-curves", table, _curves_figure(runs, reference, label, n, d), runs, notes)


def _run_items(
    target: Any, n: int, d: int, steps: int, samples: int, lr: float | None, variants: list[dict], seeds: list[int]
) -> list[dict]:
    """One run per (variant, seed): the experiment's shared settings, then the variant's own keys."""
    shared = {"target": target, "n": n, "d": d, "steps": steps, "samples": samples, "test_samples": samples}
    return [{**shared, **variant, "seed": s, **_rate(lr)} for variant in variants for s in seeds]


def _sumformer_rows(runs: list[dict], reference: dict, early: int, degree: int) -> list[dict]:
    """One row per model (medians over seeds), then the constructed least-squares Sumformer."""
    rows = []
    for name in dict.fromkeys(r["model"] for r in runs):
        group = [r for r in runs if r["model"] == name]
        rows.append(
            {
                "model": name,
                "parameters": group[0]["parameters"],
                "seeds": len(group),
                f"test MSE @ {early}": _median([r["test_mse"][early] for r in group]),
                "final test MSE": _median([r["test_mse"][-1] for r in group]),
                "final test max": _median([r["test_max"][-1] for r in group]),
            }
        )
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


def _sumformer_notes(rows: list[dict], reference: dict, early: int) -> list[str]:
    """The paper's two findings (polynomial trains better at first, MLP catches up) checked on the rows."""
    poly, mlp_row = rows[1], rows[2]  # phi fixed + MLP psi (the paper's polynomial Sumformer) and the MLP one
    return [
        _verdict(
            poly[f"test MSE @ {early}"] < mlp_row[f"test MSE @ {early}"],
            f"polynomial Sumformer trains better at first (test MSE at step {early}: "
            f"{poly[f'test MSE @ {early}']:.3g} vs MLP {mlp_row[f'test MSE @ {early}']:.3g})",
        ),
        _verdict(
            mlp_row["final test MSE"] <= 2 * poly["final test MSE"],
            f"the paper says the MLP Sumformer catches up (here: final test MSE {mlp_row['final test MSE']:.3g} "
            f"vs polynomial {poly['final test MSE']:.3g}; catching up means within a factor 2)",
        ),
        f"no learned model reaches the constructed least-squares Sumformer (test MSE {reference['test_mse']:.3g}): "
        f"best learned {min(r['final test MSE'] for r in rows[:-1]):.3g}",
    ]


def _verdict(agrees: bool, statement: str) -> str:
    """``statement`` is the paper's finding with this run's numbers; say whether the run agrees with it."""
    return f"{'agrees with the paper' if agrees else 'differs from the paper'}: {statement}"


def _curves_figure(runs: list[dict], reference: dict, target: str, n: int, d: int) -> Figure:
    fig = Figure(figsize=(11, 4.2))
    axes = fig.subplots(1, 2)
    colours = {}
    for r in runs:
        colour = colours.setdefault(r["model"], f"C{len(colours)}")
        label = r["model"] if r["settings"]["seed"] == runs[0]["settings"]["seed"] else None
        for ax, key in zip(axes, ("test_mse", "test_max")):
            ax.plot(r["steps"], r[key], color=colour, label=label, linewidth=1.2)
    for ax, key, what in zip(axes, ("test_mse", "test_max"), ("test mean-square error", "test max error")):
        ax.axhline(
            reference[key],
            color="k",
            linestyle="--",
            linewidth=1,
            label=f"constructed (least squares, d'={reference['latent_dim']})",
        )
        log_axes(ax, what, "training step", what)
    axes[0].legend(fontsize=8)
    fig.suptitle(f"Polynomial vs MLP Sumformer on {target} (n={n}, d={d})")
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------
# 2. latent-dimension sweep


def latent_sweep(
    *,
    quick: bool = True,
    seed: int = 0,
    steps: int | None = None,
    map: Mapper | None = None,
    target: str = "gaussian-kernel-sum",
    n: int = 3,
    d: int = 2,
    degree: int = 4,
    lr: float | None = None,
) -> ExperimentResult:
    """Measure the final errors of MLP Sumformers against d' (below, at and above C(n+d,d)-1 and 2nd+1).

    Parameters
    ----------
    quick : bool, default True
        The small settings; False for the full run.
    seed : int, default 0
        Seed of every random choice (reproducible).
    steps : int or None, default None
        Optimiser steps per run; default by ``quick``.
    map : callable or None, default None
        A ``map(function, items)`` to run the runs with (a process pool, Dask); default serial.
    target : str, default 'gaussian-kernel-sum'
        The target.
    n : int, default 3
        Number of tokens n.
    d : int, default 2
        Token dimension d.
    degree : int, default 4
        Degree of the polynomial Sumformers and the reference.
    lr : float or None, default None
        Learning rate; default per model.

    Returns
    -------
    ExperimentResult
        Table, figure, runs and notes.

    Examples
    --------
    >>> result = latent_sweep(steps=2, target="centered", n=2, d=1, degree=1)
    >>> result.table.column("d'")
    [1, 2, 5]
    """
    target, label = check_target(target, n, d)
    steps = _settings(quick, steps, 150, 1000)
    full, refined, injective = latent_dimension(n, d), latent_dimension(n, d, "continuous-refined"), 2 * n * d + 1
    dims = sorted({1, refined, full, injective} if quick else {1, 2, refined, full, injective, 2 * injective})
    seeds = [seed] if quick else [seed, seed + 1]
    samples = 256 if quick else 512
    variants = [{"kind": "mlp", "latent_dim": dp, "reference": False} for dp in dims]
    runs = (map or _serial)(run_sumformer, _run_items(target, n, d, steps, samples, lr, variants, seeds))
    refs = constructed_references(target, n, d, degree, samples, seed)
    marks = ((refined, "C(n-1+d,d)-1"), (full, "C(n+d,d)-1"), (injective, "2nd+1"))
    rows = [_latent_row(dp, [r for r in runs if r["settings"]["latent_dim"] == dp], refs, marks) for dp in dims]
    table = ResultsTable(
        list(rows[0]), rows, f"MLP Sumformer vs d' on {label}, n={n}, d={d}, {steps} steps x {len(seeds)} seeds"
    )
    notes = _latent_notes(rows, refs, full)
    fig = _latent_figure(rows, refs, label, n, d, (refined, full, injective))
    return ExperimentResult("latent-sweep", table, fig, runs, notes, {"constructed": refs})


def _latent_row(dp: int, group: list[dict], refs: dict[int, dict], marks: tuple[tuple[int, str], ...]) -> dict:
    """The learned errors at latent dimension d' (medians over seeds) beside the constructed one there."""
    return {
        "d'": dp,
        "marks": ", ".join(name for value, name in marks if value == dp),
        "learned final test MSE": _median([r["test_mse"][-1] for r in group]),
        "learned best test MSE": min(min(r["test_mse"]) for r in group),
        "learned final test max": _median([r["test_max"][-1] for r in group]),
        "constructed test MSE": refs.get(dp, {}).get("test_mse"),
        "constructed test max": refs.get(dp, {}).get("test_max"),
    }


def _latent_notes(rows: list[dict], refs: dict, full: int) -> list[str]:
    errors = [r["learned final test MSE"] for r in rows]
    best = min(range(len(rows)), key=errors.__getitem__)
    plateau = next(r["d'"] for r in rows if r["learned final test MSE"] <= 2 * errors[best])
    gap = errors[best] / refs[full]["test_mse"]
    best_dim = rows[best]["d'"]
    return [
        f"learned error stops improving (within 2x of its best) from d' = {plateau}; best at d' = {best_dim}",
        f"best learned test MSE is {gap:.3g} x the constructed one at d' = {full}",
    ]


def _latent_figure(rows, refs, target, n, d, marks) -> Figure:
    fig = Figure(figsize=(7, 4.5))
    ax = fig.subplots()
    dims = [r["d'"] for r in rows]
    ax.plot(dims, [r["learned final test MSE"] for r in rows], "-o", label="MLP Sumformer, final (median)")
    ax.plot(dims, [r["learned best test MSE"] for r in rows], ":o", label="MLP Sumformer, best over run")
    ax.plot(list(refs), [r["test_mse"] for r in refs.values()], "ks", markersize=8, label="constructed least squares")
    for value, label, style in zip(marks, ("C(n-1+d,d)-1", "C(n+d,d)-1", "2nd+1"), (":", "--", "-.")):
        ax.axvline(value, color="grey", linestyle=style, linewidth=1, label=f"{label} = {value}")
    log_axes(
        ax, f"Test MSE vs latent dimension d' ({target}, n={n}, d={d})", "latent dimension d'", "test mean-square error"
    )
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------
# 3. constructed vs random initialisation of the one-layer networks


def init_comparison(
    *,
    quick: bool = True,
    seed: int = 0,
    steps: int | None = None,
    map: Mapper | None = None,
    target: str = "gaussian-kernel-sum",
    n: int = 3,
    d: int = 1,
    degree: int = 4,
    lr: float | None = None,
) -> ExperimentResult:
    """Compare the one-layer network of every registered attention kind fine-tuned from the constructed weights and from random ones.

    Parameters
    ----------
    quick : bool, default True
        The small settings; False for the full run.
    seed : int, default 0
        Seed of every random choice (reproducible).
    steps : int or None, default None
        Optimiser steps per run; default by ``quick``.
    map : callable or None, default None
        A ``map(function, items)`` to run the runs with (a process pool, Dask); default serial.
    target : str, default 'gaussian-kernel-sum'
        The target.
    n : int, default 3
        Number of tokens n.
    d : int, default 1
        Token dimension d.
    degree : int, default 4
        Degree of the polynomial Sumformers and the reference.
    lr : float or None, default None
        Learning rate; default per model.

    Returns
    -------
    ExperimentResult
        Table, figure, runs and notes.

    Examples
    --------
    >>> result = init_comparison(steps=2, target="centered", n=2, degree=1)
    >>> result.table.column("network")
    ['linformer', 'linformer', 'masked-transformer', 'masked-transformer', 'performer', 'performer', 'transformer', 'transformer']
    """
    target, label = check_target(target, n, d)
    steps = _settings(quick, steps, 60, 500)
    variants = [
        {"kind": kind, "init": init, "degree": degree}
        for kind in one_layer_kinds()
        for init in ("constructed", "random")
    ]
    items = _run_items(target, n, d, steps, 256 if quick else 512, lr, variants, [seed])
    runs = (map or _serial)(run_one_layer, items)
    rows = [
        {
            "network": r["settings"]["kind"],
            "init": r["settings"]["init"],
            "parameters": r["parameters"],
            "lr": r["settings"]["lr"],
            "start test MSE": r["test_mse"][0],
            "final test MSE": r["test_mse"][-1],
            "best test MSE": min(r["test_mse"]),
            "final test max": r["test_max"][-1],
            "constructed test MSE": r["reference"]["test_mse"],
        }
        for r in runs
    ]
    table = ResultsTable(list(rows[0]), rows, f"one attention layer on {label}, n={n}, d={d}, {steps} steps")
    start_gap = max(abs(r["start test MSE"] - r["constructed test MSE"]) for r in rows if r["init"] == "constructed")
    better = all(c["final test MSE"] < r["final test MSE"] for c, r in zip(rows[::2], rows[1::2]))
    notes = [
        f"fine-tuning starts at the constructed error (largest gap {start_gap:.2g})",
        f"{'every' if better else 'not every'} network ends lower from the constructed weights than from random",
        "fine-tuning barely moves the error: the constructed psi is already the least-squares optimum on the "
        "training sample; from random weights no network gets near it in this budget",
    ]
    return ExperimentResult("init", table, _init_figure(runs, label, n, d), runs, notes, {"start_gap": start_gap})


def _init_figure(runs, target, n, d) -> Figure:
    fig = Figure(figsize=(13, 4))
    axes = fig.subplots(1, 3, sharey=True)
    for ax, kind in zip(axes, ("transformer", "linformer", "performer")):
        for r in (r for r in runs if r["settings"]["kind"] == kind):
            ax.plot(r["steps"], r["test_mse"], label=f"from {r['settings']['init']} weights")
        ax.axhline(
            runs[0]["reference"]["test_mse"],
            color="grey",
            linestyle="--",
            linewidth=2.5,
            alpha=0.6,
            zorder=0,
            label="constructed (least squares)",
        )
        log_axes(ax, kind, "training step", "test mean-square error")
    axes[0].legend(fontsize=8)
    fig.suptitle(f"One attention layer on {target} (n={n}, d={d}): constructed vs random initialisation")
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


def sparse_copying(
    *,
    quick: bool = True,
    seed: int = 0,
    steps: int | None = None,
    map: Mapper | None = None,
    n: int | None = None,
    patterns: tuple[str, ...] | None = None,
    lr: float | None = None,
) -> ExperimentResult:
    """Measure accuracy vs steps per pattern on the copying task, the ranking, and Assumption 1 at that n.

    Parameters
    ----------
    quick : bool, default True
        The small settings; False for the full run.
    seed : int, default 0
        Seed of every random choice (reproducible).
    steps : int or None, default None
        Optimiser steps per run; default by ``quick``.
    map : callable or None, default None
        A ``map(function, items)`` to run the runs with (a process pool, Dask); default serial.
    n : int or None, default None
        Sequence length; default by ``quick``.
    patterns : tuple of str or None, default None
        Patterns to compare; default all of ``PATTERNS``.
    lr : float or None, default None
        Learning rate; default per model.

    Returns
    -------
    ExperimentResult
        Table, figure, runs and notes.

    Examples
    --------
    >>> sorted(sparse_copying(steps=2).table.column("pattern"))
    ['dense', 'fixed', 'random', 'sliding_window', 'star', 'strided', 'union']
    """
    steps = _settings(quick, steps, 150, 800)
    n = (16 if quick else 32) if n is None else check_int("n", n)
    chosen = PATTERNS if patterns is None else tuple(check_choice("pattern", p, PATTERNS) for p in patterns)
    seeds = [seed] if quick else [seed, seed + 1]
    size = {"width": 32, "heads": 2} if quick else {"width": 64, "heads": 4}
    items = [
        {
            "pattern": p,
            "n": n,
            "steps": steps,
            "seed": s,
            "eval_every": max(1, steps // 15),
            "test_batch": 128 if quick else 512,
            **size,
            **_rate(lr),
        }
        for p in chosen
        for s in seeds
    ]
    runs = (map or _serial)(run_copying, items)
    assumption = {r["pattern"]: r for r in assumption_table(n, seed=seed).rows}
    rows = [_copy_row(p, [r for r in runs if r["pattern"] == p], assumption[p]) for p in chosen]
    ranked = sorted(rows, key=lambda r: (-r["final accuracy"], r["steps to 90%"] or math.inf))
    for rank, row in enumerate(ranked, 1):
        row["rank"] = rank
    table = ResultsTable(
        [
            "rank",
            "pattern",
            "connections per layer",
            "assumption 1",
            "s",
            "final accuracy",
            "final sequence accuracy",
            "steps to 90%",
            "learns",
            "paper: learns",
            "agrees",
        ],
        ranked,
        f"copying, n={n}, 4 layers, {steps} steps x {len(seeds)} seeds",
    )
    return ExperimentResult(
        "sparse-copying",
        table,
        _copy_figure(runs, n),
        runs,
        _copy_notes(ranked),
        {"assumption": assumption_table(n, seed=seed)},
    )


def _copy_row(pattern: str, group: list[dict], assumption: dict) -> dict:
    accuracy = _median([r["accuracy"][-1] for r in group])
    reach = [next((s for s, a in zip(r["eval_steps"], r["accuracy"]) if a >= 0.9), None) for r in group]
    learns = accuracy >= 0.9
    paper = PAPER_LEARNS[pattern]
    return {
        "pattern": pattern,
        "connections per layer": group[0]["connections"],
        "assumption 1": assumption["assumption 1"],
        "s": assumption["s"],
        "final accuracy": accuracy,
        "final sequence accuracy": _median([r["sequence_accuracy"][-1] for r in group]),
        "steps to 90%": None if None in reach else int(np.median([s for s in reach if s is not None])),
        "learns": learns,
        "paper: learns": "not tested" if paper is None else paper,
        "agrees": "-" if paper is None else ("yes" if paper == learns else "no"),
    }


def _copy_notes(ranked: list[dict]) -> list[str]:
    by = {r["pattern"]: r for r in ranked}
    notes = [
        _verdict(
            r["agrees"] == "yes",
            f"{r['pattern']}: {'learns' if r['learns'] else 'does not learn'} "
            f"copying (accuracy {r['final accuracy']:.3f}; paper: "
            f"{'learns' if r['paper: learns'] is True else 'does not learn'})",
        )
        for r in ranked
        if r["agrees"] != "-"
    ]
    compared = [p for p in ("strided", "fixed", "union") if p in by]  # the paper's patterns that learn copying
    if "random" in by and compared:
        worse = all(_score(by["random"]) < _score(by[p]) for p in compared)
        shown = ", ".join(
            f"{p} {by[p]['final accuracy']:.3f} / {by[p]['steps to 90%'] or 'never'}" for p in ("random", *compared)
        )
        notes.append(
            _verdict(
                worse, f"RANDOM is worse than {', '.join(compared).upper()} (final accuracy / steps to 90%: {shown})"
            )
        )
    notes.append(
        "best pattern on this task: " + ranked[0]["pattern"] + " (the paper: the best pattern depends on "
        "the task; only one task is run here, so that finding is not tested)"
    )
    return notes


def _score(row: dict) -> tuple[float, float]:
    """Higher is better: (final accuracy to 3 digits, minus the steps to 90% accuracy)."""
    reach = row["steps to 90%"]
    return (round(row["final accuracy"], 3), -(math.inf if reach is None else reach))


def _copy_figure(runs: list[dict], n: int) -> Figure:
    fig = Figure(figsize=(8, 4.8))
    ax = fig.subplots()
    colours: dict[str, str] = {}
    for r in runs:
        colour = colours.setdefault(r["pattern"], f"C{len(colours)}")
        first = r["settings"]["seed"] == runs[0]["settings"]["seed"]
        error = [max(1 - a, 1e-3) for a in r["accuracy"]]
        ax.plot(r["eval_steps"], error, "-o", color=colour, markersize=3, label=r["pattern"] if first else None)
    log_axes(
        ax,
        f"Copying task (n={n}, 4 sparse layers): token error vs steps",
        "training step",
        "token error 1 - accuracy (floor 1e-3)",
    )
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------


EXPERIMENTS: dict[str, Callable[..., ExperimentResult]] = {
    "sumformer-curves": sumformer_curves,
    "latent-sweep": latent_sweep,
    "init": init_comparison,
    "sparse-copying": sparse_copying,
}


def run_experiment(name: str, **options: Any) -> ExperimentResult:
    """Run the experiment called ``name`` (see :data:`EXPERIMENTS`) with keyword ``options``.

    Parameters
    ----------
    name : str
        A key of :data:`EXPERIMENTS`.
    **options : dict
        Keyword arguments of the experiment.

    Returns
    -------
    ExperimentResult
        What the experiment returns.

    Examples
    --------
    >>> sorted(EXPERIMENTS)
    ['init', 'latent-sweep', 'sparse-copying', 'sumformer-curves']
    """
    return EXPERIMENTS[check_choice("experiment", name, EXPERIMENTS)](**options)


def log_axes(ax, title: str, xlabel: str, ylabel: str) -> None:
    """Common look of the learning-curve panels: log y, grid, labels, readable ticks."""
    ax.set_yscale("log")
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, which="both", alpha=0.3)
    ax.tick_params(labelsize=8)
