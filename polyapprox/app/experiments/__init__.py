"""Experiments of the app: the training experiments (results table, figure, notes and
"agrees with the paper" verdicts each; the registry ``EXPERIMENTS``) and the measured cost of the
attention kinds.

The training experiments need PyTorch: their names import it on first use and raise a one-line
``PolyapproxError`` (how to install it) when it is missing, like :mod:`constructions.training`.

>>> from polyapprox.app.experiments import attention_cost
>>> attention_cost("softmax", 4, 1, 2)
48
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._cost import attention_cost as attention_cost
from ._cost import time_attention_kinds as time_attention_kinds

if TYPE_CHECKING:  # for type checkers; at run time they load on first use (below)
    from ._finetune import fine_tuning as fine_tuning
    from ._registry import EXPERIMENTS as EXPERIMENTS
    from ._registry import run_experiment as run_experiment
    from ._text import sparse_text as sparse_text
    from ._training import PAPER_LEARNS as PAPER_LEARNS
    from ._training import SUMFORMER_MODELS as SUMFORMER_MODELS
    from ._training import ExperimentResult as ExperimentResult
    from ._training import init_comparison as init_comparison
    from ._training import latent_sweep as latent_sweep
    from ._training import sparse_copying as sparse_copying
    from ._training import sumformer_curves as sumformer_curves

#: names of the training experiments -> their module, imported on first use (torch and matplotlib stay optional)
_TRAINING = {
    "EXPERIMENTS": "_registry",
    "PAPER_LEARNS": "_training",
    "SUMFORMER_MODELS": "_training",
    "ExperimentResult": "_training",
    "fine_tuning": "_finetune",
    "init_comparison": "_training",
    "latent_sweep": "_training",
    "run_experiment": "_registry",
    "sparse_copying": "_training",
    "sparse_text": "_text",
    "sumformer_curves": "_training",
}

__all__ = [
    "EXPERIMENTS",
    "PAPER_LEARNS",
    "SUMFORMER_MODELS",
    "ExperimentResult",
    "attention_cost",
    "fine_tuning",
    "init_comparison",
    "latent_sweep",
    "run_experiment",
    "sparse_copying",
    "sparse_text",
    "sumformer_curves",
    "time_attention_kinds",
]


def __getattr__(name: str) -> Any:
    if name not in _TRAINING:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from constructions import training

    training.run_sumformer  # noqa: B018  (without torch: the one-line install message, on every access)
    return getattr(importlib.import_module(f"{__name__}.{_TRAINING[name]}"), name)
