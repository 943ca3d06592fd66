"""``polyapprox build discontinuous --target T --n N --d D --k K [--save FILE]``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ._common import (
    add_json,
    add_max_memory,
    add_progress,
    add_target,
    check_memory,
    check_output,
    inputs,
    json_int,
    progress_bar,
    resolve_target,
    show_int,
    target_label,
)
from ._estimate import DISCONTINUOUS_MAX_WORK


def register(kinds: argparse._SubParsersAction) -> None:
    from constructions.discontinuous import ENCODINGS, REPRESENTATIVES  # the build command loads the registry

    p = kinds.add_parser(
        "discontinuous",
        help="piecewise-constant Sumformer with exact cell codes (latent dimension 1)",
        description="Build the discontinuous Sumformer on the grid of width 1/k (a reconstruction of the "
        "discontinuous proof of Alberti et al. 2023): phi encodes the occupied cells as an exact integer, "
        "psi decodes it.",
    )
    add_target(p)
    p.add_argument("--n", type=int, required=True, help="number of tokens")
    p.add_argument("--d", type=int, required=True, help="token dimension")
    p.add_argument("--k", type=int, required=True, help="grid parameter: cells of width 1/k")
    p.add_argument(
        "--encoding",
        choices=ENCODINGS,
        default=ENCODINGS[0],
        help="integer: one exact code per sequence (latent dimension 1); histogram: k^d counts",
    )
    p.add_argument(
        "--representative",
        choices=REPRESENTATIVES,
        default=REPRESENTATIVES[0],
        help="point of each cell where the target is evaluated",
    )
    p.add_argument(
        "--lipschitz",
        type=float,
        default=None,
        help="Lipschitz constant of the target for the error bound (default: the registered one, "
        "else a sampled estimate)",
    )
    p.add_argument("--samples", type=int, default=4096, help="random test sequences for the measured error")
    p.add_argument("--seed", type=int, default=0, help="seed of the test sequences")
    p.add_argument("--save", metavar="FILE", help="write the model (its target and grid, safetensors) to FILE")
    p.add_argument(
        "--max-work",
        type=int,
        default=None,
        metavar="UNITS",
        help="budget of the build and error search, f calls x n x (code bits)^1.7, estimated from n, d, k and "
        f"--samples before it starts (default {DISCONTINUOUS_MAX_WORK:.0e}, about 13 CPU minutes); larger "
        "requests are refused",
    )
    add_max_memory(p)
    add_progress(p)
    add_json(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import constructions
    from constructions import discontinuous, verify

    from ._output import print_json

    check_output(args.save)
    target = resolve_target(args.target)
    seconds, memory = _check_grid_size(args)
    with progress_bar(args, seconds, memory, f"the build and error search ({args.k}^{args.d} cells)", bar=False):
        model = discontinuous.build(target, args.n, args.d, args.k, args.encoding, args.representative)
        result = verify.sup_error(
            model, target, args.n, args.d, search=verify.SearchConfig(samples=args.samples), seed=args.seed
        )
    sizes = discontinuous.size_accounting(args.n, args.d, args.k)
    lipschitz, source = _lipschitz(args, target)
    bound = None if lipschitz is None else discontinuous.error_bound(lipschitz, args.k, args.representative)
    if args.save:
        constructions.save(model, args.save, target=target)
    summary = {
        "inputs": inputs(args),
        "target": target_label(target),
        "model": repr(model),
        "latent_dim": model.latent_dim,
        "sizes": {k: json_int(v) if isinstance(v, int) else v for k, v in sizes.to_dict().items()},
        "sup_error": result.error,
        "sup_error_is": "best found sup (random + grid + local search)",
        "error_bound": bound,
        "lipschitz": lipschitz,
        "lipschitz_source": source if lipschitz is not None else None,
        "bound_holds": bound_holds(result.error, bound),
        "f_calls": model.f_calls,
        "equivariance_error": result.equivariance_error,
        "saved": args.save,
    }
    if args.json:
        print_json(summary)
    else:
        _print_text(args, model, sizes, summary)
    if not summary["bound_holds"]:  # never a false inequality: the contradiction fails the command
        print(
            f"polyapprox build discontinuous: CONTRADICTION: the measured error {result.error:.6e} exceeds the "
            f"error bound {bound:.6e} of Lipschitz constant {lipschitz:.6g} ({source}); the target is not "
            "that Lipschitz (give a larger --lipschitz)",
            file=sys.stderr,
        )
        return 1
    return 0


#: Slack for comparing a float measurement with the bound (rounding of the target's float evaluation).
BOUND_SLACK = 1e-12


def bound_holds(measured: float, bound: float | None) -> bool:
    """Whether the measured error is within the stated bound (up to float rounding); True without a bound."""
    return bound is None or measured <= bound + BOUND_SLACK * (1.0 + bound)


def _check_grid_size(args: argparse.Namespace) -> tuple[float, float]:
    """Refuse a grid past 2^40 cells or whose exact codes exceed the memory budget, before building it.

    Returns the estimated seconds and bytes of the build and error search (0, 0 for sizes that
    the library will refuse itself).
    """
    import math

    from constructions import discontinuous

    from ...internal import SizeError, check_int
    from ._estimate import DISCONTINUOUS_MAX_WORK, discontinuous_bytes, discontinuous_seconds, discontinuous_work

    if min(args.n, args.d, args.k, args.samples) < 1:
        return 0.0, 0.0
    if args.d * math.log2(args.k) > 40:
        raise SizeError(f"a grid with k^d = {args.k}^{args.d} cells is too large (limit 2^40)")
    discontinuous.size_accounting(args.n, args.d, args.k)  # its own size refusals, before any build
    budget = DISCONTINUOUS_MAX_WORK if args.max_work is None else check_int("max-work", args.max_work)
    work = discontinuous_work(args.n, args.d, args.k, args.samples)
    if work > budget:
        raise SizeError(
            f"the build and error search on k^d = {args.k}^{args.d} cells with n = {args.n} needs an estimated "
            f"{work:.2g} work units (f calls x n x code bits^1.7), more than the budget of {budget:.2g}; "
            "reduce k or --samples, or raise --max-work"
        )
    memory = discontinuous_bytes(args.n, args.d, args.k, 4 * args.samples)
    check_memory(memory, args, f"the exact codes of a grid with k^d = {args.k}^{args.d} cells")
    return discontinuous_seconds(args.n, args.d, args.k, args.samples), memory


def _lipschitz(args: argparse.Namespace, target: Any) -> tuple[float | None, str]:
    """The Lipschitz constant for the error bound (--lipschitz, else the target's) and where it came from."""
    import math

    from ...internal import PolyapproxError

    if args.lipschitz is not None:
        if not (math.isfinite(args.lipschitz) and args.lipschitz >= 0):
            raise PolyapproxError(f"--lipschitz must be a finite number >= 0; got {args.lipschitz}")
        return args.lipschitz, "given"
    source = "estimated by sampling" if getattr(target, "lipschitz_estimated", False) else "known"
    return target.lipschitz_constant(args.n, args.d), source


def _print_text(args: argparse.Namespace, model: Any, sizes: Any, summary: dict) -> None:
    """The human-readable report: the model, its code sizes, the measured error beside the bound."""
    print(model)
    print(
        f"latent dimension {model.latent_dim}; {show_int(sizes.distinct_codes)} distinct codes; largest code "
        f"{show_int(sizes.max_code_digits)} digits ({show_int(sizes.max_code_bits)} bits); continuous "
        f"construction d' = {show_int(sizes.continuous_latent)}"
    )
    bound, lipschitz, source = summary["error_bound"], summary["lipschitz"], summary["lipschitz_source"]
    relation = "<=" if summary["bound_holds"] else "> (CONTRADICTION)"
    tail = (
        f" {relation} bound {bound:.3e} (Lipschitz constant {lipschitz:.3g}, {source})"
        if bound is not None
        else " (no Lipschitz bound known; give --lipschitz)"
    )
    print(f"best found sup error vs {summary['target']}: {summary['sup_error']:.3e}{tail}")
    print(f"f evaluated on {model.f_calls} distinct multisets; equivariance error {summary['equivariance_error']:.1e}")
    if args.save:
        print(f"saved to {args.save}")
