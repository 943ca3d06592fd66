"""The continuous and discontinuous Sumformers as model kinds: codec, torch module, cost, example.

The codecs live with the Sumformers (``constructions._sumformers``); the torch modules need the
network's torch layers, so the two kinds are registered here, above both.
"""

from __future__ import annotations

from typing import Any

from .._common.protocol import ModelKind, register_model_kind
from .._sumformers import discontinuous as _discontinuous
from .._sumformers import polynomial as _polynomial
from .._verify.certify_models import certify_continuous, certify_discontinuous
from .torch_support import require_torch


def _continuous_module(S: Any, trainable: bool = True, check_domain: bool = True) -> Any:
    require_torch()
    from .sumformer_torch import polynomial_sumformer_module

    return polynomial_sumformer_module(S, trainable, check_domain)


def _grid_module(S: Any, trainable: bool = True, check_domain: bool = True) -> Any:
    require_torch()
    from .sumformer_torch import grid_sumformer_module

    return grid_sumformer_module(S, trainable, check_domain)


CONTINUOUS = register_model_kind(
    ModelKind(
        name="continuous",
        description="continuous Sumformer: power sums and an exact polynomial Psi (Alberti et al. 2023)",
        model_type=_polynomial.PolynomialSumformer,
        matches=lambda S: True,
        torch_module=_continuous_module,
        encode=_polynomial.encode,
        decode=_polynomial.decode,
        cost=lambda S: int(S.psi_table()[1].size),
        example=_polynomial.example_sumformer,
        certify=certify_continuous,
    )
)

DISCONTINUOUS = register_model_kind(
    ModelKind(
        name="discontinuous",
        description="discontinuous Sumformer: piecewise constant on the grid of width 1/k (Alberti et al. 2023)",
        model_type=_discontinuous.DiscontinuousSumformer,
        matches=lambda S: True,
        torch_module=_grid_module,
        encode=_discontinuous.encode_model,
        decode=_discontinuous.decode_model,
        cost=lambda S: 0,  # no weights: psi evaluates the recorded target at cell representatives
        example=_discontinuous.example_model,
        certify=certify_discontinuous,
    )
)
