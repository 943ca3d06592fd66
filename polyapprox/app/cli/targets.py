"""``polyapprox targets [--json]``: the registered targets with their formulas."""

from __future__ import annotations

import argparse

from ._common import add_json


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "targets",
        help="list the registered targets and their formulas",
        description="List the registered equivariant targets usable as --target NAME, with formulas, output "
        "dimension and Lipschitz constants. --target also takes a target expression such as "
        '"sum_j(exp(-norm2(x_i - x_j)))" (own token x_i; other tokens x_j only inside sum_j, mean_j, max_j, '
        "min_j; coordinates x_i[0]; arithmetic with powers; exp log sqrt sin cos tanh abs dot norm norm2), or "
        "module:function, which imports and runs your Python code.",
    )
    add_json(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from constructions import targets

    from ._output import print_json

    rows = []
    for name in targets.names():
        t = targets.get(name)
        rows.append(
            {
                "name": name,
                "formula": targets.formula(name),
                "description": t.description,
                "expression": targets.FORMULAS.get(name),
                "continuous": t.continuous,
                "d": "any" if t.dims is None else list(t.dims),
                "d_out": _output_dim(t),
                "lipschitz_known": t.lipschitz is not None,
            }
        )
    if args.json:
        print_json({"inputs": {}, "targets": rows})
    else:
        width = max(len(r["name"]) for r in rows)
        for r in rows:
            print(f"{r['name']:<{width}}  {r['formula']}")
        print(
            '\nor a target expression, e.g. --target "sum_j(exp(-norm2(x_i - x_j)))", or module:function '
            "(runs your code)"
        )
    return 0


def _output_dim(t) -> int | str:
    """d_out as a number, or "d" when it equals the token dimension."""
    if t.dims is None and t.output_dim(2) == 2 and t.output_dim(3) == 3:
        return "d"
    return t.output_dim(t.dims[0] if t.dims else 2)
