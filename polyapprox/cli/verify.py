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
    if args.json:
        print_json(summary)
    else:
        print(model)
        print(f"sup error vs {target.name}: {result.error:.3e} ({result.evaluations} evaluations; "
              + ", ".join(f"{k} {v:.3e}" for k, v in result.by_stage.items()) + ")")
        print(f"equivariance error (relative): {result.equivariance_error:.1e}")
    return 0
