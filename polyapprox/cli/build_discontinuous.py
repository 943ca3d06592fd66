"""``polyapprox build discontinuous --target NAME --n N --d D --k K``."""

from __future__ import annotations

import argparse


def register(kinds: argparse._SubParsersAction) -> None:
    p = kinds.add_parser(
        "discontinuous",
        help="piecewise-constant Sumformer with exact cell codes (latent dimension 1)",
        description="Build the discontinuous Sumformer on the grid of width 1/k (theory/discontinuous; "
        "reconstruction): phi encodes the occupied cells as an exact integer, psi decodes it.",
    )
    p.add_argument("--target", required=True)
    p.add_argument("--n", type=int, required=True)
    p.add_argument("--d", type=int, required=True)
    p.add_argument("--k", type=int, required=True, help="grid parameter: cells of width 1/k")
    p.add_argument("--encoding", choices=["integer", "histogram"], default="integer")
    p.add_argument("--representative", choices=["corner", "center"], default="corner")
    p.add_argument("--samples", type=int, default=4096)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from constructions import discontinuous, targets, verify

    from ._output import print_json

    target = targets.get(args.target)
    model = discontinuous.build(target, args.n, args.d, args.k, args.encoding, args.representative)
    sizes = discontinuous.size_accounting(args.n, args.d, args.k)
    result = verify.sup_error(model, target, args.n, args.d, samples=args.samples, seed=args.seed)
    lipschitz = target.lipschitz_constant(args.n, args.d)
    bound = None if lipschitz is None else discontinuous.error_bound(lipschitz, args.k, args.representative)
    summary = {"model": repr(model), "latent_dim": model.latent_dim, "sizes": sizes.to_dict(),
               "sup_error": result.error, "error_bound": bound, "f_calls": model.f_calls,
               "equivariance_error": result.equivariance_error}
    if args.json:
        print_json(summary)
    else:
        print(model)
        print(f"latent dimension {model.latent_dim}; {sizes.distinct_codes:,} distinct codes; largest code "
              f"{sizes.max_code_digits} digits ({sizes.max_code_bits} bits); continuous construction d' = "
              f"{sizes.continuous_latent}")
        print(f"sup error vs {target.name}: {result.error:.3e}" + (f" <= bound {bound:.3e}" if bound is not None
                                                                     else " (no Lipschitz bound known)"))
        print(f"f evaluated on {model.f_calls} distinct multisets; equivariance error {result.equivariance_error:.1e}")
    return 0
