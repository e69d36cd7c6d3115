"""``AdvisorRanker``: a scikit-learn-style LightGBM LambdaMART ranker over configurations.

One query group per dataset; labels are relevance grades from the within-dataset normalized
score (``GRADES`` levels, finer at the top, where regret is decided).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

__all__ = ["GRADE_EDGES", "AdvisorRanker", "grades", "regressor"]

#: Normalized-score edges of the relevance grades 0..len(GRADE_EDGES): finer near the top.
GRADE_EDGES = (0.5, 0.7, 0.8, 0.88, 0.94, 0.97, 0.99)


#: Grading schemes: normalized-score edges, and whether gains grow exponentially.
GRADINGS: dict[str, tuple[tuple[float, ...], bool]] = {
    "top8": (GRADE_EDGES, True),
    "fine16": (tuple(np.round(np.linspace(1 / 16, 15 / 16, 15), 4)), False),
    # the top8 edges over the within-dataset rank quantile (1 = best) instead of the score
    "rank8": (GRADE_EDGES, True),
}


def rank_quantiles(norm: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Within-query rank quantile of each row: 1 for the best, 0 for the worst (ties share)."""
    out = np.empty(len(norm))
    start = 0
    for n in np.asarray(group, dtype=int):
        block = pd.Series(norm[start : start + n])
        out[start : start + n] = (block.rank(method="average") - 1) / max(n - 1, 1)
        start += n
    return out


def grades(norm: np.ndarray, grading: str = "top8") -> np.ndarray:
    """Relevance grade of each normalized score (``top8``: 0 = poor ... 7 = within 1% of
    the best)."""
    edges, _ = GRADINGS[grading]
    return np.searchsorted(np.asarray(edges), norm, side="right").astype(int)


def _tree_params(
    n_estimators: int = 300,
    learning_rate: float = 0.05,
    num_leaves: int = 15,
    min_child_samples: int = 40,
    colsample_bytree: float = 0.8,
    subsample: float = 0.8,
    reg_lambda: float = 1.0,
    random_state: int = 0,
) -> dict[str, Any]:
    """The LightGBM settings every model of the ranker package shares."""
    return {
        "n_estimators": n_estimators,
        "learning_rate": learning_rate,
        "num_leaves": num_leaves,
        "min_child_samples": min_child_samples,
        "colsample_bytree": colsample_bytree,
        "subsample": subsample,
        "subsample_freq": 1,
        "reg_lambda": reg_lambda,
        "random_state": random_state,
        "n_jobs": 1,
        "verbose": -1,
    }


_TREE_ARGS = (
    "n_estimators",
    "learning_rate",
    "num_leaves",
    "min_child_samples",
    "colsample_bytree",
    "subsample",
    "reg_lambda",
    "random_state",
)


def regressor(**overrides: Any) -> Any:
    """A pointwise (or quantile, with ``objective="quantile", alpha=...``) LightGBM
    regressor with the shared settings."""
    from lightgbm import LGBMRegressor

    tree = {k: overrides.pop(k) for k in list(overrides) if k in _TREE_ARGS}
    return LGBMRegressor(**_tree_params(**tree), **overrides)


