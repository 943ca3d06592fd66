"""Module-level runners of the training experiments: each takes plain data and returns plain data,
so process pools and Dask can run them (the app turns their records into tables and figures)."""

from __future__ import annotations

from typing import Any

from polyapprox.internal import check_int

from .._sumformers.target_checks import target_values
from ._common import resolve_target, sample, target_name
from ._config import (
    CopyingConfig,
    FineTuneConfig,
    OneLayerModelConfig,
    SumformerModelConfig,
    TextConfig,
    TrainingConfig,
)
from ._copying import train_copying
from ._one_layer import train_one_layer
from ._sharpness import finetune_sharpness
from ._sumformers import TEST_SEED, constructed_reference, train_sumformer
from ._text import train_text


def run_sumformer(item: dict) -> dict:
    """Run one Sumformer training (module-level, so process pools and Dask can run it).

    Parameters
    ----------
    item : dict
        ``target``, ``n``, ``d``, with the fields of the ``SumformerModelConfig`` and the
        ``TrainingConfig`` flat beside them.

    Returns
    -------
    dict
        ``train_sumformer(...).to_dict()``.

    Examples
    --------
    >>> record = run_sumformer(dict(target="centered", n=2, d=1, kind="polynomial", degree=1, steps=2,
    ...                                samples=32, test_samples=32, reference=False))
    >>> record["steps"], len(record["train_loss"])
    ((0, 2), 2)
    """
    config, rest = TrainingConfig.split(item)
    model, rest = SumformerModelConfig.split(rest)
    return train_sumformer(**rest, model=model, config=config).to_dict()


def run_one_layer(item: dict) -> dict:
    """Run one one-layer training (module-level, for process pools and Dask).

    Parameters
    ----------
    item : dict
        ``target``, ``n``, ``d``, with the fields of the ``OneLayerModelConfig`` and the
        ``TrainingConfig`` flat beside them.

    Returns
    -------
    dict
        ``train_one_layer(...).to_dict()``.

    Examples
    --------
    >>> record = run_one_layer(dict(target="centered", n=2, d=1, degree=1, steps=2, samples=32, test_samples=32))
    >>> record["model"]
    'transformer (constructed)'
    """
    config, rest = TrainingConfig.split(item)
    model, rest = OneLayerModelConfig.split(rest)
    return train_one_layer(**rest, model=model, config=config).to_dict()


def run_copying(item: dict) -> dict:
    """Run one copying training (module-level, for process pools and Dask).

    Parameters
    ----------
    item : dict
        Keyword arguments of the training function, with the fields of its ``CopyingConfig``
        given flat.

    Returns
    -------
    dict
        The run's ``CopyHistory.to_dict()``.

    Examples
    --------
    >>> record = run_copying(dict(pattern="dense", n=8, vocab=3, width=16, heads=2, steps=2, eval_every=2,
    ...                               test_batch=8))
    >>> record["pattern"], record["eval_steps"]
    ('dense', (0, 2))
    """
    config, rest = CopyingConfig.split(item)
    return train_copying(**rest, config=config).to_dict()


def run_text(item: dict) -> dict:
    """Run one language-modelling training (module-level, for process pools and Dask).

    Parameters
    ----------
    item : dict
        Keyword arguments of ``train_text``, with the fields of its ``TextConfig`` given flat.

    Returns
    -------
    dict
        The run's ``TextHistory.to_dict()``.

    Examples
    --------
    >>> record = run_text(dict(pattern="fixed", level=4, context=8, width=8, heads=2, steps=1, eval_windows=2))
    >>> record["pattern"], record["level"], len(record["train_bits"])
    ('fixed', 4, 1)
    """
    config, rest = TextConfig.split(item)
    return train_text(**rest, config=config).to_dict()


def run_finetune(item: dict) -> dict:
    """Run one fine-tuning and sharpness measurement (module-level, for process pools and Dask).

    Parameters
    ----------
    item : dict
        Keyword arguments of ``finetune_sharpness``, the ``TrainingConfig`` and ``FineTuneConfig``
        fields flat beside them.

    Returns
    -------
    dict
        What ``finetune_sharpness`` returns.

    Examples
    --------
    >>> record = run_finetune(dict(target="centered", n=2, d=1, degree=1, rates=(1e-3,), steps=1, random_steps=1,
    ...                            iterations=3, directions=1, samples=16, test_samples=16))
    >>> record["settings"]["rates"]
    [0.001]
    """
    plan_fields = ("rates", "steps", "random_steps", "random_lr", "iterations", "directions")
    plan = FineTuneConfig(**{k: item[k] for k in plan_fields if k in item})
    model, rest = OneLayerModelConfig.split({k: v for k, v in item.items() if k not in plan_fields})
    config, rest = TrainingConfig.split(rest)
    return finetune_sharpness(**rest, model=model, finetune=plan, config=config)


def check_target(target: Any, n: int, d: int) -> tuple[Any, str]:
    """The target as given and its display name, checked before any run.

    The target must resolve and give finite values of shape (b, n, d_out) on a small sample, so a
    bad target fails at once with one line.

    Parameters
    ----------
    target : str, Target or callable
        The target (a registered name, an expression, ``module:function`` or a callable).
    n : int
        Sequence length.
    d : int
        Token dimension.

    Returns
    -------
    tuple
        ``(target, display name)``.

    Examples
    --------
    >>> check_target("centered", 3, 1)
    ('centered', 'centered')
    """

    f = resolve_target(target)
    target_values(f, sample(check_int("n", n), check_int("d", d), 8, seed=1), "check sample")
    return target, target_name(f)


def constructed_references(target: Any, n: int, d: int, degree: int, samples: int, seed: int) -> dict[int, dict]:
    """The least-squares Sumformers with d' = C(n+d,d)-1 and C(n-1+d,d)-1 on the shared test sample, by d'.

    Parameters
    ----------
    target : str, Target or callable
        The target.
    n : int
        Sequence length.
    d : int
        Token dimension.
    degree : int
        Degree of the fits.
    samples : int
        Training and test sequences.
    seed : int
        Seed of the training sample.

    Returns
    -------
    dict
        Reference record (without the model) by latent dimension d'.

    Examples
    --------
    >>> sorted(constructed_references("centered", 2, 1, 1, 64, 0))  # C(n-1+d, d) - 1 and C(n+d, d) - 1
    [1, 2]
    """

    f = resolve_target(target)
    X_test = sample(n, d, samples, TEST_SEED)
    Y_test = target_values(f, X_test, "test sample")
    refs = {}
    for is_refined in (False, True):
        ref = constructed_reference(f, degree, X_test, Y_test, samples=samples, seed=seed, refined=is_refined)
        ref.pop("model")
        refs[ref["latent_dim"]] = ref
    return refs
