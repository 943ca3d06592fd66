"""The registry of training experiments: name -> experiment function (one place; the CLI and report read it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from polyapprox.internal import check_choice

from ._config import ExperimentConfig
from ._finetune import fine_tuning
from ._text import sparse_text
from ._training import (
    ExperimentResult,
    init_comparison,
    latent_sweep,
    sparse_copying,
    sparsity_sweep,
    sumformer_curves,
)

EXPERIMENTS: dict[str, Callable[..., ExperimentResult]] = {
    "sumformer-curves": sumformer_curves,
    "latent-sweep": latent_sweep,
    "init": init_comparison,
    "sparse-copying": sparse_copying,
    "sparsity-sweep": sparsity_sweep,
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