class AdvisorRanker(BaseEstimator):
    """LightGBM ``LGBMRanker`` (``lambdarank``) with the advisor's defaults.

    ``fit(X, norm, group)`` takes normalized scores and turns them into grades; ``predict``
    returns a score per row (higher = better; comparable within one dataset). With
    ``pointwise_weight`` > 0 the ranker is blended with a pointwise LightGBM regressor of the
    normalized score on the same features (each scaled by the spread of its training
    predictions): the listwise model orders the top, the pointwise one keeps the scale of
    differences (see ``reports/ranker_experiments.md``). ``pointwise_weight_regression``, when
    set, is the weight for regression datasets (rows with ``mf.is_classification`` = 0);
    :func:`advisor.ranker.fit.ranker_params` chooses both by grouped cross-validation.
    """

    def __init__(
        self,
        n_estimators: int = 300,
        learning_rate: float = 0.05,
        num_leaves: int = 15,
        min_child_samples: int = 40,
        colsample_bytree: float = 0.8,
        subsample: float = 0.8,
        reg_lambda: float = 1.0,
        objective: str = "lambdarank",
        feature_set: str = "all",
        prior_offset: float = 0.0,
        grading: str = "top8",
        pointwise_weight: float = 0.5,
        pointwise_weight_regression: float | None = None,
        random_state: int = 0,
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.colsample_bytree = colsample_bytree
        self.subsample = subsample
        self.reg_lambda = reg_lambda
        self.objective = objective
        self.feature_set = feature_set
        self.prior_offset = prior_offset
        self.grading = grading
        self.pointwise_weight = pointwise_weight
        self.pointwise_weight_regression = pointwise_weight_regression
        self.random_state = random_state

    def _tree(self) -> dict[str, Any]:
        return _tree_params(
            self.n_estimators,
            self.learning_rate,
            self.num_leaves,
            self.min_child_samples,
            self.colsample_bytree,
            self.subsample,
            self.reg_lambda,
            self.random_state,
        )

    def _model(self) -> Any:
        from lightgbm import LGBMRanker

        return LGBMRanker(
            objective=self.objective,
            label_gain=self._gains(),
            lambdarank_truncation_level=20,
            **self._tree(),
        )

    def _gains(self) -> list[float]:
        edges, exponential = GRADINGS[self.grading]
        n = len(edges) + 1
        return [float(2**g - 1) if exponential else float(g) for g in range(n)]

    def _columns(self, X: pd.DataFrame) -> list[str]:
        """``all``; ``no_priors`` (meta-features + configuration); ``no_meta`` (configuration +
        priors); ``config`` (configuration only)."""
        cols = list(X.columns)
        if self.feature_set in ("no_priors", "config"):
            cols = [c for c in cols if not c.startswith("prior_")]
        if self.feature_set in ("no_meta", "config"):
            cols = [c for c in cols if not c.startswith("mf.")]
        return cols

    def _offset(self, X: pd.DataFrame) -> np.ndarray | None:
        if not self.prior_offset or "prior_knn" not in X.columns:
            return None
        return self.prior_offset * X["prior_knn"].to_numpy(dtype=float)

    def _label_source(self, norm: np.ndarray, group: np.ndarray) -> np.ndarray:
        return rank_quantiles(norm, group) if self.grading.startswith("rank") else norm

    def fit(self, X: pd.DataFrame, norm: np.ndarray, group: np.ndarray) -> AdvisorRanker:
        self.feature_names_ = self._columns(X)
        self.model_ = self._model()
        self.model_.fit(
            X[self.feature_names_],
            grades(self._label_source(np.asarray(norm), np.asarray(group)), self.grading),
            group=np.asarray(group),
            init_score=self._offset(X),
        )
        self.pointwise_ = None
        if self.pointwise_weight or self.pointwise_weight_regression:
            self.pointwise_ = regressor(**{k: getattr(self, k) for k in _TREE_ARGS}).fit(
                X[self.feature_names_], np.asarray(norm)
            )
            # fixed scales (so a blend does not depend on which rows are scored together)
            self.scales_ = (
                float(np.std(self.model_.predict(X[self.feature_names_]))) or 1.0,
                float(np.std(self.pointwise_.predict(X[self.feature_names_]))) or 1.0,
            )
        return self

    def blend_weights(self, X: pd.DataFrame) -> np.ndarray:
        """The pointwise weight of each row (by the row's task)."""
        w = np.full(len(X), float(self.pointwise_weight))
        if self.pointwise_weight_regression is not None and "mf.is_classification" in X:
            regression = X["mf.is_classification"].to_numpy(dtype=float) == 0
            w[regression] = float(self.pointwise_weight_regression)
        return w

    def parts(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | None]:
        """The listwise and the pointwise score of each row, each divided by its scale."""
        check_is_fitted(self, "model_")
        lw = np.asarray(self.model_.predict(X[self.feature_names_]), dtype=float)
        if self.pointwise_ is None:
            return lw, None
        pw = np.asarray(self.pointwise_.predict(X[self.feature_names_]), dtype=float)
        return lw / self.scales_[0], pw / self.scales_[1]

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        lw, pw = self.parts(X)
        if pw is None:
            out = lw
        else:
            w = self.blend_weights(X)
            out = (1 - w) * lw + w * pw
        offset = self._offset(X)
        return out if offset is None else out + offset
