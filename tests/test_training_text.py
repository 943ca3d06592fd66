"""Character-level language modelling with sparse causal masks: masks, determinism, the experiment's verdicts."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch", reason='needs the torch extra: pip install torch==2.13.0, then pip install -e ".[torch]"')

from constructions.training import PATTERNS, TextConfig, text_masks, train_text
from constructions.training.text import causal_random_mask
from polyapprox.app.experiments import ExperimentConfig
from polyapprox.app.experiments._stats import SeedInterval, t_interval
from polyapprox.app.experiments._text import _close, check_text_levels, sparse_text
from polyapprox.internal import PolyapproxError

pytestmark = pytest.mark.torch

LEVELS = {"dense": None, "star": None, "strided": 4, "fixed": 4, "sliding_window": 4, "random": 3, "union": 4}


@pytest.mark.parametrize("pattern", PATTERNS)
def test_masks_are_causal_with_a_full_diagonal(pattern):
    for M in text_masks(pattern, 12, LEVELS[pattern], layers=3):
        assert M.shape == (12, 12) and M.dtype == bool
        assert not np.triu(M, 1).any() and M.diagonal().all()


def test_masks_by_hand():
    n = 8
    idx = np.arange(n)
    past = idx[None, :] <= idx[:, None]
    window, stride = text_masks("strided", n, 4, layers=2)
    assert np.array_equal(window, past & (idx[:, None] - idx[None, :] <= 2))
    assert np.array_equal(stride, past & (idx[:, None] % 4 == idx[None, :] % 4))
    (union,) = text_masks("union", n, 4, layers=1)
    assert np.array_equal(union, window | stride)
    (star,) = text_masks("star", n, layers=1)  # relay n - 1: only the last query sees it under the causal mask
    expected = past & (idx[:, None] - idx[None, :] <= 1)
    expected[n - 1] = True
    assert np.array_equal(star, expected)


def test_causal_random_mask_draws_earlier_keys_only():
    M = causal_random_mask(10, 3, seed=4)
    assert M.sum(axis=1).tolist() == [min(k, 3) + 1 for k in range(10)]
    assert not np.triu(M, 1).any()
    assert np.array_equal(M, causal_random_mask(10, 3, seed=4)) and not np.array_equal(
        M, causal_random_mask(10, 3, seed=5)
    )


@pytest.mark.parametrize(
    "pattern, level, message",
    [
        ("strided", None, "needs a sparsity level"),
        ("dense", 4, "has no sparsity level"),
        ("fixed", 1, "integer >= 2"),
        ("sliding_window", 99, "larger than the context"),
        ("random", 8, "larger than the context"),
        ("strided", -3, "integer >= 2"),
    ],
)
def test_bad_levels_are_refused(pattern, level, message):
    with pytest.raises(PolyapproxError, match=message):
        text_masks(pattern, 8, level)


def test_a_run_is_bitwise_reproducible_per_seed():
    config = TextConfig(steps=3, context=8, batch=4, eval_windows=4, seed=3)
    runs = [train_text("fixed", 4, width=8, heads=2, config=config) for _ in range(2)]
    assert runs[0].train_bits == runs[1].train_bits and runs[0].test_bits == runs[1].test_bits
    other = train_text(
        "fixed", 4, width=8, heads=2, config=TextConfig(steps=3, context=8, batch=4, eval_windows=4, seed=4)
    )
    assert other.train_bits != runs[0].train_bits


def test_bits_per_character_of_uniform_logits_is_log2_of_the_vocabulary():
    import torch

    from constructions.training._text import CharTransformer, _bits, _windows

    model = CharTransformer(97, text_masks("dense", 8), width=8, heads=2)
    with torch.no_grad():
        model.head.weight.zero_()
        model.head.bias.zero_()  # every logit 0: the uniform distribution over 97 symbols
    windows = _windows(np.arange(100, dtype=np.uint8) % 97, 8, 5)
    assert windows.shape == (5, 9) and windows[1, 0] == 8  # consecutive, non-overlapping inputs
    assert _bits(model, windows) == pytest.approx(np.log2(97), rel=1e-6)


def test_an_untrained_run_has_no_training_losses():
    run = train_text("dense", config=TextConfig(steps=0, context=8, eval_windows=16), width=8, heads=2)
    assert run.train_bits == () and run.test_bits > 0


@pytest.mark.parametrize(
    "field, value",
    [("context", 2), ("context", 5000), ("batch", 0), ("eval_windows", 0), ("steps", -1), ("steps", 10**6)],
)
def test_bad_text_config_is_refused(field, value):
    with pytest.raises(PolyapproxError, match=field):
        TextConfig(**{field: value})


@pytest.mark.parametrize("levels", [[], [1], [4, 4], [-2], [4, 64], list(range(2, 12)), "4"])
def test_bad_level_lists_are_refused(levels):
    with pytest.raises(PolyapproxError):
        check_text_levels(levels, 32)


def test_closeness_is_decided_on_the_interval():
    # planted: one seed is well within 5% of dense, but the interval over three seeds reaches above 5%
    gaps = [0.0, 0.04, 0.09]
    interval = t_interval(gaps)
    assert gaps[0] < 0.05 and interval.low < 0.05 < interval.high
    assert _close(interval) == "inconclusive"
    assert _close(SeedInterval(0.01, 0.0, 0.03, 3, 0.95)) == "yes"
    assert _close(SeedInterval(0.1, 0.07, 0.13, 3, 0.95)) == "no"


def test_experiment_table_has_dense_first_and_a_verdict_per_sparse_row():
    result = sparse_text(ExperimentConfig(steps=2, seeds=(0, 1)), patterns=("random", "star"), levels=[2, 4])
    assert [(r["pattern"], r["level"]) for r in result.table.rows] == [
        ("dense", "-"),
        ("random", 2),
        ("random", 4),
        ("star", "-"),
    ]
    assert all(r["verdict"] in ("agrees", "differs", "inconclusive") for r in result.table.rows[1:])
    assert len(result.runs) == 8 and result.figure is not None
    dense = [r["test_bits"] for r in result.runs if r["pattern"] == "dense"]
    assert result.extra["intervals"]["dense None"]["mean"] == pytest.approx(np.mean(dense), abs=1e-12)
