"""The report of a suggestion: one self-contained HTML page.

Header (dataset, task, objective, budget, the rule that chose the list and why, distance to
the knowledge base), a figure of the suggestions' predicted objective with their 80% intervals
beside the outcomes of the knowledge-base trials on the nearest datasets (a box and the points
of each dataset, the suggested configurations starred where they were run), and a table of
the suggestions with their explanations.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from advisor.report import _html as h
from advisor.report._plot import new_figure, to_png
from advisor_core.errors import ConfigError
from advisor_core.spaces import config_hash

if TYPE_CHECKING:
    import pandas as pd

    from advisor.suggest import Advice

__all__ = ["MAX_NEIGHBOUR_DATASETS", "suggest_report_html", "write_suggest_report"]

#: Nearest datasets shown in the figure (the first ones of ``neighbour_outcomes``).
MAX_NEIGHBOUR_DATASETS = 8
_SOURCE_COLOURS = {
    "knowledge_base": "#1f77b4",
    "perturbation": "#9467bd",
    "default": "#444444",
    "robust": "#2ca02c",
    "nearest": "#ff7f0e",
}


def _as_dict(advice: Advice | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(advice, Mapping):
        return dict(advice)
    to_dict = getattr(advice, "to_dict", None)
    if to_dict is None:
        raise ConfigError(
            f"advice is a {type(advice).__name__}, but must be what Advisor.suggest returns "
            "(or its to_dict())"
        )
    out = to_dict()
    assert isinstance(out, dict)
    return out


def _num(x: Any) -> float | None:
    if x is None or isinstance(x, bool):
        return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _neighbour_groups(
    frame: pd.DataFrame | None, nearest: Sequence[str] = ()
) -> list[tuple[str, list[float], list[str | None]]]:
    """``(dataset, values, config hashes)`` per dataset: the ``nearest`` names first (in their
    order), then the others in the frame's order."""
    if frame is None or "value" not in frame.columns or frame.empty:
        return []
    col = "dataset" if "dataset" in frame.columns else "dataset_name"
    if col not in frame.columns:
        return []
    groups = []
    names = list(dict.fromkeys(frame[col].dropna()))
    order = {str(n): i for i, n in enumerate(nearest)}
    names.sort(key=lambda n: order.get(str(n), len(order)))  # stable: the rest keep their order
    for name in names[:MAX_NEIGHBOUR_DATASETS]:
        part = frame[frame[col] == name]
        values = [_num(v) for v in part["value"]]
        hashes = list(part["config_hash"]) if "config_hash" in part.columns else [None] * len(part)
        kept = [(v, c) for v, c in zip(values, hashes, strict=True) if v is not None]
        if kept:
            groups.append((str(name), [v for v, _ in kept], [c for _, c in kept]))
    return groups


def _short(name: str, n: int = 18) -> str:
    return name if len(name) <= n else name[: n - 1] + "…"


