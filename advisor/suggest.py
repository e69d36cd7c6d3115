"""Suggestions: candidate configurations scored by the ranker, diversified and explained.

Candidates are the knowledge base's evaluated configurations plus perturbations of the best
of them (fresh points of the space near what worked). Each suggestion carries the ranker's
score, a predicted objective with an 80% interval (quantile models), and the nearest
knowledge-base datasets it draws on. A dataset farther from the knowledge base than its own
datasets are from each other is flagged out of distribution, and the advice falls back to
robust configurations (best 25th percentile of normalized score across all datasets).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from advisor.errors import ConfigError
from advisor.ranker.artifact import RankerArtifact
from advisor.spaces import CategoricalParam, config_hash

__all__ = ["Advice", "Suggestion", "suggest"]

#: Two suggestions closer than this (mean per-hyperparameter distance in [0, 1]) are copies.
MIN_DISTANCE = 0.08
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


def _perturb(
    art: RankerArtifact,
    base_units: np.ndarray,
    n: int,
    rng: np.random.Generator,
) -> list[dict[str, Any]]:
    space = art.space
    cat = [isinstance(p, CategoricalParam) for p in space.params]
    out = []
    for i in range(n):
        u = base_units[i % len(base_units)].copy()
        for j, p in enumerate(space.params):
            if cat[j]:
                assert isinstance(p, CategoricalParam)
                k = len(p.choices)
                idx = round(u[j] * max(1, k - 1))
                if rng.random() < 0.15:
                    idx = int(rng.integers(k))
                u[j] = (idx + 0.5) / k
            else:
                u[j] = float(np.clip(u[j] + rng.normal(0, 0.07), 0.0, 1.0))
        out.append(space.from_unit(u))
    return out


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
    values = [meta_features.get(c[3:]) for c in fs.mf_columns]
    mf_row = np.array([np.nan if v is None else float(v) for v in values])
    scaled = fs.scale(mf_row[None, :])[0]
    pmean, pknn, dist = fs.query_priors(scaled)
    same_task = fs.tasks == task
    nearest = float(dist[same_task].min()) if same_task.any() else float("inf")
    ood = bool(nearest > art.ood_threshold)
    # candidates: evaluated configurations + perturbations of the best of them
    kb_configs = [fs.configs[h] for h in fs.config_hashes]
    X_kb = fs.rows(mf_row, kb_configs, pmean, pknn)
    s_kb = art.score(X_kb)
    n_fresh = max(0, n_candidates - len(kb_configs))
    rng = np.random.default_rng(seed)
    top = np.argsort(-s_kb, kind="stable")[:20]
    fresh = _perturb(art, fs.unit[top], n_fresh, rng) if n_fresh else []
    configs = kb_configs + fresh
    sources = ["knowledge_base"] * len(kb_configs) + ["perturbation"] * len(fresh)
    if fresh:
        par = fs.parents(fresh)
        X_f = fs.rows(mf_row, fresh, pmean[par], pknn[par])
        scores = np.concatenate([s_kb, art.score(X_f)])
    else:
        scores = s_kb
    if ood:
        order = [fs.config_hashes.index(h) for h in art.robust_order]
        sources = ["robust" if i < len(kb_configs) else s for i, s in enumerate(sources)]
    else:
        order = list(np.argsort(-scores, kind="stable"))
    picked = _diverse(art, configs, order, k)
    Xp = fs.rows(
        mf_row,
        [configs[i] for i in picked],
        *_priors_of(fs, [configs[i] for i in picked], pmean, pknn),
    )
    q = art.predict_objective(Xp)
    near = np.argsort(np.where(same_task, dist, np.inf), kind="stable")[:N_NEIGHBORS]
    col = {h: j for j, h in enumerate(fs.config_hashes)}
    par_all = fs.parents([configs[i] for i in picked])
    suggestions = []
    for r, i in enumerate(picked):
        cfg = configs[i]
        j = col.get(config_hash(cfg), int(par_all[r]))
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
                config=cfg,
                score=round(float(scores[i]), 5),
                predicted=round(mid, 4),
                interval=(round(lo, 4), round(hi, 4)),
                neighbors=neighbors,
                source=sources[i],
            )
        )
    from advisor.trials.metrics import DEFAULT_OBJECTIVE

    return Advice(
        task=task,
        objective=objective or DEFAULT_OBJECTIVE[task],
        meta_features=dict(meta_features),
        out_of_distribution=ood,
        distance=round(nearest, 4),
        ood_threshold=round(art.ood_threshold, 4),
        suggestions=suggestions,
    )


def _priors_of(
    fs: Any,
    configs: list[dict[str, Any]],
    pmean: np.ndarray,
    pknn: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    col = {h: j for j, h in enumerate(fs.config_hashes)}
    par = fs.parents(configs)
    idx = [col.get(config_hash(c), int(par[i])) for i, c in enumerate(configs)]
    return pmean[idx], pknn[idx]


def _diverse(
    art: RankerArtifact, configs: list[dict[str, Any]], order: list[int] | Any, k: int
) -> list[int]:
    """Greedy: take candidates in order, skipping near-copies of those already taken."""
    fs = art.fs
    cat = np.array([isinstance(p, CategoricalParam) for p in art.space.params])
    units = fs._unit(art.space.encode(configs))
    picked: list[int] = []
    for i in order:
        i = int(i)
        ok = True
        for j in picked:
            diff = np.abs(units[i] - units[j])
            d = float(np.mean(np.where(cat, (diff > 0).astype(float), diff)))
            if d < MIN_DISTANCE:
                ok = False
                break
        if ok:
            picked.append(i)
        if len(picked) == k:
            break
    return picked
