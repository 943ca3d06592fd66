"""constructions.training: learning, the constructed start, the W_Q = W_K = 0 saddle, reproducibility,
the copying task's data and masks, and one-line errors on bad input."""

from __future__ import annotations

import sys

import numpy as np
import pytest

torch = pytest.importorskip(
    "torch", reason='needs the torch extra: pip install torch==2.13.0, then pip install -e ".[torch]"'
)

from constructions import continuous, sparse, targets, training  # noqa: E402
from constructions.sparse import patterns  # noqa: E402
from constructions.training import _copying, _sumformers, one_layer  # noqa: E402
from polyapprox.app import experiments  # noqa: E402
from polyapprox.app.report.cases import CASES  # noqa: E402
from polyapprox.internal import DomainError, PolyapproxError, ShapeError, UnknownNameError  # noqa: E402

pytestmark = pytest.mark.torch  # needs the torch extra: skipped without it, run by CI after the CPU pin (-m torch)

SMALL = {"samples": 64, "test_samples": 64}


def _config(**fields):
    return training.TrainingConfig(**{**SMALL, **fields})


# ---------------------------------------------------------------------------------------------- learning


@pytest.mark.parametrize(
    "kind, psi, lr", [("mlp", "mlp", 0.05), ("polynomial", "polynomial", 0.1), ("polynomial", "mlp", 0.05)]
)
def test_a_short_run_lowers_the_error_clearly_on_an_easy_target(kind, psi, lr):
    h = training.train_sumformer(
        "centered",
        3,
        1,
        model=training.SumformerModelConfig(kind=kind, psi=psi, degree=1),
        config=_config(steps=60, lr=lr, reference=False),
    )
    assert h.test_mse[-1] < h.test_mse[0] / 10
    assert h.steps == tuple(range(0, 61, 10)) and len(h.train_loss) == 60  # by default every 10th step
    assert len(h.test_mse) == len(h.test_max) == 7
    assert all(m <= M**2 + 1e-15 for m, M in zip(h.test_mse, h.test_max))  # mean of squares <= max squared


def test_polynomial_sumformer_with_exact_psi_is_the_target():
    # f(X)_i = x_i - mean_j x_j: psi(z) = (z_x + 1)/2 - (z_s1 + 1)/2 in the model's inputs z = 2 (x, mean phi) - 1
    model = training.PolySumformer(3, 1, 1, degree=1)
    exps = model.psi.exponents.tolist()
    with torch.no_grad():
        model.coefficients.zero_()
        model.coefficients[exps.index([1, 0, 0, 0]), 0] = 0.5
        model.coefficients[exps.index([0, 1, 0, 0]), 0] = -0.5
    X = np.random.default_rng(3).uniform(size=(5, 3, 1))
    np.testing.assert_allclose(
        model(torch.from_numpy(X)).detach().numpy(), X - X.mean(axis=1, keepdims=True), atol=1e-15
    )


def test_reference_is_the_least_squares_sumformer_on_the_fixed_test_sample():
    h = training.train_sumformer(
        "times-mean", 3, 1, model=training.SumformerModelConfig(degree=2), config=_config(steps=1)
    )
    S, _ = continuous.approximate(
        targets.get("times-mean"), 3, 1, 2, samples=64, seed=0, config=continuous.FitConfig(test_samples=64)
    )
    X = np.random.default_rng(_sumformers.TEST_SEED).uniform(size=(64, 3, 1))
    expected = ((S(X) - targets.get("times-mean")(X)) ** 2).mean()
    assert h.reference["test_mse"] == pytest.approx(expected, rel=1e-12, abs=1e-30)
    assert h.reference["latent_dim"] == 3 and h.reference["test_max"] < 1e-10  # a degree-2 polynomial target


# ---------------------------------------------------------------------------------------- one layer


