"""Reference Transformer layers in numpy, as the original papers define them (tokens are rows).

Every layer takes Z of shape (b, n, D) and returns the same shape, residual included:
- :func:`softmax_attention`: Z + sum_h softmax((Z W_Q^h)(Z W_K^h)^T / sqrt(d_k)) (Z W_V^h) W_O^h
  (Vaswani et al. 2017; theory/attention, row convention).
- :func:`feed_forward`: Z + ReLU(Z W_1 + b_1) W_2 + b_2, token-wise.
- :func:`linformer_attention`: softmax((Z W_Q)(E Z W_K)^T / sqrt(d_k)) (F Z W_V) W_O, E, F of shape
  (k, n) (Wang et al. 2020; theory/attention).
- :func:`performer_attention`: FAVOR D^{-1}(Phi(Q)(Phi(K)^T V)) with positive or trigonometric random
  features (Choromanski et al. 2021; theory/attention).
"""

from ._networks.attention import Head as Head
from ._networks.attention import feed_forward as feed_forward
from ._networks.attention import linformer_attention as linformer_attention
from ._networks.attention import performer_attention as performer_attention
from ._networks.attention import random_features as random_features
from ._networks.attention import softmax_attention as softmax_attention

__all__ = [
    "Head",
    "feed_forward",
    "linformer_attention",
    "performer_attention",
    "random_features",
    "softmax_attention",
]
