"""polyapprox: the exact (symbolic) layer of the toolkit.

Power sums, latent dimensions and the exact Sumformer representations of
equivariant polynomials (theory/latent, theory/representation). Implementation lives in
the ``polyapprox.exact`` sub-package; this file re-exports exactly its public API.
"""

from .exact import MAX_SOLVE_WORK as MAX_SOLVE_WORK
from .exact import METHODS as METHODS
from .exact import DomainError as DomainError
from .exact import EquivariantRepresentation as EquivariantRepresentation
from .exact import InvariantRepresentation as InvariantRepresentation
from .exact import LatentDimensionTable as LatentDimensionTable
from .exact import NotEquivariantError as NotEquivariantError
from .exact import NotPolynomialError as NotPolynomialError
from .exact import ParseError as ParseError
from .exact import PolyapproxError as PolyapproxError
from .exact import ShapeError as ShapeError
from .exact import SizeError as SizeError
from .exact import SolveConfig as SolveConfig
from .exact import SolveStats as SolveStats
from .exact import UnknownNameError as UnknownNameError
from .exact import candidate_terms as candidate_terms
from .exact import count_candidates as count_candidates
from .exact import equivariance_witness as equivariance_witness
from .exact import is_equivariant as is_equivariant
from .exact import latent_dimension as latent_dimension
from .exact import latent_dimension_table as latent_dimension_table
from .exact import multi_indices as multi_indices
from .exact import own_symbols as own_symbols
from .exact import parse_polynomial as parse_polynomial
from .exact import power_sum_indices as power_sum_indices
from .exact import power_sum_symbol as power_sum_symbol
from .exact import power_sums as power_sums
from .exact import represent_equivariant as represent_equivariant
from .exact import represent_invariant as represent_invariant
from .exact import sequence_symbols as sequence_symbols
from .exact import symmetrize as symmetrize
from .exact import token_symbol as token_symbol

__version__ = "0.1.0"

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
