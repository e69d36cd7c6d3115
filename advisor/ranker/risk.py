"""What the ranker's order does not say: the chance that a configuration fails on a dataset,
and how wide the predicted objective's interval must be to hold.

* **Risk**: a pointwise LightGBM model of the share of seeds that diverged or failed, on the
  ranker's features (the interaction features, steps per epoch above all, carry most of it).
  The knowledge base's truth already floors failed seeds; the risk model makes the chance
  explicit, so that advice can avoid and explain it.
* **Calibration** (conformalized quantile regression, Romano et al. 2019): the quantile models'
  80% interval ``[q10, q90]`` is widened (or narrowed) by the margin ``E`` that makes it cover
  80% of held-out datasets' values in grouped cross-validation, then clipped to the objective's
  range.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from advisor.ranker.model import regressor

__all__ = ["COVERAGE", "clip_to_range", "conformal_margin", "fit_risk", "objective_range"]

#: The interval's target coverage.
COVERAGE = 0.8


def fit_risk(X: pd.DataFrame, fail_share: np.ndarray) -> Any | None:
    """A regressor of the failed share of seeds; ``None`` when nothing ever failed."""
    if not np.any(np.asarray(fail_share) > 0):
        return None
    return regressor(min_child_samples=40).fit(X, np.asarray(fail_share, dtype=float))


def conformal_margin(
    X: pd.DataFrame,
    y: np.ndarray,
    groups: Sequence[str] | np.ndarray,
    folds: int = 3,
    coverage: float = COVERAGE,
) -> float:
    """The margin ``E`` with ``[q10 - E, q90 + E]`` covering ``coverage`` of held-out rows
    (grouped ``folds``-fold cross-validation over dataset groups)."""
    labels = np.asarray(groups, dtype=object)
    uniq = sorted(set(labels))
    if len(uniq) < folds:
        return 0.0
    rng = np.random.default_rng(0)
    fold_of = {g: k % folds for k, g in enumerate(rng.permutation(uniq))}
    f = np.array([fold_of[g] for g in labels])
    scores = []
    lo_a, hi_a = (1 - coverage) / 2, 1 - (1 - coverage) / 2
    for k in range(folds):
        tr, te = f != k, f == k
        lo = regressor(objective="quantile", alpha=lo_a).fit(X[tr], y[tr]).predict(X[te])
        hi = regressor(objective="quantile", alpha=hi_a).fit(X[tr], y[tr]).predict(X[te])
        scores.append(np.maximum(lo - y[te], y[te] - hi))
    s = np.concatenate(scores)
    n = len(s)
    level = min(1.0, np.ceil((n + 1) * coverage) / n)
    return float(np.quantile(s, level))


def objective_range(objective: str) -> tuple[float, float]:
    """Where an objective's values lie (higher is better)."""
    if objective in ("balanced_accuracy", "accuracy", "roc_auc"):
        return 0.0, 1.0
    if objective == "r2":
        return -np.inf, 1.0
    return -np.inf, 0.0 if objective.startswith("neg_") else np.inf


def clip_to_range(lo: float, mid: float, hi: float, objective: str) -> tuple[float, float, float]:
    """The interval ordered and inside the objective's range."""
    a, b = objective_range(objective)
    lo, hi = min(lo, mid, hi), max(lo, mid, hi)
    return float(np.clip(lo, a, b)), float(np.clip(mid, a, b)), float(np.clip(hi, a, b))
