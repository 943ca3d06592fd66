"""The training experiments over seeds: bitwise determinism per seed, intervals in every row and
verdict, band figures written as PNG, the sparsity sweep's levels, and the dense copying baseline."""

from __future__ import annotations

import io

import pytest

torch = pytest.importorskip(
    "torch", reason='needs the torch extra: pip install torch==2.13.0, then pip install -e ".[torch]"'
)

from constructions import training  # noqa: E402
from polyapprox.app import experiments  # noqa: E402
from polyapprox.app.experiments import ExperimentConfig  # noqa: E402
from polyapprox.app.experiments._stats import SeedInterval  # noqa: E402
from polyapprox.internal import PolyapproxError, SizeError, UnknownNameError  # noqa: E402

pytestmark = pytest.mark.torch  # needs the torch extra: skipped without it, run by CI after the CPU pin (-m torch)

TINY = ExperimentConfig(steps=3, seeds=(0, 1))


def _strip(runs):
    return [{k: v for k, v in r.items() if k != "seconds"} for r in runs]


def test_each_seed_is_bitwise_the_same_alone_and_inside_a_seed_list():
    both = experiments.sparse_copying(ExperimentConfig(steps=4, seeds=(3, 5)), patterns=("random",))
    alone = experiments.sparse_copying(ExperimentConfig(steps=4, seeds=(5, 8)), patterns=("random",))
    again = experiments.sparse_copying(ExperimentConfig(steps=4, seeds=(3, 5)), patterns=("random",))
    assert _strip(both.runs) == _strip(again.runs)
    assert _strip(both.runs)[1] == _strip(alone.runs)[0]  # seed 5's run does not depend on its neighbours
    assert both.runs[0]["train_loss"] != both.runs[1]["train_loss"]  # and seeds differ


def test_every_row_has_an_interval_over_all_seeds():
    result = experiments.sumformer_curves(TINY, target="centered", n=2, degree=1)
    learned = result.table.rows[:-1]
    assert [r["model"] for r in learned] == list(experiments.SUMFORMER_MODELS)
    for row in learned:
        assert row["seeds"] == 2
        for column in ("test MSE @ 1", "final test MSE", "final test max"):
            iv = row[column]
            assert isinstance(iv, SeedInterval) and iv.count == 2 and iv.low <= iv.mean <= iv.high
    group = [r for r in result.runs if r["label"] == "MLP phi + MLP psi"]
    assert learned[2]["final test MSE"].mean == pytest.approx(sum(r["test_mse"][-1] for r in group) / 2, rel=1e-12)
    assert all(
        note.split(":")[0] in {"agrees with the paper", "differs from the paper"} or "inconclusive" in note
        for note in result.notes[:3]
    )


def test_curves_evaluate_about_fifty_times_and_the_early_cell_reads_its_step():
    # 120 steps: every 2nd step is evaluated (61 points) and the early column is step 12; a run that
    # evaluates every step (the training is the same) gives the value at step 12 by position
    result = experiments.sumformer_curves(ExperimentConfig(steps=120, seeds=(0, 1)), target="centered", n=2, degree=1)
    assert all(list(r["steps"]) == list(range(0, 121, 2)) for r in result.runs)
    mlp = [r for r in result.runs if r["label"] == "MLP phi + MLP psi"]
    model = training.SumformerModelConfig(kind="mlp", degree=1)
    every = [
        training.train_sumformer(
            "centered",
            2,
            1,
            model=model,
            config=training.TrainingConfig(
                **{k: r["settings"][k] for k in ("steps", "lr", "samples", "test_samples", "seed")},
                eval_every=1,
                reference=False,
            ),
        ).to_dict()
        for r in mlp
    ]
    assert [r["train_loss"] for r in every] == [r["train_loss"] for r in mlp]
    row = next(r for r in result.table.rows if r["model"] == "MLP phi + MLP psi")
    assert row["test MSE @ 12"].mean == pytest.approx(sum(r["test_mse"][12] for r in every) / 2, rel=1e-12)


def test_notes_and_legends_use_one_label_per_variant():
    result = experiments.sumformer_curves(TINY, target="centered", n=2, degree=1)
    legend = list(result.figure.axes[0].get_legend_handles_labels()[1])
    assert legend[:3] == list(experiments.SUMFORMER_MODELS)
    assert "polynomial phi + MLP psi trains better at first" in result.notes[0]
    assert "polynomial phi + polynomial psi trains better at first" in result.notes[1]
    assert "polynomial (psi" not in " ".join(result.notes)


def test_init_figure_and_table_say_the_learning_rates():
    result = experiments.init_comparison(TINY, target="centered", n=2, degree=1)
    assert "1e-05 from constructed weights" in result.table.title and "0.03 from random weights" in result.table.title
    legend = list(result.figure.axes[0].get_legend_handles_labels()[1])
    assert "from constructed weights (lr 1e-05)" in legend and "from random weights (lr 0.03)" in legend
    assert set(result.extra["constructed_lower"].values()) <= {"above", "below", "inconclusive"}


