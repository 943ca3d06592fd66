"""The registry of training experiments: name -> experiment function (one place; the CLI and report read it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from polyapprox.internal import check_choice

from ._config import ExperimentConfig
from ._finetune import fine_tuning
from ._text import sparse_text
from ._training import EXPERIMENTS as _FIRST
from ._training import ExperimentResult

EXPERIMENTS: dict[str, Callable[..., ExperimentResult]] = {
    **_FIRST,
    "sparse-text": sparse_text,
    "fine-tuning": fine_tuning,
}


def run_experiment(name: str, config: ExperimentConfig | None = None, **options: Any) -> ExperimentResult:
    """Run the experiment called ``name`` (see :data:`EXPERIMENTS`) with ``config`` and keyword ``options``.

    Parameters
    ----------
    name : str
        A key of :data:`EXPERIMENTS`.
    config : ExperimentConfig or None, default None
        Quick or full, seeds, steps, learning rate, map.
    **options : dict
        The experiment's own keyword arguments.

    Returns
    -------
    ExperimentResult
        What the experiment returns.

    Examples
    --------
    >>> sorted(EXPERIMENTS)
    ['fine-tuning', 'init', 'latent-sweep', 'sparse-copying', 'sparse-text', 'sparsity-sweep', 'sumformer-curves']
    """
    return EXPERIMENTS[check_choice("experiment", name, EXPERIMENTS)](config, **options)
