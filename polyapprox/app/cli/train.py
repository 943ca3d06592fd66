"""``polyapprox train EXPERIMENT [--quick] [--seed S [S ...]] [--steps N] [--lr LR] [--out DIR] [--json]``.

Runs one training experiment of ``constructions.training`` (needs PyTorch), prints its results
table and the notes that set it beside the papers, and writes the figure, table and records to
``--out``. Sweeps run through the same executor as ``reproduce`` (``--jobs``, ``--scheduler``).

Every variant runs once per seed (3 seeds with ``--quick``, 5 full; ``--seed S`` counts them up
from S, ``--seed S1 S2 ...`` lists them). Measured CPU time of the quick runs (torch threads 1, this
project's 2-core machine at a load average of about 11, so wall times were 3-7x longer):

=================  ==========================================================
experiment         ``--quick`` (CPU time, runs)
=================  ==========================================================
sumformer-curves   3.1-5.1 s (3 variants x 3 seeds x 150 steps)
latent-sweep       8.1 s (4 latent dimensions x 3 seeds x 150 steps)
init               13.0-14.8 s (8 networks x 3 seeds x 60 steps)
sparse-copying     31.7 s (7 patterns x 3 seeds x 150 steps, n = 16)
sparsity-sweep     78.8 s (17 pattern levels x 3 seeds x 150 steps, n = 16)
=================  ==========================================================

The full settings run 5 seeds with more steps (sumformer-curves 1,500, latent-sweep 1,000, init
500, copying 400 at n = 32, width 64, 4 heads). Not timed as a whole: one full copying run (dense,
n = 32, 400 steps) took 12.4 s CPU, so sparse-copying (35 runs) costs about 7 minutes of CPU and
sparsity-sweep (115 runs) about 25; ``--jobs 2`` halves the wall time on 2 free cores.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

from ...internal import check_choice, check_writable
from ._common import TARGET_HELP, add_executor, inputs, resolve_target
from ._output import print_json

EXPERIMENT_NAMES = (
    "sumformer-curves",
    "latent-sweep",
    "init",
    "sparse-copying",
    "sparsity-sweep",
    "sparse-text",
    "fine-tuning",
)
TARGETED = ("sumformer-curves", "latent-sweep", "init", "fine-tuning")
PATTERNED = ("sparse-copying", "sparsity-sweep", "sparse-text")
LEVELLED = ("sparsity-sweep", "sparse-text")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "train",
        help="training experiments: learned vs constructed networks, sparse patterns on copying (needs torch)",
        description="Run a training experiment: sumformer-curves (polynomial vs MLP Sumformer), latent-sweep "
        "(learned error vs latent dimension d'), init (one attention layer from constructed vs random weights), "
        "sparse-copying (attention patterns on a copying task), sparsity-sweep (copying accuracy vs connections "
        "per layer for every pattern family), sparse-text (sparse causal attention at several sparsity levels on "
        "Python's own documentation, bits per character), fine-tuning (the constructed one-layer Transformer "
        "fine-tuned at lr 1e-5 to 1e-2, with the sharpness of its minimum). Every variant runs once per seed (3 quick, 5 full); rows give the "
        "mean and 95% t-interval over seeds. Seeded and deterministic on the CPU.",
    )
    p.add_argument("experiment", metavar="EXPERIMENT", help=f"one of: {', '.join(EXPERIMENT_NAMES)}")
    p.add_argument(
        "--quick",
        action="store_true",
        help="small settings, 3 seeds (3-80 s of CPU per experiment; the full runs, 5 seeds, take minutes to half an hour)",
    )
    p.add_argument(
        "--seed",
        type=int,
        nargs="+",
        default=[0],
        metavar="S",
        help="seeds: one value S runs the default number of seeds S, S+1, ... (3 quick, 5 full; default 0); "
        "two or more run exactly those (2 to 100 distinct, >= 0)",
    )
    p.add_argument("--steps", type=int, default=None, help="training steps per run (default: the experiment's)")
    p.add_argument("--lr", type=float, default=None, help="learning rate (default: the experiment's)")
    p.add_argument(
        "--target",
        default=None,
        metavar="TARGET",
        help=TARGET_HELP + " (sumformer-curves, latent-sweep, init; default gaussian-kernel-sum)",
    )
    p.add_argument(
        "--patterns",
        default=None,
        metavar="P1,P2",
        help="sparse-copying, sparsity-sweep, sparse-text: comma-separated patterns (default all)",
    )
    _add_sparsity_options(p)
    add_executor(p, "runs")
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="write EXPERIMENT.png, EXPERIMENT.md and EXPERIMENT.json into DIR",
    )
    p.add_argument("--json", action="store_true", help="print the complete result (every run's records) as JSON")
    p.set_defaults(run=run)


def _add_sparsity_options(p: argparse.ArgumentParser) -> None:
    """--levels (sparsity-sweep, sparse-text) and --split (sparse-text)."""
    p.add_argument(
        "--levels",
        default=None,
        metavar="L1,L2",
        help="sparsity-sweep and sparse-text: sparsity levels for every chosen family but dense and star (stride, "
        "block width, window width or RANDOM's other keys; default per family; sparse-text 4,8, full 4,8,16)",
    )
    p.add_argument(
        "--split",
        default=None,
        metavar="VAL,TEST",
        help="sparse-text only: shares of the corpus in the validation and test blocks (default 0.05,0.05)",
    )


def _integers(flag: str, text: str) -> list[int]:
    from ...internal import PolyapproxError

    parts = [p.strip() for p in text.split(",")]
    if not any(parts):
        raise PolyapproxError(f"{flag} must list at least one integer; got {text!r}")
    try:
        return [int(p) for p in parts]
    except ValueError:
        raise PolyapproxError(f"{flag} must be comma-separated integers; got {text!r}") from None


def _numbers(flag: str, text: str) -> list[float]:
    from ...internal import PolyapproxError

    parts = [p.strip() for p in text.split(",")]
    if not all(parts):
        raise PolyapproxError(f"{flag} must be comma-separated numbers; got {text!r}")
    try:
        return [float(p) for p in parts]
    except ValueError:
        raise PolyapproxError(f"{flag} must be comma-separated numbers; got {text!r}") from None


def _options(args: argparse.Namespace, name: str) -> tuple:
    from ...internal import PolyapproxError
    from ..experiments import ExperimentConfig

    if len(args.seed) == 1:
        config = ExperimentConfig.from_first_seed(args.seed[0], args.quick, steps=args.steps, lr=args.lr)
    else:
        config = ExperimentConfig(quick=args.quick, seeds=tuple(args.seed), steps=args.steps, lr=args.lr)
    options: dict = {}
    if args.target is not None:
        if name not in TARGETED:
            raise PolyapproxError(f"--target does not apply to {name}; it applies to {', '.join(TARGETED)}")
        options["target"] = resolve_target(args.target)
    patterns = None
    if args.patterns is not None:
        if name not in PATTERNED:
            raise PolyapproxError(f"--patterns applies only to {', '.join(PATTERNED)}")
        patterns = tuple(dict.fromkeys(p.strip() for p in args.patterns.split(",") if p.strip()))
        if not patterns:
            raise PolyapproxError(f"--patterns must name at least one pattern; got {args.patterns!r}")
    if args.levels is not None and name not in LEVELLED:
        raise PolyapproxError(f"--levels applies only to {', '.join(LEVELLED)}")
    if args.split is not None:
        if name != "sparse-text":
            raise PolyapproxError("--split applies only to sparse-text")
        options["split"] = _numbers("--split", args.split)
    if name == "sparse-text":
        if patterns is not None:
            options["patterns"] = patterns
        if args.levels is not None:
            options["levels"] = _integers("--levels", args.levels)
    if name == "fine-tuning" and args.lr is not None:
        raise PolyapproxError("--lr does not apply to fine-tuning: it sweeps the learning rates 1e-5 to 1e-2")
    if name == "sparse-copying" and patterns is not None:
        options["patterns"] = patterns
    if name == "sparsity-sweep" and (patterns is not None or args.levels is not None):
        options["levels"] = _sweep_levels(config.quick, patterns, args.levels)
    return config, options


def _sweep_levels(quick: bool, patterns: tuple[str, ...] | None, levels: str | None) -> dict:
    """The sweep's levels by family: the chosen families (default all), each at ``levels`` or its defaults."""
    from constructions.training import LEVELS, PATTERNS

    from ...internal import check_choice
    from ..experiments import SWEEP_LEVELS, check_levels

    chosen = PATTERNS if patterns is None else tuple(check_choice("pattern", p, PATTERNS) for p in patterns)
    given = None if levels is None else _integers("--levels", levels)
    default = SWEEP_LEVELS["quick" if quick else "full"]
    table = {p: () if LEVELS[p] is None else tuple(given if given is not None else default[p]) for p in chosen}
    check_levels(table, 16 if quick else 32)
    return table


