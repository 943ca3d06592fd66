"""The settings of training runs as checked, frozen objects (no torch needed): how a run goes
(:class:`TrainingConfig`, :class:`CopyingConfig`, :class:`TextConfig`, :class:`FineTuneConfig`) and what
it trains (:class:`SumformerModelConfig`, :class:`OneLayerModelConfig`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

from polyapprox.internal import PolyapproxError, check_choice, check_int, check_seed

from .._networks.kinds import attention_kinds, get_attention_kind

#: Largest evaluation interval accepted (a larger one is a typo: runs take at most 100,000 steps).
MAX_EVAL_EVERY = 1_000_000


def check_eval_every(value: Any) -> int:
    """The evaluation interval k (evaluate after every k-th step and after the last), 1 to MAX_EVAL_EVERY.

    >>> check_eval_every(10)
    10
    >>> check_eval_every(0)
    Traceback (most recent call last):
    ...
    polyapprox.exact._errors.PolyapproxError: eval_every must be an integer >= 1; got 0
    """
    k = check_int("eval_every", value, minimum=1)
    if k > MAX_EVAL_EVERY:
        raise PolyapproxError(f"eval_every must be at most {MAX_EVAL_EVERY:,}; got {k:,}")
    return k


_Config = TypeVar("_Config")


def split_fields(cls: type[_Config], settings: Mapping[str, Any]) -> tuple[_Config, dict[str, Any]]:
    """(``cls`` built from the keys of ``settings`` that are its fields, the other keys)."""
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]  # cls is a dataclass
    return cls(**{k: v for k, v in settings.items() if k in names}), {
        k: v for k, v in settings.items() if k not in names
    }


def _check_lr(lr: Any) -> None:
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not math.isfinite(lr) or lr <= 0:
        raise PolyapproxError(f"learning rate must be a finite number > 0; got {lr!r}")


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
    eval_every : int, default 10
        Evaluate the test errors after every ``eval_every``-th step and after the last, 1 to
        1,000,000 (10 keeps the loop within about 7% of a plain Adam loop, 1 costs 1.4x: each
        evaluation is a forward over the test sample).

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
    eval_every: int = 10

    def __post_init__(self) -> None:
        check_eval_every(self.eval_every)
        if self.steps is not None:
            check_int("steps", self.steps, minimum=0)
        if self.lr is not None:
            _check_lr(self.lr)
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
        return split_fields(cls, settings)


@dataclass(frozen=True)
class CopyingConfig:
    """How a copying-task run goes: steps, learning rate, batches, seed, threads (every field checked).

    Parameters
    ----------
    steps : int, default 400
        Optimiser steps (>= 0).
    lr : float, default 0.003
        Adam learning rate (> 0).
    batch : int, default 32
        Sequences per step (a fresh seeded batch every step).
    eval_every : int, default 20
        Evaluate after every ``eval_every``-th step and after the last, 1 to 1,000,000.
    test_batch : int, default 256
        Sequences of the fixed test batch.
    seed : int, default 0
        Seed of every random choice (reproducible).
    threads : int, default 1
        torch CPU threads (fixed, for bitwise reproducibility).
    progress : bool, default False
        Show a progress bar on stderr.

    Examples
    --------
    >>> CopyingConfig(steps=20).batch
    32
    >>> CopyingConfig(batch=0)
    Traceback (most recent call last):
    ...
    polyapprox.exact._errors.PolyapproxError: batch must be an integer >= 1; got 0
    """

    steps: int = 400
    lr: float = 3e-3
    batch: int = 32
    eval_every: int = 20
    test_batch: int = 256
    seed: int = 0
    threads: int = 1
    progress: bool = False

    def __post_init__(self) -> None:
        check_int("steps", self.steps, minimum=0)
        _check_lr(self.lr)
        check_int("batch", self.batch, minimum=1)
        check_eval_every(self.eval_every)
        check_int("test_batch", self.test_batch, minimum=1)
        check_seed(self.seed)
        check_int("threads", self.threads, minimum=1)
        if not isinstance(self.progress, bool):
            raise PolyapproxError(f"progress must be True or False; got {self.progress!r}")

    @classmethod
    def split(cls, settings: Mapping[str, Any]) -> tuple[CopyingConfig, dict[str, Any]]:
        """(the config of the fields in ``settings``, the other keys): for flat run records.

        >>> config, rest = CopyingConfig.split({"steps": 5, "pattern": "dense"})
        >>> config.steps, rest
        (5, {'pattern': 'dense'})
        """
        return split_fields(cls, settings)


#: The learned Sumformers :func:`~constructions.training.train_sumformer` trains.
KINDS = ("mlp", "polynomial")
#: The psi of a polynomial Sumformer.
PSI_KINDS = ("polynomial", "mlp")


@dataclass(frozen=True)
class SumformerModelConfig:
    """The Sumformer a training run learns: its kind, psi, latent dimension, degree, width (checked).

    Parameters
    ----------
    kind : str, default 'mlp'
        ``"mlp"`` (phi and psi are MLPs) or ``"polynomial"`` (phi the fixed power sums).
    psi : str, default 'polynomial'
        psi of the polynomial Sumformer: ``"polynomial"`` or ``"mlp"``.
    latent_dim : int or None, default None
        d' of the MLP Sumformer; None: C(n+d,d) - 1.
    degree : int, default 4
        Weighted degree D of the polynomial psi and total degree of the constructed reference.
    hidden : int, default 32
        Width of the hidden layers of the MLPs.

    Examples
    --------
    >>> SumformerModelConfig(kind="polynomial", degree=2).psi
    'polynomial'
    >>> SumformerModelConfig(kind="cnn")
    Traceback (most recent call last):
    ...
    polyapprox.exact._errors.UnknownNameError: unknown kind 'cnn'; allowed: 'mlp', 'polynomial'
    """

    kind: str = "mlp"
    psi: str = "polynomial"
    latent_dim: int | None = None
    degree: int = 4
    hidden: int = 32

    def __post_init__(self) -> None:
        check_choice("kind", self.kind, KINDS)
        check_choice("psi", self.psi, PSI_KINDS)
        if self.latent_dim is not None:
            check_int("latent dimension d'", self.latent_dim)
        check_int("degree", self.degree)
        check_int("hidden", self.hidden)

    @classmethod
    def split(cls, settings: Mapping[str, Any]) -> tuple[SumformerModelConfig, dict[str, Any]]:
        """(the config of the fields in ``settings``, the other keys): for flat run records.

        >>> model, rest = SumformerModelConfig.split({"kind": "polynomial", "steps": 5})
        >>> model.kind, rest
        ('polynomial', {'steps': 5})
        """
        return split_fields(cls, settings)


#: Starting weights of a one-layer run.
INITS = ("constructed", "random")
#: Ways to leave the W_Q = W_K = 0 saddle of the constructed network.
SADDLES = ("random-query", "freeze", "none")


def one_layer_kinds() -> tuple[str, ...]:
    """The networks a one-layer run can train: one per registered attention kind.

    Returns
    -------
    tuple of str
        Network names (``"transformer"``...), in registration order.

    Examples
    --------
    >>> sorted(one_layer_kinds())
    ['linformer', 'masked-transformer', 'performer', 'transformer']
    """
    return tuple(kind.network for kind in attention_kinds().values())


@dataclass(frozen=True)
class OneLayerModelConfig:
    """The one-attention-layer network a training run learns: kind, start, saddle, degree, options (checked).

    Parameters
    ----------
    kind : str, default 'transformer'
        A network of :func:`one_layer_kinds` (``"transformer"``, ``"linformer"``...).
    init : str, default 'constructed'
        ``"constructed"`` or ``"random"`` weights.
    saddle : str, default 'random-query'
        How to leave the W_Q = W_K = 0 saddle: ``"random-query"`` (a construction-style random
        W_Q), ``"freeze"`` (W_Q = W_K = 0, not trained) or ``"none"`` (W_Q = W_K = 0, trained:
        their gradients are exactly zero there).
    degree : int, default 4
        Degree of the least-squares Sumformer the network is built from.
    options : dict, optional
        The kind's own build options (``{"k": 2}`` for the Linformer, ``{"m": 8}`` for the
        Performer, ``{"pattern": "star"}``...); unset ones take the kind's defaults.

    Examples
    --------
    >>> OneLayerModelConfig(kind="linformer", options={"k": 2}).init
    'constructed'
    >>> OneLayerModelConfig(kind="linformer", options={"q": 1})
    Traceback (most recent call last):
    ...
    polyapprox.exact._errors.PolyapproxError: linformer has no option 'q'; its options: ['k']
    """

    kind: str = "transformer"
    init: str = "constructed"
    saddle: str = "random-query"
    degree: int = 4
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        attention = get_attention_kind(check_choice("kind", self.kind, one_layer_kinds()))
        check_choice("init", self.init, INITS)
        check_choice("saddle", self.saddle, SADDLES)
        check_int("degree", self.degree)
        if not isinstance(self.options, Mapping):
            raise PolyapproxError(f"options must be a dict of the kind's build options; got {self.options!r:.60}")
        own = attention.default_options()
        unknown = sorted(set(self.options) - set(own))
        if unknown:
            raise PolyapproxError(
                f"{attention.network} has no option {unknown[0]!r}; its options: {sorted(own) or 'none'}"
            )
        object.__setattr__(self, "options", dict(self.options))

    @classmethod
    def split(cls, settings: Mapping[str, Any]) -> tuple[OneLayerModelConfig, dict[str, Any]]:
        """(the config of the fields in ``settings``, the other keys): for flat run records.

        >>> model, rest = OneLayerModelConfig.split({"kind": "performer", "steps": 5})
        >>> model.kind, rest
        ('performer', {'steps': 5})
        """
        return split_fields(cls, settings)


@dataclass(frozen=True)
class TextConfig:
    """How a character-level language-modelling run goes (every field checked).

    Parameters
    ----------
    steps : int, default 200
        Optimiser steps (>= 0).
    lr : float, default 0.003
        Adam learning rate (> 0).
    batch : int, default 16
        Training windows per step (seeded random offsets into the training block), 1 to 4,096.
    context : int, default 32
        Characters per window (the sequence length n of the masks), 4 to 1,024.
    eval_windows : int, default 256
        Held-out windows (consecutive, non-overlapping) scored for bits per character, 1 to
        100,000 (fewer if the held-out block is shorter).
    seed : int, default 0
        Seed of every random choice (reproducible).
    threads : int, default 1
        torch CPU threads (fixed, for bitwise reproducibility).
    progress : bool, default False
        Show a progress bar on stderr.

    Examples
    --------
    >>> TextConfig(steps=10).context
    32
    >>> TextConfig(context=2)
    Traceback (most recent call last):
    ...
    polyapprox.exact._errors.PolyapproxError: context must be an integer >= 4; got 2
    """

    steps: int = 200
    lr: float = 3e-3
    batch: int = 16
    context: int = 32
    eval_windows: int = 256
    seed: int = 0
    threads: int = 1
    progress: bool = False

    def __post_init__(self) -> None:
        check_int("steps", self.steps, minimum=0)
        if self.steps > MAX_TEXT_STEPS:
            raise PolyapproxError(f"steps must be at most {MAX_TEXT_STEPS:,}; got {self.steps:,}")
        _check_lr(self.lr)
        for name, low, high in (("batch", 1, 4096), ("context", 4, 1024), ("eval_windows", 1, 100_000)):
            value = check_int(name, getattr(self, name), minimum=low)
            if value > high:
                raise PolyapproxError(f"{name} must be at most {high:,}; got {value:,}")
        check_seed(self.seed)
        check_int("threads", self.threads, minimum=1)
        if not isinstance(self.progress, bool):
            raise PolyapproxError(f"progress must be True or False; got {self.progress!r}")

    @classmethod
    def split(cls, settings: Mapping[str, Any]) -> tuple[TextConfig, dict[str, Any]]:
        """(the config of the fields in ``settings``, the other keys): for flat run records.

        >>> config, rest = TextConfig.split({"steps": 5, "pattern": "dense"})
        >>> config.steps, rest
        (5, {'pattern': 'dense'})
        """
        return split_fields(cls, settings)


#: Most steps of a text run (the full experiment uses 1,500).
MAX_TEXT_STEPS = 100_000


@dataclass(frozen=True)
class FineTuneConfig:
    """How the fine-tuning and sharpness measurements go (every field checked).

    Parameters
    ----------
    rates : tuple of float, default (1e-5, 1e-4, 1e-3, 1e-2)
        Adam learning rates of the fine-tuning runs (1 to 12, each in (0, 10]).
    steps : int, default 50
        Adam steps per rate (>= 1).
    random_steps : int, default 300
        Training steps of the random start before it is measured (>= 0).
    random_lr : float, default 0.03
        Their learning rate.
    iterations : int, default 200
        Most power iterations (Hessian-vector products), 1 to 10,000.
    directions : int, default 8
        Random directions of the loss profile, 1 to 1,000.

    Examples
    --------
    >>> FineTuneConfig().rates
    (1e-05, 0.0001, 0.001, 0.01)
    >>> FineTuneConfig(rates=())
    Traceback (most recent call last):
    ...
    polyapprox.exact._errors.PolyapproxError: rates must hold 1 to 12 learning rates; got 0
    """

    rates: tuple[float, ...] = (1e-5, 1e-4, 1e-3, 1e-2)
    steps: int = 50
    random_steps: int = 300
    random_lr: float = 3e-2
    iterations: int = 200
    directions: int = 8

    def __post_init__(self) -> None:
        rates = self.rates
        if isinstance(rates, (str, bytes)) or not isinstance(rates, (tuple, list)) or not 1 <= len(rates) <= 12:
            count = len(rates) if isinstance(rates, (tuple, list)) else rates
            raise PolyapproxError(f"rates must hold 1 to 12 learning rates; got {count!r}")
        for lr in (*rates, self.random_lr):
            _check_lr(lr)
            if lr > 10:
                raise PolyapproxError(f"learning rates must be at most 10; got {lr!r}")
        object.__setattr__(self, "rates", tuple(float(lr) for lr in rates))
        for name, low, high in (
            ("steps", 1, MAX_TEXT_STEPS),
            ("random_steps", 0, MAX_TEXT_STEPS),
            ("iterations", 1, 10_000),
            ("directions", 1, 1000),
        ):
            value = check_int(name, getattr(self, name), minimum=low)
            if value > high:
                raise PolyapproxError(f"{name} must be at most {high:,}; got {value:,}")
