"""Explicit ReLU networks for squares, products, monomials and polynomials (theory/attention).

Yarotsky (2017): the hat g(x) = 2ReLU(x) - 4ReLU(x - 1/2) + 2ReLU(x - 1) and its powers
g_s = g o ... o g give S_m(x) = x - sum_{s<=m} g_s(x)/4^s, the piecewise-linear interpolant of
x^2 at j/2^m: 0 <= S_m(x) - x^2 <= e_m := 2^{-2m-2} on [0, 1], equality at the midpoints.
Products by polarisation Pi_m(a, b) = 2S_m((a+b)/2) - S_m(a)/2 - S_m(b)/2 (error in
[-e_m, 2e_m]) followed by clip(t) = ReLU(t) - ReLU(t - 1); monomials x^alpha by chaining
products, reusing x^alpha = x^(alpha - e_c) x_c, error <= (|alpha| - 1) 2 e_m.

A :class:`ReluNetwork` is a plain stack of affine layers with ReLU between them (no ReLU
after the last): hidden h_{k+1} = ReLU(h_k W_k + b_k), output h_L W_L + b_L (row convention,
W of shape (d_in, d_out)). All inputs must lie in [0, 1] (the constructions clip them).
"""

from ._networks.relu import ReluNetwork as ReluNetwork
from ._networks.relu import monomial as monomial
from ._networks.relu import monomials as monomials
from ._networks.relu import polynomial as polynomial
from ._networks.relu import product as product
from ._networks.relu import square as square
from ._networks.relu import square_error as square_error

__all__ = [
    "ReluNetwork",
    "monomial",
    "monomials",
    "polynomial",
    "product",
    "square",
    "square_error",
]
