"""Experiments of the app: the four training experiments (results table, figure, notes and
"agrees with the paper" verdicts each) and the measured cost of the attention kinds.

The training experiments need PyTorch: their names import it on first use and raise a one-line
``PolyapproxError`` (how to install it) when it is missing, like :mod:`constructions.training`.

>>> from polyapprox.app.experiments import attention_cost
>>> attention_cost("softmax", 4, 1, 2)
48
"""

from __future__ import annotations

import importlib
from typing import Any

from ._cost import attention_cost as attention_cost
from ._cost import time_attention_kinds as time_attention_kinds

#: names of the training experiments, imported on first use (torch and matplotlib stay optional)
_TRAINING = (
    "EXPERIMENTS",
    "PAPER_LEARNS",
    "SUMFORMER_MODELS",
    "ExperimentResult",
    "init_comparison",
    "latent_sweep",
    "run_experiment",
    "sparse_copying",
    "sumformer_curves",
)

__all__ = [
    "EXPERIMENTS",
    "PAPER_LEARNS",
    "SUMFORMER_MODELS",
    "ExperimentResult",
    "attention_cost",
    "init_comparison",
    "latent_sweep",
    "run_experiment",
    "sparse_copying",
    "sumformer_curves",
    "time_attention_kinds",
]


def __getattr__(name: str) -> Any:
    if name not in _TRAINING:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from constructions import training

    training.run_sumformer  # noqa: B018  (without torch: the one-line install message, on every access)
    return getattr(importlib.import_module(f"{__name__}._training"), name)
