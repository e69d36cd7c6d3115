"""Suggestions: the first configurations of the ranker's diversified list, explained.

The list (:mod:`advisor.candidates`) holds the knowledge base's evaluated configurations plus
perturbations of the best of them, scored by the ranker for the dataset (a perturbation's score
is shrunk halfway towards its parent's, since the ranker has never seen it evaluated); for a
dataset farther from the knowledge base than its own datasets are from each other (out of
distribution) it is the robust order (best 25th percentile of normalized score across all
datasets). Each suggestion carries the ranker's score, a predicted objective with an 80%
interval (quantile models), and the nearest knowledge-base datasets it draws on. The search
runs the same list: its warm start is exactly these suggestions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from advisor.candidates import (
    DEFAULT_EPOCHS,
    MIN_DISTANCE,
    N_CANDIDATES,
    Prior,
    rank_candidates,
)
from advisor.ranker.artifact import RankerArtifact
from advisor_core.errors import ConfigError
from advisor_core.objectives import DEFAULT_OBJECTIVE

__all__ = ["MIN_DISTANCE", "Advice", "Neighbor", "Suggestion", "suggest"]

N_NEIGHBORS = 3


@dataclass(frozen=True)
class Neighbor:
    name: str
    distance: float
    normalized_score: float | None
    objective: float | None


@dataclass(frozen=True)
class Suggestion:
    rank: int
    config: dict[str, Any]
    score: float
    predicted: float
    interval: tuple[float, float]
    neighbors: tuple[Neighbor, ...]
    source: str  # "knowledge_base" or "perturbation" or "robust"


@dataclass
class Advice:
    task: str
    objective: str
    meta_features: dict[str, float | None]
    out_of_distribution: bool
    distance: float
    ood_threshold: float
    suggestions: list[Suggestion] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "objective": self.objective,
            "meta_features": dict(self.meta_features),
            "out_of_distribution": self.out_of_distribution,
            "distance_to_knowledge_base": self.distance,
            "ood_threshold": self.ood_threshold,
            "suggestions": [
                {
                    "rank": s.rank,
                    "config": s.config,
                    "score": s.score,
                    "predicted": s.predicted,
                    "interval": list(s.interval),
                    "source": s.source,
                    "neighbors": [asdict(n) for n in s.neighbors],
                }
                for s in self.suggestions
            ],
        }


def suggest(
    art: RankerArtifact,
    meta_features: Mapping[str, float | None],
    task: str,
    *,
    k: int = 5,
    epochs: int = DEFAULT_EPOCHS,
    n_candidates: int = N_CANDIDATES,
    objective: str | None = None,
    seed: int = 0,
) -> Advice:
    """Top-``k`` diverse configurations for a dataset described by its meta-features.

    The suggestions are the first ``k`` configurations at least ``MIN_DISTANCE`` apart of the
    ranked list :func:`advisor.candidates.rank_candidates` builds (the list the search runs),
    each with the ranker's score, a predicted objective with an 80% interval and the nearest
    knowledge-base datasets.
    """
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= 50:
        raise ConfigError(f"k is {k!r}, but must be an integer in [1, 50]")
    prior = Prior(art, meta_features, task, epochs=epochs)
    ranked = rank_candidates(prior, n_candidates, seed)
    fs = art.fs
    picked = ranked.diverse(k)
    configs = [ranked.config(i) for i in picked]
    par = ranked.parents[picked]
    q = art.predict_objective(
        fs.matrix(prior.mf_row, art.space.encode(configs), prior.pmean[par], prior.pknn[par])
    )
    dist = prior.dataset_distance
    near = np.argsort(np.where(prior.same_task, dist, np.inf), kind="stable")[:N_NEIGHBORS]
    suggestions = []
    for r, i in enumerate(picked):
        j = int(ranked.parents[i])
        neighbors = tuple(
            Neighbor(
                name=art.names[n],
                distance=round(float(dist[n]), 4),
                normalized_score=None
                if np.isnan(fs.norm[n, j])
                else round(float(fs.norm[n, j]), 4),
                objective=None if np.isnan(art.values[n, j]) else round(float(art.values[n, j]), 4),
            )
            for n in near
        )
        lo, mid, hi = float(q["q10"][r]), float(q["q50"][r]), float(q["q90"][r])
        lo, hi = min(lo, mid, hi), max(lo, mid, hi)
        suggestions.append(
            Suggestion(
                rank=r + 1,
                config=configs[r],
                score=round(float(ranked.scores[i]), 5),
                predicted=round(mid, 4),
                interval=(round(lo, 4), round(hi, 4)),
                neighbors=neighbors,
                source=ranked.source(i),
            )
        )
    return Advice(
        task=task,
        objective=objective or DEFAULT_OBJECTIVE[task],
        meta_features=dict(meta_features),
        out_of_distribution=prior.out_of_distribution,
        distance=round(prior.nearest, 4),
        ood_threshold=round(art.ood_threshold, 4),
        suggestions=suggestions,
    )
