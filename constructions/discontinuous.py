"""Discontinuous Sumformer: piecewise-constant approximation with exact cell codes (theory/discontinuous).

Reconstruction (theory/discontinuous): a base-(n+1) version of the countable-set encoding of
DeepSets; exact and verified. On Omega = [0,1]^{n x d} with grid parameter k (delta = 1/k):

1. cell coordinates c(x) = min(floor(k x_c), k - 1): half-open cells, x_c = 1 in the last cell;
2. cell index idx(x) = sum_c c_c(x) k^{d-c} (first coordinate most significant);
3. representatives r(iota): lower corner c/k or centre (c + 1/2)/k;
4. integer encoding (d' = 1): phi(x) = (n+1)^{idx(x)}, an exact Python int; Sigma(X) has base-(n+1)
   digits h_iota = #{j : idx(x_j) = iota} <= n, so no carries and Sigma is injective on multisets;
5. decoder psi(x, s): the multiset of cells from the digits of s, then f at the representatives with
   the query token's cell first; S(X) = f(R(X)) exactly (by equivariance of f);
6. histogram encoding (d' = k^d): phi(x) = e_{idx(x)}, Sigma(X) = h (stored sparsely);
7. error: ||S - f||_inf <= omega_f(delta) (corner), omega_f(delta/2) (centre).

Evaluation decodes each distinct code once (top-down: a valid code has at most n non-zero
digits) and calls f once per distinct multiset of cells, in one batch.
"""

from ._networks.sumformer_kinds import DISCONTINUOUS as KIND
from ._sumformers.discontinuous import ENCODINGS as ENCODINGS
from ._sumformers.discontinuous import REPRESENTATIVES as REPRESENTATIVES
from ._sumformers.discontinuous import DiscontinuousSumformer as DiscontinuousSumformer
from ._sumformers.discontinuous import SizeAccounting as SizeAccounting
from ._sumformers.discontinuous import build as build
from ._sumformers.discontinuous import error_bound as error_bound
from ._sumformers.discontinuous import size_accounting as size_accounting

__all__ = [
    "ENCODINGS",
    "KIND",
    "REPRESENTATIVES",
    "DiscontinuousSumformer",
    "SizeAccounting",
    "build",
    "error_bound",
    "size_accounting",
]
