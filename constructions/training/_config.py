"""The settings every training run shares, as one checked, frozen object (no torch needed)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from polyapprox.internal import PolyapproxError, check_int, check_seed


@dataclass(frozen=True)
class TrainingConfig:
    """How a training run goes: steps, learning rate, samples, seed, threads (every field checked).

    Parameters
    ----------
    steps : int or None, default None
        Optimiser steps (>= 0); None: the training function's default (300 for a Sumformer, 100
        for a one-layer network).
    lr : float or None, default None
        Adam learning rate (> 0); None: the training function's default.
    samples : int, default 512
        Training sequences.
    test_samples : int, default 512
        Sequences of the fixed test sample.
    seed : int, default 0
        Seed of every random choice (reproducible).
    threads : int, default 1
        torch CPU threads (fixed, for bitwise reproducibility).
    progress : bool, default False
        Show a progress bar on stderr.
    reference : bool, default True
        Also fit the constructed least-squares Sumformer and record its test errors (a one-layer
        network is built from it, so ``train_one_layer`` needs True).

    Examples
    --------
    >>> TrainingConfig(steps=20, lr=0.01).samples
    512
    >>> TrainingConfig(lr=-1)
    Traceback (most recent call last):
    ...
    polyapprox.exact._errors.PolyapproxError: learning rate must be a finite number > 0; got -1
    """

    steps: int | None = None
    lr: float | None = None
    samples: int = 512
    test_samples: int = 512
    seed: int = 0
    threads: int = 1
    progress: bool = False
    reference: bool = True

    def __post_init__(self) -> None:
        if self.steps is not None:
            check_int("steps", self.steps, minimum=0)
        lr = self.lr
        if lr is not None and (
            isinstance(lr, bool) or not isinstance(lr, (int, float)) or not math.isfinite(lr) or lr <= 0
        ):
            raise PolyapproxError(f"learning rate must be a finite number > 0; got {lr!r}")
        check_int("samples", self.samples, minimum=1)
        check_int("test_samples", self.test_samples, minimum=1)
        check_seed(self.seed)
        check_int("threads", self.threads, minimum=1)
        for name in ("progress", "reference"):
            if not isinstance(getattr(self, name), bool):
                raise PolyapproxError(f"{name} must be True or False; got {getattr(self, name)!r}")

    @classmethod
    def split(cls, settings: Mapping[str, Any]) -> tuple[TrainingConfig, dict[str, Any]]:
        """(the config of the fields in ``settings``, the other keys): for flat run records.

        >>> config, rest = TrainingConfig.split({"steps": 5, "kind": "mlp"})
        >>> config.steps, rest
        (5, {'kind': 'mlp'})
        """
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in settings.items() if k in names}), {
            k: v for k, v in settings.items() if k not in names
        }
