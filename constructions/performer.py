"""A Performer (FAVOR attention) with one attention layer equal to a Sumformer (theory/attention).

Reconstruction: with W_Q = W_K = 0 the feature maps are constant, Phi_+(0) = m^{-1/2} 1_m and
Phi_trig(0) = m^{-1/2} (0_m, 1_m), so every kernel value is 1, D = n I and the head returns the
exact mean of the values **for every draw omega and every m >= 1**; W_O = n x writer.
For positive features W_K = 0 alone suffices (``random_query=True``); trigonometric features
need both zero.
"""

from ._networks.performer import KIND as KIND
from ._networks.performer import from_sumformer as from_sumformer

__all__ = [
    "KIND",
    "from_sumformer",
]
