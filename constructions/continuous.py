"""Continuous Sumformer: numeric phi/psi from exact representations, and least-squares approximation.

theory/continuous (continuous universal approximation; a reconstruction of [A]'s theorem):
phi(x) = (x^alpha)_{alpha in I_{d,K}} is fixed, and psi = Psi is a polynomial with
F_i(X) = Psi(x_i, P_{<=K}(X)); a Sumformer carries only the power sums its Psi reads. :func:`from_representation` turns an exact
:class:`polyapprox.EquivariantRepresentation` into a vectorised :class:`PolynomialSumformer`;
:func:`approximate` fits Psi by least squares in Sumformer form ("main route" of section 5)
to any numeric equivariant target and returns the exact rational representation of the fit.

Models are saved and loaded like every other kind: ``constructions.save`` and
``constructions.load`` (safetensors files; Psi stored as exact rationals).
"""

from ._networks.sumformer_kinds import CONTINUOUS as KIND
from ._sumformers.least_squares import ApproximationReport as ApproximationReport
from ._sumformers.least_squares import FitConfig as FitConfig
from ._sumformers.least_squares import approximate as approximate
from ._sumformers.least_squares import fit_memory_bytes as fit_memory_bytes
from ._sumformers.least_squares import fit_work_units as fit_work_units
from ._sumformers.polynomial import PolynomialSumformer as PolynomialSumformer
from ._sumformers.polynomial import from_representation as from_representation

__all__ = [
    "KIND",
    "ApproximationReport",
    "FitConfig",
    "PolynomialSumformer",
    "approximate",
    "fit_memory_bytes",
    "fit_work_units",
    "from_representation",
]
