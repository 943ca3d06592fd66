"""Every figure of the session's quick report, read as data: labels, legend entries and the lines it draws.

The report saves what each figure shows into its PNG (polyapprox/app/report/_plots.describe: titles, axis
labels, legend texts and every plotted line, from the matplotlib objects), so these tests check the
figures the run wrote, not pixels.
"""

from __future__ import annotations

import pytest

from polyapprox.app.report._plots import describe

LINE_PLOTS = {  # figures whose panels are plots with axes that need labels (sparse_masks shows images)
    "latent_dimension",
    "continuous_error_vs_degree",
    "discontinuous_error_and_rank",
    "transformer_relu_and_cost",
    "sparse_reachability",
    "sparse_assumption2",
}
PYTHON_INTERNALS = ("None", "np.float64", "nan", "inf)")


def _figures(quick_report) -> list[str]:
    sections = quick_report.results["sections"].values()
    return [f.removesuffix(".png") for s in sections for f in s["figures"]]


def test_every_report_figure_carries_its_description(quick_report):
    names = _figures(quick_report)
    assert set(names) >= LINE_PLOTS
    for name in names:
        figure = quick_report.figure(name)
        assert figure["title"] or any(ax["title"] for ax in figure["axes"]), f"{name} has no title"


@pytest.mark.parametrize("name", sorted(LINE_PLOTS))
def test_axes_are_labelled_and_legends_complete(quick_report, name):
    figure = quick_report.figure(name)
    for ax in figure["axes"]:
        if not ax["lines"]:
            continue
        labelled = {ln["label"] for ln in ax["lines"] if not ln["label"].startswith("_")}
        if not labelled and not ax["legend"] and not ax["xlabel"]:  # a twin axis (right scale): its y label
            assert ax["ylabel"], f"{name}: a right-hand axis without a label"
            continue
        assert ax["xlabel"] and ax["ylabel"], f"{name}: panel {ax['title']!r} lacks an axis label"
        legend = ax["legend"] or figure["legend"]
        assert legend, f"{name}: panel {ax['title']!r} has no legend"
        assert labelled <= set(legend), f"{name}: lines without a legend entry: {labelled - set(legend)}"
    texts = figure["legend"] + [t for ax in figure["axes"] for t in ax["legend"] + [ax["xlabel"], ax["ylabel"]]]
    assert not [t for t in texts if any(word in t for word in PYTHON_INTERNALS)], texts


@pytest.mark.torch
def test_training_figures_are_labelled(quick_report):
    pytest.importorskip(
        "torch", reason='needs the torch extra: pip install torch==2.13.0, then pip install -e ".[torch]"'
    )
    names = [n for n in _figures(quick_report) if n.startswith("training_")]
    assert sorted(names) == [
        f"training_{e}"
        for e in sorted(["sumformer-curves", "init", "sparse-copying", "sparsity-sweep", "sparse-text", "fine-tuning"])
    ]
    for name in names:
        figure = quick_report.figure(name)
        for ax in figure["axes"]:
            if ax["lines"]:
                assert ax["xlabel"] and ax["ylabel"], f"{name}: panel {ax['title']!r} lacks an axis label"
        assert any(ax["legend"] for ax in figure["axes"]) or figure["legend"], f"{name} has no legend"


def _line(ax: dict, prefix: str) -> dict:
    (line,) = [ln for ln in ax["lines"] if ln["label"].startswith(prefix)]
    return line


def test_latent_figure_draws_the_bound_that_applies_to_sumformers(quick_report):
    """At (n, d) = (3, 2) the refined construction (5) is below the multiset bound nd = 6, which does not apply to
    Sumformers; the bound that applies, (n-1)d = 4, is drawn, and the refined construction is above it."""
    figure = quick_report.figure("latent_dimension")
    (d2,) = [ax for ax in figure["axes"] if ax["title"] == "d = 2"]
    at = {
        name: dict(zip(_line(d2, name)["x"], _line(d2, name)["y"]))
        for name in ("continuous-refined", "sumformer", "multiset")
    }
    assert (at["continuous-refined"][3], at["sumformer"][3], at["multiset"][3]) == (5, 4, 6)
    for ax in figure["axes"]:  # in every panel no construction is drawn below the bound that applies to it
        refined, bound = _line(ax, "continuous-refined"), dict(zip(*(_line(ax, "sumformer")[k] for k in "xy")))
        assert all(y >= bound[x] for x, y in zip(refined["x"], refined["y"]) if x in bound)
    assert any("(n-1)d" in t and "applies to the Sumformer" in t for t in figure["legend"])
    assert any(t.startswith("multiset-lower-bound") and "not Sumformers" in t for t in figure["legend"])


def test_reachability_figure_names_every_pattern_and_hides_none(quick_report):
    (ax,) = quick_report.figure("sparse_reachability")["axes"]
    curves = [tuple(ln["y"]) for ln in ax["lines"]]
    assert len(curves) == len(set(curves)), "two lines draw the same curve: group them in one legend entry"
    legend = " ".join(ax["legend"])
    assert "STAR" in legend and "s=None" not in legend and "never all n" in legend
    assert any("identical:" in t for t in ax["legend"])  # the patterns that share a curve are named


def test_assumption2_figure_draws_exact_zeros_as_zeros_not_at_a_noise_floor(quick_report):
    from polyapprox.app.report.sparse import ZERO_FLOOR

    (ax,) = quick_report.figure("sparse_assumption2")["axes"]
    sparsemax = _line(ax, "sparsemax")
    assert min(sparsemax["y"]) > ZERO_FLOOR, "sparsemax is drawn at the rounding-noise floor after it reaches 0"
    assert "exactly 0 for t in" in sparsemax["label"]
    assert "exactly 0" not in _line(ax, "softmax")["label"]  # softmax only approaches one-hot: drawn as computed


def test_continuous_and_transformer_figures_name_their_dotted_lines_and_the_cost_run(quick_report):
    continuous = quick_report.figure("continuous_error_vs_degree")
    assert any(t.startswith("number of coefficients of psi (dotted") for t in continuous["axes"][0]["legend"])
    axes = quick_report.figure("transformer_relu_and_cost")["axes"]
    (relu,) = [ax for ax in axes if ax["title"].startswith("ReLU")]
    (cost,) = [ax for ax in axes if ax["title"].startswith("Cost")]
    assert "parameters (dotted, right axis)" in relu["legend"]
    assert "one timing run" in cost["title"] and "best of 3" in cost["ylabel"]
    markers = {ln["label"] for ln in cost["lines"]}
    assert markers == set(cost["legend"])


def test_describe_reads_labels_legends_and_data_from_matplotlib_objects():
    """The description is taken from the figure objects: a figure with a known line gives it back."""
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.subplots()
    ax.plot([1, 2], [3.0, 0.1234567], label="a line")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend()
    fig.suptitle("title")
    (panel,) = describe(fig)["axes"]
    assert describe(fig)["title"] == "title" and panel["legend"] == ["a line"]
    assert panel["lines"] == [{"label": "a line", "x": [1.0, 2.0], "y": [3.0, 0.123457]}]
