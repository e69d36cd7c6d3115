"""The ranker's view of one dataset: a score for any configuration, and ranked candidates."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from advisor.ranker.artifact import RankerArtifact
from advisor.ranker.features import UNSEEN_SHRINK, perturb_units
from advisor_core.spaces import CategoricalParam, SearchSpace, config_hash

__all__ = ["Prior"]


class Prior:
    """Ranker scores of configurations for a dataset with the given meta-features."""

    def __init__(self, art: RankerArtifact, meta_features: Mapping[str, float | None]) -> None:
        self.art = art
        self.space: SearchSpace = art.space
        fs = art.fs
        values = [meta_features.get(c[3:]) for c in fs.mf_columns]
        self.mf_row = np.array([np.nan if v is None else float(v) for v in values])
        scaled = fs.scale(self.mf_row[None, :])[0]
        self.pmean, self.pknn, _ = fs.query_priors(scaled)
        self._col = {h: j for j, h in enumerate(fs.config_hashes)}
        self.cat = np.array([isinstance(p, CategoricalParam) for p in self.space.params])
        self.kb_scores = art.score(fs.matrix(self.mf_row, fs.encoded, self.pmean, self.pknn))

    def score(self, configs: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """The ranker's score of each configuration (higher is better).

        A configuration never evaluated in the knowledge base takes the priors of its nearest
        evaluated one (its parent), and its score is shrunk towards the parent's by
        ``UNSEEN_SHRINK`` (the ranker has never seen it evaluated).
        """
        if not configs:
            return np.empty(0)
        fs = self.art.fs
        par = fs.parents(configs)
        known = [self._col.get(config_hash(dict(c))) for c in configs]
        idx = [k if k is not None else int(par[i]) for i, k in enumerate(known)]
        raw = self.art.score(
            fs.matrix(self.mf_row, self.space.encode(configs), self.pmean[idx], self.pknn[idx])
        )
        parent = self.kb_scores[idx]
        unseen = np.array([k is None for k in known])
        return np.where(unseen, parent + UNSEEN_SHRINK * (raw - parent), raw)

    def units(self, configs: Sequence[Mapping[str, Any]]) -> np.ndarray:
        return self.space.unit_of(configs)

    def distance(
        self,
        a: np.ndarray,
        b: np.ndarray,
        dims: np.ndarray | None = None,
    ) -> np.ndarray:
        """Mean per-hyperparameter distance between unit rows of ``a`` and ``b`` (matrix),
        over the boolean mask ``dims`` (all hyperparameters by default)."""
        diff = np.abs(a[:, None, :] - b[None, :, :])
        diff = np.where(self.cat[None, None, :], (diff > 0).astype(float), diff)
        if dims is not None:
            diff = diff[:, :, dims]
        return np.asarray(diff.mean(axis=2))

    def perturb(
        self,
        base: Sequence[Mapping[str, Any]],
        n: int,
        rng: np.random.Generator,
        scale: float = 0.07,
        flip: float = 0.15,
    ) -> list[dict[str, Any]]:
        """``n`` configurations near ``base`` (Gaussian in unit space, random category flips)."""
        if not base or n <= 0:
            return []
        U = perturb_units(self.space, self.units(base), n, rng, scale, flip)
        return [self.space.from_unit(u) for u in U]

    def ranked_candidates(
        self, n: int, rng: np.random.Generator
    ) -> tuple[list[dict[str, Any]], np.ndarray]:
        """Knowledge-base configurations and perturbations of the best, scored and sorted."""
        fs = self.art.fs
        kb = [fs.configs[h] for h in fs.config_hashes]
        s = self.kb_scores
        top = [kb[i] for i in np.argsort(-s, kind="stable")[:20]]
        fresh = self.perturb(top, max(0, n - len(kb)), rng)
        configs = kb + fresh
        scores = np.concatenate([s, self.score(fresh)]) if fresh else s
        order = np.argsort(-scores, kind="stable")
        return [configs[i] for i in order], scores[order]
