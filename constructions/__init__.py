"""constructions: the numeric layer of polyapprox.

Sumformers and networks whose weights come from the proofs (Alberti et al. 2023; Yun et al.
2020). Implementation lives in underscored modules and in one submodule per construction;
this file re-exports the public names.
"""

from polyapprox.internal import ModelFileError as ModelFileError

from . import continuous as continuous
from . import discontinuous as discontinuous
from . import linformer as linformer
from . import masked as masked
from . import performer as performer
from . import relu as relu
from . import sparse as sparse
from . import targets as targets
from . import transformer as transformer
from . import verify as verify
from ._common.protocol import Encoded as Encoded
from ._common.protocol import Model as Model
from ._common.protocol import ModelKind as ModelKind
from ._common.protocol import get_model_kind as get_model_kind
from ._common.protocol import model_kinds as model_kinds
from ._common.protocol import register_model_kind as register_model_kind
from ._io.modelfile import MAX_BYTES as MAX_MODEL_BYTES
from ._io.modelfile import ModelFile as ModelFile
from ._io.modelfile import load as load
from ._io.modelfile import read as read
from ._io.modelfile import save as save
from ._networks.kinds import AttentionKind as AttentionKind
from ._networks.kinds import BlockKind as BlockKind
from ._networks.kinds import attention_kinds as attention_kinds
from ._networks.kinds import get_attention_kind as get_attention_kind
from ._networks.network import AttentionBlock as AttentionBlock
from ._networks.network import NetworkConfig as NetworkConfig
from ._networks.network import build_network as build_network
from ._networks.network import register_attention_kind as register_attention_kind
from ._sumformers.features import MonomialFeatures as MonomialFeatures
from ._sumformers.features import power_sum_features as power_sum_features
from ._sumformers.sumformer import Sumformer as Sumformer

__all__ = [
    "MAX_MODEL_BYTES",
    "AttentionBlock",
    "AttentionKind",
    "BlockKind",
    "Encoded",
    "Model",
    "ModelFile",
    "ModelFileError",
    "ModelKind",
    "MonomialFeatures",
    "NetworkConfig",
    "Sumformer",
    "attention_kinds",
    "build_network",
    "continuous",
    "discontinuous",
    "get_attention_kind",
    "get_model_kind",
    "linformer",
    "load",
    "masked",
    "model_kinds",
    "performer",
    "power_sum_features",
    "read",
    "register_attention_kind",
    "register_model_kind",
    "relu",
    "save",
    "sparse",
    "targets",
    "transformer",
    "verify",
]
