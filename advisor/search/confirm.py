"""The search's answer chosen by a less noisy estimate than one validation split.

On small data the validation part is small, and the best of many trials by validation score is
partly the luckiest: its score does not hold on new data. :func:`confirm_best` trains the few
best configurations of a search again, each on further train/validation splits of the same
data (the configurations of one split train together, stacked where they share a shape), and
the answer is the configuration with the best mean over all its splits.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from advisor.data import SplitCache
from advisor.search.result import SearchResult, finished
from advisor.trials import TrialResult

__all__ = [
    "SPLITS",
    "SPLIT_SEED_STEP",
    "Confirmation",
    "apply_confirmation",
    "confirm_best",
    "searched",
    "split_caches",
]

#: Further splits per confirmed configuration, by default.
SPLITS = 2

#: Split seeds of the confirmation: the search's seed plus multiples of this step.
SPLIT_SEED_STEP = 7919

TrainOn = Callable[[SplitCache, list[dict[str, Any]]], list[TrialResult]]


def searched(n_trials: int | None, confirm: int, splits: int = SPLITS) -> int | None:
    """The trials of a budget of ``n_trials`` that search (the rest confirm).

    Parameters
    ----------
    n_trials : int or None
        The whole trial budget.
    confirm, splits : int
        Configurations confirmed, further splits each.

    Returns
    -------
    int or None
    """
    if n_trials is None or not confirm:
        return n_trials
    return max(0, n_trials - confirm * splits)


@dataclass
class Confirmation:
    """One confirmed configuration: its validation objective on every split (the search's
    first; ``None`` where the trial failed or diverged) and their mean (a failure counts as the
    worst objective of the confirmation, or 0 if that is higher)."""

    config: dict[str, Any]
    scores: list[float | None]
    mean: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"config": self.config, "scores": self.scores, "mean": self.mean}


def split_caches(cache: SplitCache, splits: int) -> list[SplitCache]:
    """``splits`` further train/validation splits of ``cache``'s dataset (same fraction and
    caps).

    Parameters
    ----------
    cache : SplitCache
        The search's split.
    splits : int
        How many.

    Returns
    -------
    list of SplitCache
    """
    return [cache.reseeded(cache.seed + SPLIT_SEED_STEP * (j + 1)) for j in range(splits)]


def confirm_best(
    cache: SplitCache,
    candidates: Sequence[tuple[dict[str, Any], float]],
    splits: int,
    train_on: TrainOn,
) -> list[Confirmation]:
    """Each candidate ``(config, score on the search's split)`` trained on ``splits`` further
    splits; the confirmations from the best mean down.

    Parameters
    ----------
    cache : SplitCache
        The search's split (its dataset and seed define the further splits).
    candidates : sequence of (dict, float)
        The configurations to confirm and their objective on the search's split.
    splits : int
        Further splits per configuration (>= 1).
    train_on : callable
        ``train_on(split_cache, configs) -> [TrialResult]``: trains ``configs`` on that split
        at the search's budget.

    Returns
    -------
    list of Confirmation
    """
    scores: list[list[float | None]] = [[float(s)] for _, s in candidates]
    configs = [dict(c) for c, _ in candidates]
    for split in split_caches(cache, splits):
        for row, result in zip(scores, train_on(split, configs), strict=True):
            ok = result.score is not None and math.isfinite(result.score)
            row.append(float(result.score) if ok else None)  # type: ignore[arg-type]
    seen = [s for row in scores for s in row if s is not None]
    worst = min([*seen, 0.0])
    out = [
        Confirmation(
            config=c,
            scores=row,
            mean=float(sum(worst if s is None else s for s in row) / len(row)),
        )
        for c, row in zip(configs, scores, strict=True)
    ]
    return sorted(out, key=lambda c: -c.mean)


def apply_confirmation(
    result: SearchResult, cache: SplitCache, top: int, splits: int, train_on: TrainOn
) -> None:
    """Confirm ``result``'s ``top`` best distinct configurations (complete trials) and make the
    best mean its answer (``best_config``, ``best_score`` on the search's split,
    ``confirmation``); nothing changes when fewer than two are complete.

    Parameters
    ----------
    result : SearchResult
        The search's result, changed in place.
    cache : SplitCache
        The search's split.
    top, splits : int
        How many configurations, on how many further splits.
    train_on : callable
        See :func:`confirm_best`.
    """
    done = finished(result.trials).sort_values("score", ascending=False)
    candidates: list[tuple[dict[str, Any], float]] = []
    for row in done.to_dict("records"):
        if all(row["config"] != c for c, _ in candidates):
            candidates.append((dict(row["config"]), float(row["score"])))
        if len(candidates) == top:
            break
    if len(candidates) < 2:
        return
    confirmed = confirm_best(cache, candidates, splits, train_on)
    best = confirmed[0]
    result.best_config = best.config
    result.best_score = best.scores[0]
    result.confirmation = [c.to_dict() for c in confirmed]
