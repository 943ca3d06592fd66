"""Certificates: the data a certified bound rests on, as JSON that a standalone checker re-verifies.

``tools/check_certificate.py`` (Python standard library only, importing nothing from this
project; it loads ``tools/check_certificate_networks.py`` for network certificates) reads these
files and re-derives every claim in exact rational interval arithmetic. Three kinds:

- ``sup-error``: sup over [lo, hi]^{n x d} of max_{i,c} |S(X)_ic - f(X)_ic| <= upper, for a
  polynomial Sumformer S(X)_i = Psi(x_i, P(X)) (exact rational coefficients of Psi) and a target
  f given by its formula (a registered target's ``targets.FORMULAS`` entry or the target expression). The boxes are the
  leaves of the bisection tree of the branch and bound: the initial grid (its edges), then for
  every split box the axis it was bisected along (at the float midpoint (lo + hi) * 0.5), every
  box contracted to the sorted-token region (the certifier's symmetry argument, stated in the
  file). Each leaf carries the bound the certifier computed for it (float hex); the checker
  rebuilds each leaf's box, recomputes a bound with the same second-order Taylor form in exact
  arithmetic, and accepts when its bound is <= the leaf's and every leaf's is <= ``upper``.
- ``network-error``: the same for a one-attention-layer ReLU network T (its float64 tensors, exact,
  and its uniform attention weight) against its polynomial Sumformer (``certified_network_error``)
  or a target: the checker rebuilds the leaves and encloses T on each by affine forms, relaxing
  every ReLU unit, and every chain of units on one input, as a piecewise-linear function it
  computes exactly from the weights (the checker's docstring states the method).
- ``representation`` (written by ``EquivariantRepresentation.certificate``): Psi, F_1, n, d and the
  power-sum indices of an exact representation; the checker expands Psi(x_i, P(X)) and F_i(X) =
  F_1(X with tokens 1 and i exchanged) with Python integers and fractions and compares them.

Floats are written in ``float.hex`` form (exact), rationals as "p/q" strings.
"""

from __future__ import annotations

import ast
import hashlib
import os
from fractions import Fraction
from typing import Any

import numpy as np

from polyapprox.internal import PolyapproxError, representation_data, write_certificate_json

FORMAT = "polyapprox.certificate/1"  # the same as the representation certificates of the exact core

#: What a target's formula may use for the checker to evaluate it (a subset of the target-expression language)
CHECKER_FUNCTIONS = ("exp", "norm2", "sum_j", "mean_j")
CHECKER_NAMES = ("x_i", "x_j")

_SORTED = (
    "is invariant under permuting tokens. Every X in the cube [lo, hi]^{n x d} has a permutation sorting its "
    "tokens by their first coordinate, so sup E over the cube = sup E over R = {X : x_{1,1} <= ... <= x_{n,1}}. "
    "The leaves cover R: the grid cells cover the cube, the two halves of a box cover it, and a box is replaced "
    "by its contraction to R (x_{j,1} >= max_{i<=j} lo_{i,1}, x_{j,1} <= min_{i>=j} hi_{i,1}), which keeps every "
    "point of R in it; an empty contraction misses R."
)
SYMMETRY = (
    "S(X)_i = Psi(x_i, P(X)) with P symmetric in the tokens, and the target is an expression in x_i and "
    "sums/means over all tokens j, so both are permutation-equivariant and E(X) = max_{i,c} |S(X)_ic - f(X)_ic| "
    + _SORTED
)


def target_expression(target: Any) -> str:
    """The formula the checker evaluates: a registered target's (``targets.FORMULAS``) or the target
    expression itself, when it uses only x_i, x_j, numbers, + - * /, squares (**2), exp, norm2, sum_j
    and mean_j; else a PolyapproxError saying so."""
    from .._targets.registry import FORMULAS

    name = str(getattr(target, "name", target))
    text = FORMULAS.get(name, name)
    try:
        nodes = list(ast.walk(ast.parse(text, mode="eval")))
    except SyntaxError:
        nodes = [None]
    allowed = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.USub)
    allowed += (ast.Load, ast.Constant, ast.Name, ast.Call)
    ok = all(
        isinstance(node, allowed)
        and not (isinstance(node, ast.Name) and node.id not in CHECKER_NAMES + CHECKER_FUNCTIONS)
        and not (isinstance(node, ast.Constant) and type(node.value) not in (int, float))
        and not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) and ast.unparse(node.right) != "2")
        for node in nodes
    )
    if not ok:
        raise PolyapproxError(
            f"no certificate form for target {name!r}: the checker evaluates formulas in x_i, x_j, numbers, "
            f"+ - * /, squares (**2) and {', '.join(CHECKER_FUNCTIONS)} (e.g. {', '.join(sorted(FORMULAS)[:4])})"
        )
    return text


