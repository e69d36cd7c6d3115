"""Fitting the ranker: training rows, settings chosen by grouped CV, the final fit."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from advisor.ranker.features import FeatureSpace
from advisor.ranker.model import AdvisorRanker, Blend

__all__ = ["BLEND_WEIGHTS", "PARAM_GRID", "fit_ranker", "ranker_params", "training_rows"]

#: Candidate settings compared by grouped cross-validation (NDCG@5 on held-out groups).
PARAM_GRID: tuple[dict[str, Any], ...] = (
    {"num_leaves": 7, "min_child_samples": 60, "n_estimators": 300},
    {"num_leaves": 15, "min_child_samples": 40, "n_estimators": 300},
    {"num_leaves": 31, "min_child_samples": 20, "n_estimators": 400},
)

#: Listwise/pointwise blend weights compared per task in the same cross-validation. One
#: weight by default: choosing it per task from (0, 0.3, 0.5, 0.7, 0.9, 1) was tried and did
#: worse in the leave-one-group-out evaluation (the choice is noisy on ~30 regression
#: datasets per fold; see experiments/ranker_variants/README.md).
BLEND_WEIGHTS: tuple[float, ...] = (0.5,)


def training_rows(fs: FeatureSpace) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Rows of every training dataset (priors leave the dataset's own group out)."""
    frames, norms, sizes = [], [], []
    configs = [fs.configs[h] for h in fs.config_hashes]
    for i in range(len(fs.fingerprints)):
        have = ~np.isnan(fs.norm[i])
        if have.sum() < 2:
            continue
        pmean, pknn = fs.training_priors(i)
        mf_row = _unscale(fs, i)
        cfgs = [c for c, h in zip(configs, have, strict=True) if h]
        frames.append(fs.rows(mf_row, cfgs, pmean[have], pknn[have]))
        norms.append(fs.norm[i][have])
        sizes.append(int(have.sum()))
    X = pd.concat(frames, ignore_index=True)
    return X, np.concatenate(norms), np.asarray(sizes)


def _unscale(fs: FeatureSpace, i: int) -> np.ndarray:
    span = np.where(fs.mf_max > fs.mf_min, fs.mf_max - fs.mf_min, 1.0)
    raw = fs.scaled[i] * span + fs.mf_min
    return np.where(fs.scaled[i] == -1.0, np.nan, raw)


def _regret(score: np.ndarray, norm: np.ndarray) -> float:
    """Mean of normalized regret@1 and @5 of the order ``score`` gives (norm: 1 = best)."""
    order = np.argsort(-score, kind="stable")
    top = norm[order]
    best, worst = np.max(norm), np.min(norm)
    span = best - worst if best > worst else 1.0
    return float(((best - top[0]) + (best - np.max(top[:5]))) / (2 * span))


def ranker_params(
    fs: FeatureSpace,
    X: pd.DataFrame,
    norm: np.ndarray,
    sizes: np.ndarray,
    folds: int = 3,
    grid: tuple[dict[str, Any], ...] = PARAM_GRID,
    weights: tuple[float, ...] = BLEND_WEIGHTS,
) -> dict[str, Any]:
    """The ranker's settings with the lowest mean normalized regret (mean of @1 and @5) in
    grouped K-fold cross-validation over the training dataset groups.

    For every grid setting one ranker is fitted per fold; the listwise/pointwise blend weight
    is then chosen per task (classification, regression) on the same fits, so
    ``pointwise_weight`` and ``pointwise_weight_regression`` come with the setting. A grid
    entry that names ``pointwise_weight`` itself keeps it (no blend choice for it).
    """
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    kept = [i for i in range(len(fs.fingerprints)) if (~np.isnan(fs.norm[i])).sum() >= 2]
    groups = fs.groups[kept]
    tasks = fs.tasks[kept]
    uniq = sorted(set(groups))
    rng = np.random.default_rng(0)
    fold_of = {g: k % folds for k, g in enumerate(rng.permutation(uniq))}
    q_fold = np.array([fold_of[g] for g in groups])
    best, best_score = dict(grid[0]), np.inf
    for params in grid:
        fixed = "pointwise_weight" in params
        ws = (float(params["pointwise_weight"]),) if fixed else weights
        # regret[task][w] = per-query regrets
        regret: dict[str, dict[float, list[float]]] = {}
        for k in range(folds):
            tr_q, te_q = np.flatnonzero(q_fold != k), np.flatnonzero(q_fold == k)
            if len(te_q) == 0 or len(tr_q) == 0:
                continue
            tr_rows = np.concatenate([np.arange(starts[q], starts[q] + sizes[q]) for q in tr_q])
            fit_params = dict(params) if fixed else {**params, "pointwise_weight": 0.5}
            model = fit_ranker(X.iloc[tr_rows], norm[tr_rows], sizes[tr_q], fit_params)
            for q in te_q:
                r = np.arange(starts[q], starts[q] + sizes[q])
                if fixed:
                    scores = {ws[0]: model.predict(X.iloc[r])}
                else:
                    lw, pw = model.parts(X.iloc[r])
                    assert pw is not None
                    scores = {w: Blend.mix(lw, pw, w) for w in ws}
                per_w = regret.setdefault(str(tasks[q]), {})
                for w, s in scores.items():
                    per_w.setdefault(w, []).append(_regret(s, norm[r]))
        if not regret:
            continue
        chosen: dict[str, float] = {}
        total, count = 0.0, 0
        for task, per_w in regret.items():
            w_best = min(ws, key=lambda w: (float(np.mean(per_w[w])), abs(w - 0.5)))
            chosen[task] = w_best
            total += float(np.sum(per_w[w_best]))
            count += len(per_w[w_best])
        mean = total / count
        if mean < best_score:
            best_score = mean
            best = dict(params)
            if not fixed:
                best["pointwise_weight"] = chosen.get(
                    "classification", chosen.get("regression", 0.5)
                )
                if "regression" in chosen:
                    best["pointwise_weight_regression"] = chosen["regression"]
    return best


def fit_ranker(
    X: pd.DataFrame, norm: np.ndarray, sizes: np.ndarray, params: dict[str, Any] | None = None
) -> AdvisorRanker:
    return AdvisorRanker(**(params or {})).fit(X, norm, sizes)
