"""One-attention-layer networks of every registered attention kind: trained from random weights or fine-tuned
from the constructed ones (Alberti et al. 2023: one attention layer suffices).

The constructed network is ``<kind>.from_sumformer(S, n, ...)`` of the least-squares Sumformer S
(continuous theorem) with exact phi/psi feed-forward blocks, as a trainable torch module
(``Network.to_torch(trainable=True)``: every weight an ``nn.Parameter``, float64). Random
initialisation keeps that architecture and redraws every parameter (seeded): ``nn.Linear``
weights N(0, 1/fan_in), psi's coefficients and the Linformer projections N(0, 1/rows).

The W_Q = W_K = 0 saddle
------------------------
The construction sets W_K = 0 (and W_Q = 0), so every logit is 0 and attention is the exact mean.
The logits are (Z W_Q)(Z W_K)^T, so dL/dW_Q = Z^T G (Z W_K) and dL/dW_K = Z^T G^T (Z W_Q) (G the
logit gradient): at W_Q = W_K = 0 both vanish exactly and plain gradient descent never leaves
the uniform attention. ``OneLayerModelConfig.saddle`` chooses what to do:

- ``"random-query"`` (default): the construction's own option ``random_query=True``: W_Q is a
  seeded N(0, 1) draw and W_K = 0. The logits stay exactly 0 (the start is the constructed
  network, bit for bit), but dL/dW_K is no longer 0, so attention can move.
- ``"freeze"``: W_Q = W_K = 0 and both are excluded from training (attention stays the mean).
- ``"none"``: W_Q = W_K = 0, trained: their gradients are exactly zero, so they stay 0 (the saddle;
  kept to demonstrate it).
Performer uses positive features (with W_K = 0 alone the FAVOR output is the exact mean).
"""

from ._one_layer import INITS as INITS
from ._one_layer import SADDLES as SADDLES
from ._one_layer import one_layer_kinds as one_layer_kinds
from ._one_layer import one_layer_network as one_layer_network
from ._one_layer import randomise as randomise
from ._one_layer import train_one_layer as train_one_layer

__all__ = [
    "INITS",
    "SADDLES",
    "one_layer_kinds",
    "one_layer_network",
    "randomise",
    "train_one_layer",
]
