"""Sumformers trained by gradient descent (the experimental half of Alberti et al. 2023).

Two learned models of S(X)_i = psi(x_i, sum_j phi(x_j)):

- :class:`MLPSumformer`: phi and psi are MLPs (GELU), latent dimension d' free;
- :class:`PolySumformer`: phi is FIXED, the monomials x^alpha, alpha in I_{d,K} (the power
  sums of the continuous theorem, d' = C(n+d,d) - 1, or C(n-1+d,d) - 1 when ``refined``);
  psi is trainable: a polynomial over the candidate terms of weighted degree <= D (the same
  terms as the least-squares construction, coefficients starting at 0) or an MLP.

Both read the latent sum in mean form, psi(x_i, (1/n) sum_j phi(x_j)) (for fixed n the same
model class as the sum form, and the inputs stay in [0, 1]). :func:`train_sumformer` trains
one of them full batch with Adam on a registered or user target and records the train loss of
every step and the test mean-square and max error every ``eval_every``-th step (10 by default),
beside the least-squares Sumformer of
:func:`constructions.continuous.approximate` (the constructed reference).
"""

from ._sumformers import KINDS as KINDS
from ._sumformers import MLPSumformer as MLPSumformer
from ._sumformers import PolySumformer as PolySumformer
from ._sumformers import constructed_reference as constructed_reference
from ._sumformers import mlp as mlp
from ._sumformers import train_sumformer as train_sumformer

__all__ = [
    "KINDS",
    "MLPSumformer",
    "PolySumformer",
    "constructed_reference",
    "mlp",
    "train_sumformer",
]
