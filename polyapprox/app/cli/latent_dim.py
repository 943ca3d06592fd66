"""``polyapprox latent-dim N D [--k K] [--json]`` and ``latent-dim --table``."""

from __future__ import annotations

import argparse

from ... import latent_dimension_table
from ...internal import PolyapproxError
from ._output import print_json


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "latent-dim",
        help="latent dimension of every construction beside the literature's bounds",
        description="Print the latent dimension d' of each Sumformer construction for n tokens "
        "of dimension d, side by side with the bounds from the literature.",
    )
    p.add_argument("n", nargs="?", type=int, help="number of tokens")
    p.add_argument("d", nargs="?", type=int, help="token dimension")
    p.add_argument("--n", dest="n_option", type=int, default=None, metavar="N", help="number of tokens (as N)")
    p.add_argument("--d", dest="d_option", type=int, default=None, metavar="D", help="token dimension (as D)")
    p.add_argument("--k", type=int, default=None, help="grid parameter: adds the histogram column k^d")
    p.add_argument("--table", action="store_true", help="a table over n = 1..N_MAX, d = 1..D_MAX")
    p.add_argument("--n-max", type=int, default=None, help="largest n of --table (default 6)")
    p.add_argument("--d-max", type=int, default=None, help="largest d of --table (default 5)")
    p.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    for name in ("n", "d"):
        option = getattr(args, f"{name}_option")
        if option is not None:
            if getattr(args, name) is not None:
                raise PolyapproxError(f"give {name.upper()} either as a positional argument or as --{name}, not both")
            setattr(args, name, option)
    if not args.table and (args.n_max is not None or args.d_max is not None):
        raise PolyapproxError("--n-max/--d-max apply only with --table; for one row give N D or --n N --d D")
    args.n_max = 6 if args.n_max is None else args.n_max
    args.d_max = 5 if args.d_max is None else args.d_max
    if args.table:
        if args.n is not None:
            raise PolyapproxError("give either N D or --table (with --n-max/--d-max), not both")
        table = latent_dimension_table(
            range(1, _positive("--n-max", args.n_max) + 1), range(1, _positive("--d-max", args.d_max) + 1), k=args.k
        )
    else:
        if args.n is None or args.d is None:
            raise PolyapproxError("give N and D (e.g. 'latent-dim 3 2'), or --table")
        table = latent_dimension_table([args.n], [args.d], k=args.k)
    if args.json:
        data = table.to_dict()
        data["inputs"] = {
            "n": args.n,
            "d": args.d,
            "k": args.k,
            "table": args.table,
            "n_max": args.n_max,
            "d_max": args.d_max,
        }
        print_json(data)
    else:
        print(table.to_markdown())
    return 0


def _positive(name: str, value: int) -> int:
    if value < 1:
        raise PolyapproxError(f"{name} must be an integer >= 1; got {value}")
    return value
