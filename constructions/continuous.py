"""Continuous Sumformer: numeric phi/psi from exact representations, and least-squares approximation.

theory/continuous (continuous universal approximation; a reconstruction of [A]'s theorem):
phi(x) = (x^alpha)_{alpha in I_{d,K}} is fixed, and psi = Psi is a polynomial with
F_i(X) = Psi(x_i, P_{<=K}(X)). :func:`from_representation` turns an exact
:class:`polyapprox.EquivariantRepresentation` into a vectorised :class:`PolynomialSumformer`;
:func:`approximate` fits Psi by least squares in Sumformer form ("main route" of section 5)
to any numeric equivariant target and returns the exact rational representation of the fit.

Saved models (:func:`save`, :func:`load`) are JSON::

    {"format": "polyapprox.sumformer/1", "kind": "continuous",
     "representation": rep.to_dict(),      # Psi as exact rationals, read back by the safe parser
     "domain": [lo, hi], "meta": {...}}

Loading never executes anything from the file: JSON is data, and Psi goes through the safe
polynomial parser of :meth:`polyapprox.EquivariantRepresentation.from_dict`.
"""

from ._io.continuous import load as load
from ._io.sumformer_json import model_from_json as model_from_json
from ._io.sumformer_json import save as save
from ._sumformers.least_squares import ApproximationReport as ApproximationReport
from ._sumformers.least_squares import approximate as approximate
from ._sumformers.least_squares import fit_work_units as fit_work_units
from ._sumformers.polynomial import PolynomialSumformer as PolynomialSumformer
from ._sumformers.polynomial import from_representation as from_representation
from ._sumformers.target_checks import check_equivariant as check_equivariant

__all__ = [
    "ApproximationReport",
    "PolynomialSumformer",
    "approximate",
    "check_equivariant",
    "fit_work_units",
    "from_representation",
    "load",
    "model_from_json",
    "save",
]
