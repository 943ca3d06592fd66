"""Sparse Transformers (Yun et al. 2020; MATH.md section 9): patterns, Assumptions 1 and 2,
layer counts and the exact contextual mapping with sparse selective shifts.

>>> from constructions import sparse
>>> sparse.check_assumption(sparse.patterns.star(16)).s
2
"""

from . import patterns as patterns
from ._assumption import AssumptionReport as AssumptionReport
from ._assumption import check_assumption as check_assumption
from ._assumption import held_karp_path as held_karp_path

__all__ = [
    "AssumptionReport",
    "check_assumption",
    "held_karp_path",
    "patterns",
]
