"""The search report's figures: the history of the scores and the learning curves."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from optuna.trial import FrozenTrial

from advisor.report._plot import STATUS_COLOURS, new_figure, to_png

__all__ = ["curves_png", "history_png"]

_COUNTED = ("complete", "timeout")
_BEST = "#2ca02c"
_DEFAULT = "#444444"


def _finite(x: Any) -> bool:
    return x is not None and isinstance(x, (int, float)) and math.isfinite(float(x))


def _pad_y(ax: Any, values: Sequence[float], share: float = 0.07) -> None:
    """Y limits around ``values`` with a margin, so that a line at the extreme (``default``
    at 1.0, say) stays off the frame."""
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return
    lo, hi = min(finite), max(finite)
    pad = (hi - lo) * share or max(abs(hi) * share, 0.05)
    ax.set_ylim(lo - pad, hi + pad)


def history_png(
    rows: Sequence[Mapping[str, Any]], objective: str, default_score: float | None
) -> bytes:
    """Each trial's score by number, coloured by status, the best so far (complete and
    timed-out trials), and ``default``'s score as a dashed line when known. Trials without a
    score (diverged, failed) are crosses on the bottom edge."""
    fig = new_figure(10.0, 4.2)  # raises MissingDependencyError without matplotlib
    from matplotlib.ticker import MaxNLocator

    ax = fig.add_subplot()
    rows = sorted(rows, key=lambda r: int(r["number"]))
    for status in sorted({str(r["status"]) for r in rows}):
        mine = [r for r in rows if str(r["status"]) == status]
        colour = STATUS_COLOURS.get(status, "#17becf")
        scored = [r for r in mine if _finite(r["score"])]
        if scored:
            ax.scatter(
                [int(r["number"]) for r in scored],
                [float(r["score"]) for r in scored],
                color=colour,
                s=36,
                zorder=3,
                label=f"{status} ({len(mine)})",
            )
        unscored = [r for r in mine if not _finite(r["score"])]
        if unscored:
            ax.scatter(
                [int(r["number"]) for r in unscored],
                [0.03] * len(unscored),
                transform=ax.get_xaxis_transform(),
                color=colour,
                marker="x",
                s=40,
                zorder=3,
                label=f"{status}, no score ({len(unscored)})",
            )
    xs, best, running = [], [], -math.inf
    for r in rows:
        if str(r["status"]) in _COUNTED and _finite(r["score"]):
            running = max(running, float(r["score"]))
        if math.isfinite(running):
            xs.append(int(r["number"]))
            best.append(running)
    if xs:
        ax.step(xs, best, where="post", color=_BEST, linewidth=2, label="best so far")
    if default_score is not None and math.isfinite(default_score):
        ax.axhline(
            default_score,
            color=_DEFAULT,
            linestyle="--",
            linewidth=1.2,
            label=f"default ({default_score:.3f})",
        )
    _pad_y(
        ax,
        [
            *(float(r["score"]) for r in rows if _finite(r["score"])),
            *([default_score] if default_score is not None else []),
        ],
    )
    ax.set_xlabel("trial number")
    ax.set_ylabel(f"validation {objective}")
    ax.set_title("Search history")
    ax.grid(alpha=0.3)
    if rows:
        ax.set_xlim(
            min(int(r["number"]) for r in rows) - 0.5, max(int(r["number"]) for r in rows) + 0.5
        )
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="best", fontsize=8, framealpha=0.85)
    return to_png(fig)


def _curve(t: FrozenTrial) -> tuple[list[int], list[float]]:
    pts = sorted((int(s), float(v)) for s, v in t.intermediate_values.items() if _finite(v))
    return [s for s, _ in pts], [v for _, v in pts]


def curves_png(
    trials: Sequence[FrozenTrial],
    statuses: Mapping[int, str],
    best_number: int | None,
    objective: str,
    default_score: float | None,
) -> bytes | None:
    """Validation objective per epoch of every trial that reported one; the best trial bold,
    pruned trials orange and ending in a cross where they stopped. ``None``: no curve."""
    curves = [(t, *_curve(t)) for t in trials]
    curves = [c for c in curves if c[1]]
    if not curves:
        return None
    fig = new_figure(10.0, 4.2)  # raises MissingDependencyError without matplotlib
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    ax = fig.add_subplot()
    best = None
    for t, x, y in curves:
        status = statuses.get(t.number, "complete")
        if t.number == best_number:
            best = (t, x, y)
            continue
        colour = STATUS_COLOURS.get(status, "#17becf")
        alpha = 0.85 if status == "pruned" else 0.5
        ax.plot(x, y, color=colour, linewidth=1.1, alpha=alpha, marker="." if len(x) < 8 else None)
        if status == "pruned":
            ax.plot(x[-1:], y[-1:], color=colour, marker="x", markersize=7, linestyle="none")
    if best is not None:
        t, x, y = best
        ax.plot(x, y, color=_BEST, linewidth=2.6, marker="o", markersize=4, zorder=4)
    if default_score is not None and math.isfinite(default_score):
        ax.axhline(default_score, color=_DEFAULT, linestyle="--", linewidth=1.2)
    shown = {statuses.get(t.number, "complete") for t, _, _ in curves if t.number != best_number}
    handles = [
        Line2D([], [], color=STATUS_COLOURS.get(st, "#17becf"), alpha=0.6, label=st)
        for st in sorted(shown - {"pruned"})
    ]
    if "pruned" in shown:
        handles.append(
            Line2D(
                [], [], color=STATUS_COLOURS["pruned"], marker="x", label="pruned (stopped early)"
            )
        )
    if best is not None:
        handles.append(Line2D([], [], color=_BEST, linewidth=2.6, label=f"best (#{best_number})"))
    if default_score is not None and math.isfinite(default_score):
        handles.append(Line2D([], [], color=_DEFAULT, linestyle="--", label="default (final)"))
    ax.legend(handles=handles, loc="best", fontsize=8, framealpha=0.85)
    _pad_y(
        ax,
        [v for _, _, y in curves for v in y]
        + ([default_score] if default_score is not None else []),
    )
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"validation {objective}")
    ax.set_title(f"Learning curves ({len(curves)} trials)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    return to_png(fig)