def file_digest(path: str | os.PathLike[str]) -> str:
    """sha256 of a file's bytes (hex)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


NETWORK_SYMMETRY = (
    "T applies the same blocks to every token and gives every token the same attention weight a, so T is "
    "permutation-equivariant, as is the reference (a Sumformer, or a target expression in x_i and sums/means "
    "over all tokens j), so E(X) = max_{i,c} |T(X)_ic - R(X)_ic| " + _SORTED
)


def _search_fields(domain: tuple[float, float], result: Any, outcome: Any) -> dict[str, Any]:
    """The bound, the witness and the bisection tree of a search, as a certificate's fields (float hex)."""
    if outcome.tree is None or outcome.edges is None:
        raise PolyapproxError("internal: the search kept no bisection tree")
    return {
        "domain": [float(domain[0]).hex(), float(domain[1]).hex()],
        "upper": float(result.upper).hex(),
        "lower": float(result.lower).hex(),
        "witness": [float(v).hex() for v in result.witness.reshape(-1)],
        "reached": bool(result.reached),
        "boxes_bounded": int(result.boxes),
        "grid": [float(e).hex() for e in outcome.edges],
        "cells": {str(k): v for k, v in outcome.tree.items()},
    }


def network_data(network: Any, weight: Fraction) -> dict[str, Any]:
    """n, d, d_out, the uniform attention weight a and the tensors T's value depends on given a (all but the
    attention's other ones: W_Q, W_K, a Linformer's projections, ...): [i, j, float hex] per non-zero entry."""
    tensors = {}
    for name, value in network.weights.items():
        if name.startswith("attn.") and name not in ("attn.W_V", "attn.W_O"):
            continue
        array = np.asarray(value, dtype=float)
        rows, cols = np.nonzero(array)
        tensors[name] = {
            "shape": list(array.shape),
            "entries": [[int(i), int(j), float(array[i, j]).hex()] for i, j in zip(rows, cols)],
        }
    return {
        "n": network.n,
        "d": network.d,
        "d_out": network.d_out,
        "attention_weight": f"{weight.numerator}/{weight.denominator}",
        "tensors": tensors,
    }


def write_network_certificate(
    path: str | os.PathLike[str],
    network: Any,
    weight: Fraction,
    reference: Any,
    domain: tuple[float, float],
    result: Any,
    outcome: Any,
    model_file: str | os.PathLike[str] | None = None,
) -> None:
    """Write the certificate of a ReLU network's certified distance to ``reference``, a polynomial Sumformer or a
    target (module docstring); ``weight``: the attention weight a every query gives every token."""
    if hasattr(reference, "representation"):
        target: dict[str, Any] = {"name": "sumformer", "model": representation_data(reference.representation)}
    else:
        target = {"name": reference.name, "expression": target_expression(reference)}
    document = {
        "format": FORMAT,
        "kind": "network-error",
        "statement": "sup over X in [domain]^(n x d) of max_{i,c} |T(X)_ic - R(X)_ic| <= upper, T the network "
        "(its tensors exact; every attention weight a), R the reference (a Sumformer's Psi or a target's formula)",
        "symmetry": NETWORK_SYMMETRY,
        "method": "per leaf box, at the float centre c = (lo + hi) * 0.5: T enclosed by affine forms (ReLU units "
        "and chains of units on one input relaxed as exact piecewise-linear functions, a backward pass for the "
        "relaxation terms), minus R's exact Taylor coefficients or Taylor model of the given order",
        "order": 2,
        "network": network_data(network, weight),
        "target": target,
        **_search_fields(domain, result, outcome),
    }
    if model_file is not None:
        document["model_file_sha256"] = file_digest(model_file)
    write_certificate_json(path, document)


def write_sup_certificate(
    path: str | os.PathLike[str],
    model: Any,
    target: Any,
    domain: tuple[float, float],
    result: Any,
    outcome: Any,
    model_file: str | os.PathLike[str] | None = None,
    order: int = 2,
) -> None:
    """Write the certificate of a ``certified_sup_error`` result (module docstring); ``order``: the Taylor
    models' order of the target."""
    document = {
        "format": FORMAT,
        "kind": "sup-error",
        "statement": "sup over X in [domain]^(n x d) of max_{i,c} |Psi_c(x_i, P(X)) - f_c(X)_i| <= upper",
        "symmetry": SYMMETRY,
        "method": "per leaf box, at the float centre c = (lo + hi) * 0.5: S's exact Taylor coefficients at c "
        "minus a Taylor model of f of the given order over the box (coefficients of h^beta, |beta| <= order, "
        "and a remainder), evaluated as sum_beta coefficient * range(h^beta) - remainder",
        "order": int(order),
        "model": representation_data(model.representation),
        "target": {"name": target.name, "expression": target_expression(target)},
        **_search_fields(domain, result, outcome),
    }
    if model_file is not None:
        document["model_file_sha256"] = file_digest(model_file)
    write_certificate_json(path, document)