@pytest.mark.parametrize("name", sorted(experiments.EXPERIMENTS))
def test_figures_are_png_with_a_band_or_interval_bars(name, tmp_path):
    options = {"target": "centered", "n": 2, "degree": 1} if name in ("sumformer-curves", "init") else {}
    if name == "latent-sweep":
        options = {"target": "centered", "n": 2, "d": 1, "degree": 1}
    if name == "sparse-copying":
        options = {"patterns": ("dense", "strided")}
    if name == "sparsity-sweep":
        options = {"levels": {"strided": (2, 8), "star": ()}}
    result = experiments.run_experiment(name, TINY, **options)
    buffer = io.BytesIO()
    result.figure.savefig(buffer, format="png", dpi=60)
    (tmp_path / f"{name}.png").write_bytes(buffer.getvalue())
    assert (tmp_path / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    drawn = [a for ax in result.figure.axes for a in ax.collections]  # fill_between bands or error-bar lines
    assert drawn, name


def test_sweep_rows_follow_the_levels_and_count_connections():
    result = experiments.sparsity_sweep(TINY, levels={"sliding_window": (8, 4), "random": (2,), "star": ()})
    table = result.table
    assert table.column("family") == ["sliding_window", "sliding_window", "random", "star"]
    assert table.column("level") == [4, 8, 2, None]
    expected = [
        int(m.sum())
        for m in (
            training.copy_masks("sliding_window", 16, level=4)[0],
            training.copy_masks("sliding_window", 16, level=8)[0],
        )
    ]
    assert table.column("connections per layer")[:2] == expected
    assert table.column("connections per layer")[2] == 16 * 3  # RANDOM: itself and 2 other keys per query
    assert len(result.notes) == 3 and all(row["learns"] in {"yes", "no", "inconclusive"} for row in table.rows)


@pytest.mark.parametrize(
    "levels, error, fragment",
    [
        ({}, PolyapproxError, "non-empty"),
        ({"strided": ()}, PolyapproxError, "at least one level"),
        ({"strided": (1,)}, PolyapproxError, "from 2 to 16"),
        ({"random": (16,)}, PolyapproxError, "from 1 to 15"),
        ({"fixed": (3,)}, PolyapproxError, "must divide n = 16"),
        ({"star": (2,)}, PolyapproxError, "has no sparsity level"),
        ({"zigzag": (2,)}, UnknownNameError, "pattern"),
        ({"random": 4}, PolyapproxError, "must be a list of integers"),
        ({"random": (True,)}, PolyapproxError, "must be an integer from 1 to 15"),
        (
            {"random": tuple(range(1, 16)), "strided": tuple(range(2, 17)), "union": tuple(range(2, 17))}
            | {"sliding_window": tuple(range(2, 17)), "fixed": (2, 4, 8, 16)},
            None,
            None,
        ),
    ],
)
def test_bad_levels_are_one_line_errors(levels, error, fragment):
    if error is None:  # 64 cells: within the limit
        assert len(experiments.check_levels(levels, 16)) == 5
        return
    with pytest.raises(error) as info:
        experiments.check_levels(levels, 16)
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_default_levels_fit_other_lengths():
    result = experiments.sparsity_sweep(ExperimentConfig(steps=1, seeds=(0, 1)), n=6)
    levels = {(r["family"], r["level"]) for r in result.table.rows}
    assert ("fixed", 2) in levels and ("fixed", 4) not in levels and ("random", 4) in levels
    assert ("sliding_window", 8) not in levels and ("dense", None) in levels


def test_too_many_cells_are_refused():
    with pytest.raises(SizeError, match="limit of 200"):
        experiments.check_levels({"random": tuple(range(1, 256))}, 256)


def test_the_config_is_checked():
    with pytest.raises(PolyapproxError, match="config must be an ExperimentConfig"):
        experiments.sparse_copying({"steps": 2})  # pyright: ignore[reportArgumentType]
    with pytest.raises(PolyapproxError, match="patterns must name at least one"):
        experiments.sparse_copying(TINY, patterns=())


@pytest.mark.slow
def test_the_dense_baseline_learns_copying_on_every_quick_seed():
    # the quick set-up of the report (3 seeds from 0) and two seeds more: every one at >= 0.99
    result = experiments.sparse_copying(ExperimentConfig(seeds=(0, 1, 2, 3, 4)), patterns=("dense",))
    finals = [r["accuracy"][-1] for r in result.runs]
    assert len(finals) == 5 and min(finals) >= 0.99, finals
    assert "fixed sinusoidal positional encoding" in result.table.title and "width 32" in result.table.title
