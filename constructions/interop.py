"""The constructed weights inside the attention modules users already have (torch optional).

- :func:`to_multihead_attention`: ``torch.nn.MultiheadAttention`` (softmax and masked softmax);
- :func:`to_linformer`: ``linformer.LinformerSelfAttention`` (PyPI package ``linformer``);
- :func:`to_performer`: ``performer_pytorch.SelfAttention`` (PyPI package ``performer-pytorch``);
- :func:`to_sequential`: the whole ReLU-mode network as an ``nn.Sequential`` of standard layers.

Each attention module returns the attention update only: the residual connection of the
construction (z + Attn(z)) stays outside, and none of them has a LayerNorm. Heads are
zero-padded to the package's single head width h and the scale corrected as documented in
``constructions._networks.torch_modules`` ("Scaling and padding"). Caveats: ``nn.MultiheadAttention`` takes
boolean masks with the opposite meaning (True = blocked), so the pattern is passed negated;
``performer_pytorch`` adds eps = 1e-4 to every random feature and subtracts running maxima
(its ``softmax_kernel`` does not expose eps), so it equals the construction exactly when
W_K = 0 (all key features equal; the construction's case) but not otherwise: eps is added after
the maxima are subtracted, so it can dominate small features, and the gap grows fast with the size
of W_Q and W_K. Measured (largest difference over 4 sequences Z ~ N(0, 1/4), 5 seeds, entries of
W_Q and W_K drawn N(0, s^2), D = 22, d_k = 2, m = 5): 8e-5 at s = 0.1, 1.2e-3 at s = 0.3, 0.026 at
s = 0.5 and 0.78 at s = 0.7 (median over seeds 0.14). Its kernel interface has no trigonometric
features, which are refused.

All functions raise ``PolyapproxError`` naming the missing package or the unsupported kind.
"""

from ._networks.interop import to_linformer as to_linformer
from ._networks.interop import to_multihead_attention as to_multihead_attention
from ._networks.interop import to_performer as to_performer
from ._networks.interop import to_sequential as to_sequential

__all__ = [
    "to_linformer",
    "to_multihead_attention",
    "to_performer",
    "to_sequential",
]
