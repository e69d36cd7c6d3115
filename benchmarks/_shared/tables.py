"""Shared by the ranker sweeps (``experiments/ranker_*``): the seed's performance table,
its leave-one-group-out folds, and the mean regret cells of one row of a report table."""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Iterator
from typing import Any

TASK_COLUMNS = "regret@1 | regret@5 | regret@1 clf | regret@5 clf | regret@1 reg | regret@5 reg"


def seed_table(kb_url: str | None = None) -> Any:
    """The ``mlp`` performance table of the knowledge base at ``kb_url`` (default: a fresh
    copy of the seed)."""
    from advisor.facade import Advisor
    from knowledge_base import KnowledgeBase

    kb = KnowledgeBase(kb_url or f"sqlite:///{tempfile.mkdtemp()}/seed.sqlite", seed=not kb_url)
    return Advisor(kb).performance_table("mlp")


def logo_folds(table: Any) -> Iterator[tuple[Any, Any]]:
    """For each dataset group (sorted), the held-out datasets' index and the boolean mask of
    the training datasets; progress on stderr."""
    groups = sorted(table.datasets["group"].unique())
    t0 = time.time()
    for gi, g in enumerate(groups):
        yield table.datasets.index[table.datasets["group"] == g], table.datasets["group"] != g
        print(f"\r{gi + 1}/{len(groups)} groups, {time.time() - t0:.0f} s", end="", file=sys.stderr)
    print(file=sys.stderr)


def regret_cells(g: Any) -> str:
    """Mean regret@1 and @5 of the rows ``g`` (a DataFrame with a ``task`` column), overall
    and per task, as markdown cells."""
    cells = [g["regret@1"].mean(), g["regret@5"].mean()]
    for task in ("classification", "regression"):
        t = g[g["task"] == task]
        cells += [t["regret@1"].mean(), t["regret@5"].mean()]
    return " | ".join(f"{c:.4f}" for c in cells)
