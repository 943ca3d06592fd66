"""Experiments of the app: the five training experiments (results table, figure, notes and
"agrees with the paper" verdicts each, over seeds), the intervals over seeds their verdicts are
decided on, and the measured cost of the attention kinds.

The training experiments need PyTorch: their names import it on first use and raise a one-line
``PolyapproxError`` (how to install it) when it is missing, like :mod:`constructions.training`.

>>> from polyapprox.app.experiments import attention_cost
>>> attention_cost("softmax", 4, 1, 2)
48
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._config import ExperimentConfig as ExperimentConfig
from ._config import check_seeds as check_seeds
from ._cost import attention_cost as attention_cost
from ._cost import time_attention_kinds as time_attention_kinds
from ._stats import SeedInterval as SeedInterval
from ._stats import compare as compare
from ._stats import paper_verdict as paper_verdict
from ._stats import t_interval as t_interval

if TYPE_CHECKING:  # for type checkers; at run time they load on first use (below)
    from ._finetune import fine_tuning as fine_tuning
    from ._registry import EXPERIMENTS as EXPERIMENTS
    from ._registry import run_experiment as run_experiment
    from ._text import sparse_text as sparse_text
    from ._training import PAPER_LEARNS as PAPER_LEARNS
    from ._training import SUMFORMER_MODELS as SUMFORMER_MODELS
    from ._training import SWEEP_LEVELS as SWEEP_LEVELS
    from ._training import ExperimentResult as ExperimentResult
    from ._training import check_levels as check_levels
    from ._training import init_comparison as init_comparison
    from ._training import latent_sweep as latent_sweep
    from ._training import sparse_copying as sparse_copying
    from ._training import sparsity_sweep as sparsity_sweep
    from ._training import sumformer_curves as sumformer_curves

#: names of the training experiments -> their module, imported on first use (torch and matplotlib stay optional)
_TRAINING = {
    "EXPERIMENTS": "_registry",
    "PAPER_LEARNS": "_training",
    "SUMFORMER_MODELS": "_training",
    "SWEEP_LEVELS": "_training",
    "ExperimentResult": "_training",
    "check_levels": "_training",
    "fine_tuning": "_finetune",
    "init_comparison": "_training",
    "latent_sweep": "_training",
    "run_experiment": "_registry",
    "sparse_copying": "_training",
    "sparse_text": "_text",
    "sparsity_sweep": "_training",
    "sumformer_curves": "_training",
}

__all__ = [
    "EXPERIMENTS",
    "PAPER_LEARNS",
    "SUMFORMER_MODELS",
    "SWEEP_LEVELS",
    "ExperimentConfig",
    "ExperimentResult",
    "SeedInterval",
    "attention_cost",
    "check_levels",
    "check_seeds",
    "compare",
    "fine_tuning",
    "init_comparison",
    "latent_sweep",
    "paper_verdict",
    "run_experiment",
    "sparse_copying",
    "sparse_text",
    "sparsity_sweep",
    "sumformer_curves",
    "t_interval",
    "time_attention_kinds",
]


def __getattr__(name: str) -> Any:
    if name not in _TRAINING:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from constructions import training

    training.run_sumformer  # noqa: B018  (without torch: the one-line install message, on every access)
    return getattr(importlib.import_module(f"{__name__}.{_TRAINING[name]}"), name)
