"""``polyapprox build transformer|linformer|performer|masked-transformer --target T --n N --d D --degree K``.

One subcommand per registered attention kind (``constructions.attention_kinds()``); each kind
adds its own options. ``--save FILE`` writes the network as a model file."""

from __future__ import annotations

import argparse

from constructions import attention_kinds, get_attention_kind

from ._common import (
    add_json,
    add_max_memory,
    add_progress,
    add_target,
    check_applies,
    check_output,
    inputs,
    resolve_target,
    target_label,
)

TEST_SEQUENCES = 2000


def register(kinds: argparse._SubParsersAction) -> None:
    for kind, help_text in ((k.network, k.description) for k in attention_kinds().values()):
        p = kinds.add_parser(
            kind,
            help=help_text,
            description=f"Fit a continuous Sumformer to the target, build a {help_text} with "
            "weights from the proof (one attention layer suffices: Alberti et al. 2023), print "
            "describe() and the measured errors.",
        )
        add_target(p)
        p.add_argument("--n", type=int, required=True, help="number of tokens")
        p.add_argument("--d", type=int, required=True, help="token dimension")
        p.add_argument("--degree", type=int, required=True, help="total degree of the fitted psi")
        p.add_argument(
            "--samples", type=int, default=None, help="training sequences of the fit (default as in build continuous)"
        )
        p.add_argument(
            "--ff",
            choices=["exact", "relu"],
            default="exact",
            help="feed-forward blocks: exact token maps, or explicit Yarotsky ReLU networks",
        )
        p.add_argument(
            "--m-relu",
            type=int,
            default=None,
            help="Yarotsky depth parameter m of the ReLU networks (only with --ff relu; default 6)",
        )
        p.add_argument("--seed", type=int, default=0, help="seed of the fit, the features and the test sequences")
        for option in get_attention_kind(kind).cli_options:
            p.add_argument(option.flag, **option.kwargs)
        p.add_argument("--save", metavar="FILE", help="write the network (exact psi and every weight, safetensors)")
        add_max_memory(p)
        add_progress(p)
        add_json(p)
        p.set_defaults(run=run, network_kind=kind)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    import constructions
    from constructions import verify

    from ._output import print_json
    from .build_continuous import fit

    check_output(args.save)
    check_applies(args, "--m-relu", "m_relu", args.ff == "relu", "without --ff relu")
    m_relu = 6 if args.m_relu is None else args.m_relu
    target = resolve_target(args.target)
    S, report = fit(args, target)
    net = get_attention_kind(args.network_kind).build(
        S, args.n, {**vars(args), "m_relu": m_relu, "random_query": False}
    )
    X = np.random.default_rng(args.seed + 1).uniform(size=(TEST_SEQUENCES, args.n, args.d))
    vs_sumformer = float(np.abs(net(X) - S(X)).max())
    vs_target = verify.sup_error(
        net, target, args.n, args.d, search=verify.SearchConfig(samples=TEST_SEQUENCES, local_starts=2), seed=args.seed
    )
    if args.save:
        constructions.save(net, args.save, target=target, meta={"fit": report.to_dict()})
    summary = {
        "inputs": {**inputs(args), "m_relu": m_relu},
        "network": args.network_kind,
        "target": target_label(target),
        "ff": args.ff,
        "parameters": net.parameter_count(),
        "error_vs_sumformer": vs_sumformer,
        "error_vs_sumformer_is": f"max over {TEST_SEQUENCES} test samples",
        "error_bound_vs_sumformer": net.error_bound,
        "sumformer_test_sup_error": report.test_sup_error,
        "sumformer_test_sup_error_is": f"max over {report.test_samples} test samples",
        "sup_error_vs_target": vs_target.error,
        "sup_error_vs_target_is": "best found sup",
        "equivariance_error": vs_target.equivariance_error,
        "saved": args.save,
    }
    if args.json:
        print_json(summary)
    else:
        print(net.describe())
        print(
            f"max |network - Sumformer| over {TEST_SEQUENCES} test samples: {vs_sumformer:.2e} "
            f"(proven bound {net.error_bound:.2e})"
        )
        print(
            f"best found sup error vs target {target_label(target)}: {vs_target.error:.3e} (Sumformer: max error "
            f"over {report.test_samples} test samples {report.test_sup_error:.3e}); equivariance error "
            f"{vs_target.equivariance_error:.1e}"
        )
        if args.save:
            print(f"saved to {args.save}")
    return 0
