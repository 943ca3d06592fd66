"""``polyapprox represent "<first output row>" --n N --d D [--refined] [--certificate CERT] [--latex] [--json]``.

Reads the first output row F_1 (comma-separated entries for d_out > 1) with the safe parser,
completes F by equivariance after checking that F_1 is symmetric in tokens 2..n, computes
Psi with F_i(X) = Psi(x_i, P(X)) (theory/representation) and certifies it by exact expansion.
"""

from __future__ import annotations

import argparse

from ... import MAX_SOLVE_WORK, METHODS, SolveConfig, represent_equivariant
from ...internal import PolyapproxError
from ._common import applies_only, inputs, long_integers
from ._output import print_json


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "represent",
        help="exact Sumformer form F_i(X) = Psi(x_i, P(X)) of an equivariant polynomial",
        description="Compute Psi with F_i(X) = Psi(x_i, P(X)) for the equivariant polynomial map whose first "
        "output row is given (entries separated by commas; variables x{i}_{k}, token i, coordinate k, "
        "1-based; only numbers, + - * / ** and parentheses). Example: "
        'polyapprox represent "x2_1*x3_1 + x1_2*(x2_2+x3_2), x2_1*x2_2 + x3_1*x3_2" --n 3 --d 2',
    )
    p.add_argument("row", help='the first output row F_1, e.g. "x2_1*x3_1" (comma-separated for d_out > 1)')
    p.add_argument("--n", type=int, required=True, help="number of tokens")
    p.add_argument("--d", type=int, required=True, help="token dimension")
    p.add_argument("--refined", action="store_true", help="power sums up to degree n-1 instead of n")
    p.add_argument("--degree", type=int, default=None, help="weighted degree bound of Psi (default: degree of F_1)")
    p.add_argument(
        "--method",
        choices=METHODS,
        default=METHODS[0],
        help="algorithm: orbit-blocks (degree blocks x Stab(1)-orbit rows, sparse; the default) or "
        "dense-expansion (every candidate expanded, one dense rref; a baseline)",
    )
    p.add_argument(
        "--max-work",
        type=int,
        default=None,
        metavar="UNITS",
        help="budget of the exact elimination, estimated from n, d and the degree before it starts "
        f"(default {MAX_SOLVE_WORK:.0e} units, under a minute here); larger requests are refused. A larger "
        "value also raises the budgets of expanding the row (bounded from its syntax) and of certifying Psi",
    )
    p.add_argument(
        "--certificate",
        default=None,
        metavar="CERT",
        help="also write a certificate of the identity (JSON) that tools/check_certificate.py re-verifies by "
        "exact expansion without this toolkit",
    )
    p.add_argument("--latex", action="store_true", help="print Psi as LaTeX")
    p.add_argument(
        "--json",
        action="store_true",
        help="print the representation as JSON: EquivariantRepresentation.to_dict() plus the keys inputs (this "
        "command's arguments), latent_dim, verified, candidates and rank, which from_dict skips, so "
        "EquivariantRepresentation.from_dict reads the output as it is",
    )
    applies_only(p, "--latex", lambda a: not a.json, "without --json (the JSON output holds Psi as text)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.n < 1 or args.d < 1:
        raise PolyapproxError(f"--n and --d must be integers >= 1; got --n {args.n} --d {args.d}")
    config = SolveConfig(method=args.method, max_work=args.max_work)
    rep = represent_equivariant(args.row, args.n, args.d, args.refined, degree=args.degree, config=config)
    stats = rep.stats
    if stats is None:  # represent_equivariant records them on every result it returns
        raise PolyapproxError("represent_equivariant returned a result without solve statistics")
    # The engine's certificate: Psi(x_1, P(X)) expanded exactly to F_1, and F was checked equivariant, so
    # Psi(x_i, P(X)) = F_1(tau_1i X) = F_i for every i. (rep.verify() re-expands all n rows: n times the
    # work, past any budget for a short input at large n such as the sum of 999 tokens at n = 1000.)
    verified, failure = bool(stats.verified), "the engine did not certify Psi(x_1, P(X)) = F_1"
    with long_integers():  # exact coefficients (bounded by the parser's digit limit) may exceed 4,300 digits
        if args.certificate is not None:
            rep.certificate(args.certificate)
        return _print(args, rep, stats, verified, failure)


def _print(args: argparse.Namespace, rep, stats, verified: bool, failure: str) -> int:
    if args.json:
        data = rep.to_dict()
        data.update(latent_dim=rep.latent_dim, verified=verified, candidates=stats.candidates, rank=stats.rank)
        data["inputs"] = inputs(args)
        print_json(data)
    else:
        K = rep.K
        print(
            f"n = {rep.n}, d = {rep.d}, d_out = {rep.d_out}; power sums |alpha| <= K = {K}: "
            f"latent dimension d' = {rep.latent_dim}; method {rep.method}, {stats.candidates} candidate terms, "
            f"rank {stats.rank}"
        )
        if args.latex:
            print(rep.to_latex())
        else:
            for c, expr in enumerate(rep.Psi):  # pyright: ignore[reportArgumentType]  # sympy's Matrix iterates via __getitem__/__len__
                label = "Psi" if rep.d_out == 1 else f"Psi[{c + 1}]"
                print(f"{label}(y, p) = {expr}")
        if verified:
            print(f"verified: Psi(x_i, P(X)) expands exactly to F_i for i = 1..{rep.n}")
        else:  # pragma: no cover
            print(f"verification FAILED: {failure}")
        if args.certificate is not None:
            print(f"certificate written to {args.certificate} (check: python tools/check_certificate.py CERT)")
    return 0 if verified else 1
