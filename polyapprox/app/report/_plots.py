"""Shared finishing touches for report figures (labels, ticks, legend, grid)."""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.ticker import NullFormatter


def finish_axes(
    ax,
    *,
    xlabel: str,
    ylabel: str,
    title: str | None = None,
    ticks: Sequence[float] | None = None,
    tick_labels: Sequence[str] | None = None,
    legend: bool = True,
    legend_loc: str = "best",
) -> None:
    """Label an axis; with ``ticks``, show exactly those x ticks (no minor labels on log axes)."""
    if ticks is not None:
        ax.set_xticks(list(ticks), list(tick_labels) if tick_labels is not None else [f"{t:g}" for t in ticks])
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if legend:
        ax.legend(fontsize=8, loc=legend_loc)
    ax.grid(True, which="both", alpha=0.3)


#: the PNG text key under which a report figure carries its description (see :func:`describe`)
PNG_KEY = "polyapprox:figure"


def describe(fig) -> dict:
    """What a reader of the figure sees, as data: titles, axis labels, legend entries and the plotted lines.

    Saved into the PNG (text key :data:`PNG_KEY`), so a test can check a figure's labels and the numbers
    it plots against the run's results without looking at pixels; values keep 6 significant digits.
    """

    def number(v) -> float | None:
        v = float(v)
        return float(f"{v:.6g}") if v == v and abs(v) != float("inf") else None

    def legend(holder) -> list[str]:
        legends = [holder.get_legend()] if hasattr(holder, "get_legend") else list(holder.legends)
        return [t.get_text() for lg in legends if lg is not None for t in lg.get_texts()]

    suptitle = fig._suptitle.get_text() if fig._suptitle is not None else ""
    return {
        "title": suptitle,
        "legend": legend(fig),
        "axes": [
            {
                "title": ax.get_title(),
                "xlabel": ax.get_xlabel(),
                "ylabel": ax.get_ylabel(),
                "legend": legend(ax),
                "lines": [
                    {
                        "label": line.get_label(),
                        "x": [number(v) for v in line.get_xdata()],
                        "y": [number(v) for v in line.get_ydata()],
                    }
                    for line in ax.get_lines()
                    if len(line.get_xdata())
                ],
            }
            for ax in fig.axes
        ],
    }