@pytest.mark.parametrize("kind", one_layer.one_layer_kinds())
def test_fine_tuning_starts_within_1e9_of_the_constructed_error(kind):
    h = training.train_one_layer(
        "gaussian-kernel-sum", 3, 1, model=training.OneLayerModelConfig(kind=kind, degree=3), config=_config(steps=3)
    )
    assert abs(h.test_mse[0] - h.reference["test_mse"]) <= 1e-9
    assert abs(h.test_max[0] - h.reference["test_max"]) <= 1e-9
    assert h.reference["test_mse"] > 1e-8  # not a trivial target: the comparison can fail


def _constructed_module(saddle: str):
    S, _ = continuous.approximate(
        targets.get("gaussian-kernel-sum"), 3, 1, 3, samples=64, config=continuous.FitConfig(test_samples=16)
    )
    return S, training.one_layer_network(S, 3, training.OneLayerModelConfig(saddle=saddle)).to_torch(trainable=True)


def test_the_saddle_w_q_w_k_zero_has_exactly_zero_gradients():
    S, module = _constructed_module("none")
    X = torch.from_numpy(np.random.default_rng(1).uniform(size=(16, 3, 1)))
    (module(X) ** 2).sum().backward()
    heads = module.stages["attn"].body
    assert torch.count_nonzero(heads.W_Q.weight.grad) == 0 and torch.count_nonzero(heads.W_K.weight.grad) == 0
    assert torch.count_nonzero(heads.W_V.weight.grad) > 0


def test_random_query_keeps_the_constructed_output_and_frees_w_k():
    S, module = _constructed_module("random-query")
    X = np.random.default_rng(1).uniform(size=(16, 3, 1))
    out = module(torch.from_numpy(X))
    np.testing.assert_allclose(out.detach().numpy(), S(X), atol=1e-12)
    heads = module.stages["attn"].body
    assert torch.count_nonzero(heads.W_Q.weight) > 0 and torch.count_nonzero(heads.W_K.weight) == 0
    (out**2).sum().backward()
    assert torch.count_nonzero(heads.W_K.weight.grad) > 0


def test_freeze_keeps_attention_projections_fixed():
    h, trained = (
        training.train_one_layer(
            "centered", 3, 1, model=training.OneLayerModelConfig(degree=1, saddle=saddle), config=_config(steps=2)
        )
        for saddle in ("freeze", "none")
    )
    # W_Q, W_K: D x d_k = 4 x 1 each (D = 1 + 2*1 + 1: a degree-1 fit of centered carries p_1 only)
    assert h.parameters == trained.parameters - 2 * 4


def test_random_initialisation_starts_far_from_the_constructed_error():
    h = training.train_one_layer(
        "gaussian-kernel-sum",
        3,
        1,
        model=training.OneLayerModelConfig(init="random", degree=3),
        config=_config(steps=5),
    )
    assert h.test_mse[0] > 1e3 * h.reference["test_mse"]


# ------------------------------------------------------------------------------------ reproducibility


def test_a_rerun_gives_bitwise_equal_losses_and_another_seed_does_not():
    runs = [
        training.train_sumformer("gaussian-kernel-sum", 3, 1, config=_config(steps=15, reference=False, seed=s))
        for s in (4, 4, 5)
    ]
    assert runs[0].train_loss == runs[1].train_loss and runs[0].test_mse == runs[1].test_mse
    assert runs[0].train_loss != runs[2].train_loss


def test_copying_runs_are_bitwise_reproducible():
    kw = {"vocab": 3, "width": 16, "heads": 2, "config": training.CopyingConfig(steps=6, eval_every=3, test_batch=16)}
    a, b = training.train_copying("strided", 16, **kw), training.train_copying("strided", 16, **kw)
    assert a.train_loss == b.train_loss and a.accuracy == b.accuracy


def test_deterministic_restores_the_global_settings():
    before = (torch.are_deterministic_algorithms_enabled(), torch.get_num_threads())
    with training.deterministic(0, threads=1):
        assert torch.are_deterministic_algorithms_enabled()
    assert (torch.are_deterministic_algorithms_enabled(), torch.get_num_threads()) == before


# ------------------------------------------------------------------------------------------- copying