def suggestions_png(
    suggestions: Sequence[Mapping[str, Any]],
    groups: Sequence[tuple[str, list[float], list[str | None]]],
    objective: str,
) -> bytes:
    """Predicted objective with 80% intervals per suggestion; the neighbours' outcomes beside."""
    k, m = len(suggestions), len(groups)
    fig = new_figure(max(9.0, 1.5 + 0.8 * (k + m + 1)), 4.6)
    ax = fig.add_subplot()
    ranks = {}
    for i, s in enumerate(suggestions):
        mid, (lo, hi) = _num(s.get("predicted")), (s.get("interval") or (None, None))
        colour = _SOURCE_COLOURS.get(str(s.get("source")), "#17becf")
        ranks[config_hash(s["config"]) if isinstance(s.get("config"), Mapping) else ""] = i + 1
        if mid is not None:
            lo_, hi_ = _num(lo), _num(hi)
            err = [[mid - lo_ if lo_ is not None else 0.0], [hi_ - mid if hi_ is not None else 0.0]]
            ax.errorbar(
                [i],
                [mid],
                yerr=err,
                fmt="o",
                color=colour,
                capsize=6,
                markersize=8,
                elinewidth=2,
                zorder=3,
            )
        seen = [_num(n.get("objective")) for n in s.get("neighbors") or []]
        seen_f = [v for v in seen if v is not None]
        if seen_f:
            ax.scatter(
                [i + 0.22] * len(seen_f),
                seen_f,
                marker="D",
                s=18,
                facecolors="none",
                edgecolors="#555555",
                zorder=3,
            )
    rng = np.random.default_rng(0)
    base = k + 1
    if groups:
        ax.boxplot(
            [g[1] for g in groups],
            positions=[base + j for j in range(m)],
            widths=0.5,
            showfliers=False,
            patch_artist=True,
            zorder=2,
            boxprops={"facecolor": "#e8edf5", "edgecolor": "#7a869a"},
            medianprops={"color": "#1d2330"},
        )
        for j, (_, values, hashes) in enumerate(groups):
            x = base + j + rng.uniform(-0.18, 0.18, len(values))
            ax.scatter(x, values, s=10, color="#4c78a8", alpha=0.55, zorder=3)
            for xv, v, c in zip(x, values, hashes, strict=True):
                if c is not None and str(c) in ranks:
                    ax.scatter([xv], [v], marker="*", s=160, color="#d62728", zorder=4)
                    ax.annotate(
                        f"#{ranks[str(c)]}",
                        (xv, v),
                        textcoords="offset points",
                        xytext=(6, 4),
                        fontsize=8,
                        color="#d62728",
                    )
        ax.axvline(k, color="#bbbbbb", linewidth=1)
    labels = [f"#{s.get('rank', i + 1)}\n{s.get('source', '')}" for i, s in enumerate(suggestions)]
    ax.set_xticks(
        [*range(k), *[base + j for j in range(m)]],
        [*labels, *[_short(g[0]) for g in groups]],
        fontsize=8,
    )
    for tick in ax.get_xticklabels()[k:]:
        tick.set_rotation(25)
        tick.set_horizontalalignment("right")
    ax.set_xlim(-0.7, (base + m - 0.3) if groups else k - 0.3)
    ax.set_ylabel(objective)
    title = "Predicted objective (80% interval)"
    ax.set_title(title + (" | outcomes on the nearest datasets" if groups else ""), fontsize=11)
    ax.grid(axis="y", alpha=0.3)
    return to_png(fig)


def _header(data: Mapping[str, Any], dataset_name: str, groups: Sequence[Any]) -> str:
    distance, threshold = (
        _num(data.get("distance_to_knowledge_base")),
        _num(data.get("ood_threshold")),
    )
    ood = bool(data.get("out_of_distribution"))
    where = (
        f"{'yes' if ood else 'no'} (distance {h.fmt(distance, 3)}, threshold {h.fmt(threshold, 3)})"
    )
    items: list[tuple[str, Any]] = [
        ("Dataset", dataset_name),
        ("Task", data.get("task", "—")),
        ("Objective", f"{data.get('objective', '—')} (validation, maximized)"),
        ("Training budget", f"{data.get('epochs', '—')} epochs"),
        ("Rule", data.get("rule", "—")),
        ("Out of distribution", where),
    ]
    if data.get("reason"):
        items.append(("Why", data["reason"]))
    if groups:
        n = sum(len(g[1]) for g in groups)
        items.append(("Nearest datasets shown", f"{len(groups)} ({n} trials)"))
    return h.facts(items)


def _interval(pair: Any, signed: bool = False) -> str:
    if not pair or len(pair) != 2:
        return "—"
    return f"{h.fmt(_num(pair[0]), 3, signed=signed)} to {h.fmt(_num(pair[1]), 3, signed=signed)}"


