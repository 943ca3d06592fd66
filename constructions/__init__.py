"""constructions: the numeric layer of polyapprox.

Sumformers and networks whose weights come from the proofs (MATH.md sections 2, 5-9).
Implementation lives in underscored modules and in one submodule per construction;
this file re-exports the public names.
"""

from ._features import MonomialFeatures as MonomialFeatures
from ._features import power_sum_features as power_sum_features
from ._sumformer import Sumformer as Sumformer
from . import continuous as continuous
from . import discontinuous as discontinuous
from . import linformer as linformer
from . import performer as performer
from . import relu as relu
from . import sparse as sparse
from . import targets as targets
from . import transformer as transformer
from . import verify as verify
from ._modelfile import MAX_BYTES as MAX_MODEL_BYTES
from ._modelfile import ModelFile as ModelFile
from ._modelfile import load as load
from ._modelfile import read as read
from ._modelfile import save as save

__all__ = [
    "MAX_MODEL_BYTES",
    "ModelFile",
    "MonomialFeatures",
    "load",
    "read",
    "save",
    "continuous",
    "discontinuous",
    "Sumformer",
    "power_sum_features",
    "linformer",
    "performer",
    "relu",
    "sparse",
    "targets",
    "transformer",
    "verify",
]
