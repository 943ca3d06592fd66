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
