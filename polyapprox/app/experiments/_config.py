"""How a training experiment runs: quick or full settings, the seeds, steps, learning rate and the
``map`` its runs go through, as one checked, frozen object (needs no torch)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from polyapprox.internal import PolyapproxError, SizeError, check_int, check_seed

Mapper = Callable[[Callable[[Any], Any], list], list]

#: Seeds of the default runs: the quick settings run 3, the full ones 5 (first seed 0 unless set).
QUICK_SEEDS, FULL_SEEDS = 3, 5
#: Most seeds an experiment accepts (each seed runs every variant once).
MAX_SEEDS = 100
#: Largest seed accepted (torch and numpy take 32-bit seeds here without wrapping).
MAX_SEED = 2**32 - 1
#: Most training steps per run (the full experiments use at most 1,500).
MAX_STEPS = 100_000


def check_seeds(seeds: Any) -> tuple[int, ...]:
    """A list of seeds: 2 to ``MAX_SEEDS`` distinct integers from 0 to ``MAX_SEED``.

    Two at least, so that every row has a confidence interval over seeds.

    Parameters
    ----------
    seeds : sequence of int
        The seeds.

    Returns
    -------
    tuple of int
        The seeds, in the order given.

    Raises
    ------
    PolyapproxError
        Fewer than 2 seeds, a duplicate, a negative or too large seed; ``SizeError`` for more
        than ``MAX_SEEDS``.

    Examples
    --------
    >>> check_seeds([0, 1, 2])
    (0, 1, 2)
    >>> check_seeds([3, 3])
    Traceback (most recent call last):
    ...
    polyapprox.exact._errors.PolyapproxError: seeds must be distinct; 3 appears more than once
    """
    if isinstance(seeds, str | bytes) or not isinstance(seeds, Sequence):
        raise PolyapproxError(f"seeds must be a list of integers; got {seeds!r}")
    if len(seeds) > MAX_SEEDS:
        raise SizeError(f"{len(seeds):,} seeds exceed the limit of {MAX_SEEDS} seeds per experiment")
    if len(seeds) < 2:
        raise PolyapproxError(f"an experiment needs at least 2 seeds (for an interval over seeds); got {len(seeds)}")
    checked = tuple(check_seed(s) for s in seeds)
    for s in checked:
        if s > MAX_SEED:
            raise PolyapproxError(f"seed must be at most {MAX_SEED:,}; got {s:,}")
    repeated = next((s for s in checked if checked.count(s) > 1), None)
    if repeated is not None:
        raise PolyapproxError(f"seeds must be distinct; {repeated} appears more than once")
    return checked


@dataclass(frozen=True)
class ExperimentConfig:
    """How a training experiment runs (every field checked when built).

    Parameters
    ----------
    quick : bool, default True
        The small settings; False for the full run.
    seeds : tuple of int or None, default None
        The seeds (2 to 100 distinct); None: ``QUICK_SEEDS`` (3) quick or ``FULL_SEEDS`` (5) full,
        counted up from 0. Every variant runs once per seed; rows report the mean and a 95%
        t-interval over seeds.
    steps : int or None, default None
        Optimiser steps per run (1 to 100,000); None: the experiment's default for ``quick``.
    lr : float or None, default None
        Learning rate (> 0); None: the default per model.
    map : callable or None, default None
        A ``map(function, items)`` to run the runs with (a process pool, Dask); None: serial.

    Examples
    --------
    >>> ExperimentConfig().seed_list, ExperimentConfig(quick=False).seed_list
    ((0, 1, 2), (0, 1, 2, 3, 4))
    >>> ExperimentConfig(seeds=[])
    Traceback (most recent call last):
    ...
    polyapprox.exact._errors.PolyapproxError: an experiment needs at least 2 seeds (for an interval over seeds); got 0
    """

    quick: bool = True
    seeds: Sequence[int] | None = None
    steps: int | None = None
    lr: float | None = None
    map: Mapper | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.quick, bool):
            raise PolyapproxError(f"quick must be True or False; got {self.quick!r}")
        if self.seeds is not None:
            object.__setattr__(self, "seeds", check_seeds(self.seeds))
        if self.steps is not None:
            steps = check_int("steps", self.steps, minimum=1)
            if steps > MAX_STEPS:
                raise SizeError(f"{steps:,} steps exceed the limit of {MAX_STEPS:,} training steps per run")
        lr = self.lr
        if lr is not None and (
            isinstance(lr, bool) or not isinstance(lr, int | float) or not math.isfinite(lr) or lr <= 0
        ):
            raise PolyapproxError(f"learning rate must be a finite number > 0; got {lr!r}")
        if self.map is not None and not callable(self.map):
            raise PolyapproxError(f"map must be callable, map(function, items); got {self.map!r}")

    @classmethod
    def from_first_seed(cls, first: int, quick: bool = True, **fields: Any) -> ExperimentConfig:
        """The default number of seeds for ``quick``, counted up from ``first``.

        >>> ExperimentConfig.from_first_seed(7).seed_list
        (7, 8, 9)
        """
        first = check_seed(first)
        return cls(quick=quick, seeds=tuple(range(first, first + (QUICK_SEEDS if quick else FULL_SEEDS))), **fields)

    @property
    def seed_list(self) -> tuple[int, ...]:
        """The seeds the experiment runs."""
        if self.seeds is not None:
            return tuple(self.seeds)
        return tuple(range(QUICK_SEEDS if self.quick else FULL_SEEDS))

    def run(self, fn: Callable[[Any], Any], items: list) -> list:
        """``fn`` over ``items`` through ``map`` (serial by default), results in the order of ``items``."""
        if self.map is None:
            return [fn(item) for item in items]
        return list(self.map(fn, items))
