"""The sharpness of the constructed one-layer network's minimum, and why fine-tuning it jumps.

Adam's first update is lr * g / (|g| + eps) elementwise, so it moves every trainable parameter
by about lr: a step of length about lr * sqrt(P) for P parameters, however small the gradient.
At the constructed weights the training loss is tiny (about 1e-6 on the Gaussian-kernel target)
while the curvature is not, so such a step raises the loss by up to lambda_max * lr^2 * P / 2.
:func:`finetune_sharpness` measures, from the constructed weights and from a trained random start:
the largest Hessian eigenvalue (power iteration on Hessian-vector products by double backward),
the loss jump of Adam's first step at each learning rate with its second-order prediction, the
loss along seeded random directions at the same distance, and the losses of a short fine-tuning.
"""

from ._config import FineTuneConfig as FineTuneConfig
from ._sharpness import FINETUNE_RATES as FINETUNE_RATES
from ._sharpness import finetune_sharpness as finetune_sharpness
from ._sharpness import hessian_top_eigenvalue as hessian_top_eigenvalue
from ._sharpness import hessian_vector_product as hessian_vector_product
from ._sharpness import loss_along_directions as loss_along_directions
from ._sharpness import sharpness_profile as sharpness_profile

__all__ = [
    "FINETUNE_RATES",
    "FineTuneConfig",
    "finetune_sharpness",
    "hessian_top_eigenvalue",
    "hessian_vector_product",
    "loss_along_directions",
    "sharpness_profile",
]
