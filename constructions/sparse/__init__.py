"""Sparse Transformers (Yun et al. 2020; theory/sparse): patterns, Assumptions 1 and 2,
layer counts and the exact contextual mapping with sparse selective shifts.

>>> from constructions import sparse
>>> sparse.check_assumption(sparse.patterns.star(16)).s
2
"""

from . import _universal_kind as _universal_kind  # registers the sparse-transformer model kind
from . import patterns as patterns
from ._assumption import AssumptionReport as AssumptionReport
from ._assumption import check_assumption as check_assumption
from ._assumption import held_karp_path as held_karp_path
from ._contextual import ContextualCheck as ContextualCheck
from ._contextual import ContextualMapping as ContextualMapping
from ._contextual import contextual_mapping as contextual_mapping
from ._layers import LayerCounts as LayerCounts
from ._layers import layer_counts as layer_counts
from ._rho import RHOS as RHOS
from ._rho import RhoCheck as RhoCheck
from ._rho import check_rho as check_rho
from ._rho import hardmax as hardmax
from ._rho import normalised_relu as normalised_relu
from ._rho import rho_threshold as rho_threshold
from ._rho import softmax as softmax
from ._rho import sparsemax as sparsemax
from ._universal import ErrorTableConfig as ErrorTableConfig
from ._universal import Layer as Layer
from ._universal import UniversalNetwork as UniversalNetwork
from ._universal import check_distance_args as check_distance_args
from ._universal import error_table as error_table
from ._universal import universal_network as universal_network

__all__ = [
    "RHOS",
    "AssumptionReport",
    "ContextualCheck",
    "ContextualMapping",
    "ErrorTableConfig",
    "Layer",
    "LayerCounts",
    "RhoCheck",
    "UniversalNetwork",
    "check_assumption",
    "check_distance_args",
    "check_rho",
    "contextual_mapping",
    "error_table",
    "hardmax",
    "held_karp_path",
    "layer_counts",
    "normalised_relu",
    "patterns",
    "rho_threshold",
    "softmax",
    "sparsemax",
    "universal_network",
]
