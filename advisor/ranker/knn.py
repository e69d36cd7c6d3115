"""The nearest-neighbour list and how the advice merges it with the ranker's.

:func:`knn_scores` puts the best configuration of each nearest knowledge-base dataset first
(at most ``KNN_PICKS`` of them), then the rest by their average rank across datasets (the
portfolio). :func:`interleave` merges two orders: the first's first, then the second's first
not yet taken, then the first's next, and so on. The advice's list is the ranker's order
interleaved with the kNN order: the ranker keeps first place, where it has the lowest regret,
and the nearest datasets' winners fill every other place after it, where they hedge the
ranker's mistakes (leave-one-source-out regret@5 0.0365 for the ranker alone, 0.0286
interleaved: ``experiments/ranker_knn_interleave/``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["KNN_PICKS", "interleave", "knn_order", "knn_scores", "portfolio_rank"]

#: Nearest datasets whose best configuration the kNN list puts first.
KNN_PICKS = 10


def portfolio_rank(norm: np.ndarray, config_hashes: Sequence[str]) -> pd.Series:
    """Each configuration's mean rank across the datasets of ``norm`` (rows: datasets,
    columns: ``config_hashes``; 1 is best, missing values are skipped)."""
    ranks = pd.DataFrame(norm, columns=list(config_hashes)).rank(axis=1, ascending=False)
    return ranks.mean(axis=0)


def knn_scores(
    norm: np.ndarray,
    config_hashes: Sequence[str],
    dist: np.ndarray,
    hashes: Sequence[str],
    avg_rank: pd.Series,
) -> np.ndarray:
    """Scores of ``hashes`` (higher first): the best of ``hashes`` on each nearest dataset
    (rows of ``norm`` by ``dist``, each configuration once, at most ``KNN_PICKS``), then the
    others by ``avg_rank`` (:func:`portfolio_rank`)."""
    cols = {h: j for j, h in enumerate(config_hashes)}
    known = [(cols[h], h) for h in hashes if h in cols]
    known_cols = np.array([j for j, _ in known], dtype=int)
    known_hashes = [h for _, h in known]
    picked: list[str] = []
    for i in np.argsort(dist, kind="stable"):
        if not np.isfinite(dist[i]):
            break
        row = norm[i, known_cols]
        if not len(row) or np.isnan(row).all():
            continue
        top = np.flatnonzero(row == np.nanmax(row))  # ties go to the largest hash
        best = max(known_hashes[t] for t in top)
        if best not in picked:
            picked.append(best)
        if len(picked) >= KNN_PICKS:
            break
    worst = float(avg_rank.max()) + 1 if len(avg_rank) else 1.0
    score = -np.array([avg_rank.get(h, worst) for h in hashes], dtype=float)
    where = {h: j for j, h in enumerate(hashes)}
    for r, h in enumerate(picked):
        score[where[h]] = 1e6 - r
    return score


def knn_order(
    norm: np.ndarray,
    config_hashes: Sequence[str],
    dist: np.ndarray,
    avg_rank: pd.Series | None = None,
) -> np.ndarray:
    """Every column of ``norm`` in :func:`knn_scores`' order for a dataset at distance
    ``dist`` from its rows (``avg_rank``: :func:`portfolio_rank` of ``norm``, if at hand)."""
    hashes = list(config_hashes)
    if avg_rank is None:
        avg_rank = portfolio_rank(norm, hashes)
    score = knn_scores(norm, hashes, dist, hashes, avg_rank)
    return np.argsort(-score, kind="stable")


def interleave(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """``first[0], second[0], first[1], second[1], ...`` without repeats; items of either
    order that the other lacks keep their place in turn, so every item appears once."""
    out: list[int] = []
    seen: set[int] = set()
    a, b = list(map(int, first)), list(map(int, second))
    common = min(len(a), len(b))
    for k in range(common):
        for item in (a[k], b[k]):
            if item not in seen:
                seen.add(item)
                out.append(item)
    rest = np.asarray(a[common:] if len(a) > common else b[common:], dtype=int)
    if len(rest):  # one order is spent: the other's items follow, each once
        _, first_at = np.unique(rest, return_index=True)
        keep = np.zeros(len(rest), dtype=bool)
        keep[first_at] = True
        keep &= ~np.isin(rest, np.fromiter(seen, dtype=int, count=len(seen)))
        out.extend(rest[keep].tolist())
    return np.array(out, dtype=int)
