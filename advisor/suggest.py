"""Suggestions: candidate configurations scored by the ranker, diversified and explained.

Candidates are the knowledge base's evaluated configurations plus perturbations of the best
of them (fresh points of the space near what worked); a perturbation's score is shrunk halfway
towards its parent's, since the ranker has never seen it evaluated. Each suggestion carries the
ranker's score, a predicted objective with an 80% interval (quantile models), and the nearest
knowledge-base datasets it draws on. A dataset farther from the knowledge base than its own
datasets are from each other is flagged out of distribution, and the advice falls back to
robust configurations (best 25th percentile of normalized score across all datasets).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from advisor.ranker.artifact import RankerArtifact
from advisor.ranker.features import UNSEEN_SHRINK, perturb_units
from advisor_core.errors import ConfigError
from advisor_core.objectives import DEFAULT_OBJECTIVE
from advisor_core.spaces import CategoricalParam, SearchSpace

__all__ = ["Advice", "Suggestion", "suggest"]

#: Suggestions are at least this far apart (mean per-hyperparameter distance in [0, 1]; a
#: categorical counts 1 when it differs): the list hedges across regions the ranker scores
#: well instead of repeating one region with small changes. 0.3 against the earlier 0.08:
#: lower best-of-5 regret offline (reports/search_simulation.md) and online on 18 design
#: datasets (reports/search_design_dev5.md).
MIN_DISTANCE = 0.3
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
    n_candidates: int = 2000,
    objective: str | None = None,
    seed: int = 0,
) -> Advice:
    """Top-``k`` diverse configurations for a dataset described by its meta-features."""
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= 50:
        raise ConfigError(f"k is {k!r}, but must be an integer in [1, 50]")
    if task not in ("classification", "regression"):
        raise ConfigError(f"task is {task!r}, but must be classification or regression")
    fs = art.fs
    space = art.space
    values = [meta_features.get(c[3:]) for c in fs.mf_columns]
    mf_row = np.array([np.nan if v is None else float(v) for v in values])
    scaled = fs.scale(mf_row[None, :])[0]
    pmean, pknn, dist = fs.query_priors(scaled)
    same_task = fs.tasks == task
    nearest = float(dist[same_task].min()) if same_task.any() else float("inf")
    ood = bool(nearest > art.ood_threshold)
    # candidates: evaluated configurations + perturbations of the best of them (unit cube)
    n_kb = len(fs.config_hashes)
    s_kb = art.score(fs.matrix(mf_row, fs.encoded, pmean, pknn))
    rng = np.random.default_rng(seed)
    top = np.argsort(-s_kb, kind="stable")[:20]
    U_new = perturb_units(space, fs.unit[top], max(0, n_candidates - n_kb), rng)
    units = np.vstack([fs.unit, U_new])
    if len(U_new):
        par = top[np.arange(len(U_new)) % len(top)]  # a perturbation's parent is its base
        E_new = space.encoded_from_unit(U_new)
        raw = art.score(fs.matrix(mf_row, E_new, pmean[par], pknn[par]))
        # the ranker never saw these points evaluated: shrink towards the parent's score, so
        # a perturbation wins only where the ranker predicts a clear improvement
        scores = np.concatenate([s_kb, s_kb[par] + UNSEEN_SHRINK * (raw - s_kb[par])])
        parents = np.concatenate([np.arange(n_kb), par])
    else:
        scores, parents = s_kb, np.arange(n_kb)
    if ood:
        col = {h: j for j, h in enumerate(fs.config_hashes)}
        order = [col[h] for h in art.robust_order]
    else:
        order = list(np.argsort(-scores, kind="stable"))
    picked = diverse_picks(space, units, order, k)
    configs = [
        fs.configs[fs.config_hashes[i]] if i < n_kb else space.from_unit(units[i]) for i in picked
    ]
    par_p = parents[picked]
    q = art.predict_objective(fs.matrix(mf_row, space.encode(configs), pmean[par_p], pknn[par_p]))
    near = np.argsort(np.where(same_task, dist, np.inf), kind="stable")[:N_NEIGHBORS]
    suggestions = []
    for r, i in enumerate(picked):
        j = int(parents[i])
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
        source = "robust" if ood else ("knowledge_base" if i < n_kb else "perturbation")
        suggestions.append(
            Suggestion(
                rank=r + 1,
                config=configs[r],
                score=round(float(scores[i]), 5),
                predicted=round(mid, 4),
                interval=(round(lo, 4), round(hi, 4)),
                neighbors=neighbors,
                source=source,
            )
        )
    return Advice(
        task=task,
        objective=objective or DEFAULT_OBJECTIVE[task],
        meta_features=dict(meta_features),
        out_of_distribution=ood,
        distance=round(nearest, 4),
        ood_threshold=round(art.ood_threshold, 4),
        suggestions=suggestions,
    )


def diverse_picks(
    space: SearchSpace,
    units: np.ndarray,
    order: Any,
    k: int,
    min_distance: float = MIN_DISTANCE,
) -> list[int]:
    """Greedy: take candidates (rows of ``units``) in ``order``, skipping those closer than
    ``min_distance`` to one already taken; at most ``k``."""
    cat = np.array([isinstance(p, CategoricalParam) for p in space.params])
    picked: list[int] = []
    for i in order:
        i = int(i)
        if picked:
            diff = np.abs(units[picked] - units[i][None, :])
            d = np.where(cat[None, :], (diff > 0).astype(float), diff).mean(axis=1)
            if float(d.min()) < min_distance:
                continue
        picked.append(i)
        if len(picked) == k:
            break
    return picked
