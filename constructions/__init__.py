"""constructions: the numeric layer of polyapprox.

Sumformers and networks whose weights come from the proofs (docs/theory/: Alberti et al. 2023; Yun et al. 2020).
Implementation lives in underscored modules and in one submodule per construction;
this file re-exports the public names.
"""

from . import continuous as continuous
from . import discontinuous as discontinuous
from . import linformer as linformer
from . import performer as performer
from . import relu as relu
from . import sparse as sparse
from . import targets as targets
from . import transformer as transformer
from . import verify as verify
from ._features import MonomialFeatures as MonomialFeatures
from ._features import power_sum_features as power_sum_features
from ._sumformer import Sumformer as Sumformer

__all__ = [
    "MonomialFeatures",
    "Sumformer",
    "continuous",
    "discontinuous",
    "linformer",
    "performer",
    "power_sum_features",
    "relu",
    "sparse",
    "targets",
    "transformer",
    "verify",
]