def test_copy_batch_copies_the_first_half_into_the_second():
    x, y = training.copy_batch(50, 12, 5, torch.Generator().manual_seed(7))
    assert x.shape == y.shape == (50, 12)
    assert ((x[:, :6] >= 1) & (x[:, :6] <= 5)).all() and (x[:, 6:] == 0).all()
    assert (y[:, :6] == -100).all()
    for i in range(6, 12):  # position by position, independently of the vectorised code
        assert torch.equal(y[:, i], x[:, i - 6])
    x2, _ = training.copy_batch(50, 12, 5, torch.Generator().manual_seed(7))
    assert torch.equal(x, x2) and set(x[:, :6].unique().tolist()) == {1, 2, 3, 4, 5}


def test_random_mask_has_self_loops_r_keys_per_row_and_follows_the_seed():
    M = training.random_mask(20, 4, seed=3)
    assert M.diagonal().all() and (M.sum(axis=1) == 5).all()
    assert np.array_equal(M, training.random_mask(20, 4, seed=3))
    assert not np.array_equal(M, training.random_mask(20, 4, seed=4))


def test_copy_masks_are_the_sparse_patterns_cycled():
    strided = patterns.strided(16, 4)
    masks = training.copy_masks("strided", 16)
    assert [np.array_equal(m, strided[t % 2]) for t, m in enumerate(masks)] == [True] * 4
    assert np.array_equal(training.copy_masks("union", 16)[0], strided[0] | strided[1])
    assert np.array_equal(training.copy_masks("fixed", 64)[1], patterns.fixed(64, 8)[1])
    assert np.array_equal(training.copy_masks("star", 16)[3], patterns.star(16)[0])
    assert all(m.all() for m in training.copy_masks("dense", 16))
    assert [_copying.block_width(n) for n in (16, 32, 64)] == [4, 4, 8]


def test_masked_block_attends_only_inside_the_mask():
    # a value planted on token 15 reaches token 0 only through the mask: STAR relays it, a window does not
    torch.manual_seed(0)
    for pattern, reaches in (("star", True), ("sliding_window", False)):
        model = training.SparseCopyTransformer(3, training.copy_masks(pattern, 16, layers=1), width=8, heads=2)
        base = torch.zeros(1, 16, dtype=torch.int64)
        changed = base.clone()
        changed[0, 15] = 2
        with torch.no_grad():
            moved = not torch.allclose(model(base)[0, 0], model(changed)[0, 0])
        assert moved == reaches


def test_assumption_table_matches_the_pattern_table():
    table = training.assumption_table(16)
    rows = {r["pattern"]: r for r in table.rows}
    assert {p: rows[p]["s"] for p in CASES["TR1"].expected} == CASES["TR1"].expected
    assert rows["sliding_window"]["s <= layers"] is False
    random_report = sparse.check_assumption(training.copy_masks("random", 16))
    assert rows["random"]["p"] == 4 and (rows["random"]["assumption 1"] == "holds") == random_report.holds


# ----------------------------------------------------------------------------------------- bad input


def _square_plus_token(X):
    return np.concatenate([X, X], axis=1)  # (b, 2n, d): wrong shape


def _nan_target(X):
    return np.full(X.shape, np.nan)


