"""Evaluation every k steps in the training loops: validated, and it does not change the training."""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("torch")

from constructions.training import train_one_layer, train_sumformer
from polyapprox.internal import PolyapproxError

SMALL = {"n": 2, "d": 1, "kind": "polynomial", "degree": 2, "samples": 32, "test_samples": 16, "reference": False}


@pytest.mark.parametrize("bad", [0, -3, 10**7, True, 2.5], ids=repr)
@pytest.mark.parametrize("train", [train_sumformer, train_one_layer], ids=lambda f: f.__name__)
def test_bad_intervals_are_one_line_errors(train, bad):
    kwargs = SMALL if train is train_sumformer else {"n": 2, "d": 1, "degree": 1, "samples": 16, "test_samples": 8}
    with pytest.raises(PolyapproxError) as info:
        train("centered", **kwargs, steps=2, eval_every=bad)
    assert "eval_every" in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("k", [1, 3, 7, 50])
def test_every_k_steps_and_the_last(k):
    steps = 7
    every = train_sumformer("centered", **SMALL, steps=steps, eval_every=1, seed=4)
    sparse = train_sumformer("centered", **SMALL, steps=steps, eval_every=k, seed=4)
    expected = [0, *range(k, steps + 1, k)]
    if expected[-1] != steps:
        expected.append(steps)
    assert list(sparse.steps) == expected
    assert sparse.train_loss == every.train_loss  # evaluating less often changes nothing in the training
    at = {s: (m, w) for s, m, w in zip(every.steps, every.test_mse, every.test_max)}
    assert [(m, w) for m, w in zip(sparse.test_mse, sparse.test_max)] == [at[s] for s in sparse.steps]


def test_errors_in_torch_equal_the_numpy_formula():
    import torch

    from constructions.training._common import errors, eval_errors

    rng = np.random.default_rng(8)
    prediction, truth = rng.normal(size=(5, 3, 2)), rng.normal(size=(5, 3, 2))
    ours = eval_errors(torch.from_numpy(prediction), torch.from_numpy(truth)).tolist()
    np.testing.assert_allclose(ours, errors(prediction, truth), rtol=1e-15)
    prediction[2, 1, 0] = np.nan  # a diverged run: both errors infinite, never NaN
    assert eval_errors(torch.from_numpy(prediction), torch.from_numpy(truth)).tolist() == [math.inf, math.inf]


def test_a_run_records_the_evaluated_steps():
    history = train_one_layer("centered", 2, 1, degree=1, samples=16, test_samples=8, steps=5, eval_every=2)
    assert history.steps == (0, 2, 4, 5) and len(history.train_loss) == 5 == len(set(range(5)))
    assert len(history.test_mse) == len(history.test_max) == 4
