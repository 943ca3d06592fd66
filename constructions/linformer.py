"""A Linformer with one attention layer equal to a Sumformer (theory/attention; reconstruction).

Linformer attention softmax((Z W_Q)(E Z W_K)^T / sqrt(d_k)) (F Z W_V) with E, F in R^{k x n}.
With W_K = 0 every one of the k softmax weights is 1/k, so token i receives
(1/k) sum_j c_j v_j, c_j the column sums of F. **Condition: all column sums equal a common
c != 0**; then W_O = (k / c) x writer gives the exact sum. E is unconstrained.
"""

from ._networks.linformer import KIND as KIND
from ._networks.linformer import from_sumformer as from_sumformer

__all__ = [
    "KIND",
    "from_sumformer",
]
