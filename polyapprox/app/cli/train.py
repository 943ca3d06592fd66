"""``polyapprox train EXPERIMENT [--quick] [--seed S] [--steps N] [--lr LR] [--out DIR] [--json]``.

Runs one training experiment of ``constructions.training`` (needs PyTorch), prints its results
table and the notes that set it beside the papers, and writes the figure, table and records to
``--out``. Sweeps run through the same executor as ``reproduce`` (``--jobs``, ``--scheduler``).

Measured run times (this project's 2-core machine, shared with other jobs;
wall clock, whole command including start-up):

=================  ==========================================  =================================
experiment         ``--quick`` (wall / CPU user)                full (``--jobs 2``)
=================  ==========================================  =================================
sumformer-curves    9.9 s / 6.2 s (3 runs x 150 steps)          118.5 s (9 runs x 1500 steps)
latent-sweep       11.6 s / 8.6 s (4 runs x 150 steps)          234.5 s (12 runs x 1000 steps)
init               11.9 s / 7.3 s (6 runs x 60 steps)           139.5 s (6 runs x 500 steps)
sparse-copying     19.3 s / 12.4 s (7 runs x 150 steps, n=16)   1199 s (14 runs x 800 steps, n=32)
sparse-text        see the README (36 runs x 300 steps)         see the README (85 runs x 1000 steps)
fine-tuning        see the README (3 seeds x 4 rates)           see the README (5 seeds x 4 rates)
=================  ==========================================  =================================

The quick times are from load average ~9; at ~11 they were 15-38 s wall, and at ~12 (the same
machine minutes earlier) 74-84 s. The full runs were measured at load ~10-12.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from ...internal import check_choice, check_writable
from ._common import TARGET_HELP, add_executor, inputs, resolve_target
from ._output import print_json

EXPERIMENT_NAMES = ("sumformer-curves", "latent-sweep", "init", "sparse-copying", "sparse-text", "fine-tuning")
TARGETED = ("sumformer-curves", "latent-sweep", "init", "fine-tuning")
#: experiments that take a list of seeds (--seeds), and the options only sparse-text takes
SEEDED = ("sparse-text", "fine-tuning")


#: Most training steps per run the CLI accepts (the full experiments use at most 1,500).
MAX_STEPS = 100_000


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "train",
        help="training experiments: learned vs constructed networks, sparse patterns on copying (needs torch)",
        description="Run a training experiment: sumformer-curves (polynomial vs MLP Sumformer), latent-sweep "
        "(learned error vs latent dimension d'), init (one attention layer from constructed vs random weights), "
        "sparse-copying (attention patterns on a copying task), sparse-text (sparse causal attention at several "
        "sparsity levels on Python's own documentation, bits per character), fine-tuning (the constructed "
        "one-layer Transformer fine-tuned at lr 1e-5 to 1e-2, with the sharpness of its minimum). Seeded and "
        "deterministic on the CPU.",
    )
    p.add_argument("experiment", metavar="EXPERIMENT", help=f"one of: {', '.join(EXPERIMENT_NAMES)}")
    p.add_argument(
        "--quick",
        action="store_true",
        help="small settings (measured 6-62 s of CPU on a shared 2-core machine; full runs 2-60 min)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the first run (default 0)")
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
        help="sparse-copying and sparse-text: comma-separated patterns (default all)",
    )
    p.add_argument(
        "--seeds",
        default=None,
        metavar="S1,S2,...",
        help="sparse-text and fine-tuning: the seeds of the interval, 2 to 50 distinct (default: --seed, --seed + 1, ...)",
    )
    p.add_argument(
        "--levels",
        default=None,
        metavar="W1,W2",
        help="sparse-text only: sparsity levels, the widths w (RANDOM: earlier keys) (default 4,8; full 4,8,16)",
    )
    p.add_argument(
        "--split",
        default=None,
        metavar="VAL,TEST",
        help="sparse-text only: shares of the corpus in the validation and test blocks (default 0.05,0.05)",
    )
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


def _options(args: argparse.Namespace, name: str) -> dict:
    from ...internal import PolyapproxError, SizeError, check_seed

    check_seed(args.seed)  # numpy refuses negative seeds deep inside a worker otherwise
    if args.steps is not None and args.steps > MAX_STEPS:
        raise SizeError(f"--steps {args.steps:,} is more than the limit of {MAX_STEPS:,} training steps per run")
    options = {"quick": args.quick, "seed": args.seed, "steps": args.steps, "lr": args.lr}
    if args.target is not None:
        if name not in TARGETED:
            raise PolyapproxError(f"--target does not apply to {name}; it applies to {', '.join(TARGETED)}")
        options["target"] = resolve_target(args.target)
    if args.patterns is not None:
        if name not in ("sparse-copying", "sparse-text"):
            raise PolyapproxError("--patterns applies only to sparse-copying and sparse-text")
        options["patterns"] = tuple(p.strip() for p in args.patterns.split(",") if p.strip())
    if args.seeds is not None:
        if name not in SEEDED:
            raise PolyapproxError(f"--seeds applies only to {', '.join(SEEDED)}")
        options["seeds"] = _numbers("--seeds", args.seeds, int)
    for flag, value, key, kind in (("--levels", args.levels, "levels", int), ("--split", args.split, "split", float)):
        if value is not None:
            if name != "sparse-text":
                raise PolyapproxError(f"{flag} applies only to sparse-text")
            options[key] = _numbers(flag, value, kind)
    if name == "fine-tuning":
        if args.lr is not None:
            raise PolyapproxError("--lr does not apply to fine-tuning: it sweeps the learning rates 1e-5 to 1e-2")
        options.pop("lr")
    return options


#: Most comma-separated numbers one option takes (longer lists are typos, not experiments).
MAX_LIST = 50


def _numbers(flag: str, text: str, kind: type) -> list:
    """A comma-separated list of numbers (ints or floats), one line naming the flag when it is not."""
    from ...internal import PolyapproxError

    parts = [p.strip() for p in text.split(",")]
    if not text.strip() or any(not p for p in parts):
        raise PolyapproxError(f"{flag} must be a comma-separated list of numbers; got {text!r}")
    if len(parts) > MAX_LIST:
        raise PolyapproxError(f"{flag} takes at most {MAX_LIST} numbers; got {len(parts)}")
    try:
        return [kind(p) for p in parts]
    except ValueError:
        what = "integers" if kind is int else "numbers"
        raise PolyapproxError(f"{flag} must be a comma-separated list of {what}; got {text!r}") from None


def run(args: argparse.Namespace) -> int:
    from polyapprox.app.report.executor import make_executor

    name = check_choice("experiment", args.experiment, EXPERIMENT_NAMES)
    options = _options(args, name)
    if args.out is not None:  # before the runs: an unusable --out fails at once, not after minutes of training
        from polyapprox.app.report import prepare_output_dir

        prepare_output_dir(args.out)
        for suffix in (".png", ".md", ".json"):
            check_writable(args.out / f"{name}{suffix}", "--out file")
    from polyapprox.app import experiments  # raises the one-line install message without torch

    experiment = experiments.EXPERIMENTS[name]
    start = time.perf_counter()
    with make_executor(args.jobs, args.scheduler) as executor:
        result = experiment(map=_progress_map(executor, name, args.json), **options)
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
