"""``polyapprox build continuous --target T --n N --d D --degree K [--save FILE]``."""

from __future__ import annotations

import argparse

from ._common import (
    add_json,
    add_max_memory,
    add_progress,
    add_target,
    check_memory,
    check_output,
    inputs,
    progress_bar,
    resolve_target,
    target_label,
)


def register(kinds: argparse._SubParsersAction) -> None:
    p = kinds.add_parser(
        "continuous",
        help="least-squares continuous Sumformer (power sums + polynomial psi) for a target",
        description="Fit Psi of total degree K so that S(X)_i = Psi(x_i, P(X)) approximates the target "
        "(Alberti et al. 2023, continuous construction), report the errors, and optionally save the exact model.",
    )
    add_target(p)
    p.add_argument("--n", type=int, required=True, help="number of tokens")
    p.add_argument("--d", type=int, required=True, help="token dimension")
    p.add_argument("--degree", type=int, required=True, help="total degree K of the fitted Psi")
    p.add_argument("--refined", action="store_true", help="power sums up to degree n-1 only")
    p.add_argument(
        "--samples",
        type=int,
        default=None,
        help="training sequences (default max(4000, 2 x terms / n)); as many test sequences",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the random training and test sequences")
    p.add_argument("--save", metavar="FILE", help="write the model (exact rationals, safetensors) to FILE")
    add_max_memory(p)
    add_progress(p)
    add_json(p)
    p.set_defaults(run=run)


def fit(args: argparse.Namespace, target):
    """The least-squares fit of the build commands, after the memory check; a time estimate and a progress
    bar on stderr when it is estimated to take more than a few seconds."""
    from constructions import continuous

    from ._estimate import fit_bytes, fit_seconds

    refined = getattr(args, "refined", False)
    seconds, memory, what = 0.0, 0.0, ""
    if min(args.n, args.d, args.degree) >= 1 and (args.samples is None or args.samples >= 1):
        memory, terms = fit_bytes(args.n, args.d, args.degree, args.samples, refined)
        check_memory(memory, args, f"the least-squares fit ({terms:,} candidate terms)")
        seconds, what = fit_seconds(args.n, args.d, args.degree, args.samples, refined), f"the fit ({terms:,} terms)"
    with progress_bar(args, seconds, memory, what) as progress:
        return continuous.approximate(
            target,
            args.n,
            args.d,
            args.degree,
            samples=args.samples,
            seed=args.seed,
            config=continuous.FitConfig(refined=refined, progress=progress),
        )


def run(args: argparse.Namespace) -> int:
    import constructions
    from constructions import verify

    from ._output import print_json

    check_output(args.save)
    target = resolve_target(args.target)
    model, report = fit(args, target)
    # the sup error as 'verify' measures it (random + grid + local search): the max over the test samples
    # alone can understate it several times (at a corner of the cube, for instance)
    vs_target = verify.sup_error(
        model, target, args.n, args.d, search=verify.SearchConfig(samples=4096), seed=args.seed
    )
    if args.save:
        constructions.save(model, args.save, target=target, meta={"report": report.to_dict()})
    if args.json:
        print_json(
            {
                "inputs": inputs(args),
                "target": target_label(target),
                "model": repr(model),
                "latent_dim": model.latent_dim,
                "report": report.to_dict(),
                "sup_error_vs_target": vs_target.error,
                "sup_error_vs_target_is": "best found sup (random + grid + local search), as verify measures it",
                "equivariance_error": vs_target.equivariance_error,
                "saved": args.save,
            }
        )
    else:
        print(model)
        print(format_report(report))
        print(
            f"best found sup error vs target {target_label(target)}: {vs_target.error:.3e} ({vs_target.evaluations:,} "
            f"evaluations: random, grid and local search; max over the {report.test_samples:,} test samples "
            f"{report.test_sup_error:.3e}); equivariance error {vs_target.equivariance_error:.1e}"
        )
        if args.save:
            print(f"saved to {args.save}")
    return 0


def format_report(report) -> str:
    """The fit report with honest names: sampled maxima are maxima over the samples, not the sup."""
    r = report.to_dict()
    labels = {
        "fit_sup_error": f"max error over {r['samples']} training samples",
        "fit_rms_error": "rms error (training)",
        "test_sup_error": f"max error over {r['test_samples']} test samples",
        "test_rms_error": "rms error (test)",
    }
    lines = []
    for key, value in r.items():
        label = labels.get(key, key)
        lines.append(f"{label:>38}: {value:.3g}" if isinstance(value, float) else f"{label:>38}: {value}")
    return "\n".join(lines)
