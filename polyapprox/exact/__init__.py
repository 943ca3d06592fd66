"""The exact core: power sums, latent dimensions and exact Sumformer representations.

Implementation lives in underscored modules; this file re-exports the core's public API
(``polyapprox`` re-exports it unchanged).
"""

from ._candidates import candidate_terms as candidate_terms
from ._candidates import count_candidates as count_candidates
from ._equivariance import equivariance_witness as equivariance_witness
from ._equivariance import is_equivariant as is_equivariant
from ._equivariance import symmetrize as symmetrize
from ._errors import DomainError as DomainError
from ._errors import NotEquivariantError as NotEquivariantError
from ._errors import NotPolynomialError as NotPolynomialError
from ._errors import ParseError as ParseError
from ._errors import PolyapproxError as PolyapproxError
from ._errors import ShapeError as ShapeError
from ._errors import SizeError as SizeError
from ._errors import UnknownNameError as UnknownNameError
from ._indices import multi_indices as multi_indices
from ._indices import power_sum_indices as power_sum_indices
from ._latent import LatentDimensionTable as LatentDimensionTable
from ._latent import latent_dimension as latent_dimension
from ._latent import latent_dimension_table as latent_dimension_table
from ._parse import parse_polynomial as parse_polynomial
from ._power_sums import power_sums as power_sums
from ._representation import MAX_SOLVE_WORK as MAX_SOLVE_WORK
from ._representation import METHODS as METHODS
from ._representation import SolveConfig as SolveConfig
from ._representation import represent_equivariant as represent_equivariant
from ._representation import represent_invariant as represent_invariant
from ._results import EquivariantRepresentation as EquivariantRepresentation
from ._results import InvariantRepresentation as InvariantRepresentation
from ._results import SolveStats as SolveStats
from ._symbols import own_symbols as own_symbols
from ._symbols import power_sum_symbol as power_sum_symbol
from ._symbols import sequence_symbols as sequence_symbols
from ._symbols import token_symbol as token_symbol

__all__ = [
    "MAX_SOLVE_WORK",
    "METHODS",
    "DomainError",
    "EquivariantRepresentation",
    "InvariantRepresentation",
    "LatentDimensionTable",
    "NotEquivariantError",
    "NotPolynomialError",
    "ParseError",
    "PolyapproxError",
    "ShapeError",
    "SizeError",
    "SolveConfig",
    "SolveStats",
    "UnknownNameError",
    "candidate_terms",
    "count_candidates",
    "equivariance_witness",
    "is_equivariant",
    "latent_dimension",
    "latent_dimension_table",
    "multi_indices",
    "own_symbols",
    "parse_polynomial",
    "power_sum_indices",
    "power_sum_symbol",
    "power_sums",
    "represent_equivariant",
    "represent_invariant",
    "sequence_symbols",
    "symmetrize",
    "token_symbol",
]
