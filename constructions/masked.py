"""Masked (sparse-pattern) softmax attention as a plug-in attention kind (Yun et al. 2020 patterns).

One attention layer softmax(Q K^T / sqrt(d_k) restricted to the pattern) V W_O, where
``mask[query, key]`` is True where the query token attends to the key token (the masks of
:mod:`constructions.sparse.patterns`). With W_K = 0 every query i weighs its |A_i| allowed keys
equally, so token i receives (1/|A_i|) sum_{j in A_i} v_j; with W_O = n x writer the layer
writes Sigma(X) exactly **iff every query sees every key**. A sparser pattern needs several
layers (Yun et al. 2020; ``sparse.universal_network``), so :func:`from_sumformer` refuses it
unless ``allow_partial=True`` (the negative control: token i then gets (n/|A_i|) times its
partial sum, no longer the Sumformer).

This module is the whole kind: numpy forward, torch module (SDPA with a boolean mask), cost
O(nnz(mask)(d_k + d_v)), command-line options; it registers itself in the kind registry.
"""

from ._networks.masked import KIND as KIND
from ._networks.masked import from_sumformer as from_sumformer
from ._networks.masked import masked_softmax_attention as masked_softmax_attention

__all__ = [
    "KIND",
    "from_sumformer",
    "masked_softmax_attention",
]
