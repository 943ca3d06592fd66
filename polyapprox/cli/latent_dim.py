"""``polyapprox latent-dim N D [--k K] [--json]`` and ``latent-dim --table``."""

from __future__ import annotations

import argparse

from .. import latent_dimension_table
from ..internal import PolyapproxError
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
    p.add_argument("--k", type=int, default=None, help="grid parameter: adds the histogram column k^d")
    p.add_argument("--table", action="store_true", help="a table over n = 1..N_MAX, d = 1..D_MAX")
    p.add_argument("--n-max", type=int, default=6)
    p.add_argument("--d-max", type=int, default=5)
    p.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.table:
        if args.n is not None:
            raise PolyapproxError("give either N D or --table (with --n-max/--d-max), not both")
        table = latent_dimension_table(range(1, _positive("--n-max", args.n_max) + 1),
                                       range(1, _positive("--d-max", args.d_max) + 1), k=args.k)
    else:
        if args.n is None or args.d is None:
            raise PolyapproxError("give N and D (e.g. 'latent-dim 3 2'), or --table")
        table = latent_dimension_table([args.n], [args.d], k=args.k)
    if args.json:
        print_json(table.to_dict())
    else:
        print(table.to_markdown())
    return 0


def _positive(name: str, value: int) -> int:
    if value < 1:
        raise PolyapproxError(f"{name} must be an integer >= 1; got {value}")
    return value
