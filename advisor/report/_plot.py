"""Matplotlib, headless: figures drawn on the Agg canvas without pyplot (no global figure
registry, no GUI backend, safe in a server thread), saved as PNG bytes and cleared.

matplotlib is the optional extra ``report``; without it :func:`new_figure` raises
:class:`MissingDependencyError`.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import TYPE_CHECKING

from advisor_core.errors import MissingDependencyError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["STATUS_COLOURS", "importance_png", "new_figure", "to_png"]

#: A colour per trial status (colour-blind safe where it matters: complete vs pruned).
STATUS_COLOURS = {
    "complete": "#1f77b4",
    "pruned": "#ff7f0e",
    "timeout": "#9467bd",
    "diverged": "#d62728",
    "failed": "#7f7f7f",
}
DPI = 100


def new_figure(width: float = 10.0, height: float = 4.2) -> Figure:
    """A figure on the Agg canvas (inches at :data:`DPI`).

    Raises
    ------
    MissingDependencyError
        Without matplotlib.
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise MissingDependencyError(
            "the report needs matplotlib: pip install 'tuning-advisor[report]'"
        ) from None
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def to_png(fig: Figure) -> bytes:
    """The figure as PNG bytes; the figure is cleared (its memory released) afterwards."""
    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="png", dpi=DPI, facecolor="white")
    finally:
        fig.clear()
    return buf.getvalue()


def importance_png(importances: Mapping[str, float], title: str, top: int = 12) -> bytes:
    """Horizontal bars of the ``top`` largest importances, the largest on top."""
    items = sorted(importances.items(), key=lambda kv: kv[1], reverse=True)[:top]
    names = [k for k, _ in items][::-1]
    values = [v for _, v in items][::-1]
    fig = new_figure(9.0, 0.9 + 0.32 * max(len(items), 3))
    ax = fig.add_subplot()
    bars = ax.barh(names, values, color="#4c78a8")
    ax.bar_label(bars, labels=[f"{v:.2f}" for v in values], padding=3, fontsize=8)
    ax.set_xlim(0, max([*values, 0.05]) * 1.15)
    ax.set_xlabel("importance (share of the objective's variance, fANOVA)")
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    return to_png(fig)
