"""``polyapprox verify FILE --target NAME``: measured sup error and equivariance error of a saved model."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "verify",
        help="measure the sup-norm error of a saved model against a target",
        description="Load a model saved by 'build continuous --save' (nothing in the file is executed) and "
        "estimate its sup-norm error against the target: random samples, a grid, local maximisation.",
    )
    p.add_argument("file", help="model file (JSON)")
    p.add_argument("--target", required=True)
    p.add_argument("--samples", type=int, default=4096)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tol", type=float, default=None,
                   help="exit 1 when the error (with --certify: the certified upper bound) exceeds this")
    p.add_argument("--certify", action="store_true",
                   help="also compute a rigorous upper bound on the sup error (outward-rounded interval "
                   "branch and bound) and print the interval [lower, upper] that contains it")
    p.add_argument("--ratio", type=float, default=0.5,
                   help="with --certify: stop when upper <= (1 + RATIO) * lower (default 0.5)")
    p.add_argument("--max-boxes", type=int, default=200_000, help="with --certify: box budget")
    p.add_argument("--time-limit", type=float, default=60.0, help="with --certify: seconds budget")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from constructions import continuous, targets, verify

    from ._output import print_json

    model = continuous.load(args.file)
    target = targets.get(args.target)
    result = verify.sup_error(model, target, model.n, model.d, domain=model.domain, samples=args.samples,
                              seed=args.seed)
    summary = {"model": repr(model), "target": target.name, "sup_error": result.error,
               "by_stage": result.by_stage, "evaluations": result.evaluations,
               "equivariance_error": result.equivariance_error, "argmax": result.argmax}
    measured = result.error
    if args.certify:
        cert = verify.certified_sup_error(model, target, tol=args.ratio, max_boxes=args.max_boxes,
                                          time_limit=args.time_limit, seed=args.seed)
        summary["certified"] = cert.to_dict()
        measured = cert.upper
    if args.json:
        print_json(summary)
    else:
        print(model)
        print(f"sup error vs {target.name}: {result.error:.3e} ({result.evaluations} evaluations; "
              + ", ".join(f"{k} {v:.3e}" for k, v in result.by_stage.items()) + ")")
        print(f"equivariance error (relative): {result.equivariance_error:.1e}")
        if args.certify:
            print(f"certified: sup error in [{cert.lower:.4e}, {cert.upper:.4e}] (ratio {cert.ratio:.3f}; "
                  f"{'reached' if cert.reached else 'NOT reached'} 1 + {args.ratio:g}; {cert.boxes} boxes, "
                  f"{cert.seconds:.1f} s)")
    if args.tol is not None and not measured <= args.tol:
        return 1
    return 0
