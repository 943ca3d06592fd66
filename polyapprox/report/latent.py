"""Report section "latent": latent dimensions of the constructions vs the literature (MATH.md sec. 3, L1-L3)."""

from __future__ import annotations

from matplotlib.figure import Figure

from .. import latent_dimension, latent_dimension_table, multi_indices
from ._model import Claim, ReportContext, Section

# MATH.md section 3, the printed table (rows n = 1..6, columns d = 1..5): the spec, not our output.
MATH_TABLE = [
    [1, 2, 3, 4, 5],
    [2, 5, 9, 14, 20],
    [3, 9, 19, 34, 55],
    [4, 14, 34, 69, 125],
    [5, 20, 55, 125, 251],
    [6, 27, 83, 209, 461],
]

PLOTTED = ["continuous", "continuous-refined", "discontinuous", "histogram",
           "multiset-lower-bound", "generic-separation", "injective-2nd+1", "tabaghi-wang-2nd"]


def build(ctx: ReportContext) -> Section:
    claims = []
    computed = [[latent_dimension(n, d) for d in range(1, 6)] for n in range(1, 7)]
    claims.append(Claim("L1", "continuous latent dimension C(n+d,d)-1 equals MATH.md's table (n<=6, d<=5)",
                        computed == MATH_TABLE, measured=computed, expected=MATH_TABLE))
    refined = [latent_dimension(n, d, "continuous-refined") for n, d in [(3, 2), (2, 1), (1, 3)]]
    claims.append(Claim("L2", "refined latent dimension at (3,2), (2,1), (1,d)", refined == [5, 1, 0],
                        measured=refined, expected=[5, 1, 0]))
    order = multi_indices(2, 2)
    expected_order = [(1, 0), (0, 1), (2, 0), (1, 1), (0, 2)]
    claims.append(Claim("L3", "graded-lex order of I_{2,2}", order == expected_order,
                        measured=order, expected=expected_order))
    cross = latent_dimension_table([2, 3, 10], [2, 3, 10])
    pairs = {(r["n"], r["d"]): (r["continuous"], r["injective-2nd+1"]) for r in cross.rows}
    crossover = [pairs[(2, 2)], pairs[(3, 3)], pairs[(10, 10)]]
    claims.append(Claim("L-cross", "C(n+d,d)-1 vs 2nd+1: smaller at (2,2), tie at (3,3), 184755 vs 201 at (10,10)",
                        crossover == [(5, 9), (19, 19), (184755, 201)], measured=crossover,
                        expected=[(5, 9), (19, 19), (184755, 201)]))

    n_max = 8
    table = latent_dimension_table(range(1, 7), range(1, 6), k=4)
    section = Section("latent", "Latent dimension of the constructions")
    section.markdown = (
        "Latent dimension d' needed by each Sumformer construction for n tokens of dimension d "
        "(MATH.md section 3), beside bounds from the literature. Histogram column with k = 4.\n\n"
        + table.to_markdown()
    )
    section.figures.append(ctx.savefig(_plot(n_max, k=4), "latent_dimension"))
    section.numbers = {"table": table.to_dict(), "crossover": {"(2,2)": pairs[(2, 2)], "(3,3)": pairs[(3, 3)],
                                                               "(10,10)": pairs[(10, 10)]}}
    section.claims = claims
    return section


def _plot(n_max: int, k: int) -> Figure:
    fig = Figure(figsize=(11, 8))
    axes = fig.subplots(2, 2, sharex=True)
    ns = list(range(1, n_max + 1))
    for ax, d in zip(axes.flat, range(1, 5)):
        table = latent_dimension_table(ns, [d], k=k)
        for name in PLOTTED:
            values = table.column(name)
            points = [(n, v) for n, v in zip(ns, values) if v is not None and v > 0]
            if not points:
                continue
            style = "--" if "bound" in name or name in ("generic-separation", "injective-2nd+1",
                                                         "tabaghi-wang-2nd") else "-o"
            ax.plot(*zip(*points), style, label=name, markersize=4)
        ax.set_yscale("log")
        ax.set_title(f"d = {d}")
        ax.set_xlabel("n (tokens)")
        ax.set_ylabel("latent dimension d'")
        ax.grid(True, which="both", alpha=0.3)
    axes[0, 0].legend(fontsize=7, loc="upper left")
    fig.suptitle("Latent dimension vs n: constructions (solid) and literature bounds (dashed); histogram k=4")
    return fig
