"""``polyapprox build transformer|linformer|performer --target NAME --n N --d D --degree K ...``."""

from __future__ import annotations

import argparse

KINDS = {
    "transformer": "standard Transformer with ONE softmax attention layer (theory/attention)",
    "linformer": "Linformer with projections E, F of shape (k, n) (theory/attention)",
    "performer": "Performer with m random features (theory/attention)",
}


def register(kinds: argparse._SubParsersAction) -> None:
    for kind, help_text in KINDS.items():
        p = kinds.add_parser(kind, help=help_text,
                             description=f"Fit a continuous Sumformer to the target, build a {help_text} with "
                             "weights from the proof, print describe() and the measured errors.")
        p.add_argument("--target", required=True)
        p.add_argument("--n", type=int, required=True)
        p.add_argument("--d", type=int, required=True)
        p.add_argument("--degree", type=int, required=True, help="degree of psi")
        p.add_argument("--ff", choices=["exact", "relu"], default="exact")
        p.add_argument("--m-relu", type=int, default=6, help="Yarotsky depth parameter m for --ff relu")
        p.add_argument("--seed", type=int, default=0)
        if kind == "linformer":
            p.add_argument("--k", type=int, default=2, help="projected length k")
        if kind == "performer":
            p.add_argument("--m", type=int, default=16, help="number of random features")
            p.add_argument("--features", choices=["positive", "trig"], default="positive")
        p.add_argument("--json", action="store_true")
        p.set_defaults(run=run, network_kind=kind)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from constructions import (
        continuous,
        linformer,
        performer,
        targets,
        transformer,
        verify,
    )

    from ._output import print_json

    target = targets.get(args.target)
    S, report = continuous.approximate(target, args.n, args.d, args.degree, seed=args.seed)
    common = {"ff": args.ff, "m_relu": args.m_relu}
    if args.network_kind == "transformer":
        net = transformer.from_sumformer(S, args.n, **common)
    elif args.network_kind == "linformer":
        net = linformer.from_sumformer(S, args.n, args.k, **common)
    else:
        net = performer.from_sumformer(S, args.n, args.m, features=args.features, seed=args.seed, **common)
    X = np.random.default_rng(args.seed + 1).uniform(size=(2000, args.n, args.d))
    vs_sumformer = float(np.abs(net(X) - S(X)).max())
    vs_target = verify.sup_error(net, target, args.n, args.d, samples=2000, local_starts=2, seed=args.seed)
    summary = {"network": args.network_kind, "ff": args.ff, "parameters": net.parameter_count(),
               "error_vs_sumformer": vs_sumformer, "error_bound_vs_sumformer": net.error_bound,
               "sumformer_test_sup_error": report.test_sup_error, "sup_error_vs_target": vs_target.error,
               "equivariance_error": vs_target.equivariance_error}
    if args.json:
        print_json(summary)
    else:
        print(net.describe())
        print(f"max |network - Sumformer| on 2000 random sequences: {vs_sumformer:.2e} "
              f"(proven bound {net.error_bound:.2e})")
        print(f"sup error vs target {target.name}: {vs_target.error:.3e} (Sumformer test sup error "
              f"{report.test_sup_error:.3e}); equivariance error {vs_target.equivariance_error:.1e}")
    return 0
