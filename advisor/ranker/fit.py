"""Fitting the ranker: training rows, hyperparameter choice by grouped CV, the final fit."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from advisor.ranker.features import FeatureSpace
from advisor.ranker.model import AdvisorRanker

__all__ = ["PARAM_GRID", "fit_ranker", "ranker_params", "training_rows"]

#: Candidate settings compared by grouped cross-validation (NDCG@5 on held-out groups).
PARAM_GRID: tuple[dict[str, Any], ...] = (
    {"num_leaves": 7, "min_child_samples": 60, "n_estimators": 300},
    {"num_leaves": 15, "min_child_samples": 40, "n_estimators": 300},
    {"num_leaves": 31, "min_child_samples": 20, "n_estimators": 400},
)


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


def _ndcg5(score: np.ndarray, norm: np.ndarray) -> float:
    order = np.argsort(-score, kind="stable")[:5]
    ideal = np.sort(norm)[::-1][:5]
    disc = 1.0 / np.log2(np.arange(2, 7))
    return float(np.dot(norm[order], disc[: len(order)]) / np.dot(ideal, disc[: len(ideal)]))


def ranker_params(
    fs: FeatureSpace,
    X: pd.DataFrame,
    norm: np.ndarray,
    sizes: np.ndarray,
    folds: int = 3,
    grid: tuple[dict[str, Any], ...] = PARAM_GRID,
) -> dict[str, Any]:
    """The grid setting with the best mean NDCG@5 in grouped K-fold CV over dataset groups."""
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    kept = [i for i in range(len(fs.fingerprints)) if (~np.isnan(fs.norm[i])).sum() >= 2]
    groups = fs.groups[kept]
    uniq = sorted(set(groups))
    rng = np.random.default_rng(0)
    fold_of = {g: k % folds for k, g in enumerate(rng.permutation(uniq))}
    q_fold = np.array([fold_of[g] for g in groups])
    best, best_score = dict(grid[0]), -np.inf
    for params in grid:
        scores = []
        for k in range(folds):
            tr_q, te_q = np.flatnonzero(q_fold != k), np.flatnonzero(q_fold == k)
            if len(te_q) == 0 or len(tr_q) == 0:
                continue
            tr_rows = np.concatenate([np.arange(starts[q], starts[q] + sizes[q]) for q in tr_q])
            model = fit_ranker(X.iloc[tr_rows], norm[tr_rows], sizes[tr_q], params)
            for q in te_q:
                r = np.arange(starts[q], starts[q] + sizes[q])
                scores.append(_ndcg5(model.predict(X.iloc[r]), norm[r]))
        mean = float(np.mean(scores)) if scores else -np.inf
        if mean > best_score:
            best, best_score = dict(params), mean
    return best


def fit_ranker(
    X: pd.DataFrame, norm: np.ndarray, sizes: np.ndarray, params: dict[str, Any] | None = None
) -> AdvisorRanker:
    return AdvisorRanker(**(params or {})).fit(X, norm, sizes)
