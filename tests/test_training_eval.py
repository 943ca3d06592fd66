"""Evaluation every k steps in the training loops: validated, and it does not change the training."""

from __future__ import annotations

import math

import numpy as np
import pytest

from constructions.training import TrainingConfig
from polyapprox.internal import PolyapproxError


@pytest.mark.parametrize("bad", [0, -3, 10**7, True, 2.5], ids=repr)
def test_bad_intervals_are_one_line_errors(bad):
    with pytest.raises(PolyapproxError) as info:
        TrainingConfig(steps=2, eval_every=bad)
    assert "eval_every" in str(info.value) and "\n" not in str(info.value)


def _small(**changes) -> TrainingConfig:
    return TrainingConfig(**{"samples": 32, "test_samples": 16, "reference": False, **changes})


@pytest.mark.torch
@pytest.mark.parametrize("k", [1, 3, 7, 50])
def test_every_k_steps_and_the_last(k):
    pytest.importorskip("torch")
    from constructions.training import SumformerModelConfig, train_sumformer

    steps, model = 7, SumformerModelConfig(kind="polynomial", degree=2)
    every = train_sumformer("centered", 2, 1, model=model, config=_small(steps=steps, seed=4, eval_every=1))
    sparse = train_sumformer("centered", 2, 1, model=model, config=_small(steps=steps, seed=4, eval_every=k))
    expected = [0, *range(k, steps + 1, k)]
    if expected[-1] != steps:
        expected.append(steps)
    assert list(sparse.steps) == expected
    assert sparse.train_loss == every.train_loss  # evaluating less often changes nothing in the training
    at = {s: (m, w) for s, m, w in zip(every.steps, every.test_mse, every.test_max)}
    assert [(m, w) for m, w in zip(sparse.test_mse, sparse.test_max)] == [at[s] for s in sparse.steps]


@pytest.mark.torch
def test_errors_in_torch_equal_the_numpy_formula():
    torch = pytest.importorskip("torch")
    from constructions.training._common import errors, eval_errors

    rng = np.random.default_rng(8)
    prediction, truth = rng.normal(size=(5, 3, 2)), rng.normal(size=(5, 3, 2))
    ours = eval_errors(torch.from_numpy(prediction), torch.from_numpy(truth)).tolist()
    np.testing.assert_allclose(ours, errors(prediction, truth), rtol=1e-15)
    prediction[2, 1, 0] = np.nan  # a diverged run: both errors infinite, never NaN
    assert eval_errors(torch.from_numpy(prediction), torch.from_numpy(truth)).tolist() == [math.inf, math.inf]


@pytest.mark.torch
def test_a_one_layer_run_records_the_evaluated_steps():
    pytest.importorskip("torch")
    from constructions.training import OneLayerModelConfig, train_one_layer

    config = TrainingConfig(steps=5, samples=16, test_samples=8, eval_every=2)
    history = train_one_layer("centered", 2, 1, model=OneLayerModelConfig(degree=1), config=config)
    assert history.steps == (0, 2, 4, 5) and len(history.train_loss) == 5
    assert len(history.test_mse) == len(history.test_max) == 4
