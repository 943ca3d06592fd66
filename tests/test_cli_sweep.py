"""polyapprox sweep: streamed JSON lines, resume after interruption gives the same file, failures retried."""

from __future__ import annotations

import json

import pytest

from polyapprox.app.cli import main

GRID = ["--n", "2", "3", "--d", "1", "2", "--degree", "2", "3", "--no-progress"]


def _lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_interrupted_sweep_resumes_to_the_same_file(tmp_path, capsys):
    reference = tmp_path / "serial.jsonl"
    assert main(["sweep", "engine", *GRID, "--out", str(reference)]) == 0
    records = _lines(reference)
    assert len(records) == 8 and all(r["verified"] and "error" not in r for r in records)
    assert [r["item"]["n"] for r in records] == [2, 2, 2, 2, 3, 3, 3, 3]  # grid order

    resumed = tmp_path / "resumed.jsonl"
    assert main(["sweep", "engine", *GRID, "--out", str(resumed), "--jobs", "2", "--max-items", "3"]) == 1
    assert len(_lines(resumed)) == 3  # streamed as they finished
    assert "3/8 items" in capsys.readouterr().out
    with resumed.open("a") as fh:  # a crash mid-write: torn line
        fh.write('{"key": "half a rec')
    assert main(["sweep", "engine", *GRID, "--out", str(resumed), "--jobs", "2"]) == 0
    assert resumed.read_bytes() == reference.read_bytes()


def test_failed_items_are_recorded_and_retried(tmp_path):
    out = tmp_path / "r.jsonl"
    assert (
        main(
            ["sweep", "engine", "--n", "2", "--d", "1", "4", "--degree", "2", "30", "--no-progress", "--out", str(out)]
        )
        == 1
    )
    records = _lines(out)
    errors = [r for r in records if "error" in r]
    assert errors and all("SizeError" in r["error"] for r in errors)
    assert all(r["item"]["degree"] == 30 and r["item"]["d"] == 4 for r in errors)
    before = len(records)
    assert (
        main(
            ["sweep", "engine", "--n", "2", "--d", "1", "4", "--degree", "2", "30", "--no-progress", "--out", str(out)]
        )
        == 1
    )
    again = _lines(out)
    assert len(again) == before  # the failed ones re-ran and replaced their records: no duplicate lines
    assert len({r["key"] for r in again}) == len(again) and [r["key"] for r in again] == [r["key"] for r in records]


