"""Report section "latent": latent dimensions of the constructions beside the literature (cases L1-L3)."""

from __future__ import annotations

from matplotlib.figure import Figure

from ... import latent_dimension, latent_dimension_table, multi_indices
from ._model import Outcome, ReportContext, SectionSpec, equals
from .cases import expected

SECTION = SectionSpec("latent", "Latent dimension of the constructions", order=10)

PLOTTED = [
    "continuous",
    "continuous-refined",
    "discontinuous",
    "histogram",
    "multiset-lower-bound",
    "generic-separation",
    "injective-2nd+1",
    "tabaghi-wang-2nd",
]


@SECTION.data
def _data(ctx: ReportContext) -> dict:
    table = latent_dimension_table(range(1, 7), range(1, 6), k=4)
    cross = latent_dimension_table([2, 3, 10], [2, 3, 10])
    return {
        "table": table.to_dict(),
        "_table": table,
        "crossover": {
            (r["n"], r["d"]): (r["continuous"], r["injective-2nd+1"]) for r in cross.rows if r["n"] == r["d"]
        },
    }


@SECTION.claim("L1", "continuous latent dimension C(n+d,d)-1 equals the closed-form table (n <= 6, d <= 5)")
def _l1(ctx: ReportContext, data: dict) -> Outcome:
    return equals([[latent_dimension(n, d) for d in range(1, 6)] for n in range(1, 7)], expected("L1"))


@SECTION.claim("L2", "refined latent dimension C(n-1+d,d)-1 at (3,2), (2,1), (1,d)")
def _l2(ctx: ReportContext, data: dict) -> Outcome:
    return equals({(n, d): latent_dimension(n, d, "continuous-refined") for n, d in expected("L2")}, expected("L2"))


@SECTION.claim("L3", "graded-lex order of I_{2,2}")
def _l3(ctx: ReportContext, data: dict) -> Outcome:
    return equals(multi_indices(2, 2), expected("L3"))


@SECTION.claim("L-cross", "C(n+d,d)-1 vs 2nd+1: smaller at (2,2), tie at (3,3), 184755 vs 201 at (10,10)")
def _crossover(ctx: ReportContext, data: dict) -> Outcome:
    return equals(data["crossover"], expected("L-cross"))


@SECTION.render
def _render(ctx: ReportContext, data: dict) -> tuple[str, list[str]]:
    markdown = (
        "Latent dimension d' needed by each Sumformer construction for n tokens of dimension d, beside "
        "bounds from the literature. Histogram column with k = 4.\n\n" + data["_table"].to_markdown()
    )
    return markdown, [ctx.savefig(_plot(8, k=4), "latent_dimension")]


def _plot(n_max: int, k: int) -> Figure:
    fig = Figure(figsize=(11, 8.6))
    axes = fig.subplots(2, 2, sharex=True)
    ns = list(range(1, n_max + 1))
    colors = {name: f"C{i}" for i, name in enumerate(PLOTTED)}  # one colour per column, in every panel
    handles = {}
    for ax, d in zip(axes.flat, range(1, 5)):
        table = latent_dimension_table(ns, [d], k=k)
        for name in PLOTTED:
            values = table.column(name)
            points = [(n, v) for n, v in zip(ns, values) if v is not None and v > 0]
            if not points:
                continue
            style = (
                "--"
                if "bound" in name or name in ("generic-separation", "injective-2nd+1", "tabaghi-wang-2nd")
                else "-o"
            )
            (line,) = ax.plot(*zip(*points), style, color=colors[name], label=name, markersize=4)
            handles.setdefault(name, line)
        ax.set_yscale("log")
        ax.set_xticks(ns)
        ax.set_title(f"d = {d}")
        ax.set_xlabel("n (tokens)")
        ax.set_ylabel("latent dimension d'")
        ax.grid(True, which="both", alpha=0.3)
    fig.legend(
        [handles[name] for name in PLOTTED if name in handles],
        [n for n in PLOTTED if n in handles],
        loc="lower center",
        ncol=4,
        fontsize=8,
        frameon=False,
    )
    fig.suptitle("Latent dimension vs n: constructions (solid) and literature bounds (dashed); histogram k=4")
    fig.subplots_adjust(bottom=0.12, hspace=0.25)
    return fig
