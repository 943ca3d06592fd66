"""Training experiments: learned Sumformers and one-layer networks beside the constructed ones,
and sparse attention patterns compared on a copying task (Alberti et al. 2023; Yun et al. 2020).

PyTorch is optional: importing this package never needs it, but every name below does and
raises a one-line ``PolyapproxError`` (how to install it) when torch is missing. Every run is
seeded, on the CPU, with ``torch.use_deterministic_algorithms(True)`` and a fixed thread count,
so a re-run gives bitwise the same losses.

Modules (one job each): ``sumformers`` (MLP and polynomial Sumformers), ``one_layer``
(one-attention-layer Transformer, Linformer, Performer from random or constructed weights),
``copying`` (the copying task with sparse masks), ``text`` (character-level language modelling
on the Python documentation with sparse causal masks; its corpus loader needs no torch),
``sharpness`` (the curvature of the constructed one-layer network's minimum), ``_runs`` (module-level runners that return plain
records, for process pools), ``_common`` (determinism, records, checks), ``_config``
(:class:`TrainingConfig`, the settings every run shares, and the model configs
:class:`SumformerModelConfig`, :class:`OneLayerModelConfig`; needs no torch). The experiments
built on them (tables, figures, verdicts) are the app's: :mod:`polyapprox.app.experiments`.
"""

from __future__ import annotations

import importlib
from typing import Any

from polyapprox.internal import PolyapproxError

from .._networks.torch_support import MISSING_TORCH
from ._config import CopyingConfig as CopyingConfig
from ._config import FineTuneConfig as FineTuneConfig
from ._config import OneLayerModelConfig as OneLayerModelConfig
from ._config import SumformerModelConfig as SumformerModelConfig
from ._config import TextConfig as TextConfig
from ._config import TrainingConfig as TrainingConfig
from ._corpus import load_corpus as load_corpus

#: public name -> submodule defining it (imported on first use, so torch stays optional)
_NAMES = {
    "TrainingHistory": "_common",
    "ResultsTable": "_common",
    "deterministic": "_common",
    "check_rate": "_common",
    "check_steps": "_common",
    "MLPSumformer": "sumformers",
    "PolySumformer": "sumformers",
    "train_sumformer": "sumformers",
    "constructed_reference": "sumformers",
    "one_layer_kinds": "one_layer",
    "one_layer_network": "one_layer",
    "train_one_layer": "one_layer",
    "PATTERNS": "copying",
    "LEVELS": "copying",
    "check_level": "copying",
    "level_range": "copying",
    "copy_batch": "copying",
    "copy_masks": "copying",
    "random_mask": "copying",
    "SparseCopyTransformer": "copying",
    "train_copying": "copying",
    "assumption_table": "copying",
    "run_sumformer": "_runs",
    "run_one_layer": "_runs",
    "run_copying": "_runs",
    "check_target": "_runs",
    "constructed_references": "_runs",
    "run_text": "_runs",
    "run_finetune": "_runs",
    "LEVELLED": "text",
    "CharTransformer": "text",
    "text_masks": "text",
    "train_text": "text",
    "FINETUNE_RATES": "sharpness",
    "finetune_sharpness": "sharpness",
    "hessian_top_eigenvalue": "sharpness",
    "loss_along_directions": "sharpness",
}

__all__ = [
    *sorted(_NAMES),
    "CopyingConfig",
    "FineTuneConfig",
    "OneLayerModelConfig",
    "SumformerModelConfig",
    "TextConfig",
    "TrainingConfig",
    "load_corpus",
]


def __getattr__(name: str) -> Any:
    if name not in _NAMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        import torch  # noqa: F401
    except ImportError:
        raise PolyapproxError(MISSING_TORCH) from None
    return getattr(importlib.import_module(f"{__name__}.{_NAMES[name]}"), name)
