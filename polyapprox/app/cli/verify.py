"""``polyapprox verify FILE [--target T] [--tol X] [--certify [--certificate CERT]] [--json]``: error of a saved model."""

from __future__ import annotations

import argparse
import math
from typing import Any

from ._common import TARGET_HELP, add_json, applies_only, inputs, parse_bytes, resolve_target, target_label

#: Largest |lo|, |hi| of a domain verify checks on, and the smallest width relative to max(1, |lo|, |hi|):
#: beyond them a domain is degenerate (a file edited to [0, 1e-9] would pass any tolerance).
MAX_DOMAIN_MAGNITUDE = 1e6
MIN_RELATIVE_WIDTH = 1e-6


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "verify",
        help="measure the sup-norm error of a saved model against its target",
        description="Load a model saved by 'build ... --save' (any kind; nothing in the file is executed) and "
        "estimate its sup-norm error against the target recorded in the file (or --target): random samples, "
        "a grid, then local maximisation; the result is the best found sup, a lower bound of the true sup. "
        "With --certify (every model kind; targets with an interval form: registered names and expressions), also "
        "a rigorous upper bound: the true sup lies in [lower, upper]. "
        "Exit code 1 when the error (with --certify: the certified upper bound) exceeds --tol.",
    )
    p.add_argument("file", help="model file written by 'build ... --save'")
    p.add_argument("--target", default=None, help="override the recorded target: " + TARGET_HELP)
    p.add_argument(
        "--tol",
        type=float,
        default=None,
        help="exit with code 1 when the error (with --certify: the certified upper bound) exceeds X",
    )
    p.add_argument("--samples", type=int, default=4096, help="random test sequences (first stage)")
    p.add_argument("--seed", type=int, default=0, help="seed of the test sequences")
    p.add_argument(
        "--max-bytes", type=parse_bytes, default=None, metavar="SIZE", help="largest model file read (default 256M)"
    )
    p.add_argument(
        "--certify",
        action="store_true",
        help="also compute a rigorous upper bound on the sup error (outward-rounded interval "
        "branch and bound over boxes, or cell by cell for the piecewise-constant kinds) and print the interval "
        "[lower, upper] that contains it",
    )
    p.add_argument("--ratio", type=float, default=1.5, help="with --certify: stop when upper <= RATIO * lower")
    p.add_argument(
        "--max-boxes", type=int, default=200_000, help="with --certify: work budget in boxes (a cell counts as a box)"
    )
    p.add_argument(
        "--time-limit",
        type=float,
        default=None,
        help="with --certify: optional wall-clock safety stop in seconds (off by default; a result cut "
        "short by it is rigorous but not reproducible)",
    )
    p.add_argument(
        "--certificate",
        default=None,
        metavar="CERT",
        help="with --certify: write a certificate of the upper bound (JSON; continuous Sumformers and ReLU networks) that "
        "tools/check_certificate.py re-verifies without this toolkit",
    )
    p.add_argument(
        "--domain",
        type=float,
        nargs=2,
        default=None,
        metavar=("LO", "HI"),
        help="check on [LO, HI]^(n x d) instead of the domain recorded in the file",
    )
    for option in ("--ratio", "--max-boxes", "--time-limit", "--certificate"):
        applies_only(p, option, lambda a: a.certify, "with --certify")
    add_json(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import constructions
    from constructions import verify

    from ...internal import PolyapproxError
    from ._output import print_json

    if args.tol is not None and not (math.isfinite(args.tol) and args.tol >= 0):
        raise PolyapproxError(f"--tol must be a finite number >= 0; got {args.tol}")
    if args.certify and args.time_limit is not None and not (math.isfinite(args.time_limit) and args.time_limit > 0):
        raise PolyapproxError(f"--time-limit must be a finite number of seconds > 0; got {args.time_limit}")
    if args.certify and not (math.isfinite(args.ratio) and args.ratio >= 1):
        raise PolyapproxError(f"--ratio must be a finite number >= 1 (upper <= RATIO * lower); got {args.ratio}")
    if args.certify:  # the budget's own checks (a box count), before any work
        verify.CertificationBudget(max_boxes=args.max_boxes, ratio=args.ratio, time_limit=args.time_limit)
    if args.domain is not None:  # before reading the file
        check_domain(args.domain, "--domain")
    info = constructions.read(args.file, **({} if args.max_bytes is None else {"max_bytes": args.max_bytes}))
    recorded = check_domain(info.domain, "the domain recorded in the file")
    domain = recorded if args.domain is None else check_domain(args.domain, "--domain")
    if not recorded[0] <= domain[0] < domain[1] <= recorded[1]:
        raise PolyapproxError(
            f"--domain [{domain[0]:g}, {domain[1]:g}] is not inside the model's domain [{recorded[0]:g}, "
            f"{recorded[1]:g}] (recorded in the file); the model is not defined outside it"
        )
    target = _target(args, info)
    result = verify.sup_error(
        info.model,
        target,
        info.n,
        info.d,
        domain=domain,
        search=verify.SearchConfig(samples=args.samples),
        seed=args.seed,
    )
    measured, cert = result.error, None
    if args.certify:
        budget = verify.CertificationBudget(max_boxes=args.max_boxes, ratio=args.ratio, time_limit=args.time_limit)
        extra = {} if args.certificate is None else {"certificate": args.certificate, "model_file": args.file}
        cert = verify.certified_sup_error(
            info.model, target, budget, seed=args.seed, domain=None if args.domain is None else domain, **extra
        )
        measured = cert.upper
    passed = args.tol is None or measured <= args.tol
    summary = _summary(args, info, target, result, cert, passed, domain)
    if args.json:
        print_json(summary)
    else:
        _print_text(args, info, summary, result, cert, measured)
    return 0 if passed else 1


def _target(args: argparse.Namespace, info: Any) -> Any:
    """The target to measure against: --target, else the one recorded in the file (a callable never is)."""
    from ...internal import PolyapproxError

    if args.target is not None:
        return resolve_target(args.target)
    if info.target is not None:
        return info.target
    recorded = (info.target_spec or {}).get("callable")
    raise PolyapproxError(
        "the file records "
        + (f"the Python callable {recorded!r}, which is never imported from a file" if recorded else "no target")
        + "; give --target"
    )


def check_domain(domain: Any, source: str) -> tuple[float, float]:
    """(lo, hi), or a one-line refusal of a degenerate domain (empty, reversed, tiny or huge width)."""
    from ...internal import DomainError

    lo, hi = (float(v) for v in domain)
    scale = max(1.0, abs(lo), abs(hi))
    if not (math.isfinite(lo) and math.isfinite(hi)) or scale > MAX_DOMAIN_MAGNITUDE:
        raise DomainError(
            f"{source} [{lo:g}, {hi:g}] is not a usable domain (|lo| and |hi| must be at most "
            f"{MAX_DOMAIN_MAGNITUDE:g}); refusing to verify on it"
        )
    if not hi - lo >= MIN_RELATIVE_WIDTH * scale:
        raise DomainError(
            f"{source} [{lo:g}, {hi:g}] is degenerate (width {hi - lo:g}, at least {MIN_RELATIVE_WIDTH:g} x "
            f"max(1, |lo|, |hi|) is needed); refusing to verify on it (an edited file?)"
        )
    return lo, hi


def _summary(
    args: argparse.Namespace, info: Any, target: Any, result: Any, cert: Any, passed: bool, domain: tuple[float, float]
) -> dict:
    """The JSON record of one verification."""
    return {
        "inputs": inputs(args),
        "kind": info.kind,
        "n": info.n,
        "d": info.d,
        "d_out": info.d_out,
        "domain": list(domain),
        "domain_source": "--domain" if args.domain is not None else "recorded in the file",
        "model": _short(info.model),
        "target": target_label(target),
        "target_source": "--target" if args.target is not None else "recorded in the file",
        "sup_error": result.error,
        "sup_error_is": "best found sup (random + grid + local search)",
        "by_stage": result.by_stage,
        "evaluations": result.evaluations,
        "equivariance_error": result.equivariance_error,
        "argmax": result.argmax,
        "tol": args.tol,
        "passed": passed,
        "version": info.version,
        "certified": None if cert is None else cert.to_dict(),
    }


def _print_text(args: argparse.Namespace, info: Any, summary: dict, result: Any, cert: Any, measured: float) -> None:
    """The human-readable report: the model, the sampled error, the certified interval, PASS/FAIL."""
    print(f"{info.kind} model, n = {info.n}, d = {info.d}, d_out = {info.d_out}: {_short(info.model)}")
    lo, hi = summary["domain"]
    print(f"checked on the domain [{lo:g}, {hi:g}]^({info.n} x {info.d}) ({summary['domain_source']})")
    print(
        f"best found sup error vs {summary['target']} ({summary['target_source']}): {result.error:.3e} "
        f"({result.evaluations} evaluations; " + ", ".join(f"{k} {v:.3e}" for k, v in result.by_stage.items()) + ")"
    )
    print(f"equivariance error (relative): {result.equivariance_error:.1e}")
    if cert is not None:
        print(
            f"certified: sup error in [{cert.lower:.4e}, {cert.upper:.4e}] (ratio {cert.ratio:.3f}; "
            f"{'reached' if cert.reached else 'NOT reached'} {args.ratio:g}; {cert.boxes} boxes, "
            f"{cert.seconds:.1f} s)"
        )
        if args.certificate is not None:
            print(f"certificate written to {args.certificate} (check: python tools/check_certificate.py CERT)")
    if args.tol is not None:
        passed = summary["passed"]
        print(f"{'PASS' if passed else 'FAIL'}: {measured:.3e} {'<=' if passed else '>'} tol {args.tol:g}")


def _short(model) -> str:
    """One line about the model, the same for every kind: what it is, its size, its proven bound."""
    from constructions import get_model_kind

    kind = get_model_kind(model.kind)
    bound = model.error_bound
    return f"{kind.description}; {kind.cost(model)} parameters; " + (
        "no proven error bound" if bound is None else f"proven error bound {bound:.3g}"
    )
