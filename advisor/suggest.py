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
from advisor.evidence import compare, explanation
from advisor.ranker.artifact import RankerArtifact
from advisor.ranker.risk import clip_to_range
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
    """One suggested configuration with what the advice knows about it.

    ``score`` orders the list (the ranker's, comparable within one answer only; under the
    small-evidence rule the normalized score on the nearest dataset); ``predicted`` and
    ``interval`` are the objective's median and 80% interval at the budget; ``failure_chance``
    the chance that a seed fails; ``gain_over_default`` and its interval compare it with
    ``default``; ``explanation`` says all that in words.
    """

    rank: int
    config: dict[str, Any]
    score: float
    predicted: float
    interval: tuple[float, float]
    neighbors: tuple[Neighbor, ...]
    source: str  # knowledge_base, perturbation, default, robust or nearest
    failure_chance: float = 0.0
    gain_over_default: float | None = None
    gain_interval: tuple[float, float] | None = None
    explanation: str = ""


@dataclass
class Advice:
    task: str
    objective: str
    meta_features: dict[str, float | None]
    out_of_distribution: bool
    distance: float
    ood_threshold: float
    suggestions: list[Suggestion] = field(default_factory=list)
    epochs: int = DEFAULT_EPOCHS
    rule: str = "ranker"
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "objective": self.objective,
            "epochs": self.epochs,
            "rule": self.rule,
            "reason": self.reason,
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
                    "failure_chance": s.failure_chance,
                    "gain_over_default": s.gain_over_default,
                    "gain_interval": None if s.gain_interval is None else list(s.gain_interval),
                    "explanation": s.explanation,
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
    """Top-``k`` diverse configurations for a dataset described by its meta-features, for a
    training budget of ``epochs``.

    The suggestions are the first ``k`` configurations at least ``MIN_DISTANCE`` apart of the
    ranked list :func:`advisor.candidates.rank_candidates` builds (the list the search runs;
    its first item follows the rules of :mod:`advisor.evidence`), each with the ranker's
    score, a predicted objective with an 80% interval, the chance of a failed seed, the gain
    over ``default`` and the nearest knowledge-base datasets, explained in words.
    """
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= 50:
        raise ConfigError(f"k is {k!r}, but must be an integer in [1, 50]")
    prior = Prior(art, meta_features, task, epochs=epochs)
    ranked = rank_candidates(prior, n_candidates, seed)
    objective = objective or DEFAULT_OBJECTIVE[task]
    fs = art.fs
    picked = ranked.diverse(k)
    configs = [ranked.config(i) for i in picked]
    par = ranked.parents[picked]
    enc = art.space.encode(configs)
    d = -1 if prior.default_col is None else prior.default_col
    with_default = d >= 0
    if with_default:
        enc = np.vstack([enc, fs.encoded[[d]]])
        par = np.concatenate([par, [d]])
    q, risk = prior.predict(enc, par)
    dist = prior.dataset_distance
    near = _nearest_datasets(art.names, np.where(prior.same_task, dist, np.inf))
    suggestions = []
    for r, i in enumerate(picked):
        j = int(ranked.parents[i])
        neighbors = tuple(
            Neighbor(
                name=art.names[n].rsplit(" @", 1)[0],
                distance=round(float(dist[n]), 4),
                normalized_score=None
                if np.isnan(fs.norm[n, j])
                else round(float(fs.norm[n, j]), 4),
                objective=None if np.isnan(art.values[n, j]) else round(float(art.values[n, j]), 4),
            )
            for n in near
        )
        lo, mid, hi = clip_to_range(q["q10"][r], q["q50"][r], q["q90"][r], objective)
        is_default = with_default and j == d and ranked.from_kb[i]
        comparison = None
        if with_default and not is_default:
            both = {key: np.array([q[key][r], q[key][-1]]) for key in q}
            comparison = compare(prior, j, d, both, np.array([risk[r], risk[-1]]))
        suggestions.append(
            Suggestion(
                rank=r + 1,
                config=configs[r],
                score=round(float(ranked.scores[i]), 5),
                predicted=round(mid, 4),
                interval=(round(lo, 4), round(hi, 4)),
                neighbors=neighbors,
                source=ranked.source(i),
                failure_chance=round(float(risk[r]), 4),
                gain_over_default=0.0
                if is_default
                else (None if comparison is None else round(comparison.model_gain, 4)),
                gain_interval=None
                if comparison is None
                else (round(comparison.gain_interval[0], 4), round(comparison.gain_interval[1], 4)),
                explanation=explanation(
                    objective, mid, (lo, hi), float(risk[r]), comparison, is_default
                ),
            )
        )
    return Advice(
        task=task,
        objective=objective,
        meta_features=dict(meta_features),
        out_of_distribution=prior.out_of_distribution,
        distance=round(prior.nearest, 4),
        ood_threshold=round(art.ood_threshold, 4),
        suggestions=suggestions,
        epochs=epochs,
        rule=ranked.rule,
        reason=ranked.reason,
    )


def _nearest_datasets(names: list[str], dist: np.ndarray) -> list[int]:
    """The ``N_NEIGHBORS`` nearest knowledge-base datasets, each once (at its nearest budget)."""
    out, seen = [], set()
    for n in np.argsort(dist, kind="stable"):
        if not np.isfinite(dist[n]):
            break
        base = names[n].rsplit(" @", 1)[0]
        if base not in seen:
            seen.add(base)
            out.append(int(n))
        if len(out) == N_NEIGHBORS:
            break
    return out
