"""``polyapprox build sparse-transformer``: the network of the sparse universality theorem (Yun et al. 2020).

polyapprox build sparse-transformer --target centered --n 3 --d 1 --delta 1/2 --pattern star
polyapprox build sparse-transformer ... --rho softmax --t 300 --eps 0.001 [--save net.safetensors] [--json]

``--save FILE`` writes the network as a model file (``constructions.save``), which ``polyapprox
verify FILE`` and ``constructions.load`` read; loading rebuilds the exact rational weights and checks
them against the SHA-256 recorded in the file (``load(FILE).to_dict(weights=True)`` lists them).
"""

from __future__ import annotations

import argparse

from ._common import add_target, applies_only, check_output, inputs, resolve_target
from ._output import print_json
from .sparse import _masks, _path, _pattern_args


def register(kinds: argparse._SubParsersAction) -> None:
    p = kinds.add_parser(
        "sparse-transformer",
        help="sparse Transformer of the universality theorem (Yun et al. 2020): 2 heads of size 1, FF width <= 4",
        description="Build the sparse Transformer of the universality theorem of Yun et al. 2020 for a registered "
        "target: positional embedding along a Hamiltonian path, quantisation, selective and all-max "
        "shifts (contextual mapping), value mapping. With hardmax the network equals f at the cube "
        "centres exactly; with --rho softmax/sparsemax (--t) and --eps the real network is measured.",
    )
    add_target(p)
    _pattern_args(p, required=True)
    p.add_argument("--d", type=int, required=True, help="token dimension")
    p.add_argument("--delta", default="1/2", help="grid width 1/q, e.g. 1/2 (an integer is read as q)")
    p.add_argument(
        "--rho",
        choices=["hardmax", "softmax", "sparsemax"],
        default="hardmax",
        help="attention probability map: hardmax (exact network) or softmax/sparsemax with --t",
    )
    p.add_argument("--t", type=float, default=None, help="query scale (needed for softmax/sparsemax)")
    applies_only(p, "--t", lambda a: a.rho != "hardmax", "with --rho softmax or sparsemax (hardmax has no query scale)")
    p.add_argument(
        "--eps",
        type=float,
        default=None,
        help="width of the four-ReLU activations (0 < eps < delta/2); default: piecewise-linear ones",
    )
    p.add_argument("--samples", type=int, default=2000, help="random inputs for the d_p distance")
    p.add_argument("--norm-p", dest="norm_p", type=float, default=2.0, help="exponent p of the d_p distance")
    p.add_argument("--sample-seed", dest="sample_seed", type=int, default=0, help="seed of the random inputs")
    p.add_argument("--max-value-layers", type=int, default=None, help="budget of value-mapping layers")
    p.add_argument(
        "--save",
        metavar="FILE",
        default=None,
        help="write the network (its target, exact construction parameters and masks, safetensors) to FILE; "
        "loading rebuilds the exact rational weights and checks them against the recorded SHA-256",
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(run=run)


def _delta(text: str):
    text = text.strip()
    return int(text) if text.isdigit() else text


def run(args: argparse.Namespace) -> int:
    import constructions
    from constructions import sparse

    check_output(args.save)
    target = resolve_target(args.target)
    target.check_d(args.d)
    # the distance's sizes, p and seed are refused before the network and its grid check are built
    sparse.check_distance_args(args.n, args.d, p=args.norm_p, samples=args.samples, seed=args.sample_seed)
    budget = {} if args.max_value_layers is None else {"max_value_layers": args.max_value_layers}
    net = sparse.universal_network(
        target,
        args.n,
        args.d,
        _delta(args.delta),
        _masks(args),
        rho=args.rho,
        t=args.t,
        eps=args.eps,
        path=_path(args.path),
        **budget,
    )
    grid = net.grid_check()
    dist = net.distance(p=args.norm_p, samples=args.samples, seed=args.sample_seed)
    summary = {
        "inputs": inputs(args),
        "network": "sparse-transformer",
        "target": target.name,
        "pattern": args.pattern,
        **net.to_dict(),
        "grid_check": grid,
        "distance": dist,
        "saved": args.save,
    }
    summary.pop("masks")
    if args.save:
        constructions.save(net, args.save, target=target)
    if args.json:
        print_json(summary)
        return 0
    print(net.describe())
    if grid["checked"]:
        checked = (
            f"the {grid['inputs']:,} grid inputs (all checked)"
            if grid["checked"] == grid["inputs"]
            else f"{grid['checked']:,} checked grid inputs (of {grid['inputs']:,})"
        )
        print(f"g equals f-bar ({grid['arithmetic']}) on {grid['equal']:,} of {checked}")
    else:
        print(f"grid check skipped: {grid['reason']}")
    print(
        f"d_{dist['p']:g} distance on {dist['samples']} random inputs: d(f, g) = {dist['d_p(f,g)']:.4g}, "
        f"d(f, f-bar) = {dist['d_p(f,f_bar)']:.4g} (Step-1 bound {dist['bound_f_fbar']:.4g} from "
        f"omega_f(delta/2) = {dist['omega']:.4g}, {dist['omega_how']}), d(f-bar, g) = {dist['d_p(f_bar,g)']:.4g}; "
        f"share of inputs with g != f-bar: {dist['mismatch']:.4g}"
    )
    if args.save:
        print(f"saved to {args.save}")
    return 0