def test_fit_sweep_and_bad_input(tmp_path, capsys):
    out = tmp_path / "fits.jsonl"
    assert (
        main(
            [
                "sweep",
                "fit",
                "--target",
                "poly-mean-field",
                "--n",
                "3",
                "--d",
                "1",
                "--degree",
                "2",
                "--samples",
                "100",
                "--seed",
                "0",
                "1",
                "--no-progress",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    records = _lines(out)
    assert [r["item"]["seed"] for r in records] == [0, 1]
    assert all(r["coefficients"] == 7 and r["test_sup_error"] < 1e-10 for r in records)
    assert main(["sweep", "engine", "--n", "0", "--d", "1", "--degree", "2", "--out", str(out)]) == 2
    assert "n must be an integer >= 1" in capsys.readouterr().err
    assert (
        main(
            ["sweep", "engine", "--n", "2", "--d", "1", "--degree", "2", "--out", str(tmp_path / "missing" / "x.jsonl")]
        )
        == 2
    )


@pytest.mark.slow
def test_sweep_on_a_local_dask_cluster(tmp_path):
    pytest.importorskip("distributed")
    serial, dask = tmp_path / "serial.jsonl", tmp_path / "dask.jsonl"
    grid = ["--n", "2", "3", "--d", "1", "--degree", "2", "3", "--no-progress"]
    assert main(["sweep", "engine", *grid, "--out", str(serial)]) == 0
    assert (
        main(
            [
                "sweep",
                "engine",
                *grid,
                "--out",
                str(dask),
                "--scheduler",
                "local-dask",
                "--jobs",
                "2",
                "--max-items",
                "2",
            ]
        )
        == 1
    )
    assert main(["sweep", "engine", *grid, "--out", str(dask), "--scheduler", "local-dask", "--jobs", "2"]) == 0
    assert dask.read_bytes() == serial.read_bytes()


def test_absurd_engine_degree_is_refused_before_any_item(tmp_path, capsys):
    """Hostile-input issue, item 3: degree 10^6 multiplied a million symbols into a random target first (hung);
    the sizes the engine always refuses now refuse the sweep before any item runs."""
    out = tmp_path / "r.jsonl"
    argv = ["sweep", "engine", "--n", "3", "--d", "1", "--degree", "1000000", "--no-progress", "--out", str(out)]
    assert main(argv) == 2
    assert "degree 1,000,000 is more than the limit of 1,000" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("kind", ["engine", "fit"])
def test_sweep_n_1000000_is_refused_from_the_sizes_by_one_check(kind, tmp_path, capsys):
    """Both kinds refuse n * d past the limit with the same one line, before any target or item runs."""
    out = tmp_path / "r.jsonl"
    argv = ["sweep", kind, "--n", "1000000", "--d", "1", "--degree", "2", "--no-progress", "--out", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "n * d = 1,000,000 * 1 values per sequence, more than the limit of 100,000" in err
    assert len(err.strip().splitlines()) == 1 and not out.exists()


def test_sequence_symbols_refuses_past_the_token_variable_limit_before_creating_any():
    from polyapprox import sequence_symbols
    from polyapprox.internal import SizeError

    with pytest.raises(SizeError, match="limit of 100,000"):
        sequence_symbols(1_000_000, 1)


def test_fit_takes_target_expressions_like_build(tmp_path):
    """sweep fit --target takes what build, verify and train take: here an expression, fitted exactly at degree 2."""
    out = tmp_path / "expr.jsonl"
    argv = ["sweep", "fit", "--target", "x_i * mean_j(x_j)", "--n", "3", "--d", "1", "--degree", "2"]
    assert main([*argv, "--samples", "100", "--no-progress", "--out", str(out)]) == 0
    (record,) = _lines(out)
    assert record["item"]["target"] == "x_i * mean_j(x_j)" and record["test_sup_error"] < 1e-10


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["fit", "--target", "gausian-kernel-sum"], "gausian-kernel-sum"),  # a typo of a registered name
        (["fit", "--target", "x_i * mean_j(x_j", "centered"], "was never closed"),  # an unbalanced expression
        (["fit", "--target", "x_i[2]"], "--target 'x_i[2]'"),  # valid syntax, but d = 1 has no coordinate 2
        (["fit", "--target", "no_such_module_xyz:f"], "no_such_module_xyz"),  # code that cannot be imported
        (["engine", "--target", "centered"], "--target"),
        (["engine", "--samples", "10"], "--samples"),
    ],
)
def test_a_bad_target_is_refused_before_any_item_runs(tmp_path, capsys, argv, fragment):
    out = tmp_path / "never.jsonl"
    kind, *rest = argv
    assert (
        main(["sweep", kind, "--n", "2", "--d", "1", "--degree", "2", *rest, "--no-progress", "--out", str(out)]) == 2
    )
    err = capsys.readouterr().err
    assert fragment in err and len(err.strip().splitlines()) == 1, err
    assert not out.exists()  # refused up front: no item ran, nothing was recorded


def test_sweep_fit_n_10_20_is_refused_from_the_sizes(tmp_path, capsys):
    """n = 10^20 reached numpy's 'Maximum allowed dimension exceeded' in the up-front target check (a traceback)."""
    out = tmp_path / "fit.jsonl"
    argv = ["sweep", "fit", "--target", "centered", "--n", str(10**20), "--d", "1", "--degree", "2"]
    assert main([*argv, "--no-progress", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "values per sequence, more than the limit" in err and len(err.strip().splitlines()) == 1
    assert not out.exists()