def run(args: argparse.Namespace) -> int:
    from polyapprox.app.report.executor import make_executor

    name = check_choice("experiment", args.experiment, EXPERIMENT_NAMES)
    config, options = _options(args, name)
    if args.out is not None:  # before the runs: an unusable --out fails at once, not after minutes of training
        from polyapprox.app.report import prepare_output_dir

        prepare_output_dir(args.out)
        for suffix in (".png", ".md", ".json"):
            check_writable(args.out / f"{name}{suffix}", "--out file")
    from polyapprox.app import experiments  # raises the one-line install message without torch

    experiment = experiments.EXPERIMENTS[name]
    start = time.perf_counter()
    with make_executor(args.jobs, args.scheduler) as executor:
        result = experiment(replace(config, map=_progress_map(executor, name, args.json)), **options)
    seconds = time.perf_counter() - start
    if args.out is not None:
        _write(result, args.out, seconds)
    if args.json:
        data = result.to_dict()
        data["seconds"] = seconds
        data["inputs"] = inputs(args)
        print_json(data)
    else:
        print(_markdown(result, seconds))
    return 0


def _progress_map(executor, name: str, quiet: bool):
    """The executor's map with a tqdm bar over the runs (this process) or one bar for the batch (workers)."""
    from tqdm.auto import tqdm

    def mapper(fn, items):
        items = list(items)
        if executor.name != "serial":
            with tqdm(total=len(items), desc=name, disable=quiet) as bar:
                results = executor.map(fn, items)
                bar.update(len(items))
            return results
        with tqdm(items, desc=name, unit="run", disable=quiet, leave=False) as bar:
            return [fn(item) for item in bar]

    return mapper


def _markdown(result, seconds: float) -> str:
    lines = [f"## {result.name}: {result.table.title} ({seconds:.1f} s)", "", result.table.to_markdown(), ""]
    for key, value in result.extra.items():
        if hasattr(value, "to_markdown"):
            lines += [f"### {value.title or key}", "", value.to_markdown(), ""]
    lines += [f"- {note}" for note in result.notes]
    return "\n".join(lines)


def _write(result, out: Path, seconds: float) -> None:
    """The figure, table and records, each with the package's one safe writer (atomic, links refused)."""
    import io

    from ...internal import prepare_directory, write_file

    prepare_directory(out)
    buffer = io.BytesIO()
    result.figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    write_file(out / f"{result.name}.png", buffer.getvalue(), "--out file")
    write_file(out / f"{result.name}.md", _markdown(result, seconds) + "\n", "--out file")
    data = result.to_dict()
    data["seconds"] = seconds
    write_file(out / f"{result.name}.json", json.dumps(data, default=str), "--out file")
