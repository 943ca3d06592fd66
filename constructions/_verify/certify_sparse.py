"""Certified sup-norm error of the sparse universal network (hardmax), cell by cell.

With hardmax attention and piecewise-linear activations, the network g of Yun et al. (2020)
(``constructions.sparse.universal_network``) equals f-bar in exact arithmetic: on the product C
of the half-open grid cubes [k delta, (k + 1) delta) (the last one closed) of the n tokens it is
constant, equal to the exact value table entry v_C (f at the cube centres). The certifier checks
that g equals that table at every grid input in exact rationals (``grid_check``), then bounds

    E* = sup_X max_{i,c} |g(X)_ic - f(X)_ic| = max_C sup_{X in C} |v_C - f(X)|

with the cell search of :mod:`constructions._verify.certify_discontinuous` (per-box plain and
mean-value enclosures of f, branch and bound inside each cell). The network need not be
permutation-equivariant (a pattern cycle, a Hamiltonian path), so the cells are n-tuples of cubes,
(1/delta)^(n d) of them, each one box of work: refused beyond the budget's ``max_boxes`` (and
beyond :data:`MAX_EXACT_CELLS`, the exact check). ``lower`` is the lower end of an
outward-rounded enclosure of |v_C - f| at points inside the half-open cells (v_C is a float:
the table holds exact float values of f).
"""

from __future__ import annotations

import itertools
import time
from fractions import Fraction
from typing import Any

import numpy as np

from polyapprox.internal import PolyapproxError, SizeError

from .._common.interval import check_float_environment
from .certify import CertificationBudget, CertifiedResult, _budget, _certifiable_target, _certified_result
from .certify_discontinuous import _CellSearch

#: Most cells checked in exact arithmetic (the check costs cells x value layers ~ cells^2 / n exact steps:
#: 256 cells take about 2 s of CPU, 1024 about 30 s).
MAX_EXACT_CELLS = 1024


class _CellValues:
    """The network as the certifier reads it: X (b, n, d) -> v of the cell of X (f-bar, exact floats)."""

    def __init__(self, network: Any) -> None:
        self.network, self.n, self.d, self.d_out = network, network.n, network.d, network.d_out

    def __call__(self, X: np.ndarray) -> np.ndarray:
        return self.network.f_bar(X)


def certify_sparse_network(
    network: Any,
    target: Any,
    budget: CertificationBudget | None,
    *,
    seed: int = 0,
    samples: int = 1024,
    domain: tuple[float, float] | None = None,
    certificate: Any = None,
    model_file: Any = None,
) -> CertifiedResult:
    """The certifier of the sparse-transformer kind (module docstring); ``seed`` and ``samples`` are unused."""
    start = time.perf_counter()
    if certificate is not None:
        raise PolyapproxError(
            "certificates cover continuous Sumformers and ReLU networks (tools/check_certificate.py does not evaluate the "
            "sparse network); certify without a certificate"
        )
    if domain is not None:
        raise PolyapproxError(
            "the sparse network is certified on its whole domain [0, 1]^(n x d), cell by cell; omit domain"
        )
    if network.rho != "hardmax" or network.eps is not None:
        raise PolyapproxError(
            f"only the hardmax network with piecewise-linear activations is certified (it is constant on every "
            f"grid cell); this one has rho={network.rho!r}, eps={network.eps}, whose value moves near cube faces"
        )
    t = _certifiable_target(target, network.d, network.d_out)
    budget, batch = _budget(budget, 4096)
    n, d, q = network.n, network.d, network.q
    cells = q ** (n * d)
    most = min(budget.max_boxes, MAX_EXACT_CELLS)
    if cells > most:
        raise SizeError(
            f"certifying the sparse network needs one cell per n-tuple of grid cubes, (1/delta)^(n d) = {q}^{n * d} "
            f"= {cells:,}, and checks each in exact arithmetic: more than {most:,} (the budget's max_boxes, at most "
            f"{MAX_EXACT_CELLS:,})"
        )
    check = network.grid_check(exact_limit=cells, float_limit=0)
    if check["arithmetic"] != "exact" or check["equal"] != check["inputs"]:
        raise PolyapproxError(
            f"the network equals f at the cube centres on {check['equal']} of {check['inputs']} grid inputs in exact "
            "arithmetic, so it is not the piecewise-constant f-bar the certifier bounds"
        )
    check_float_environment()
    lo, hi, values, centre = _cell_boxes(network)
    search = _CellSearch(_CellValues(network), t, budget, batch)
    outcome = search.run(lo, hi, values, centre)
    return _certified_result(outcome, n, d, budget, start, t.name)


def _cell_boxes(network: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One closed box per n-tuple of grid cubes (widened by two floats, clipped to [0, 1]), with g's value on it."""
    n, d, q = network.n, network.d, network.q
    tuples = np.array(list(itertools.product(range(q), repeat=n * d)), dtype=np.int64)  # (C, n*d) cube coordinates
    table = []
    for row in tuples:
        key = tuple(tuple(Fraction(int(v), q) for v in row[j * d : (j + 1) * d]) for j in range(n))
        value = network.values[key]  # (n, d_out) Fractions: exact floats of f at the cube centres
        flat = [x for out in value for x in out]
        if any(Fraction(float(x)) != x for x in flat):
            raise PolyapproxError("internal: the value table holds a number that is not a float")
        table.append([float(x) for x in flat])

    def widen(x: np.ndarray, to: float) -> np.ndarray:
        return np.nextafter(np.nextafter(x, to), to)

    lo = np.maximum(widen(tuples / q, -np.inf), 0.0)
    hi = np.minimum(widen((tuples + 1) / q, np.inf), 1.0)
    centre = ((tuples[0] + 0.5) / q).astype(float)
    return lo, hi, np.array(table, dtype=float).reshape(len(tuples), n * network.d_out), centre