def _table(suggestions: Sequence[Mapping[str, Any]]) -> str:
    rows = []
    for i, s in enumerate(suggestions):
        gain = _num(s.get("gain_over_default"))
        near = "; ".join(
            f"{n.get('name')} (d={h.fmt(_num(n.get('distance')), 3)}): "
            f"{h.fmt(_num(n.get('objective')), 3)}"
            for n in s.get("neighbors") or []
        )
        config = s.get("config") if isinstance(s.get("config"), Mapping) else {}
        rows.append(
            [
                s.get("rank", i + 1),
                s.get("source", "—"),
                h.fmt(_num(s.get("predicted")), 3),
                _interval(s.get("interval")),
                h.fmt(_num(s.get("failure_chance")), 2),
                "—"
                if gain is None
                else f"{h.fmt(gain, 3, signed=True)} ({_interval(s.get('gain_interval'), True)})",
                s.get("explanation") or "—",
                near or "—",
                h.fmt_config(config or {}),
            ]
        )
    headers = [
        "#",
        "source",
        "predicted",
        "80% interval",
        "failure chance",
        "gain over default",
        "explanation",
        "nearest datasets: its objective",
        "configuration",
    ]
    return h.table(headers, rows, numeric=(0, 2, 4), code=(8,))


def suggest_report_html(
    advice: Advice | Mapping[str, Any],
    *,
    dataset_name: str,
    neighbour_outcomes: pd.DataFrame | None = None,
) -> str:
    """The report of a suggestion as HTML text (see :func:`write_suggest_report`)."""
    data = _as_dict(advice)
    suggestions = list(data.get("suggestions") or [])
    nearest = [str(n.get("name")) for s in suggestions for n in s.get("neighbors") or []]
    groups = _neighbour_groups(neighbour_outcomes, list(dict.fromkeys(nearest)))
    objective = str(data.get("objective", "objective"))
    parts = [_header(data, dataset_name, groups)]
    if suggestions:
        caption = (
            "Each suggestion's predicted validation objective (dot) and 80% interval (bar), "
            "coloured by source; hollow diamonds: what that configuration scored on the nearest "
            "datasets."
        )
        if groups:
            caption += (
                " Right of the line: all knowledge-base outcomes on the nearest datasets (box: "
                "quartiles; red stars: the suggested configurations where they were run)."
            )
        fig = h.figure(
            "fig-suggestions",
            suggestions_png(suggestions, groups, objective),
            "Suggestions' predicted objective beside the nearest datasets' outcomes",
            caption,
        )
        if not groups:
            fig += h.note(
                "No outcomes of the nearest datasets were given, so only the predictions are shown."
            )
    else:
        fig = h.note("The advice has no suggestions.")
    parts.append(h.section("Predictions", fig))
    parts.append(h.section("Suggestions", _table(suggestions) if suggestions else ""))
    return h.page(
        f"Suggestions: {dataset_name}",
        f"{len(suggestions)} configurations for {objective} at {data.get('epochs', '?')} epochs",
        *parts,
    )


def write_suggest_report(
    advice: Advice | Mapping[str, Any],
    path: str | Path,
    *,
    dataset_name: str,
    neighbour_outcomes: pd.DataFrame | None = None,
) -> Path:
    """Write the report of a suggestion to one self-contained HTML file.

    Parameters
    ----------
    advice : Advice or mapping
        What :meth:`advisor.facade.Advisor.suggest` returned, or its ``to_dict()`` (the
        service's JSON answer).
    path : str or Path
        The ``.html`` file to write (parent directories are created).
    dataset_name : str
        The dataset's name in the header.
    neighbour_outcomes : DataFrame, optional
        Knowledge-base outcomes on the nearest datasets: ``dataset`` (or ``dataset_name``),
        ``value``, optionally ``config_hash`` (stars the suggested configurations); the first
        ``MAX_NEIGHBOUR_DATASETS`` datasets in its order are shown.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    MissingDependencyError
        Without matplotlib (the extra ``report``).
    ConfigError
        When ``advice`` is not an advice, or ``path`` cannot be written.
    """
    return h.write_page(
        suggest_report_html(
            advice, dataset_name=dataset_name, neighbour_outcomes=neighbour_outcomes
        ),
        path,
    )
