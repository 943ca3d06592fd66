import json

import pytest

from polyapprox import PolyapproxError
from polyapprox.app.cli import main
from polyapprox.app.report import run_report


def test_latent_section_files_and_claims(tmp_path):
    sections = run_report(tmp_path, quick=True, only=["latent"], progress=False)
    assert [s.name for s in sections] == ["latent"]
    results = json.loads((tmp_path / "results.json").read_text())
    ids = {c["id"] for c in results["claims"]}
    assert {"L1", "L2", "L3"} <= ids and results["all_passed"] is True
    png = tmp_path / "latent_dimension.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    report = (tmp_path / "report.md").read_text()
    assert "latent_dimension.png" in report and "| 3 | 2 | 9 |" in report


def test_cli_reproduce_quick_latent(tmp_path, capsys):
    assert main(["reproduce", "--quick", "--only", "latent", "--out", str(tmp_path / "r"), "--no-progress"]) == 0
    assert "claims passed" in capsys.readouterr().out
    assert (tmp_path / "r" / "report.md").exists()


def test_output_dir_is_a_file(tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(PolyapproxError, match="not a directory"):
        run_report(target, only=["latent"], progress=False)


def test_report_files_are_not_written_through_symlinks(tmp_path):
    outside = tmp_path / "outside.md"
    outside.write_text("keep me")
    out = tmp_path / "r"
    out.mkdir()
    (out / "report.md").symlink_to(outside)
    with pytest.raises(PolyapproxError, match="symbolic link"):
        run_report(out, quick=True, only=["latent"], progress=False)
    assert outside.read_text() == "keep me"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--out", ""], "non-empty"),
        (["--out", " "], "non-empty"),
        (["--jobs", "100000", "--out", "{tmp}"], "at most"),
    ],
)
def test_reproduce_option_bounds(tmp_path, capsys, argv, message):
    argv = [a.replace("{tmp}", str(tmp_path / "r")) for a in argv]
    assert main(["reproduce", "--only", "latent", "--no-progress", *argv]) == 2
    assert message in capsys.readouterr().err


def test_latent_figure_legend_lists_every_plotted_column():
    from polyapprox.app.report.latent import PLOTTED, _plot

    fig = _plot(8, k=4)
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert [t.split(",")[0] for t in texts] == PLOTTED
    # the bound that applies to Sumformers, (n-1)d, is drawn and says so; the multiset bound says what it bounds
    assert "sumformer-lower-bound, (n-1)d: applies to the Sumformer constructions (psi also sees x_i)" in texts
    assert any(t.startswith("multiset-lower-bound, nd:") and "not Sumformers" in t for t in texts)


@pytest.mark.torch
@pytest.mark.parametrize("flags, quick", [([], True), (["--full-training"], False)])
def test_full_training_flag_reaches_the_experiments(tmp_path, monkeypatch, flags, quick):
    pytest.importorskip(
        "torch", reason='needs the torch extra: pip install torch==2.13.0, then pip install -e ".[torch]"'
    )
    from polyapprox.app import experiments

    seen, seeds = [], []

    def stop(config):
        seen.append(config.quick)
        seeds.append(config.seed_list)
        raise RuntimeError("stop after recording the settings")

    monkeypatch.setattr(experiments, "sumformer_curves", stop)
    with pytest.raises(RuntimeError, match="stop"):
        main(["reproduce", "--only", "training", "--out", str(tmp_path), "--no-progress", *flags])
    assert seen == [quick] and seeds == [(0, 1, 2) if quick else (0, 1, 2, 3, 4)]


def test_a_section_whose_package_is_missing_is_skipped_and_says_so(tmp_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a))
    sections = run_report(tmp_path, quick=True, only=["training"], progress=False)
    assert sections[0].claims == [] and "needs the optional package `torch`" in sections[0].markdown
    # the local extra of a clone, after the CPU pin; never a package name the index would be asked for
    assert 'pip install -e ".[torch]"' in sections[0].markdown and "torch==2.13.0" in sections[0].markdown
    assert "'polyapprox[torch]'" not in sections[0].markdown
    assert "Skipped" in (tmp_path / "report.md").read_text()
