"""``polyapprox sparse check|layers ...``: Assumption 1 for a named pattern; layer counts (theory/sparse).

polyapprox sparse check --pattern strided --n 64 [--stride 8] [--json]
polyapprox sparse layers --pattern star --n 4 --d 1 --delta 1/2     (or --q 2, or --p P --s S)
"""

from __future__ import annotations

import argparse

from ...internal import PolyapproxError
from ._output import print_json


def _pattern_args(p: argparse.ArgumentParser, required: bool) -> None:
    p.add_argument(
        "--pattern",
        required=required,
        metavar="NAME",
        help="dense, tridiagonal, window, star, strided, fixed, longformer, bigbird",
    )
    p.add_argument("--n", type=int, required=True, help="sequence length")
    p.add_argument("--stride", type=int, default=None, help="STRIDED w (default round(sqrt(n)))")
    p.add_argument("--block", type=int, default=None, help="FIXED block size w (default round(sqrt(n)))")
    p.add_argument("--window", type=int, default=None, help="window width w (window, longformer, bigbird; default 3)")
    p.add_argument("--random", type=int, default=None, help="BigBird random keys per query (default 2)")
    p.add_argument(
        "--global",
        dest="global_",
        type=int,
        default=None,
        help="number of global tokens 0..g-1 (longformer, bigbird; default 1)",
    )
    p.add_argument("--ring", action="store_true", default=None, help="STAR ring variant")
    p.add_argument("--seed", type=int, default=None, help="seed of the BigBird random keys (default 0)")
    p.add_argument("--path", default=None, help="Hamiltonian path as comma-separated 0-based tokens")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sparse",
        help="sparse attention patterns: Assumption 1 check and layer counts (Yun et al. 2020)",
        description="Sparse Transformers (theory/sparse): check Assumption 1 for a pattern, or count the "
        "layers of the three proof steps next to the dense case.",
    )
    sub = parser.add_subparsers(dest="sparse_command", metavar="SUBCOMMAND", required=True)
    check = sub.add_parser(
        "check",
        help="check Assumption 1 (self-loops, Hamiltonian path, connectivity)",
        description="Exit code 0 if Assumption 1 holds, 1 if it fails.",
    )
    _pattern_args(check, required=True)
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    check.set_defaults(run=run_check)
    layers = sub.add_parser(
        "layers",
        help="layers of quantisation, contextual mapping, value mapping",
        description="Layer counts of theory/sparse for a pattern (p, s from the checker) or "
        "given --p/--s, next to the dense construction and [Y19].",
    )
    _pattern_args(layers, required=False)
    layers.add_argument("--d", type=int, required=True, help="token dimension")
    layers.add_argument("--delta", default=None, help="grid width 1/q, e.g. 1/2")
    layers.add_argument("--q", type=int, default=None, help="grid parameter q (delta = 1/q)")
    layers.add_argument("--p", type=int, default=None, help="period (instead of --pattern)")
    layers.add_argument("--s", type=int, default=None, help="reach s (instead of --pattern)")
    layers.add_argument("--json", action="store_true", help="print JSON")
    layers.set_defaults(run=run_layers)


#: pattern options and the patterns they apply to
APPLIES = {
    "window": ("--window", ("window", "longformer", "bigbird")),
    "stride": ("--stride", ("strided",)),
    "block": ("--block", ("fixed",)),
    "random": ("--random", ("bigbird",)),
    "global_": ("--global", ("longformer", "bigbird")),
    "ring": ("--ring", ("star",)),
    "seed": ("--seed", ("bigbird",)),
}


def _check_options(args: argparse.Namespace) -> None:
    """Refuse pattern options that do not apply to the chosen pattern (or to --p/--s)."""
    for dest, (option, names) in APPLIES.items():
        if getattr(args, dest) is not None and args.pattern not in names:
            where = f"to pattern {args.pattern!r}" if args.pattern else "without --pattern"
            raise PolyapproxError(f"{option} does not apply {where}; it applies to: {', '.join(names)}")


def _masks(args: argparse.Namespace):
    from constructions.sparse import patterns

    _check_options(args)
    given = {
        k: getattr(args, k)
        for k in ("window", "stride", "block", "random", "global_", "seed")
        if getattr(args, k) is not None
    }
    return patterns.by_name(args.pattern, args.n, ring=bool(args.ring), **given)


def _path(text: str | None):
    if text is None:
        return None
    try:
        return [int(v) for v in text.split(",")]
    except ValueError:
        raise PolyapproxError(f"--path must be comma-separated integers; got {text!r}") from None


def run_check(args: argparse.Namespace) -> int:
    from constructions.sparse import check_assumption

    report = check_assumption(_masks(args), path=_path(args.path))
    if args.json:
        data = report.to_dict()
        data["pattern"] = args.pattern
        data["inputs"] = {k: v for k, v in vars(args).items() if k not in ("run", "json")}
        print_json(data)
    else:
        print(f"pattern {args.pattern}, n = {args.n}: {report.summary()}")
        if report.path is not None and report.n <= 32:
            print(f"Hamiltonian path: {list(report.path)}")
    return 0 if report.holds else 1


def run_layers(args: argparse.Namespace) -> int:
    from constructions.sparse import check_assumption, layer_counts

    if args.pattern is not None:
        if args.p is not None or args.s is not None:
            raise PolyapproxError("give either --pattern or --p/--s, not both")
        report = check_assumption(_masks(args), path=_path(args.path))
        if not report.holds:
            raise PolyapproxError(f"pattern {args.pattern} does not satisfy Assumption 1: {report.summary()}")
        p, s = report.p, report.s
        assert s is not None  # a report that holds always carries s
    else:
        if args.p is None or args.s is None:
            raise PolyapproxError("give --pattern NAME, or both --p and --s")
        _check_options(args)
        p, s = args.p, args.s
    counts = layer_counts(args.n, args.d, args.delta, p, s, q=args.q)
    if args.json:
        data = counts.to_dict()
        data["inputs"] = {k: v for k, v in vars(args).items() if k not in ("run", "json")}
        print_json(data)
    else:
        print(counts.to_markdown())
    return 0