@pytest.mark.parametrize(
    "call, error, fragment",
    [
        (
            lambda: training.TrainingConfig(steps=-1),
            PolyapproxError,
            "steps must be an integer >= 0",
        ),
        (lambda: training.TrainingConfig(lr=-0.1), PolyapproxError, "learning rate"),
        (lambda: training.TrainingConfig(lr=float("nan")), PolyapproxError, "learning rate"),
        (
            lambda: training.SumformerModelConfig(latent_dim=0),
            PolyapproxError,
            "latent dimension d'",
        ),
        (lambda: training.SumformerModelConfig(kind="cnn"), UnknownNameError, "kind"),
        (lambda: training.SumformerModelConfig(psi="rbf"), UnknownNameError, "psi"),
        (lambda: training.SumformerModelConfig(hidden=0), PolyapproxError, "hidden must be an integer >= 1"),
        (
            lambda: training.train_sumformer("centered", 3, 1, model=training.OneLayerModelConfig()),  # pyright: ignore[reportArgumentType]
            PolyapproxError,
            "model must be a SumformerModelConfig",
        ),
        (
            lambda: training.train_sumformer(_square_plus_token, 3, 1, config=_config(reference=False)),
            ShapeError,
            "(b, n, d_out)",
        ),
        (lambda: training.train_sumformer(_nan_target, 3, 1, config=_config(reference=False)), DomainError, "NaN"),
        (lambda: training.train_sumformer("no-such-target", 3, 1), UnknownNameError, "unknown target"),
        (lambda: training.train_sumformer(42, 3, 1), PolyapproxError, "target must be"),
        (lambda: training.OneLayerModelConfig(kind="rnn"), UnknownNameError, "kind"),
        (lambda: training.OneLayerModelConfig(saddle="jump"), UnknownNameError, "saddle"),
        (lambda: training.OneLayerModelConfig(init="zeros"), UnknownNameError, "init"),
        (lambda: training.OneLayerModelConfig(degree=0), PolyapproxError, "degree must be an integer >= 1"),
        (lambda: training.OneLayerModelConfig(options=[("k", 2)]), PolyapproxError, "options must be a dict"),  # pyright: ignore[reportArgumentType]
        (
            lambda: training.train_one_layer("centered", 3, 1, model=training.SumformerModelConfig()),  # pyright: ignore[reportArgumentType]
            PolyapproxError,
            "model must be a OneLayerModelConfig",
        ),
        (
            lambda: training.constructed_reference(
                targets.get("centered"), 1, np.zeros((4, 3)), np.zeros((4, 3)), samples=8, seed=0
            ),
            ShapeError,
            "X_test must be (b, n, d)",
        ),
        (
            lambda: training.train_one_layer("centered", 3, 1, config=_config(reference=False)),
            PolyapproxError,
            "reference must be True",
        ),
        (lambda: training.OneLayerModelConfig(options={"q": 1}), PolyapproxError, "no option 'q'"),
        (lambda: training.TrainingConfig(samples=0), PolyapproxError, "samples"),
        (lambda: training.TrainingConfig(progress="yes"), PolyapproxError, "progress must be True or False"),  # pyright: ignore[reportArgumentType]
        (lambda: training.train_copying("spiral", 16), UnknownNameError, "pattern"),
        (lambda: training.train_copying("dense", 15), PolyapproxError, "even length"),
        (
            lambda: training.train_copying("dense", 16, config=training.CopyingConfig(steps=-3)),
            PolyapproxError,
            "steps",
        ),
        (lambda: experiments.run_experiment("nonsense"), UnknownNameError, "experiment"),
        (lambda: experiments.sparse_copying(patterns=("strided", "zigzag")), UnknownNameError, "pattern"),
        (lambda: training.random_mask(4, 4, seed=0), PolyapproxError, "exceed"),
    ],
)
def test_bad_input_is_a_one_line_error(call, error, fragment):
    with pytest.raises(error) as info:
        call()
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_missing_torch_is_a_one_line_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now raises ImportError
    with pytest.raises(PolyapproxError, match=r'pip install -e "\.\[torch\]"') as info:
        training.train_sumformer  # noqa: B018
    assert "\n" not in str(info.value) and "torch==2.13.0" in str(info.value)


# ------------------------------------------------------------------------------------------- sweeps


def test_experiment_sweeps_are_identical_in_worker_processes():
    from polyapprox.app.report.executor import make_executor

    config = experiments.ExperimentConfig(steps=3, seeds=(0, 1))
    serial = experiments.sumformer_curves(config, target="times-mean", degree=2)
    with make_executor(jobs=2) as processes:
        parallel = experiments.sumformer_curves(
            experiments.ExperimentConfig(steps=3, seeds=(0, 1), map=processes.map), target="times-mean", degree=2
        )
    strip = lambda runs: [{k: v for k, v in r.items() if k != "seconds"} for r in runs]
    assert strip(parallel.runs) == strip(serial.runs) and parallel.table.rows == serial.table.rows
