"""``polyapprox build continuous --target NAME --n N --d D --degree K [--save FILE]``."""

from __future__ import annotations

import argparse


def register(kinds: argparse._SubParsersAction) -> None:
    p = kinds.add_parser(
        "continuous",
        help="least-squares continuous Sumformer (power sums + polynomial psi) for a target",
        description="Fit Psi of total degree K so that S(X)_i = Psi(x_i, P(X)) approximates the target "
        "(theory/continuous), report the errors, and optionally save the exact model as JSON.",
    )
    p.add_argument("--target", required=True, help="a registered target (see constructions.targets)")
    p.add_argument("--n", type=int, required=True)
    p.add_argument("--d", type=int, required=True)
    p.add_argument("--degree", type=int, required=True)
    p.add_argument("--refined", action="store_true", help="power sums up to degree n-1 only")
    p.add_argument("--samples", type=int, default=None, help="training sequences (default max(4000, ...))")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--save", metavar="FILE", help="write the model (exact rationals) as JSON")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from constructions import continuous, targets

    from ._output import print_json

    target = targets.get(args.target)
    model, report = continuous.approximate(target, args.n, args.d, args.degree, refined=args.refined,
                                           samples=args.samples, seed=args.seed)
    if args.save:
        continuous.save(model, args.save, meta={"target": target.name, "report": report.to_dict()})
    if args.json:
        print_json({"model": repr(model), "report": report.to_dict(), "saved": args.save})
    else:
        print(model)
        print(report)
        if args.save:
            print(f"saved to {args.save}")
    return 0
