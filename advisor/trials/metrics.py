"""Validation metrics of a trial and the objectives a search can maximise (numpy only)."""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import rankdata

from advisor_core.objectives import DEFAULT_OBJECTIVE, OBJECTIVES, check_objective

__all__ = [
    "DEFAULT_OBJECTIVE",
    "OBJECTIVES",
    "check_objective",
    "classification_metrics",
    "objective_value",
    "regression_metrics",
]


def balanced_accuracy(y: np.ndarray, pred: np.ndarray, n_classes: int) -> float:
    present = np.bincount(y, minlength=n_classes)
    hits = np.bincount(y[pred == y], minlength=n_classes)
    mask = present > 0
    return float(np.mean(hits[mask] / present[mask]))


def roc_auc(y: np.ndarray, score: np.ndarray) -> float:
    """Binary ROC AUC as the Mann-Whitney statistic (ties get average ranks): the same value as
    scikit-learn's ``roc_auc_score`` without its input validation, which dominated the cost of
    scoring a small validation set every epoch."""
    pos = y == 1
    n_pos = int(pos.sum())
    n_neg = len(y) - n_pos
    ranks = rankdata(score)
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def classification_metrics(y: np.ndarray, proba: np.ndarray) -> dict[str, float]:
    """accuracy, balanced_accuracy, log_loss and (binary) roc_auc from class probabilities."""
    n_classes = proba.shape[1]
    pred = proba.argmax(axis=1)
    p_true = np.clip(proba[np.arange(len(y)), y], 1e-15, 1.0)
    out = {
        "accuracy": float(np.mean(pred == y)),
        "balanced_accuracy": balanced_accuracy(y, pred, n_classes),
        "log_loss": float(-np.mean(np.log(p_true))),
    }
    if n_classes == 2 and len(np.unique(y)) == 2:
        out["roc_auc"] = roc_auc(y, proba[:, 1])
    return out


def regression_metrics(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """rmse, mae and r2 on the original target scale."""
    err = pred - y
    sst = float(np.sum((y - y.mean()) ** 2))
    sse = float(np.sum(err**2))
    return {
        "rmse": math.sqrt(sse / len(y)),
        "mae": float(np.mean(np.abs(err))),
        "r2": 1.0 - sse / sst if sst > 0 else 0.0,
    }


def objective_value(metrics: dict[str, float], objective: str) -> float | None:
    """The objective (higher is better) from a metrics dict, or ``None`` if unavailable."""
    if objective.startswith("neg_"):
        v = metrics.get(objective[4:])
        return None if v is None else -v
    return metrics.get(objective)
