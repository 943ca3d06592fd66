"""``polyapprox build KIND ...``: build a network from a proof and report its error.

Each kind lives in its own module ``build_<kind>.py`` with ``register(kind_subparsers)``.
"""

from __future__ import annotations

import argparse
import importlib

#: Modules of the build kinds, in the order ``build --help`` lists them.
KINDS: list[str] = [
    "build_continuous",
    "build_discontinuous",
    "build_transformer",
    "build_sparse",
]


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "build",
        help="build a Sumformer or network from a proof and report its error",
        description="Build a construction whose weights come from a proof, and report its verified error.",
    )
    kinds = p.add_subparsers(dest="kind", metavar="KIND", required=True)
    for name in KINDS:
        importlib.import_module(f"{__package__}.{name}").register(kinds)
