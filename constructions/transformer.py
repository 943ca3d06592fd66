"""A standard Transformer with ONE softmax attention layer equal to a Sumformer (theory/attention).

Reconstruction of [A]'s corollary (one attention layer suffices); weights as in section 7:
W_K = 0 (W_Q = 0, or random with ``random_query=True``: the logits stay 0), so every softmax
weight is 1/n, W_V selects phi and W_O = n x (writer into slot sum).
"""

from ._common.labelled import LabelledArray as LabelledArray
from ._common.labelled import assert_weights_equal as assert_weights_equal
from ._networks.network import Network as Network
from ._networks.transformer import KIND as KIND
from ._networks.transformer import from_sumformer as from_sumformer

__all__ = [
    "KIND",
    "LabelledArray",
    "Network",
    "assert_weights_equal",
    "from_sumformer",
]
