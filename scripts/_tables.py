"""Shared by the ranker sweep scripts: mean regret cells of one row of a report table."""

from __future__ import annotations

from typing import Any

TASK_COLUMNS = "regret@1 | regret@5 | regret@1 clf | regret@5 clf | regret@1 reg | regret@5 reg"


def regret_cells(g: Any) -> str:
    """Mean regret@1 and @5 of the rows ``g`` (a DataFrame with a ``task`` column), overall
    and per task, as markdown cells."""
    cells = [g["regret@1"].mean(), g["regret@5"].mean()]
    for task in ("classification", "regression"):
        t = g[g["task"] == task]
        cells += [t["regret@1"].mean(), t["regret@5"].mean()]
    return " | ".join(f"{c:.4f}" for c in cells)
