"""The two Sumformers as torch modules (float64, module-level classes, no numpy in ``forward``).

- :class:`TorchPolynomialSumformer`: S(X)_i = Psi(x_i, sum_j x_j^alpha): :class:`Monomials` for
  phi, a sum over tokens, :class:`Polynomial` for psi (exponents integer buffers, psi's
  coefficients a parameter when trainable).
- :class:`TorchGridSumformer`: the piecewise-constant S(X) = f(R(X)) of the discontinuous
  construction as a lookup: cell index idx(x_i) = sum_c min(floor(k x_c), k-1) k^(d-c), where
  min(floor(k x), k-1) is the number of faces j/k (0 < j < k) with x >= j/k, decided exactly by
  comparing x with the least float >= j/k (as the numpy model decides it), the
  sorted cells of a sequence as one integer key, f at the representatives of every cell multiset
  in a table (computed once, when the module is built), and token i reads the row of its cell's
  first position in the sorted multiset (equal cells give equal outputs by equivariance).

Inputs are checked as every exported module checks them (``constructions._common.torch_checks.check_input``).
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction
from typing import Any

import numpy as np
import torch
from torch import nn

from polyapprox.internal import SizeError

from .._common.exact_grid import float_at_least
from .._common.torch_checks import check_input
from .torch_modules import Monomials, Polynomial

#: Most cell multisets the grid module tabulates (the table has this many rows of n x d_out numbers).
MAX_TABLE_ROWS = 200_000


class _CheckedInput(nn.Module):
    """Input checks of every exported module (:func:`check_input`): tensor, dtype, shape, finite, domain."""

    n: int
    d: int
    domain: tuple[float, float] | None
    check_domain: bool

    def _check(self, X: torch.Tensor) -> None:
        check_input(X, n=self.n, d=self.d, dtype=self.dtype, domain=self.domain if self.check_domain else None)

    @property
    def dtype(self) -> torch.dtype:
        return self.reference.dtype

    reference: torch.Tensor  # buffer: any float64 tensor of the module, for its dtype


class TorchPolynomialSumformer(_CheckedInput):
    """S(X)_i = Psi(x_i, sum_j phi(x_j)) with phi the power-sum monomials; (n, d) or (b, n, d) in."""

    def __init__(self, model: Any, trainable: bool = True, check_domain: bool = True) -> None:
        super().__init__()
        self.n, self.d, self.d_out = int(model.n), int(model.d), int(model.d_out)
        self.domain = (float(model.domain[0]), float(model.domain[1]))
        self.check_domain = bool(check_domain)
        phi = np.array(list(model.indices), dtype=np.int64).reshape(len(model.indices), self.d)
        exponents, C = model.psi_table()  # over (y, the power sums S carries)
        self.phi = Monomials(phi)
        self.psi = Polynomial(np.array(exponents, dtype=np.int64), C, trainable)
        self.register_buffer("reference", torch.zeros(1, dtype=torch.float64))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        self._check(X)
        single = X.dim() == 2
        Z = X.unsqueeze(0) if single else X
        sums = self.phi(Z).sum(dim=-2, keepdim=True).expand(-1, Z.shape[1], -1)
        out = self.psi(torch.cat([Z, sums], dim=-1))
        return out[0] if single else out


class TorchGridSumformer(_CheckedInput):
    """S(X) = f(R(X)) on the grid of width 1/k, as a table lookup; inputs in [0, 1] (checked)."""

    keys: torch.Tensor  # buffer (M,) int64, sorted: the key of every cell multiset
    table: torch.Tensor  # buffer (M, n, d_out) float64: f at its representatives, sorted cells
    powers: torch.Tensor  # buffer (n,) int64: (k^d)^j, the key of a sorted multiset
    weights: torch.Tensor  # buffer (d,) int64: k^(d-c), the cell index of a token
    faces: torch.Tensor  # buffer (k-1,) float64: the least float >= j/k for j = 1..k-1

    def __init__(self, model: Any, trainable: bool = True, check_domain: bool = True) -> None:
        super().__init__()
        self.n, self.d, self.d_out, self.k = int(model.n), int(model.d), int(model.d_out), int(model.k)
        self.domain, self.check_domain = (0.0, 1.0), True  # the grid is defined on [0, 1] only, as in numpy
        cells = self.k**self.d
        rows = math.comb(cells + self.n - 1, self.n)
        if rows > MAX_TABLE_ROWS or cells**self.n >= 2**62:
            raise SizeError(
                f"the torch module tabulates f on every cell multiset: C(k^d + n - 1, n) = {rows:,} rows "
                f"exceed the limit of {MAX_TABLE_ROWS:,} (use the numpy model, which evaluates f lazily)"
            )
        multisets = list(itertools.combinations_with_replacement(range(cells), self.n))
        model._values(multisets)  # f at the representatives, the same numbers the numpy model uses
        powers = cells ** np.arange(self.n, dtype=np.int64)
        keys = np.array(multisets, dtype=np.int64) @ powers
        order = np.argsort(keys)
        table = np.stack([model._memo[m] for m in multisets])[order]
        self.register_buffer("keys", torch.tensor(keys[order]))
        self.register_buffer("table", torch.tensor(table, dtype=torch.float64))
        self.register_buffer("powers", torch.tensor(powers))
        self.register_buffer("weights", torch.tensor(self.k ** np.arange(self.d - 1, -1, -1, dtype=np.int64)))
        faces = [float_at_least(Fraction(j, self.k)) for j in range(1, self.k)]
        self.register_buffer("faces", torch.tensor(faces, dtype=torch.float64))
        self.register_buffer("reference", torch.zeros(1, dtype=torch.float64))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        self._check(X)
        single = X.dim() == 2
        Z = X.unsqueeze(0) if single else X
        coords = torch.bucketize(Z, self.faces, right=True)  # faces j/k at or below x: the exact cell
        idx = (coords * self.weights).sum(dim=-1)  # (b, n)
        ordered, _ = torch.sort(idx, dim=-1)
        row = torch.searchsorted(self.keys, (ordered * self.powers).sum(dim=-1))  # (b,)
        position = torch.searchsorted(ordered, idx)  # first position of each token's cell
        values = self.table[row]  # (b, n, d_out), sorted cells
        out = torch.gather(values, 1, position.unsqueeze(-1).expand(-1, -1, self.d_out))
        return out[0] if single else out


def polynomial_sumformer_module(model: Any, trainable: bool = True, check_domain: bool = True) -> nn.Module:
    """The torch module of a continuous (polynomial) Sumformer."""
    return TorchPolynomialSumformer(model, trainable, check_domain)


def grid_sumformer_module(model: Any, trainable: bool = True, check_domain: bool = True) -> nn.Module:
    """The torch module of a discontinuous Sumformer (its domain [0, 1] is always checked, as in numpy)."""
    return TorchGridSumformer(model, trainable, check_domain)
