"""Measured errors of constructed models: sup-norm error and equivariance error.

``sup_error`` estimates sup_{X in Omega} ||model(X) - f(X)||_max (theory/index, uniform
distance) in three stages, reporting the best found by each: (1) seeded uniform random
sequences; (2) a regular grid over the box when it is affordable; (3) local maximisation
(scipy L-BFGS-B inside the box, finite-difference gradients evaluated as one batch) from the
worst points found so far. A sampled maximum is a lower bound of the true sup; the local stage
is what finds narrow peaks that random sampling misses. For piecewise-constant (discontinuous)
models gradients vanish almost everywhere, so the local stage is best effort there.
"""

from ._verify.certify import CertificationBudget as CertificationBudget
from ._verify.certify import CertifiedResult as CertifiedResult
from ._verify.certify_models import certified_sup_error as certified_sup_error
from ._verify.certify_relu import certified_network_error as certified_network_error
from ._verify.equivariance import assert_equivariant as assert_equivariant
from ._verify.sampled import SearchConfig as SearchConfig
from ._verify.sampled import SupErrorResult as SupErrorResult
from ._verify.sampled import equivariance_error as equivariance_error
from ._verify.sampled import sup_error as sup_error

__all__ = [
    "CertificationBudget",
    "CertifiedResult",
    "SearchConfig",
    "SupErrorResult",
    "assert_equivariant",
    "certified_network_error",
    "certified_sup_error",
    "equivariance_error",
    "sup_error",
]
